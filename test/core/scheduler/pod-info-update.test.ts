/**
 * A pod's later version reuses its PodInfo's derived fields only when every input of them is
 * the same object (upstream's PodInfo.Update): the cache observed through a binding keeps the
 * requests it had, and a version with new containers, labels or affinity is derived again.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { SchedulerCache } from '../../../core/scheduler/cache/cache.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { node, pod } from './fixtures.ts';

function bound(p: Pod, nodeName: string): Pod {
  return { ...p, spec: { ...p.spec, nodeName }, status: { phase: 'Pending' } };
}

describe('PodInfo of a later version of the same pod', () => {
  it('shares the derived fields when the binding changed only nodeName and status', () => {
    const p = pod('a', { cpu: '250m', memory: '64Mi', labels: { app: 'x' } });
    const before = podInfoOf(p);
    const after = podInfoOf(bound(p, 'n1'), before);
    expect(after.pod.spec.nodeName).toBe('n1');
    expect(after.requests).toBe(before.requests);
    expect(after.requests.milliCPU).toBe(250);
    expect(after.key).toBe(before.key);
  });

  it('derives again when the containers, labels or affinity are new objects', () => {
    const p = pod('b', { cpu: '250m', labels: { app: 'x' } });
    const before = podInfoOf(p);
    const resized: Pod = {
      ...p,
      spec: {
        ...p.spec,
        containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1' } } }],
      },
    };
    expect(podInfoOf(resized, before).requests.milliCPU).toBe(1000);
    const relabelled: Pod = { ...p, metadata: { ...p.metadata, labels: { app: 'y' } } };
    expect(podInfoOf(relabelled, before).labels).toEqual({ app: 'y' });
    const withAffinity: Pod = {
      ...p,
      spec: {
        ...p.spec,
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone' },
            ],
          },
        },
      },
    };
    const anti = podInfoOf(withAffinity, before);
    expect(anti.hasRequiredAntiAffinity).toBe(true);
    expect(anti.requiredAntiAffinityTerms).toHaveLength(1);
  });

  it('the cache accounts a confirmed binding with the assumed requests, and a resize anew', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n1', { cpu: '4', memory: '8Gi' }));
    const p = pod('c', { cpu: '500m' });
    cache.assumePod(p, 'n1');
    const confirmed = bound(p, 'n1');
    cache.addPod(confirmed);
    expect(cache.isAssumed(confirmed)).toBe(false);
    expect(cache.getNodeInfo('n1')?.requested.milliCPU).toBe(500);
    const resized: Pod = {
      ...confirmed,
      spec: {
        ...confirmed.spec,
        containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '2' } } }],
      },
    };
    cache.updatePod(resized);
    expect(cache.getNodeInfo('n1')?.requested.milliCPU).toBe(2000);
  });
});
