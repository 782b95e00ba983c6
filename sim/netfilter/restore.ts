/**
 * iptables-restore --noflush on a ruleset, as a pure function: the input's tables are edited on
 * copies and the result is the whole new ruleset, or the first failing line and why (nothing
 * changes then: iptables-nft-restore commits the input as one transaction).
 *
 * kube-proxy restores its top-level chains (a rule per Service port) at every sync, so the same
 * append lines come back again and again: a RuleMemo keeps the rules the last restores parsed
 * from them, and a line seen before is appended without being parsed again. Only the checks
 * that depend on the table (its chain, and the chain it jumps to, exist) are made again.
 */
import type { NetfilterTable } from '../../core/ports/netfilter.ts';
import type { Rule } from './rule.ts';
import { parseRule } from './rule-parser.ts';
import { isTable, type Ruleset, type Table } from './ruleset.ts';
import { TableEdit } from './table-edit.ts';
import { tokenize } from './tokenize.ts';

export type RestoreOutcome =
  | { readonly ok: true; readonly ruleset: Ruleset }
  | { readonly ok: false; readonly line: number; readonly message: string };

const COUNTERS = /^\[\d+:\d+\]$/;

/**
 * The rules parsed from append lines by earlier restores. Bounded: once the lines of this
 * generation pass MEMO_LINES, the older generation is dropped at the end of the restore, so it
 * holds the lines used since then and at most about twice MEMO_LINES (a Service's chains come
 * back only when it changes, many restores later).
 */
export class RuleMemo {
  private previous = new Map<string, Appended>();
  private current = new Map<string, Appended>();

  get(table: NetfilterTable, line: string): Appended | undefined {
    const key = `${table} ${line}`;
    const hit = this.current.get(key) ?? this.previous.get(key);
    if (hit !== undefined) this.current.set(key, hit);
    return hit;
  }

  set(table: NetfilterTable, line: string, appended: Appended): void {
    this.current.set(`${table} ${line}`, appended);
  }

  /** A restore ended. */
  rotate(): void {
    if (this.current.size < MEMO_LINES) return;
    this.previous = this.current;
    this.current = new Map();
  }
}

const MEMO_LINES = 4096;

interface Appended {
  readonly chain: string;
  readonly rule: Rule;
}

export function restore(ruleset: Ruleset, text: string, memo?: RuleMemo): RestoreOutcome {
  try {
    return restoreLines(ruleset, text, memo);
  } finally {
    memo?.rotate();
  }
}

function restoreLines(ruleset: Ruleset, text: string, memo: RuleMemo | undefined): RestoreOutcome {
  const done = new Map<NetfilterTable, Table>();
  let edit: TableEdit | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] as string).replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (what: string): RestoreOutcome => ({
      ok: false,
      line: lineNo,
      message: `iptables-restore: line ${lineNo} failed: ${what}`,
    });
    if (line.startsWith('*')) {
      const name = line.slice(1);
      if (edit !== undefined) return fail(`table ${name} starts before COMMIT of ${edit.table}`);
      if (!isTable(name)) return fail(`table "${name}" is not simulated (only nat and filter)`);
      edit = new TableEdit(name, done.get(name) ?? (ruleset.get(name) as Table));
      continue;
    }
    if (edit === undefined) return fail('no table specified (a line "*nat" or "*filter" first)');
    if (line === 'COMMIT') {
      const loop = edit.findLoop();
      if (loop !== undefined) return fail(`jump loop ${loop.join(' -> ')}`);
      done.set(edit.table, edit.result());
      edit = undefined;
      continue;
    }
    const error = line.startsWith(':') ? chainLine(edit, line) : command(edit, line, memo);
    if (error !== undefined) return fail(error);
  }
  if (edit !== undefined)
    return {
      ok: false,
      line: lines.length + 1,
      message: `iptables-restore: COMMIT expected at line ${lines.length + 1}`,
    };
  return {
    ok: true,
    ruleset: new Map([...ruleset].map(([t, table]) => [t, done.get(t) ?? table])),
  };
}

/** `:NAME POLICY [packets:bytes]`. */
function chainLine(edit: TableEdit, line: string): string | undefined {
  const parts = line.slice(1).split(/\s+/);
  const [name, policy, counters, ...rest] = parts;
  if (name === undefined || name === '' || policy === undefined)
    return 'chain line needs a name and a policy';
  if (rest.length > 0 || (counters !== undefined && !COUNTERS.test(counters)))
    return `bad chain line "${line}"`;
  return edit.declare(name, policy);
}

function command(edit: TableEdit, line: string, memo: RuleMemo | undefined): string | undefined {
  const known = memo?.get(edit.table, line);
  if (known !== undefined && stillValid(edit, known)) return edit.add(known.chain, known.rule);
  const args = tokenize(line);
  if (typeof args === 'string') return args;
  const [cmd, chain, ...rest] = args;
  const needChain = (): string | undefined =>
    chain === undefined ? `${cmd} needs a chain` : undefined;
  switch (cmd) {
    case '-A':
    case '--append':
      return (
        needChain() ??
        addRule(edit, chain as string, rest, undefined, (rule) =>
          memo?.set(edit.table, line, { chain: chain as string, rule }),
        )
      );
    case '-I':
    case '--insert': {
      const missing = needChain();
      if (missing !== undefined) return missing;
      const [first, ...spec] = rest;
      if (first !== undefined && /^\d+$/.test(first)) {
        if (Number(first) < 1) return 'rule number must be at least 1';
        return addRule(edit, chain as string, spec, Number(first) - 1);
      }
      return addRule(edit, chain as string, rest, 0);
    }
    case '-F':
    case '--flush':
      return rest.length > 0 ? 'too many arguments to -F' : edit.flush(chain);
    case '-X':
    case '--delete-chain':
      return rest.length > 0 ? 'too many arguments to -X' : edit.delete(chain);
    case '-N':
    case '--new-chain':
      return (
        needChain() ?? (rest.length > 0 ? 'too many arguments to -N' : edit.create(chain as string))
      );
    default:
      return `command "${cmd}" is not simulated (only -A, -I, -F, -X, -N and chain lines)`;
  }
}

function addRule(
  edit: TableEdit,
  chain: string,
  spec: readonly string[],
  index: number | undefined,
  parsedOk?: (rule: Rule) => void,
): string | undefined {
  if (!edit.has(chain)) return `chain ${chain} does not exist`;
  const parsed = parseRule(spec, { table: edit.table, chainExists: (c) => edit.has(c) });
  if (!parsed.ok) return parsed.error;
  if (parsed.rule.target.kind === 'jump' && edit.isBuiltin(parsed.rule.target.chain))
    return `cannot jump to built-in chain ${parsed.rule.target.chain}`;
  parsedOk?.(parsed.rule);
  return edit.add(chain, parsed.rule, index);
}

/**
 * A remembered line appends as it did: its chain and the chain it jumps to must exist now, as
 * they did then (otherwise it is parsed again, for the error). Nothing else a parse checks
 * depends on the table's contents.
 */
function stillValid(edit: TableEdit, known: Appended): boolean {
  const to = known.rule.target;
  return edit.has(known.chain) && (to.kind !== 'jump' || edit.has(to.chain));
}
