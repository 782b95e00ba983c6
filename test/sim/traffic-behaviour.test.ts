/** How a simulated container serves traffic, read from its environment. */
import { describe, expect, it } from 'vitest';
import { containerBehaviour, responseLatency } from '../../sim/runtime-behaviour.ts';

describe('KSIM_RESPONSE_MS', () => {
  it.each([
    ['5', { kind: 'constant', us: 5_000 }],
    ['0.5', { kind: 'constant', us: 500 }],
    ['2-10', { kind: 'uniform', minUs: 2_000, maxUs: 10_000 }],
    ['2~8', { kind: 'exponential', minUs: 2_000, meanUs: 8_000 }],
    // Malformed or backwards: the default, 1 ms.
    ['10-2', { kind: 'constant', us: 1_000 }],
    ['fast', { kind: 'constant', us: 1_000 }],
    [undefined, { kind: 'constant', us: 1_000 }],
  ] as const)('%s', (text, model) => {
    expect(responseLatency(text)).toEqual(model);
  });
});

describe('KSIM_ERROR_RATE', () => {
  it.each([
    ['0.25', 0.25],
    ['1', 1],
    ['2', 0],
    ['-1', 0],
    ['x', 0],
  ])('%s is %s', (value, rate) => {
    const b = containerBehaviour({
      name: 'c',
      attempt: 0,
      image: 'i',
      env: { KSIM_ERROR_RATE: value },
    });
    expect(b.errorRate).toBe(rate);
  });
});
