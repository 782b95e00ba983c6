import { describe, expect, it } from 'vitest';
import type { Pod, PodPhase } from '../../../core/api/pod-types.ts';
import { formatTime } from '../../../core/api/time.ts';
import {
  isPodActive,
  podsToDelete,
  POD_DELETION_COST_ANNOTATION,
} from '../../../core/controllers/common/active-pods.ts';

const S = 1_000_000;
const NOW = 10_000 * S;

interface Spec {
  name: string;
  node?: string;
  phase?: PodPhase;
  readySinceS?: number;
  createdS?: number;
  restarts?: number;
  cost?: number;
}

function pod(s: Spec): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: s.name,
      namespace: 'default',
      uid: `uid-${s.name}`,
      creationTimestamp: formatTime((s.createdS ?? 0) * S),
      ...(s.cost === undefined
        ? {}
        : { annotations: { [POD_DELETION_COST_ANNOTATION]: String(s.cost) } }),
    },
    spec: {
      containers: [{ name: 'c', image: 'x' }],
      ...(s.node === undefined ? {} : { nodeName: s.node }),
    },
    status: {
      phase: s.phase ?? 'Running',
      conditions:
        s.readySinceS === undefined
          ? []
          : [{ type: 'Ready', status: 'True', lastTransitionTime: formatTime(s.readySinceS * S) }],
      containerStatuses: [
        { name: 'c', ready: true, restartCount: s.restarts ?? 0, image: 'x', imageID: '' },
      ],
    },
  };
}

const cases: { name: string; pods: Spec[]; first: string }[] = [
  {
    name: 'unassigned before assigned',
    pods: [{ name: 'a', node: 'n1' }, { name: 'b' }],
    first: 'b',
  },
  {
    name: 'Pending before Unknown before Running',
    pods: [
      { name: 'r', node: 'n', phase: 'Running' },
      { name: 'u', node: 'n', phase: 'Unknown' },
      { name: 'p', node: 'n', phase: 'Pending' },
    ],
    first: 'p',
  },
  {
    name: 'not ready before ready',
    pods: [
      { name: 'r', node: 'n', readySinceS: 1 },
      { name: 'nr', node: 'n' },
    ],
    first: 'nr',
  },
  {
    name: 'lower deletion cost first',
    pods: [
      { name: 'hi', node: 'n', cost: 10 },
      { name: 'lo', node: 'n', cost: -5 },
    ],
    first: 'lo',
  },
  {
    name: 'doubled-up node first',
    pods: [
      { name: 'alone', node: 'n1' },
      { name: 'crowded', node: 'n2' },
      { name: 'other', node: 'n2' },
    ],
    first: 'crowded',
  },
  {
    name: 'ready for less time first',
    pods: [
      { name: 'old', node: 'n', readySinceS: 100 },
      { name: 'new', node: 'n', readySinceS: 9_000 },
    ],
    first: 'new',
  },
  {
    name: 'more restarts first',
    pods: [
      { name: 'calm', node: 'n', restarts: 0 },
      { name: 'flappy', node: 'n', restarts: 7 },
    ],
    first: 'flappy',
  },
  {
    name: 'newer first',
    pods: [
      { name: 'old', node: 'n', createdS: 10 },
      { name: 'new', node: 'n', createdS: 9_900 },
    ],
    first: 'new',
  },
  {
    name: 'same log2 age bucket: by UID',
    pods: [
      { name: 'b', node: 'n', createdS: 9_000 },
      { name: 'a', node: 'n', createdS: 9_001 },
    ],
    first: 'a',
  },
];

describe('scale-down ranking (ActivePodsWithRanks)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const pods = c.pods.map(pod);
      // crowded/other share n2, so the rank test needs both as candidates and related pods.
      const victims = podsToDelete(pods, pods, 1, NOW);
      expect(victims.map((p) => p.metadata.name)).toEqual([c.first]);
    });
  }

  it('deletes everything without ranking when all pods go', () => {
    const pods = [pod({ name: 'a' }), pod({ name: 'b' })];
    expect(podsToDelete(pods, pods, 5, NOW)).toHaveLength(2);
  });

  it('does not count terminal or terminating pods as active', () => {
    expect(isPodActive(pod({ name: 'a', phase: 'Succeeded' }))).toBe(false);
    const deleting = pod({ name: 'b' });
    expect(
      isPodActive({
        ...deleting,
        metadata: { ...deleting.metadata, deletionTimestamp: formatTime(5 * S) },
      }),
    ).toBe(false);
    expect(isPodActive(pod({ name: 'c' }))).toBe(true);
  });
});
