import { describe, expect, it } from 'vitest';
import { History } from '../../../sim/check/index.ts';

describe('History', () => {
  it('records completed, unknown and still pending operations', () => {
    const h = new History<string, number>();
    const a = h.invoke(0, 'a', 10);
    const b = h.invoke(1, 'b', 11);
    const c = h.invoke(2, 'c', 12);
    h.complete(a, 1, 20);
    h.unknown(b);
    expect(h.status(a)).toBe('completed');
    expect(h.status(b)).toBe('unknown');
    expect(h.status(c)).toBe('pending');
    expect(h.operations()).toEqual([
      { id: 0, client: 0, op: 'a', result: 1, callUs: 10, returnUs: 20 },
      { id: 1, client: 1, op: 'b', callUs: 11, returnUs: Infinity },
      { id: 2, client: 2, op: 'c', callUs: 12, returnUs: Infinity },
    ]);
  });

  it('refuses a second outcome and a return before the call', () => {
    const h = new History<string, number>();
    const a = h.invoke(0, 'a', 10);
    expect(() => h.complete(a, 1, 9)).toThrow(/before its call/);
    h.complete(a, 1, 10);
    expect(() => h.unknown(a)).toThrow(/already completed/);
    expect(() => h.complete(7, 1, 10)).toThrow(/no op 7/);
  });
});
