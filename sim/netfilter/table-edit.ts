/**
 * One table being changed by a restore or a single command: a private copy of its chains, with
 * the number of jumps to each chain kept up to date, so deleting a chain can be refused while a
 * rule still jumps to it (EMLINK), and loops can be refused at COMMIT (ELOOP), as the kernel does.
 */
import type { NetfilterTable } from '../../core/ports/netfilter.ts';
import type { Rule } from './rule.ts';
import { BUILTIN_CHAINS, jumpTarget, type Chain, type Policy, type Table } from './ruleset.ts';

/** XT_EXTENSION_MAXNAMELEN less the terminating NUL. */
const MAX_CHAIN_NAME_LENGTH = 28;
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'ACCEPT',
  'DROP',
  'QUEUE',
  'RETURN',
  'REJECT',
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'MARK',
]);

interface EditableChain {
  readonly name: string;
  readonly builtin: boolean;
  policy: Policy;
  rules: Rule[];
}

/** An error message, or undefined when the change was made. */
export type EditError = string | undefined;

export class TableEdit {
  private readonly chains = new Map<string, EditableChain>();
  private readonly refs = new Map<string, number>();

  constructor(
    readonly table: NetfilterTable,
    from: Table,
  ) {
    for (const c of from.values()) {
      this.chains.set(c.name, { ...c, rules: [...c.rules] });
      for (const r of c.rules) this.count(r, 1);
    }
  }

  has(chain: string): boolean {
    return this.chains.has(chain);
  }

  isBuiltin(chain: string): boolean {
    return BUILTIN_CHAINS[this.table].includes(chain);
  }

  rules(chain: string): readonly Rule[] | undefined {
    return this.chains.get(chain)?.rules;
  }

  /** A chain line of restore input: a user chain is created, or flushed if it exists. */
  declare(chain: string, policy: string): EditError {
    if (this.isBuiltin(chain)) {
      if (policy !== 'ACCEPT' && policy !== 'DROP')
        return `bad policy "${policy}" for built-in chain ${chain}`;
      (this.chains.get(chain) as EditableChain).policy = policy;
      return undefined;
    }
    if (policy !== '-') return `cannot set a policy on user-defined chain ${chain}`;
    if (this.has(chain)) return this.flush(chain);
    return this.create(chain);
  }

  create(chain: string): EditError {
    if (this.has(chain)) return `chain ${chain} already exists`;
    if (chain.length > MAX_CHAIN_NAME_LENGTH)
      return `chain name "${chain}" too long (must be under ${MAX_CHAIN_NAME_LENGTH + 1} chars)`;
    if (chain.startsWith('-') || chain.startsWith('!') || RESERVED_NAMES.has(chain))
      return `invalid chain name "${chain}"`;
    this.chains.set(chain, { name: chain, builtin: false, policy: 'ACCEPT', rules: [] });
    return undefined;
  }

  /** Inserts at `index` (0 = first), or appends when `index` is undefined. */
  add(chain: string, rule: Rule, index?: number): EditError {
    const c = this.chains.get(chain);
    if (c === undefined) return `chain ${chain} does not exist`;
    if (index !== undefined && index > c.rules.length) return 'index of insertion too big';
    c.rules.splice(index ?? c.rules.length, 0, rule);
    this.count(rule, 1);
    return undefined;
  }

  /** Flushes one chain, or every chain of the table when `chain` is undefined. */
  flush(chain?: string): EditError {
    if (chain === undefined) {
      for (const name of this.chains.keys()) this.flush(name);
      return undefined;
    }
    const c = this.chains.get(chain);
    if (c === undefined) return `chain ${chain} does not exist`;
    for (const r of c.rules) this.count(r, -1);
    c.rules = [];
    return undefined;
  }

  /** Deletes an empty, unreferenced user chain; every such chain when `chain` is undefined. */
  delete(chain?: string): EditError {
    if (chain === undefined) {
      for (const c of [...this.chains.values()]) {
        if (c.builtin) continue;
        const err = this.delete(c.name);
        if (err !== undefined) return err;
      }
      return undefined;
    }
    const c = this.chains.get(chain);
    if (c === undefined) return `chain ${chain} does not exist`;
    if (c.builtin) return `cannot delete built-in chain ${chain}`;
    if (c.rules.length > 0) return `chain ${chain} is not empty`;
    if ((this.refs.get(chain) ?? 0) > 0) return `chain ${chain} is still referenced`;
    this.chains.delete(chain);
    return undefined;
  }

  /** A jump cycle between user chains (the kernel refuses such a table with ELOOP). */
  findLoop(): string[] | undefined {
    const state = new Map<string, 'open' | 'done'>();
    const visit = (name: string, path: string[]): string[] | undefined => {
      const s = state.get(name);
      if (s === 'done') return undefined;
      if (s === 'open') return [...path.slice(path.indexOf(name)), name];
      state.set(name, 'open');
      for (const r of this.chains.get(name)?.rules ?? []) {
        const to = jumpTarget(r);
        const loop = to === undefined ? undefined : visit(to, [...path, name]);
        if (loop !== undefined) return loop;
      }
      state.set(name, 'done');
      return undefined;
    };
    for (const name of this.chains.keys()) {
      const loop = visit(name, []);
      if (loop !== undefined) return loop;
    }
    return undefined;
  }

  /** The edited table, built-in chains first (kernel order), then user chains by name. */
  result(): Table {
    const builtin = BUILTIN_CHAINS[this.table].map((n) => this.chains.get(n) as EditableChain);
    const user = [...this.chains.values()]
      .filter((c) => !c.builtin)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new Map(
      [...builtin, ...user].map((c): [string, Chain] => [
        c.name,
        { name: c.name, builtin: c.builtin, policy: c.policy, rules: c.rules },
      ]),
    );
  }

  private count(rule: Rule, delta: number): void {
    const to = jumpTarget(rule);
    if (to !== undefined) this.refs.set(to, (this.refs.get(to) ?? 0) + delta);
  }
}
