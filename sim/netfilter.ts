/**
 * The packet filter of one simulated machine: its rules per table, programmed through the
 * Netfilter port (iptables-restore text, or single idempotent commands) and evaluated for
 * simulated packets (sim/netfilter/evaluate.ts). Like the runtime it is built in the node
 * process's factory, so a machine crash starts it again empty, as a reboot does.
 */
import type {
  ConntrackFilter,
  Netfilter,
  NetfilterResult,
  NetfilterTable,
  RulePosition,
} from '../core/ports/netfilter.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { ProcessPorts } from '../core/ports/process.ts';
import type { Random } from '../core/ports/random.ts';
import { assert } from '../core/util/assert.ts';
import { ConnectionTable, type Flow } from './netfilter/conntrack.ts';
import {
  evaluate,
  type Hook,
  type Packet,
  type RecentLists,
  type Verdict,
} from './netfilter/evaluate.ts';
import { parseIpv4 } from './netfilter/ipv4.ts';
import { restore, RuleMemo } from './netfilter/restore.ts';
import { parseRule } from './netfilter/rule-parser.ts';
import { emptyRuleset, type Ruleset, type Table } from './netfilter/ruleset.ts';
import { save } from './netfilter/save.ts';
import { TableEdit } from './netfilter/table-edit.ts';
import { tokenize } from './netfilter/tokenize.ts';

export type { Hook, Packet, Verdict } from './netfilter/evaluate.ts';
export type { Flow } from './netfilter/conntrack.ts';

/** What became of a connection's first packet, or of a later one. */
export type Connection =
  | { readonly kind: 'established'; readonly verdict: Verdict }
  | { readonly kind: 'new'; readonly verdict: Verdict }
  /** nf_conntrack_max reached: the kernel drops the new flow. */
  | { readonly kind: 'table-full' };

/** Ephemeral source ports (net.ipv4.ip_local_port_range). */
const EPHEMERAL_FIRST = 32_768;
const EPHEMERAL_COUNT = 60_999 - 32_768 + 1;

export interface SimNetfilterOptions {
  /** The machine's own addresses (-m addrtype LOCAL); the first is the one MASQUERADE uses. */
  readonly localAddresses: readonly string[];
}

const ok = <T>(value: T): NetfilterResult<T> => ({ ok: true, value });

export class SimNetfilter implements Netfilter {
  private ruleset: Ruleset = emptyRuleset();
  private readonly random: Random;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly localAddresses: readonly string[];
  private readonly recent: RecentLists = new Map();
  private readonly conntrack = new ConnectionTable();
  /** Rules parsed from the last restores' lines (kube-proxy sends most of them every time). */
  private readonly parsed = new RuleMemo();
  private nextPort = 0;

  /**
   * `machine`: the node process's ports; -m statistic draws from their own fork, -m recent and
   * conntrack timeouts read their clock.
   */
  constructor(
    machine: Pick<ProcessPorts, 'random'> & { readonly clock: Pick<Clock, 'now'> },
    options: SimNetfilterOptions,
  ) {
    for (const a of options.localAddresses)
      assert(parseIpv4(a) !== undefined, `local address ${a} is not IPv4`);
    this.random = machine.random.fork('netfilter');
    this.clock = machine.clock;
    this.localAddresses = options.localAddresses;
  }

  async restore(rules: string): Promise<NetfilterResult> {
    const r = restore(this.ruleset, rules, this.parsed);
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

  async deleteConntrack(filter: ConntrackFilter): Promise<NetfilterResult<number>> {
    return ok(this.conntrack.delete(filter));
  }

  /**
   * What the rules do to `packet` entering at `hook`, as of now, as the first packet of a
   * connection (conntrack is not consulted; -m recent lists are).
   */
  evaluate(packet: Packet, hook: Hook): Verdict {
    return evaluate(
      this.ruleset,
      { localAddresses: this.localAddresses },
      this.random,
      packet,
      hook,
      { recent: this.recent, nowUs: this.clock.now() },
    );
  }

  /**
   * A packet of the flow through conntrack: an established flow keeps its first packet's
   * verdict; a new one walks the rules and, if accepted, is remembered.
   */
  connect(flow: Flow, hook: Hook): Connection {
    const nowUs = this.clock.now();
    const known = this.conntrack.lookup(flow, nowUs);
    if (known !== undefined) return { kind: 'established', verdict: known };
    const verdict = this.evaluate(flow, hook);
    if (verdict.kind === 'accept' && !this.conntrack.insert(flow, verdict, nowUs))
      return { kind: 'table-full' };
    return { kind: 'new', verdict };
  }

  /** The flow ended (FIN/RST seen): its conntrack entry goes. */
  close(flow: Flow): void {
    this.conntrack.close(flow);
  }

  /** A fresh ephemeral source port for a connection a caller opens, in a fixed cycle. */
  ephemeralPort(): number {
    const port = EPHEMERAL_FIRST + (this.nextPort % EPHEMERAL_COUNT);
    this.nextPort++;
    return port;
  }

  get connections(): number {
    return this.conntrack.size;
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
