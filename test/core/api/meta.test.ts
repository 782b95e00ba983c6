import { describe, expect, it } from 'vitest';
import { getCondition, setCondition } from '../../../core/api/conditions.ts';
import {
  deepCopy,
  getControllerOf,
  isControlledBy,
  keyOf,
  newControllerRef,
  objectKey,
  splitObjectKey,
} from '../../../core/api/meta.ts';
import {
  computePodQOS,
  isPodAvailable,
  isPodReady,
  podRequests,
  podRequestsMillis,
} from '../../../core/api/pod-helpers.ts';
import type { PodCondition, Container, Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import { formatTime } from '../../../core/api/time.ts';

function pod(
  containers: Container[],
  extra: Partial<Pod['spec']> = {},
  status?: Pod['status'],
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { containers, ...extra },
    ...(status ? { status } : {}),
  };
}

function c(
  name: string,
  requests?: Record<string, string>,
  limits?: Record<string, string>,
  sidecar = false,
): Container {
  return {
    name,
    image: 'x',
    resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
    ...(sidecar ? { restartPolicy: 'Always' as const } : {}),
  };
}

describe('keys and owners', () => {
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid' },
    spec: { selector: {} },
  };

  it('objectKey round-trips', () => {
    expect(objectKey('ns', 'a')).toBe('ns/a');
    expect(objectKey('', 'node-1')).toBe('node-1');
    expect(objectKey(undefined, 'node-1')).toBe('node-1');
    expect(keyOf(rs)).toBe('ns/web');
    expect(splitObjectKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(splitObjectKey('node-1')).toEqual({ namespace: '', name: 'node-1' });
  });

  it('controller references', () => {
    const ref = newControllerRef(rs, { group: 'apps', version: 'v1', kind: 'ReplicaSet' });
    expect(ref).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'web',
      uid: 'rs-uid',
      controller: true,
      blockOwnerDeletion: true,
    });
    const owned = pod([c('a')]);
    const withRef: Pod = {
      ...owned,
      metadata: {
        ...owned.metadata,
        ownerReferences: [{ ...ref, controller: false, uid: 'other' }, ref],
      },
    };
    expect(getControllerOf(withRef)).toBe(ref);
    expect(isControlledBy(withRef, rs)).toBe(true);
    expect(isControlledBy(owned, rs)).toBe(false);
    expect(isControlledBy(withRef, { metadata: { uid: 'x' } })).toBe(false);
  });

  it('deepCopy is deep and mutable', () => {
    const copy = deepCopy(rs);
    copy.metadata.name = 'changed';
    expect(rs.metadata.name).toBe('web');
  });
});

describe('podRequests (component-helpers PodRequests)', () => {
  const table: [string, Pod, Record<string, string>][] = [
    [
      'sum of containers',
      pod([c('a', { cpu: '100m', memory: '1Gi' }), c('b', { cpu: '200m' })]),
      { cpu: '300m', memory: '1Gi' },
    ],
    [
      'init container raises the max',
      pod([c('a', { cpu: '100m' })], { initContainers: [c('i', { cpu: '1', memory: '64Mi' })] }),
      { cpu: '1', memory: '64Mi' },
    ],
    [
      'sidecars add up and run beside later init containers',
      pod([c('a', { cpu: '100m' })], {
        initContainers: [c('s', { cpu: '200m' }, undefined, true), c('i', { cpu: '500m' })],
      }),
      // regular 100m + sidecar 200m = 300m; init phase peak = sidecar 200m + init 500m = 700m.
      { cpu: '700m' },
    ],
    [
      'overhead is added',
      pod([c('a', { cpu: '100m' })], { overhead: { cpu: '50m', memory: '10Mi' } }),
      { cpu: '150m', memory: '10Mi' },
    ],
    ['no requests', pod([c('a')]), {}],
  ];
  it.each(table)('%s', (_name, p, want) => {
    expect(podRequests(p)).toEqual(want);
  });

  it('numbers are memoised per pod object', () => {
    const p = pod([c('a', { cpu: '250m', memory: '1Mi' })]);
    expect(podRequestsMillis(p)).toEqual({ cpu: 250, memory: 1_048_576 });
    expect(podRequestsMillis(p)).toBe(podRequestsMillis(p));
  });
});

describe('QoS class (ComputePodQOS)', () => {
  const table: [string, Pod, string][] = [
    ['nothing set', pod([c('a')]), 'BestEffort'],
    [
      'only other resources',
      pod([c('a', { 'example.com/gpu': '1' }, { 'example.com/gpu': '1' })]),
      'BestEffort',
    ],
    ['zero requests', pod([c('a', { cpu: '0' })]), 'BestEffort'],
    [
      'equal requests and limits',
      pod([c('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })]),
      'Guaranteed',
    ],
    [
      'limits only (requests defaulted later)',
      pod([c('a', undefined, { cpu: '1', memory: '1Gi' })]),
      'Burstable',
    ],
    [
      'cpu limit missing',
      pod([c('a', { cpu: '1', memory: '1Gi' }, { memory: '1Gi' })]),
      'Burstable',
    ],
    [
      'request below limit',
      pod([c('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })]),
      'Burstable',
    ],
    [
      'one container without limits',
      pod([c('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }), c('b')]),
      'Burstable',
    ],
  ];
  it.each(table)('%s', (_name, p, want) => {
    expect(computePodQOS(p)).toBe(want);
  });
});

describe('conditions', () => {
  const t0 = formatTime(0);
  const t1 = formatTime(5_000_000);
  const ready = (
    status: PodCondition['status'],
    extra: Partial<PodCondition> = {},
  ): PodCondition => ({ type: 'Ready', status, ...extra });

  it('adds, keeps and moves lastTransitionTime', () => {
    const a = setCondition(undefined, ready('False'), t0);
    expect(a).toEqual([{ type: 'Ready', status: 'False', lastTransitionTime: t0 }]);
    expect(setCondition(a, ready('False'), t1)).toBe(a);
    const reasonOnly = setCondition(a, ready('False', { reason: 'ContainersNotReady' }), t1);
    expect(reasonOnly[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ContainersNotReady',
      lastTransitionTime: t0,
    });
    const flipped = setCondition(a, ready('True', { lastTransitionTime: 'ignored' }), t1);
    expect(flipped[0]?.lastTransitionTime).toBe(t1);
    expect(getCondition(flipped, 'Ready')?.status).toBe('True');
    const other = setCondition(flipped, { type: 'PodScheduled', status: 'True' }, t1);
    expect(other.map((x) => x.type)).toEqual(['Ready', 'PodScheduled']);
  });

  it('readiness and availability', () => {
    const p = pod([c('a')], {}, { conditions: [ready('True', { lastTransitionTime: t0 })] });
    expect(isPodReady(p)).toBe(true);
    expect(isPodReady(pod([c('a')]))).toBe(false);
    expect(isPodAvailable(p, 0, 0)).toBe(true);
    expect(isPodAvailable(p, 5, 5_000_000)).toBe(false);
    expect(isPodAvailable(p, 5, 5_000_001)).toBe(true);
  });
});
