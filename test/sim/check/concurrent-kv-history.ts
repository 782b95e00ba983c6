/**
 * Generates concurrent client histories that are linearizable by construction: clients invoke
 * operations at random times, each operation takes effect on the real store (KvStateMachine) at
 * a point strictly inside its [call, return] interval, and some clients give up (the op is then
 * unknown: applied or not). All randomness comes from `choose`, a stream of choices: fast-check
 * feeds it from an array it can shrink; the performance script feeds it from a PRNG.
 *
 * Every put writes a value unique to its operation (`v<id>`), which lets tests build mutations
 * that are violations for certain.
 */
import { FROM_KEY, KvStateMachine, leaseId, revision } from '../../../core/store/index.ts';
import type { Compare, KeyValue, Op, Result, TxnRequestOp } from '../../../core/store/index.ts';
import { History, type Operation } from '../../../sim/check/index.ts';

/** A choice in [0, n), or undefined when the stream is exhausted. */
export type Choose = (n: number) => number | undefined;

export interface GenerateOptions {
  readonly clients: number;
  readonly keys: readonly string[];
  readonly maxOps: number;
  /** Only ops the per-key check accepts (no revision-dependent inputs). */
  readonly perKeyOnly: boolean;
  /** Out of 100: how often a client gives up on an op instead of learning its result. */
  readonly giveUpPercent: number;
}

export interface GeneratedHistory {
  readonly operations: Operation<Op, Result>[];
  /** Op id -> position in the real application order (absent: never applied). */
  readonly appliedAt: ReadonlyMap<number, number>;
  /** Op id of a top-level put that succeeded -> the key-value it wrote. */
  readonly written: ReadonlyMap<number, KeyValue>;
}

type ClientState =
  | { readonly phase: 'idle' }
  | { readonly phase: 'called'; readonly id: number; readonly op: Op }
  | { readonly phase: 'applied'; readonly id: number; readonly result: Result };

export function generateKvHistory(choose: Choose, options: GenerateOptions): GeneratedHistory {
  const store = new KvStateMachine();
  const history = new History<Op, Result>();
  const clients: ClientState[] = Array.from({ length: options.clients }, () => ({ phase: 'idle' }));
  const appliedAt = new Map<number, number>();
  const written = new Map<number, KeyValue>();
  let timeUs = 0;
  for (;;) {
    const c = choose(options.clients);
    const gap = choose(3);
    if (c === undefined || gap === undefined) break;
    timeUs += 1 + gap;
    const client = clients[c]!;
    if (client.phase === 'idle') {
      if (history.size >= options.maxOps) {
        if (clients.every((s) => s.phase === 'idle')) break;
        continue;
      }
      const op = generateOp(choose, history.size, options);
      if (op === undefined) break;
      clients[c] = { phase: 'called', id: history.invoke(c, op, timeUs), op };
    } else if (client.phase === 'called') {
      if ((choose(100) ?? 0) < options.giveUpPercent / 2) {
        history.unknown(client.id);
        clients[c] = { phase: 'idle' };
        continue;
      }
      const result = store.apply(client.op);
      appliedAt.set(client.id, appliedAt.size);
      if (client.op.kind === 'put' && result.kind === 'put') {
        const read = store.apply({ kind: 'range', key: client.op.key });
        if (read.kind === 'range' && read.kvs[0] !== undefined) written.set(client.id, read.kvs[0]);
      }
      timeUs += 1;
      clients[c] = { phase: 'applied', id: client.id, result };
    } else {
      if ((choose(100) ?? 0) < options.giveUpPercent / 2) history.unknown(client.id);
      else history.complete(client.id, client.result, timeUs);
      clients[c] = { phase: 'idle' };
    }
  }
  return { operations: history.operations(), appliedAt, written };
}

function generateOp(choose: Choose, id: number, options: GenerateOptions): Op | undefined {
  const { keys } = options;
  const pick = (): string | undefined => {
    const i = choose(keys.length);
    return i === undefined ? undefined : keys[i];
  };
  const kind = choose(options.perKeyOnly ? 9 : 12);
  const key = pick();
  const other = pick();
  const flag = choose(2);
  const number = choose(12);
  if (
    kind === undefined ||
    key === undefined ||
    other === undefined ||
    flag === undefined ||
    number === undefined
  )
    return undefined;
  const value = `v${id}`;
  switch (kind) {
    case 0:
    case 1:
    case 2:
      return { kind: 'put', key, value, prevKv: flag === 0 };
    case 3:
    case 4:
      return { kind: 'range', key };
    case 5:
      return { kind: 'range', key, rangeEnd: flag === 0 ? FROM_KEY : other, limit: number % 3 };
    case 6:
      return flag === 0
        ? { kind: 'delete-range', key, prevKv: number % 2 === 0 }
        : { kind: 'delete-range', key, rangeEnd: other, prevKv: number % 2 === 0 };
    case 7: {
      const compare: Compare =
        flag === 0
          ? { target: 'value', key, result: '=', value: `v${number}` }
          : { target: 'version', key, result: number % 2 === 0 ? '=' : '<', value: number % 4 };
      const success: TxnRequestOp[] = [{ kind: 'put', key, value }];
      if (other !== key) success.push({ kind: 'delete-range', key: other });
      return { kind: 'txn', compare: [compare], success, failure: [{ kind: 'range', key }] };
    }
    case 8:
      return number < 9
        ? { kind: 'lease-grant', id: leaseId(1 + (number % 2)), ttlSeconds: 10 }
        : number < 11
          ? { kind: 'put', key, value, lease: leaseId(1 + (number % 2)) }
          : { kind: 'lease-revoke', id: leaseId(1 + (number % 2)) };
    case 9:
      return { kind: 'range', key, revision: revision(1 + number) };
    case 10: {
      const compare: Compare = { target: 'mod', key, result: '<', value: revision(1 + number) };
      return {
        kind: 'txn',
        compare: [compare],
        success: [{ kind: 'put', key, value }],
        failure: [{ kind: 'range', key, rangeEnd: FROM_KEY, revision: revision(1 + number) }],
      };
    }
    default:
      return number < 2
        ? { kind: 'compact', revision: revision(1 + number * 3) }
        : { kind: 'range', key: other, revision: revision(number) };
  }
}

/** A deterministic choice stream for scripts (mulberry32). */
export function seededChoose(seed: number): Choose {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(u * n);
  };
}

/** A choice stream over a fixed array (shrinkable by fast-check); undefined once exhausted. */
export function arrayChoose(choices: readonly number[]): Choose {
  let i = 0;
  return (n) => {
    const c = choices[i++];
    return c === undefined ? undefined : c % n;
  };
}
