/**
 * The generic checker against a tiny model: registers by key with read, write and
 * compare-and-set, so the hand-written histories read like the textbook ones.
 */
import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  type LinearizabilityModel,
  type Operation,
} from '../../../sim/check/index.ts';

type RegOp =
  | { readonly kind: 'read'; readonly key: string }
  | { readonly kind: 'write'; readonly key: string; readonly value: number }
  | { readonly kind: 'cas'; readonly key: string; readonly from: number; readonly to: number };
type RegState = ReadonlyMap<string, number>;

const registers: LinearizabilityModel<RegState, RegOp, number | boolean | null> = {
  init: () => new Map(),
  step: (state, op) => {
    const current = state.get(op.key) ?? 0;
    switch (op.kind) {
      case 'read':
        return [state, current];
      case 'write':
        return [new Map(state).set(op.key, op.value), null];
      case 'cas':
        return current === op.from ? [new Map(state).set(op.key, op.to), true] : [state, false];
    }
  },
  stateKey: (state) => JSON.stringify([...state].sort()),
  readOnly: (op) => op.kind === 'read',
};

type RegOperation = Operation<RegOp, number | boolean | null>;
let nextId = 0;
function op(
  client: number,
  o: RegOp,
  callUs: number,
  returnUs: number,
  result?: number | boolean | null,
): RegOperation {
  const id = nextId++;
  return returnUs === Infinity
    ? { id, client, op: o, callUs, returnUs }
    : { id, client, op: o, callUs, returnUs, result: result ?? null };
}
const w = (key: string, value: number): RegOp => ({ kind: 'write', key, value });
const r = (key: string): RegOp => ({ kind: 'read', key });
const byKey = { partitionKeys: (o: RegOp) => [o.key] };

describe('checkLinearizable', () => {
  it('accepts an empty history and a sequential one', () => {
    expect(checkLinearizable(registers, []).ok).toBe(true);
    const h = [op(0, w('x', 1), 0, 10), op(0, r('x'), 20, 30, 1)];
    expect(checkLinearizable(registers, h).ok).toBe(true);
  });

  it('rejects a stale read after a completed write', () => {
    const h = [op(0, w('x', 1), 0, 10), op(1, w('x', 2), 20, 30), op(2, r('x'), 40, 50, 1)];
    const result = checkLinearizable(registers, h);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    expect(result.reason).toMatch(/not linearizable/);
    expect(result.longestPrefix.map((o) => o.id)).toEqual([h[0]!.id, h[1]!.id]);
    expect(result.candidates).toEqual([{ operation: h[2], modelResult: 2 }]);
  });

  it('accepts a read of either of two concurrent writes', () => {
    const h = [
      op(0, w('x', 1), 0, 100),
      op(1, w('x', 2), 0, 100),
      op(2, r('x'), 10, 20, 2),
      op(2, r('x'), 30, 40, 1),
    ];
    expect(checkLinearizable(registers, h).ok).toBe(true);
  });

  it('rejects two readers that see concurrent writes in opposite orders', () => {
    const h = [
      op(0, w('x', 1), 0, 100),
      op(1, w('x', 2), 0, 100),
      op(2, r('x'), 10, 20, 1),
      op(2, r('x'), 30, 40, 2),
      op(3, r('x'), 10, 20, 2),
      op(3, r('x'), 30, 40, 1),
    ];
    expect(checkLinearizable(registers, h).ok).toBe(false);
  });

  it('rejects a lost acknowledged write', () => {
    const h = [op(0, w('x', 1), 0, 10), op(1, r('x'), 20, 30, 0)];
    expect(checkLinearizable(registers, h).ok).toBe(false);
  });

  it('accepts an unknown write that becomes visible later, or never', () => {
    const later = [
      op(0, w('x', 1), 0, Infinity),
      op(1, r('x'), 10, 20, 0),
      op(1, r('x'), 1000, 1010, 1),
    ];
    expect(checkLinearizable(registers, later).ok).toBe(true);
    const never = [op(0, w('x', 1), 0, Infinity), op(1, r('x'), 1000, 1010, 0)];
    expect(checkLinearizable(registers, never).ok).toBe(true);
  });

  it('rejects an unknown write that is seen and then vanishes', () => {
    const h = [op(0, w('x', 1), 0, Infinity), op(1, r('x'), 10, 20, 1), op(1, r('x'), 30, 40, 0)];
    expect(checkLinearizable(registers, h).ok).toBe(false);
  });

  it('does not let an unknown write take effect before its call', () => {
    const h = [op(1, r('x'), 0, 10, 1), op(0, w('x', 1), 20, Infinity)];
    expect(checkLinearizable(registers, h).ok).toBe(false);
  });

  it('treats operations that touch at one instant as concurrent', () => {
    const h = [op(0, w('x', 1), 0, 10), op(1, r('x'), 10, 20, 0)];
    expect(checkLinearizable(registers, h).ok).toBe(true);
  });

  it('checks each key on its own and names the failing partition', () => {
    const h = [
      op(0, w('x', 1), 0, 10),
      op(1, w('y', 1), 0, 10),
      op(2, r('y'), 20, 30, 1),
      op(2, r('x'), 40, 50, 0),
    ];
    const result = checkLinearizable(registers, h, byKey);
    expect(result.ok).toBe(false);
    if (result.ok === false) expect(result.partitionKeys).toEqual(['x']);
    const fine = checkLinearizable(registers, h.slice(0, 3), byKey);
    expect(fine).toMatchObject({ ok: true, partitions: 2 });
  });

  it('shrinks a violation to the operations that cannot be explained together', () => {
    // Noise on x around a stale read of y.
    const h = [
      op(0, w('x', 1), 0, 5),
      op(0, w('y', 1), 10, 20),
      op(1, r('x'), 12, 18, 1),
      op(2, w('y', 2), 30, 40),
      op(1, w('x', 2), 35, 45),
      op(3, r('y'), 50, 60, 1),
      op(1, r('x'), 55, 65, 2),
    ];
    const result = checkLinearizable(registers, h);
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    // y=1 must precede y=2 (else the unknown-relaxed y=1 could come last), and the stale read.
    expect(result.illustration.map((o) => o.id)).toEqual([h[1]!.id, h[3]!.id, h[5]!.id]);
  });

  it('answers unknown rather than searching past its budget', () => {
    const h: RegOperation[] = [];
    for (let i = 0; i < 12; i++)
      h.push(op(i, { kind: 'cas', key: 'x', from: i, to: i + 1 }, 0, 100, true));
    h.push(op(20, r('x'), 200, 210, 99));
    const result = checkLinearizable(registers, h, { maxSteps: 50 });
    expect(result).toMatchObject({
      ok: 'unknown',
      reason: expect.stringMatching(/budget exceeded/),
    });
  });

  it('uses the given result comparison', () => {
    const h = [op(0, w('x', 1), 0, 10), op(1, r('x'), 20, 30, 5)];
    const loose = checkLinearizable(registers, h, {
      resultsMatch: (m, o) => m === null || typeof o === 'number',
    });
    expect(loose.ok).toBe(true);
  });

  it('finds the linearization of concurrent compare-and-sets whatever their call order', () => {
    const h: RegOperation[] = [];
    for (let i = 9; i >= 0; i--)
      h.push(op(i, { kind: 'cas', key: 'x', from: i, to: i + 1 }, i, 100, true));
    h.push(op(20, r('x'), 200, 210, 10));
    expect(checkLinearizable(registers, h).ok).toBe(true);
  });
});
