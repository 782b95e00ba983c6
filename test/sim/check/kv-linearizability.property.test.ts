/**
 * Properties of the store checker over generated histories (concurrent-kv-history.ts): every
 * history that the real store produced with linearization points inside the intervals passes,
 * and mutations that are violations for certain are caught.
 *
 * "For certain" rests on unique put values (`v<id>`) and on real-time order, never on what the
 * real run happened to do: a read returning a value no put wrote; a value whose put was invoked
 * after the read returned; a value overwritten by a put that completed before the read began
 * (the overwritten put itself completed before that put began); nothing, although a put of the
 * key completed before the read began and no delete or lease revoke was invoked before the read
 * returned.
 */
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { keySpan, spanContains } from '../../../core/store/index.ts';
import type { KeyValue, Op, RangeResult, TxnRequestOp } from '../../../core/store/index.ts';
import { checkKvHistory, type KvOperation } from '../../../sim/check/index.ts';
import { arrayChoose, generateKvHistory, type GeneratedHistory } from './concurrent-kv-history.ts';

const KEYS = ['a', 'b', 'c'];
const NO_SHRINKING = { minimizeMaxSteps: 0 };

const scenarioArb = fc.record({
  clients: fc.integer({ min: 1, max: 5 }),
  perKeyOnly: fc.boolean(),
  giveUpPercent: fc.constantFrom(0, 10, 30),
  choices: fc.array(fc.nat(), { minLength: 100, maxLength: 1500, size: 'max' }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function generate(s: Scenario): GeneratedHistory {
  return generateKvHistory(arrayChoose(s.choices), {
    clients: s.clients,
    keys: KEYS,
    maxOps: 40,
    perKeyOnly: s.perKeyOnly,
    giveUpPercent: s.giveUpPercent,
  });
}

type Read = KvOperation & {
  readonly op: { kind: 'range'; key: string };
  readonly result: RangeResult;
};

function isPlainRead(o: KvOperation): o is Read {
  return (
    o.op.kind === 'range' &&
    o.op.rangeEnd === undefined &&
    o.op.revision === undefined &&
    o.result?.kind === 'range'
  );
}

function withResult(ops: readonly KvOperation[], read: Read, kvs: KeyValue[]): KvOperation[] {
  const result: RangeResult = { ...read.result, kvs, count: kvs.length, more: false };
  return ops.map((o) => (o.id === read.id ? { ...read, result } : o));
}

function completedPut(o: KvOperation, key: string): boolean {
  return o.op.kind === 'put' && o.op.key === key && o.result?.kind === 'put';
}

function mayDelete(op: Op, key: string): boolean {
  const covers = (r: TxnRequestOp): boolean =>
    r.kind === 'delete-range' && spanContains(keySpan(r.key, r.rangeEnd), key);
  if (op.kind === 'delete-range') return covers(op);
  if (op.kind === 'txn') return op.success.some(covers) || op.failure.some(covers);
  return op.kind === 'lease-revoke';
}

/** Every mutation class that applies to this history, as [name, mutated history]. */
function certainViolations(g: GeneratedHistory): [string, KvOperation[]][] {
  const ops = g.operations;
  const reads = ops.filter(isPlainRead);
  const out: [string, KvOperation[]][] = [];
  const first = <T>(f: (read: Read) => T | undefined): [Read, T] | undefined => {
    for (const read of reads) {
      const found = f(read);
      if (found !== undefined) return [read, found];
    }
    return undefined;
  };

  const any = reads[0];
  if (any !== undefined) {
    const kv = any.result.kvs[0];
    const fake: KeyValue =
      kv === undefined
        ? {
            key: any.op.key,
            value: 'never-written',
            createRevision: any.result.header.revision,
            modRevision: any.result.header.revision,
            version: 1,
            lease: 0 as KeyValue['lease'],
          }
        : { ...kv, value: 'never-written' };
    out.push(['never-written value', withResult(ops, any, [fake])]);
  }

  const future = first((read) =>
    ops.find(
      (p) =>
        p.op.kind === 'put' &&
        p.op.key === read.op.key &&
        p.callUs > read.returnUs &&
        g.written.has(p.id),
    ),
  );
  if (future !== undefined)
    out.push(['value from the future', withResult(ops, future[0], [g.written.get(future[1].id)!])]);

  const stale = first((read) => {
    for (const w of ops) {
      if (!completedPut(w, read.op.key) || w.returnUs >= read.callUs) continue;
      const p = ops.find(
        (p) => completedPut(p, read.op.key) && p.returnUs < w.callUs && g.written.has(p.id),
      );
      if (p !== undefined) return p;
    }
    return undefined;
  });
  if (stale !== undefined)
    out.push(['stale value', withResult(ops, stale[0], [g.written.get(stale[1].id)!])]);

  const lost = first((read) => {
    const acknowledged = ops.some((w) => completedPut(w, read.op.key) && w.returnUs < read.callUs);
    const deletable = ops.some((d) => d.callUs <= read.returnUs && mayDelete(d.op, read.op.key));
    return acknowledged && !deletable && read.result.kvs.length > 0 ? true : undefined;
  });
  if (lost !== undefined) out.push(['lost write', withResult(ops, lost[0], [])]);
  return out;
}

describe('store histories', () => {
  const caught = new Map<string, number>();
  const flips = { total: 0, rejected: 0 };
  afterAll(() => {
    // Each class of certain violation was exercised, not just vacuously "all caught".
    for (const name of [
      'never-written value',
      'value from the future',
      'stale value',
      'lost write',
    ])
      expect(caught.get(name) ?? 0, name).toBeGreaterThanOrEqual(10);
    // Flipping a read to another written value is not always a violation (it may be a value
    // the read could have seen); in practice about 90% are, and the exact check finds them.
    if (flips.total >= 50) expect(flips.rejected / flips.total).toBeGreaterThan(0.6);
  });

  test.prop([scenarioArb], { numRuns: 150 })('a history produced by the real store passes', (s) => {
    const g = generate(s);
    const exact = checkKvHistory(g.operations, { mode: 'exact' });
    expect(exact.ok, exact.ok === false ? exact.reason : '').toBe(true);
    if (s.perKeyOnly) expect(checkKvHistory(g.operations, { mode: 'per-key' }).ok).not.toBe(false);
  });

  test.prop([scenarioArb], { numRuns: 150 })('certain violations are caught', (s) => {
    const g = generate(s);
    for (const [name, mutated] of certainViolations(g)) {
      expect(checkKvHistory(mutated, { mode: 'exact', ...NO_SHRINKING }).ok, name).toBe(false);
      caught.set(name, (caught.get(name) ?? 0) + 1);
      if (s.perKeyOnly)
        expect(checkKvHistory(mutated, { mode: 'per-key', ...NO_SHRINKING }).ok, name).not.toBe(
          true,
        );
    }
  });

  test.prop([scenarioArb, fc.nat(), fc.nat()], { numRuns: 150 })(
    'a read flipped to another written value: per-key never rejects what exact accepts',
    (s, whichRead, whichValue) => {
      const g = generate(s);
      const reads = g.operations.filter(isPlainRead);
      const values = [...g.written.values()];
      const read = reads[whichRead % Math.max(reads.length, 1)];
      const value = values[whichValue % Math.max(values.length, 1)];
      if (read === undefined || value === undefined) return;
      const mutated = withResult(g.operations, read, [{ ...value, key: read.op.key }]);
      const exact = checkKvHistory(mutated, { mode: 'exact', ...NO_SHRINKING });
      expect(exact.ok).not.toBe('unknown');
      flips.total++;
      if (exact.ok === false) flips.rejected++;
      if (!s.perKeyOnly) return;
      const perKey = checkKvHistory(mutated, { mode: 'per-key', ...NO_SHRINKING });
      if (perKey.ok === false) expect(exact.ok).toBe(false);
    },
  );
});
