import { describe, expect, it } from 'vitest';
import type { Clock, TimerId } from '../../../core/ports/clock.ts';
import { ControllerExpectations } from '../../../core/controllers/common/expectations.ts';
import { slowStartBatch } from '../../../core/controllers/common/slow-start.ts';
import {
  computeZoneState,
  RateLimitedTimedQueue,
} from '../../../core/controllers/node-lifecycle/zone-disruption.ts';
import {
  matchingTolerations,
  minTolerationUs,
} from '../../../core/controllers/node-lifecycle/tolerations.ts';
import {
  applyTaintDiff,
  noScheduleTaintDiff,
} from '../../../core/controllers/node-lifecycle/node-taints.ts';
import { evaluateNodeHealth } from '../../../core/controllers/node-lifecycle/node-health.ts';
import type { Node } from '../../../core/api/node-types.ts';
import { formatMicroTime, formatTime } from '../../../core/api/time.ts';

class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  /** Never jumps: the same reading as now(). */
  monotonicNow(): number {
    return this.now();
  }

  setTimer(): TimerId {
    throw new Error('not used');
  }
  cancelTimer(): void {}
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

describe('ControllerExpectations', () => {
  it('is satisfied once every expected event is observed, or after the timeout', () => {
    const clock = new ManualClock();
    const e = new ControllerExpectations(clock, 300_000_000);
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectCreations('ns/rs', 2);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
    e.deletionObserved('ns/rs', 'ns/zzz');
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    expect(e.satisfied('ns/rs')).toBe(false);
    clock.t = 300_000_001;
    expect(e.satisfied('ns/rs')).toBe(true);
  });

  it('resolves timed-out writes against the live state', () => {
    const e = new ControllerExpectations(new ManualClock());
    e.expectCreations('k', 5);
    e.markUncertain('k');
    expect(e.needsResolution('k')).toBe(true);
    e.resolve('k', 1, () => false);
    expect(e.needsResolution('k')).toBe(false);
    expect(e.satisfied('k')).toBe(false);
    e.creationObserved('k');
    expect(e.satisfied('k')).toBe(true);
    e.expectDeletions('k', ['a', 'b']);
    e.markUncertain('k');
    e.resolve('k', 0, (key) => key === 'a');
    expect(e.pendingDeletionKeys('k')).toEqual(['a']);
  });
});

describe('slowStartBatch', () => {
  it('runs batches of 1, 2, 4 and stops after a failing batch', async () => {
    let calls = 0;
    const ok = await slowStartBatch(10, 1, async () => {
      calls++;
      return undefined;
    });
    expect(ok).toEqual({ successes: 10, error: undefined });
    expect(calls).toBe(10);
    calls = 0;
    const failing = await slowStartBatch(10, 1, async () => (++calls === 2 ? 'boom' : undefined));
    expect(failing).toEqual({ successes: 2, error: 'boom' });
    expect(calls).toBe(3);
  });
});

describe('zone state and NoExecute rate limiting', () => {
  it.each([
    [['True', 'True'], 'Normal'],
    [['False', 'Unknown'], 'FullDisruption'],
    [['True', 'Unknown', 'Unknown'], 'Normal'],
    [['True', 'Unknown', 'Unknown', 'False'], 'PartialDisruption'],
    [['True', 'True', 'Unknown', 'Unknown', 'False'], 'PartialDisruption'],
    [['True', 'True', 'True', 'Unknown', 'Unknown', 'False'], 'Normal'],
  ])('%j -> %s', (statuses, state) => {
    expect(computeZoneState(statuses, 0.55).state).toBe(state);
  });

  it('drains one node per 1/qps seconds, and nothing at rate 0', async () => {
    const clock = new ManualClock();
    const q = new RateLimitedTimedQueue(clock, 0.1);
    const done: string[] = [];
    const fn = async (v: string) => {
      done.push(v);
      return { done: true, retryUs: 0 };
    };
    expect(q.add('a')).toBe(true);
    expect(q.add('a')).toBe(false);
    q.add('b');
    await q.try(fn);
    expect(done).toEqual(['a']);
    clock.t = 9_000_000;
    await q.try(fn);
    expect(done).toEqual(['a']);
    clock.t = 10_000_000;
    await q.try(fn);
    expect(done).toEqual(['a', 'b']);
    expect(q.add('a')).toBe(false);
    q.remove('a');
    expect(q.add('a')).toBe(true);
    q.swapLimiter(0);
    clock.t = 100_000_000;
    await q.try(fn);
    expect(done).toEqual(['a', 'b']);
  });
});

describe('tolerations and taints', () => {
  const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const };
  it('finds the shortest bounded toleration, -1 for forever, 0 when not all tolerated', () => {
    const t300 = {
      key: unreachable.key,
      operator: 'Exists' as const,
      effect: 'NoExecute' as const,
      tolerationSeconds: 300,
    };
    const forever = { operator: 'Exists' as const };
    expect(minTolerationUs(matchingTolerations([unreachable], [t300]).used)).toBe(300_000_000);
    expect(minTolerationUs(matchingTolerations([unreachable], [forever]).used)).toBe(-1);
    expect(
      matchingTolerations([unreachable, { key: 'x', effect: 'NoExecute' }], [t300]).allTolerated,
    ).toBe(false);
    expect(minTolerationUs([{ ...t300, tolerationSeconds: -3 }])).toBe(0);
  });

  it('maps conditions to NoSchedule taints and applies diffs with timeAdded', () => {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      spec: {
        unschedulable: true,
        taints: [
          { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
          { key: 'custom', effect: 'NoSchedule' },
        ],
      },
      status: {
        conditions: [
          { type: 'Ready', status: 'Unknown' },
          { type: 'DiskPressure', status: 'True' },
        ],
      },
    };
    const diff = noScheduleTaintDiff(node);
    expect(diff.add.map((t) => t.key)).toEqual([
      'node.kubernetes.io/unreachable',
      'node.kubernetes.io/disk-pressure',
      'node.kubernetes.io/unschedulable',
    ]);
    expect(diff.remove.map((t) => t.key)).toEqual(['node.kubernetes.io/not-ready']);
    const next = applyTaintDiff(node.spec?.taints, diff, formatTime(5_000_000));
    expect(next?.map((t) => t.key)).toEqual([
      'custom',
      'node.kubernetes.io/unreachable',
      'node.kubernetes.io/disk-pressure',
      'node.kubernetes.io/unschedulable',
    ]);
    expect(next?.[1]?.timeAdded).toBe('1970-01-01T00:00:05Z');
    expect(
      applyTaintDiff(next, { add: diff.add, remove: [] }, formatTime(9_000_000)),
    ).toBeUndefined();
  });
});

describe('node health', () => {
  const opts = { nodeMonitorGracePeriodUs: 40_000_000, nodeStartupGracePeriodUs: 60_000_000 };
  const hb = formatTime(0);
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n', creationTimestamp: hb },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', lastHeartbeatTime: hb, lastTransitionTime: hb },
      ],
    },
  };
  const lease = (us: number) => ({
    apiVersion: 'coordination.k8s.io/v1' as const,
    kind: 'Lease' as const,
    metadata: { name: 'n' },
    spec: { renewTime: formatMicroTime(us) },
  });

  it('goes Unknown grace after the controller last saw the lease renewed, and fills missing conditions', () => {
    let ev = evaluateNodeHealth(node, undefined, lease(0), 1_000_000, opts);
    expect(ev.write).toBeUndefined();
    ev = evaluateNodeHealth(node, ev.health, lease(10_000_000), 12_000_000, opts);
    expect(ev.health.probeTimestampUs).toBe(12_000_000);
    expect(
      evaluateNodeHealth(node, ev.health, lease(10_000_000), 51_999_999, opts).write,
    ).toBeUndefined();
    const late = evaluateNodeHealth(node, ev.health, lease(10_000_000), 52_000_000, opts);
    expect(late.observedReady.status).toBe('True');
    expect(late.currentReady).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(late.write?.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Ready=Unknown',
      'MemoryPressure=Unknown',
      'DiskPressure=Unknown',
      'PIDPressure=Unknown',
    ]);
    expect(late.write?.conditions[1]?.reason).toBe('NodeStatusNeverUpdated');
  });
});
