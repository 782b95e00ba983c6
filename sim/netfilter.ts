/**
 * The packet filter of one simulated machine: its rules per table, programmed through the
 * Netfilter port (iptables-restore text, or single idempotent commands) and evaluated for
 * simulated packets (sim/netfilter/evaluate.ts). Like the runtime it is built in the node
 * process's factory, so a machine crash starts it again empty, as a reboot does.
 */
import type {
  Netfilter,
  NetfilterResult,
  NetfilterTable,
  RulePosition,
} from '../core/ports/netfilter.ts';
import type { ProcessPorts } from '../core/ports/process.ts';
import type { Random } from '../core/ports/random.ts';
import { assert } from '../core/util/assert.ts';
import { evaluate, type Hook, type Packet, type Verdict } from './netfilter/evaluate.ts';
import { parseIpv4 } from './netfilter/ipv4.ts';
import { restore } from './netfilter/restore.ts';
import { parseRule } from './netfilter/rule-parser.ts';
import { emptyRuleset, type Ruleset, type Table } from './netfilter/ruleset.ts';
import { save } from './netfilter/save.ts';
import { TableEdit } from './netfilter/table-edit.ts';
import { tokenize } from './netfilter/tokenize.ts';

export type { Hook, Packet, Verdict } from './netfilter/evaluate.ts';

export interface SimNetfilterOptions {
  /** The machine's own addresses (-m addrtype LOCAL); the first is the one MASQUERADE uses. */
  readonly localAddresses: readonly string[];
}

const ok = <T>(value: T): NetfilterResult<T> => ({ ok: true, value });

export class SimNetfilter implements Netfilter {
  private ruleset: Ruleset = emptyRuleset();
  private readonly random: Random;
  private readonly localAddresses: readonly string[];

  /** `machine`: the node process's ports; -m statistic draws from their own fork. */
  constructor(machine: Pick<ProcessPorts, 'random'>, options: SimNetfilterOptions) {
    for (const a of options.localAddresses)
      assert(parseIpv4(a) !== undefined, `local address ${a} is not IPv4`);
    this.random = machine.random.fork('netfilter');
    this.localAddresses = options.localAddresses;
  }

  async restore(rules: string): Promise<NetfilterResult> {
    const r = restore(this.ruleset, rules);
    if (!r.ok) return { ok: false, line: r.line, message: r.message };
    this.ruleset = r.ruleset;
    return ok(undefined);
  }

  async ensureChain(table: NetfilterTable, chain: string): Promise<NetfilterResult<boolean>> {
    const edit = this.edit(table);
    if (edit.has(chain)) return ok(true);
    const error = edit.create(chain);
    if (error !== undefined) return { ok: false, message: error };
    this.commit(edit);
    return ok(false);
  }

  async ensureRule(
    position: RulePosition,
    table: NetfilterTable,
    chain: string,
    rule: string,
  ): Promise<NetfilterResult<boolean>> {
    const args = tokenize(rule);
    if (typeof args === 'string') return { ok: false, message: args };
    const edit = this.edit(table);
    const existing = edit.rules(chain);
    if (existing === undefined) return { ok: false, message: `chain ${chain} does not exist` };
    const parsed = parseRule(args, { table, chainExists: (c) => edit.has(c) });
    if (!parsed.ok) return { ok: false, message: parsed.error };
    if (existing.some((r) => r.spec === parsed.rule.spec)) return ok(true);
    const error = edit.add(chain, parsed.rule, position === 'prepend' ? 0 : undefined);
    if (error !== undefined) return { ok: false, message: error };
    this.commit(edit);
    return ok(false);
  }

  async save(table: NetfilterTable): Promise<NetfilterResult<string>> {
    return ok(save(table, this.table(table)));
  }

  /** What the rules do to `packet` entering at `hook`, as of now. */
  evaluate(packet: Packet, hook: Hook): Verdict {
    return evaluate(
      this.ruleset,
      { localAddresses: this.localAddresses },
      this.random,
      packet,
      hook,
    );
  }

  private table(name: NetfilterTable): Table {
    return this.ruleset.get(name) as Table;
  }

  private edit(table: NetfilterTable): TableEdit {
    return new TableEdit(table, this.table(table));
  }

  private commit(edit: TableEdit): void {
    this.ruleset = new Map(
      [...this.ruleset].map(([t, tb]) => [t, t === edit.table ? edit.result() : tb]),
    );
  }
}
