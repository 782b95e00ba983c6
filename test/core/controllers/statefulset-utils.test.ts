/** Tables after pkg/controller/statefulset/stateful_set_utils_test.go (case names in each row). */
import { describe, expect, it } from 'vitest';
import type { PersistentVolumeClaim } from '../../../core/api/kinds/persistent-volume-claim.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import {
  claimIsStale,
  claimOwnerRefs,
  endOrdinal,
  identityMatches,
  inOrdinalRange,
  newStatefulSetPod,
  newVersionedPod,
  parentNameAndOrdinal,
  podRevision,
  startOrdinal,
  storageMatches,
} from '../../../core/controllers/statefulset/stateful-set-utils.ts';
import { statefulSet } from './statefulsets.ts';

const claimTemplate = {
  metadata: { name: 'data' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
};

function withUid<T extends { metadata: object }>(obj: T, uid: string): T {
  return { ...obj, metadata: { ...obj.metadata, uid } };
}

describe('getParentNameAndOrdinal (TestGetParentNameAndOrdinal)', () => {
  it.each([
    ['foo-1', 'foo', 1],
    ['foo-bar-12', 'foo-bar', 12],
    ['foo', '', -1],
    ['foo-', '', -1],
    ['foo-x1', '', -1],
  ])('%s', (name, parent, ordinal) => {
    const pod = { metadata: { name } } as Pod;
    expect(parentNameAndOrdinal(pod)).toEqual({ parent, ordinal });
  });
});

describe('start and end ordinals (TestGetStartOrdinal, TestGetEndOrdinal)', () => {
  it.each([
    ['no ordinals', 3, undefined, 0, 2],
    ['start 2', 3, 2, 2, 4],
    ['zero replicas', 0, 5, 5, 4],
  ])('%s', (_name, replicas, start, first, last) => {
    const set = statefulSet('web', replicas, start === undefined ? {} : { ordinals: { start } });
    expect(startOrdinal(set)).toBe(first);
    expect(endOrdinal(set)).toBe(last);
    const pod = (o: number) => ({ metadata: { name: `web-${o}` } }) as Pod;
    expect(inOrdinalRange(pod(first), set)).toBe(replicas > 0);
    expect(inOrdinalRange(pod(last + 1), set)).toBe(false);
    if (first > 0) expect(inOrdinalRange(pod(first - 1), set)).toBe(false);
  });
});

describe('identity (TestIdentityMatches, TestUpdateIdentity)', () => {
  const set = withUid(statefulSet('web', 3), 'set-uid');
  const pod = newStatefulSetPod(set, 1);
  it('a new pod matches', () => {
    expect(pod.metadata.name).toBe('web-1');
    expect(pod.spec.hostname).toBe('web-1');
    expect(pod.spec.subdomain).toBe('web');
    expect(identityMatches(set, pod)).toBe(true);
  });
  it.each([
    ['another name', { ...pod, metadata: { ...pod.metadata, name: 'web-2' } }],
    ['another namespace', { ...pod, metadata: { ...pod.metadata, namespace: 'other' } }],
    [
      'a stale pod-name label',
      {
        ...pod,
        metadata: {
          ...pod.metadata,
          labels: { ...pod.metadata.labels, 'statefulset.kubernetes.io/pod-name': 'web-0' },
        },
      },
    ],
    [
      'no pod-index label',
      {
        ...pod,
        metadata: {
          ...pod.metadata,
          labels: { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-1' },
        },
      },
    ],
  ])('%s does not match', (_case, p) => {
    expect(identityMatches(set, p as Pod)).toBe(false);
  });
});

describe('storage (TestStorageMatches, TestUpdateStorage)', () => {
  const set = statefulSet('web', 1, { volumeClaimTemplates: [claimTemplate] });
  it('mounts <claim>-<set>-<ordinal> under the template name, before the template volumes', () => {
    const base = statefulSet('web', 1, {
      volumeClaimTemplates: [claimTemplate],
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'c', image: 'i' }],
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'cache', emptyDir: {} },
          ],
        },
      },
    });
    const pod = newStatefulSetPod(base, 3);
    expect(pod.spec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-web-3' } },
      { name: 'cache', emptyDir: {} },
    ]);
    expect(storageMatches(base, pod)).toBe(true);
  });
  it('another claim does not match', () => {
    const pod = newStatefulSetPod(set, 0);
    const moved = {
      ...pod,
      spec: { ...pod.spec, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'x' } }] },
    };
    expect(storageMatches(set, moved)).toBe(false);
  });
});

describe('newVersionedStatefulSetPod (TestNewVersionedStatefulSetPod)', () => {
  it.each([
    ['RollingUpdate below the partition: current', 'RollingUpdate', 2, 1, 'cur'],
    ['RollingUpdate at the partition: update', 'RollingUpdate', 2, 2, 'upd'],
    ['OnDelete: update', 'OnDelete', 0, 0, 'upd'],
  ] as const)('%s', (_case, type, partition, ordinal, revision) => {
    const set = statefulSet('web', 3, {
      updateStrategy: type === 'OnDelete' ? { type } : { type, rollingUpdate: { partition } },
    });
    expect(podRevision(newVersionedPod(set, set, 'cur', 'upd', ordinal))).toBe(revision);
  });
});

describe('claim owners (TestUpdateClaimOwnerRefForSetAndPod)', () => {
  const claim = (refs: PersistentVolumeClaim['metadata']['ownerReferences'] = []) =>
    ({ metadata: { name: 'data-web-1', ownerReferences: refs } }) as PersistentVolumeClaim;
  const owners = (refs: readonly { kind: string }[] | undefined) => (refs ?? []).map((r) => r.kind);
  it.each([
    ['retain, retain', 'Retain', 'Retain', false, []],
    ['whenDeleted delete: the set owns it', 'Delete', 'Retain', false, ['StatefulSet']],
    ['whenScaled delete, in range: no owner', 'Retain', 'Delete', false, []],
    ['whenScaled delete, scaled down: the pod owns it', 'Retain', 'Delete', true, ['Pod']],
    ['delete, delete, in range: the set', 'Delete', 'Delete', false, ['StatefulSet']],
    ['delete, delete, scaled down: the pod', 'Delete', 'Delete', true, ['Pod']],
  ] as const)('%s', (_case, whenDeleted, whenScaled, scaledDown, want) => {
    const set = withUid(
      statefulSet('web', scaledDown ? 1 : 2, {
        persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled },
      }),
      'set-uid',
    );
    const pod = withUid({ metadata: { name: 'web-1' } } as Pod, 'pod-uid');
    const refs = claimOwnerRefs(claim(), set, pod);
    expect(owners(refs)).toEqual(want);
    // Applying the change leaves nothing more to do.
    expect(claimOwnerRefs(claim(refs ?? []), set, pod)).toBeUndefined();
  });
  it('a claim owned by an earlier pod of the name is stale (TestPodClaimIsStale)', () => {
    const old = claim([{ apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'old' }]);
    expect(claimIsStale(old, undefined)).toBe(true);
    expect(claimIsStale(old, 'old')).toBe(false);
    expect(claimIsStale(claim(), undefined)).toBe(false);
  });
});
