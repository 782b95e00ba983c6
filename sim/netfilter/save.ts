import type { NetfilterTable } from '../../core/ports/netfilter.ts';
import type { Table } from './ruleset.ts';

/** iptables-save's text for one table: chain lines (counters zero), rules, COMMIT. */
export function save(name: NetfilterTable, table: Table): string {
  const lines = [`*${name}`];
  for (const c of table.values()) lines.push(`:${c.name} ${c.builtin ? c.policy : '-'} [0:0]`);
  for (const c of table.values())
    for (const r of c.rules) lines.push(`-A ${c.name} ${r.spec}`.trimEnd());
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}
