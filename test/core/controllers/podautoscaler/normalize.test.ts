import { describe, expect, it } from 'vitest';
import {
  emptyHistory,
  normalizeWithBehavior,
  normalizeWithoutBehavior,
  scaleDownLimit,
  scaleUpLimit,
  storeScaleEvent,
  type ScalingRules,
} from '../../../../core/controllers/podautoscaler/normalize.ts';

const S = 1_000_000;
const UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const DOWN: ScalingRules = {
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};
const args = (currentReplicas: number, desiredReplicas: number, nowUs: number) => ({
  currentReplicas,
  desiredReplicas,
  minReplicas: 1,
  maxReplicas: 20,
  nowUs,
  downscaleStabilizationUs: 300 * S,
});

describe('scaling policies (calculateScale{Up,Down}Limit)', () => {
  it.each([
    // [current, policies, selectPolicy, expected]
    [3, UP.policies!, 'Max', 7],
    [10, UP.policies!, 'Max', 20],
    [10, UP.policies!, 'Min', 14],
    [10, UP.policies!, 'Disabled', 10],
    [10, [{ type: 'Percent', value: 50, periodSeconds: 60 }], 'Max', 15],
    [3, [{ type: 'Percent', value: 50, periodSeconds: 60 }], 'Max', 5],
  ] as const)('up from %i with %j (%s) allows %i', (current, policies, selectPolicy, expected) => {
    expect(scaleUpLimit(current, [], { selectPolicy, policies: [...policies] }, 0)).toBe(expected);
  });

  it.each([
    [10, [{ type: 'Percent', value: 50, periodSeconds: 60 }], 'Max', 5],
    [5, [{ type: 'Percent', value: 50, periodSeconds: 60 }], 'Max', 2],
    [
      10,
      [
        { type: 'Pods', value: 2, periodSeconds: 60 },
        { type: 'Percent', value: 50, periodSeconds: 60 },
      ],
      'Max',
      5,
    ],
    [
      10,
      [
        { type: 'Pods', value: 2, periodSeconds: 60 },
        { type: 'Percent', value: 50, periodSeconds: 60 },
      ],
      'Min',
      8,
    ],
    [10, [{ type: 'Pods', value: 2, periodSeconds: 60 }], 'Disabled', 10],
  ] as const)(
    'down from %i with %j (%s) allows %i',
    (current, policies, selectPolicy, expected) => {
      expect(scaleDownLimit(current, [], { selectPolicy, policies: [...policies] }, 0)).toBe(
        expected,
      );
    },
  );

  it('counts the changes made within each policy period', () => {
    const h = emptyHistory();
    const rules: ScalingRules = {
      selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }],
    };
    storeScaleEvent(h, rules, rules, 4, 6, 0);
    // 30 s later the period still holds the +2: no more room.
    expect(scaleUpLimit(6, h.scaleUpEvents, rules, 30 * S)).toBe(6);
    // After the period, two more.
    expect(scaleUpLimit(6, h.scaleUpEvents, rules, 61 * S)).toBe(8);
  });
});

describe('stabilization', () => {
  it('scales down no sooner than the window after the highest recommendation', () => {
    const h = emptyHistory();
    // A peak of 8 at t=0, then recommendations of 2 every 15 s.
    expect(normalizeWithoutBehavior(h, args(8, 8, 0)).replicas).toBe(8);
    for (let t = 15; t <= 300; t += 15) {
      const n = normalizeWithoutBehavior(h, args(8, 2, t * S));
      expect(n.replicas).toBe(8);
      expect(n.ableToScale.reason).toBe('ScaleDownStabilized');
    }
    const after = normalizeWithoutBehavior(h, args(8, 2, 315 * S));
    expect(after.replicas).toBe(2);
    expect(after.ableToScale.reason).toBe('ReadyForNewScale');
  });

  it('without behavior, scale-up is capped at max(2x, 4) and max replicas', () => {
    const n = normalizeWithoutBehavior(emptyHistory(), args(3, 15, 0));
    expect(n).toMatchObject({ replicas: 6, limited: { status: true, reason: 'ScaleUpLimit' } });
    const m = normalizeWithoutBehavior(emptyHistory(), { ...args(15, 40, 0), maxReplicas: 20 });
    expect(m).toMatchObject({ replicas: 20, limited: { status: true, reason: 'TooManyReplicas' } });
    const low = normalizeWithoutBehavior(emptyHistory(), { ...args(3, 1, 0), minReplicas: 2 });
    expect(low).toMatchObject({ replicas: 2, limited: { status: true, reason: 'TooFewReplicas' } });
  });

  it('with behavior, the scale-up window takes the lowest recent recommendation', () => {
    const h = emptyHistory();
    const up = { ...UP, stabilizationWindowSeconds: 60 };
    expect(normalizeWithBehavior(h, args(2, 2, 0), up, DOWN).replicas).toBe(2);
    // A burst to 10 within the minute is held back to the lowest recommendation (2).
    expect(normalizeWithBehavior(h, args(2, 10, 30 * S), up, DOWN).replicas).toBe(2);
    // Once the 2 is older than the window, the lowest recent one is 10 (capped by policy: 6).
    const n = normalizeWithBehavior(h, args(2, 10, 61 * S), up, DOWN);
    expect(n).toMatchObject({ replicas: 6, limited: { status: true, reason: 'ScaleUpLimit' } });
  });

  it('with behavior, scale-down follows its window, its policies, and Disabled', () => {
    const h = emptyHistory();
    const down: ScalingRules = {
      stabilizationWindowSeconds: 60,
      selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }],
    };
    expect(normalizeWithBehavior(h, args(5, 5, 0), UP, down).replicas).toBe(5);
    expect(normalizeWithBehavior(h, args(5, 1, 45 * S), UP, down).replicas).toBe(5);
    const n = normalizeWithBehavior(h, args(5, 1, 61 * S), UP, down);
    expect(n).toMatchObject({ replicas: 4, limited: { status: true, reason: 'ScaleDownLimit' } });
    storeScaleEvent(h, UP, down, 5, 4, 61 * S);
    expect(normalizeWithBehavior(h, args(4, 1, 76 * S), UP, down).replicas).toBe(4);
    expect(normalizeWithBehavior(h, args(4, 1, 92 * S), UP, down).replicas).toBe(3);
    const disabled = { ...down, selectPolicy: 'Disabled' };
    expect(
      normalizeWithBehavior(emptyHistory(), args(4, 1, 0), UP, {
        ...disabled,
        stabilizationWindowSeconds: 0,
      }).replicas,
    ).toBe(4);
  });
});
