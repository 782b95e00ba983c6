import { describe, expect, it } from 'vitest';
import { deepFreeze } from '../../../core/util/freeze.ts';

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, so a mutation throws', () => {
    const msg = { kind: 'events', events: [{ kv: { key: 'a', value: '1' } }] };
    expect(deepFreeze(msg)).toBe(msg);
    expect(() => {
      msg.events[0]!.kv.value = '2';
    }).toThrow(TypeError);
    expect(() => msg.events.push({ kv: { key: 'b', value: '2' } })).toThrow(TypeError);
  });

  it('leaves byte arrays as they are (they cannot be frozen) and primitives alone', () => {
    const entry = { data: new Uint8Array([1, 2]) };
    deepFreeze(entry);
    expect(Object.isFrozen(entry)).toBe(true);
    entry.data[0] = 9;
    expect(entry.data[0]).toBe(9);
    expect(deepFreeze('text')).toBe('text');
    expect(deepFreeze(null)).toBe(null);
  });

  it('terminates on cycles', () => {
    const a: { self?: unknown } = {};
    a.self = a;
    expect(Object.isFrozen(deepFreeze(a))).toBe(true);
  });
});
