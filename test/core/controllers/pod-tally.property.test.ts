import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { getControllerOf, keyOf } from '../../../core/api/meta.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import { labelSelectorMatcher } from '../../../core/api/selectors.ts';
import { isPodActive } from '../../../core/controllers/common/active-pods.ts';
import { PodTally } from '../../../core/controllers/replicaset/pod-tally.ts';
import { countPods } from '../../../core/controllers/replicaset/replica-set-status.ts';
import { replicatedSpec } from '../../../core/controllers/replicaset/replicated-kind.ts';

/** ReplicaSet `a` (the one the tally is asked about) with its template's tier label. */
function owner(uid: string, templateTier: string): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: uid, namespace: 'default', uid },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', tier: templateTier } },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
    },
  };
}

interface PodState {
  readonly owner: 'a' | 'b' | undefined;
  readonly app: 'web' | 'db';
  readonly tier: 'front' | 'back';
  readonly ready: boolean;
  readonly phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  readonly deleting: boolean;
}

function pod(name: string, s: PodState): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: s.app, tier: s.tier },
      ...(s.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      ...(s.owner === undefined
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'ReplicaSet',
                name: s.owner,
                uid: s.owner,
                controller: true,
              },
            ],
          }),
    },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: {
      phase: s.phase,
      conditions: [{ type: 'Ready', status: s.ready ? 'True' : 'False' }],
    },
  };
}

const podState = fc.record({
  owner: fc.constantFrom<'a' | 'b' | undefined>('a', 'a', 'b', undefined),
  app: fc.constantFrom<'web' | 'db'>('web', 'web', 'web', 'db'),
  tier: fc.constantFrom<'front' | 'back'>('front', 'back'),
  ready: fc.boolean(),
  phase: fc.constantFrom<PodState['phase']>('Pending', 'Running', 'Running', 'Succeeded', 'Failed'),
  deleting: fc.boolean(),
});

/** A pod written or deleted, the owner's template relabelled, or a sync reading the tally. */
const step = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    pod: fc.integer({ min: 0, max: 7 }),
    state: podState,
  }),
  fc.record({ op: fc.constant('delete' as const), pod: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('template' as const), tier: fc.constantFrom('front', 'back') }),
  fc.record({ op: fc.constant('sync' as const) }),
);

/**
 * The tally, fed every change as the controller's pod handlers feed it, counts what a walk
 * over the owner's active pods counts (claimObjects keeping the matching ones, then
 * calculateStatus), and reports "walk" exactly when an owned active pod no longer matches.
 */
test.prop([fc.array(step, { maxLength: 60 })], { numRuns: 300 })(
  'the pod tally counts what a walk over the owner pods counts',
  (steps) => {
    const tally = new PodTally();
    const cache = new Map<string, Pod>();
    let rs = owner('a', 'front');
    const check = (): void => {
      const spec = replicatedSpec(rs);
      const owned = [...cache.values()].filter((p) => getControllerOf(p)?.uid === 'a');
      const { counts, walked } = tally.counts(
        rs,
        spec,
        (k) => cache.get(k),
        () => owned,
      );
      const active = owned.filter(isPodActive);
      const selector = labelSelectorMatcher(spec.selector);
      const releasable = active.some((p) => !selector.matches(p.metadata.labels));
      expect(counts).toEqual(releasable ? undefined : countPods(spec, active, 0));
      expect(walked).toBeLessThanOrEqual(Math.max(owned.length, 8));
    };
    for (const s of steps) {
      switch (s.op) {
        case 'put': {
          const next = pod(`p${s.pod}`, s.state);
          const old = cache.get(keyOf(next));
          cache.set(keyOf(next), next);
          if (old !== undefined) tally.touch(old);
          tally.touch(next);
          break;
        }
        case 'delete': {
          const key = `default/p${s.pod}`;
          const old = cache.get(key);
          if (old === undefined) break;
          cache.delete(key);
          tally.touch(old);
          break;
        }
        case 'template':
          rs = owner('a', s.tier);
          break;
        case 'sync':
          check();
          break;
      }
    }
    check();
  },
);
