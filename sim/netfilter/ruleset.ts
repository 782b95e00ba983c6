/**
 * A node's tables as data: per table its chains, each with a policy (built-in chains) and an
 * ordered rule list. A restore edits a copy and swaps it in whole (copy on write per table),
 * so a failed restore leaves nothing behind and an evaluation never sees half a change.
 */
import type { NetfilterTable } from '../../core/ports/netfilter.ts';
import type { Rule } from './rule.ts';

export type Policy = 'ACCEPT' | 'DROP';

export interface Chain {
  readonly name: string;
  readonly builtin: boolean;
  readonly policy: Policy;
  readonly rules: readonly Rule[];
}

export type Table = ReadonlyMap<string, Chain>;
export type Ruleset = ReadonlyMap<NetfilterTable, Table>;

export const TABLES: readonly NetfilterTable[] = ['filter', 'nat'];

/** The kernel's built-in chains of each table, in iptables-save order. */
export const BUILTIN_CHAINS: Readonly<Record<NetfilterTable, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

export function isTable(name: string): name is NetfilterTable {
  return (TABLES as readonly string[]).includes(name);
}

/** Every table with its built-in chains, empty, policy ACCEPT: a fresh network namespace. */
export function emptyRuleset(): Ruleset {
  return new Map(
    TABLES.map((t) => [
      t,
      new Map(
        BUILTIN_CHAINS[t].map((name) => [
          name,
          { name, builtin: true, policy: 'ACCEPT' as Policy, rules: [] },
        ]),
      ),
    ]),
  );
}

/** The chains a rule's target sends packets to (a jump), for reference counting. */
export function jumpTarget(rule: Rule): string | undefined {
  return rule.target.kind === 'jump' ? rule.target.chain : undefined;
}
