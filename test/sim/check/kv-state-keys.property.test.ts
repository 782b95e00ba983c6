/**
 * The exact check's incremental state keys (kv-digest.ts: a digest each step updates with the
 * keys it changed) decide exactly as keys that write out the whole state: same verdict, same
 * number of model steps (the search prunes the same configurations), same longest prefix on a
 * violation. The oracle's keys are the whole state as JSON, and the whole past too where past
 * reads make it matter, so they cannot collide. The digest itself, kept step by step, equals
 * the digest of the same map computed from scratch.
 */
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { leaseId } from '../../../core/store/index.ts';
import type { KeyValue, ModelState, Op, Result } from '../../../core/store/index.ts';
import {
  checkLinearizable,
  kvCheckModel,
  readsAtRevision,
  structuralEqual,
  type CheckResult,
  type KvCheckState,
  type KvOperation,
  type LinearizabilityModel,
} from '../../../sim/check/index.ts';
import { KvDigests } from '../../../sim/check/kv-digest.ts';
import { arrayChoose, generateKvHistory } from './concurrent-kv-history.ts';

const scenarioArb = fc.record({
  clients: fc.integer({ min: 1, max: 5 }),
  keys: fc.constantFrom(['a', 'b', 'c'], ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']),
  giveUpPercent: fc.constantFrom(0, 10, 30),
  choices: fc.array(fc.nat(), { minLength: 100, maxLength: 1500, size: 'max' }),
  /** Which read to corrupt, and with which written value (undefined: none). */
  flip: fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined }),
});

const sortedKvs = (s: Pick<ModelState, 'kvs'>): KeyValue[] =>
  [...s.kvs.values()].sort((a, b) => (a.key < b.key ? -1 : 1));

/** The whole state, and the whole past (the last state of each older revision) when tracked. */
function oracleKey(s: KvCheckState): string {
  const leases = [...s.current.leases].sort((a, b) => a[0] - b[0]);
  const current = [s.current.revision, s.current.compactRevision, sortedKvs(s.current), leases];
  const past: KeyValue[][] = [];
  for (let node = s.past?.older ?? null; node !== null; node = node.older)
    past.push(sortedKvs(node.state));
  return JSON.stringify(s.past === null ? current : [current, past]);
}

function check(history: readonly KvOperation[], oracle: boolean): CheckResult<Op, Result> {
  const model = kvCheckModel({
    mode: 'exact',
    observed: history,
    trackPast: history.some((o) => readsAtRevision(o.op)),
  });
  const used: LinearizabilityModel<KvCheckState, Op, Result> = oracle
    ? { ...model, stateKey: oracleKey }
    : model;
  return checkLinearizable(used, history, {
    resultsMatch: structuralEqual,
    maxSteps: 200_000,
    minimizeMaxSteps: 2_000,
  });
}

/** The history with one completed plain read answered with another written key-value. */
function flipped(ops: readonly KvOperation[], read: number, value: number): KvOperation[] {
  const reads = ops.filter(
    (o) => o.op.kind === 'range' && o.op.rangeEnd === undefined && o.result?.kind === 'range',
  );
  const puts = ops.flatMap((o) =>
    o.op.kind === 'put' && o.result?.kind === 'put' ? [{ key: o.op.key, value: o.op.value }] : [],
  );
  const target = reads[read % Math.max(reads.length, 1)];
  const put = puts[value % Math.max(puts.length, 1)];
  if (target?.op.kind !== 'range' || target.result?.kind !== 'range' || put === undefined)
    return [...ops];
  const rev = target.result.header.revision;
  const kv: KeyValue = {
    key: target.op.key,
    value: put.value,
    createRevision: rev,
    modRevision: rev,
    version: 1,
    lease: leaseId(0),
  };
  const result: Result = { ...target.result, kvs: [kv], count: 1 };
  return ops.map((o) => (o.id === target.id ? { ...target, result } : o));
}

describe('incremental state keys', () => {
  const verdicts = { passed: 0, failed: 0, unknown: 0, pastTracked: 0 };
  afterAll(() => {
    // Both kinds of verdict, and histories with past reads, were compared, not just one.
    expect(verdicts.passed).toBeGreaterThanOrEqual(20);
    expect(verdicts.failed).toBeGreaterThanOrEqual(20);
    expect(verdicts.pastTracked).toBeGreaterThanOrEqual(20);
  });

  test.prop([scenarioArb], { numRuns: 100 })('decide as whole-state keys do', (s) => {
    const generated = generateKvHistory(arrayChoose(s.choices), {
      clients: s.clients,
      keys: s.keys,
      maxOps: 40,
      perKeyOnly: false,
      giveUpPercent: s.giveUpPercent,
    }).operations;
    const history = s.flip === undefined ? generated : flipped(generated, ...s.flip);
    const incremental = check(history, false);
    const whole = check(history, true);
    expect(incremental.ok).toBe(whole.ok);
    expect(incremental.steps).toBe(whole.steps);
    if (incremental.ok === false && whole.ok === false) {
      expect(incremental.longestPrefix.map((o) => o.id)).toEqual(
        whole.longestPrefix.map((o) => o.id),
      );
      expect(incremental.illustration.map((o) => o.id)).toEqual(
        whole.illustration.map((o) => o.id),
      );
    }
    if (whole.ok === true) verdicts.passed++;
    else if (whole.ok === false) verdicts.failed++;
    else verdicts.unknown++;
    if (history.some((o) => readsAtRevision(o.op))) verdicts.pastTracked++;
  });
});

const kvArb = fc.record({
  key: fc.constantFrom('a', 'b', 'c', 'd'),
  value: fc.constantFrom('v1', 'v2', 'v3'),
  version: fc.integer({ min: 1, max: 3 }),
});
const editArb = fc.oneof(
  kvArb.map((kv) => ({ set: kv })),
  fc.constantFrom('a', 'b', 'c', 'd').map((key) => ({ del: key })),
);

describe('KvDigests', () => {
  test.prop([fc.array(fc.array(editArb, { maxLength: 3 }), { maxLength: 30 })])(
    'a digest kept step by step is the digest of the map from scratch, and tells maps apart',
    (steps) => {
      const stepwise = new KvDigests();
      const seen = new Map<string, string>();
      let map: ReadonlyMap<string, KeyValue> = new Map();
      stepwise.of(map);
      for (const edits of steps) {
        const next = new Map(map);
        for (const e of edits) {
          if ('del' in e) next.delete(e.del);
          else {
            const kv = { ...e.set, createRevision: 1, modRevision: 1, lease: 0 } as KeyValue;
            next.set(kv.key, kv);
          }
        }
        stepwise.derived(next, map);
        const digest = stepwise.of(next);
        // A fresh copy, so nothing is shared with the stepwise digests.
        const copy = new Map([...next].map(([k, kv]) => [k, { ...kv }]));
        expect(digest).toBe(new KvDigests().of(copy));
        const content = JSON.stringify(sortedKvs({ kvs: next }));
        const other = seen.get(digest);
        if (other !== undefined) expect(content).toBe(other);
        seen.set(digest, content);
        map = next;
      }
    },
  );
});
