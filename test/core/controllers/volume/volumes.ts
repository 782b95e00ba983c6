/** Objects and a world for the volume controller tests. */
import type { PersistentVolume } from '../../../../core/api/kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from '../../../../core/api/kinds/persistent-volume-claim.ts';
import type { StorageClass } from '../../../../core/api/kinds/storage-class.ts';
import type { ControllerName } from '../../../../core/controllers/manager.ts';
import { parseTraceRecord } from '../../../../core/trace/validate.ts';
import type { TraceRecord } from '../../../../core/trace/types.ts';
import { controlPlane, startControllerManager } from '../../../support/cluster.ts';
import { watchKindAsAdmin } from '../workloads.ts';

export function volume(
  name: string,
  storage: string,
  extra: {
    modes?: string[];
    cls?: string;
    policy?: 'Retain' | 'Delete' | 'Recycle';
    labels?: Record<string, string>;
    claimRef?: { namespace: string; name: string };
    node?: string;
  } = {},
): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      capacity: { storage },
      accessModes: extra.modes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: extra.policy ?? 'Retain',
      ...(extra.cls === undefined ? {} : { storageClassName: extra.cls }),
      ...(extra.claimRef === undefined ? {} : { claimRef: extra.claimRef }),
      ...(extra.node === undefined
        ? { hostPath: { path: `/data/${name}` } }
        : {
            local: { path: `/data/${name}` },
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: 'kubernetes.io/hostname', operator: 'In', values: [extra.node] },
                    ],
                  },
                ],
              },
            },
          }),
    },
  };
}

export function claim(
  name: string,
  storage: string,
  extra: {
    modes?: string[];
    cls?: string;
    selector?: Record<string, string>;
    volumeName?: string;
  } = {},
): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default' },
    spec: {
      accessModes: extra.modes ?? ['ReadWriteOnce'],
      resources: { requests: { storage } },
      // An explicit "" keeps the DefaultStorageClass plugin out of static-binding tests.
      storageClassName: extra.cls ?? '',
      ...(extra.selector ? { selector: { matchLabels: extra.selector } } : {}),
      ...(extra.volumeName ? { volumeName: extra.volumeName } : {}),
    },
  };
}

export function storageClass(
  name: string,
  extra: {
    provisioner?: string;
    mode?: 'Immediate' | 'WaitForFirstConsumer';
    reclaim?: 'Delete' | 'Retain';
  } = {},
): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: extra.provisioner ?? 'ksim.io/simulated',
    volumeBindingMode: extra.mode ?? 'Immediate',
    reclaimPolicy: extra.reclaim ?? 'Delete',
  };
}

/** A secure control plane running the volume controllers, with watchers and the trace kept. */
export function volumeWorld(
  seed = 3,
  controllers: ControllerName[] = ['persistentvolume-binder', 'pvc-protection', 'pv-protection'],
) {
  const sim = controlPlane({ seed, secure: true });
  startControllerManager(sim, { controllers });
  const records: TraceRecord[] = [];
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line);
    if (r.k.startsWith('pv')) records.push(r);
  });
  return {
    sim,
    records,
    claims: watchKindAsAdmin(sim, 'PersistentVolumeClaim', 'watch-claims'),
    volumes: watchKindAsAdmin(sim, 'PersistentVolume', 'watch-volumes'),
    events: watchKindAsAdmin(sim, 'Event', 'watch-events'),
  };
}

export type VolumeWorld = ReturnType<typeof volumeWorld>;

export function claimOf(w: VolumeWorld, name: string): PersistentVolumeClaim | undefined {
  return w.claims().get(`default/${name}`);
}

export function volumeOf(w: VolumeWorld, name: string): PersistentVolume | undefined {
  return w.volumes().get(name);
}

export function boundTo(w: VolumeWorld, claimName: string): string | undefined {
  const c = claimOf(w, claimName);
  return c?.status?.phase === 'Bound' ? c.spec?.volumeName : undefined;
}

export function eventReasons(w: VolumeWorld, name: string): string[] {
  return w
    .events()
    .list()
    .filter((e) => e.involvedObject.name === name)
    .map((e) => e.reason ?? '');
}
