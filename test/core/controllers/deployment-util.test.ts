import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../core/api/kinds/deployment.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import {
  lastRevision,
  MAX_REPLICAS_ANNOTATION,
  REVISION_ANNOTATION,
} from '../../../core/controllers/deployment/annotations.ts';
import {
  computePodTemplateHash,
  equalIgnoreHash,
  POD_TEMPLATE_HASH_LABEL,
} from '../../../core/controllers/deployment/pod-template-hash.ts';
import {
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  proportion,
  resolveFenceposts,
} from '../../../core/controllers/deployment/replica-math.ts';
import { deployment } from './workloads.ts';

function rolling(replicas: number, surge: number | string, unavailable: number | string) {
  return deployment('web', replicas, {
    strategy: {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable },
    },
  });
}

function rs(name: string, replicas: number, annotations: Record<string, string> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', annotations },
    spec: { replicas, selector: { matchLabels: { app: 'web' } } },
  };
}

describe('rollout arithmetic (deployment_util.go)', () => {
  it.each([
    // replicas, maxSurge, maxUnavailable -> surge, unavailable
    [10, '25%', '25%', 3, 2],
    [4, '25%', '25%', 1, 1],
    [3, '25%', '25%', 1, 0],
    [1, '25%', '25%', 1, 0],
    [10, 0, 0, 0, 1],
    [10, '0%', '1%', 0, 1],
    [10, '1%', '0%', 1, 0],
    [5, 2, 7, 2, 7],
  ])('%i replicas, surge %s, unavailable %s: %i and %i', (replicas, s, u, surge, unavailable) => {
    expect(resolveFenceposts(s, u, replicas)).toEqual({ surge, unavailable });
  });

  it('maxUnavailable is capped at the replicas and 0 for Recreate or none', () => {
    expect(maxUnavailable(rolling(5, 2, 7))).toBe(5);
    expect(maxUnavailable(rolling(0, 2, 7))).toBe(0);
    expect(maxUnavailable(deployment('web', 5, { strategy: { type: 'Recreate' } }))).toBe(0);
    expect(maxSurge(deployment('web', 5, { strategy: { type: 'Recreate' } }))).toBe(0);
  });

  it('the new ReplicaSet grows by what fits under replicas + maxSurge', () => {
    const d = rolling(10, 3, 2);
    const old = rs('old', 8);
    const fresh = rs('new', 0);
    expect(newRSNewReplicas(d, [old, fresh], fresh)).toBe(5);
    expect(newRSNewReplicas(d, [rs('old', 13), fresh], fresh)).toBe(0);
    expect(newRSNewReplicas(d, [rs('old', 0), rs('new', 9)], rs('new', 9))).toBe(10);
  });

  it('a resize mid-rollout is shared in proportion to the sizes planned for', () => {
    // Planned for 10 + 3; now 20 + 5 (25%): each ReplicaSet grows by 25/13 of itself.
    const d = rolling(20, '25%', '25%');
    const planned = { [MAX_REPLICAS_ANNOTATION]: '13' };
    const old = rs('old', 8, planned);
    const fresh = rs('new', 5, planned);
    const toAdd = 25 - 13;
    const p1 = proportion(d, old, toAdd, 0);
    const p2 = proportion(d, fresh, toAdd, p1);
    expect([p1, p2]).toEqual([Math.round((8 * 25) / 13) - 8, Math.round((5 * 25) / 13) - 5]);
    expect(proportion(d, rs('idle', 0, planned), toAdd, 0)).toBe(0);
  });

  it('lastRevision is the second highest revision', () => {
    const r = (n: number) => rs(`r${n}`, 0, { [REVISION_ANNOTATION]: String(n) });
    expect(lastRevision([r(1), r(3), r(2)])).toBe(2);
    expect(lastRevision([r(4)])).toBe(0);
  });
});

describe('pod-template-hash', () => {
  const template: Deployment['spec']['template'] = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
  };

  it('is stable, safe-encoded, and changes with the template and the collision count', () => {
    const h = computePodTemplateHash(template, undefined);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(computePodTemplateHash(structuredClone(template), undefined)).toBe(h);
    expect(computePodTemplateHash(template, 1)).not.toBe(h);
    expect(computePodTemplateHash(template, 1)).not.toBe(computePodTemplateHash(template, 2));
    const other = { ...template, spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } };
    expect(computePodTemplateHash(other, undefined)).not.toBe(h);
  });

  it('does not depend on key order; templates compare without the hash label', () => {
    const reordered = { spec: template.spec, metadata: template.metadata };
    expect(computePodTemplateHash(reordered, undefined)).toBe(
      computePodTemplateHash(template, undefined),
    );
    const labelled = {
      ...template,
      metadata: { labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: 'abc' }, annotations: {} },
    };
    expect(equalIgnoreHash(labelled, template)).toBe(true);
    expect(equalIgnoreHash(template, { ...template, metadata: { labels: { app: 'other' } } })).toBe(
      false,
    );
  });
});
