/**
 * LimitRanger, Priority, ServiceAccount and DefaultStorageClass read the API server's informers
 * (as upstream's plugins read listers) and the store only where upstream's do or where the
 * informer cannot answer: each case counts the live reads a create makes and checks the answer.
 */
import { describe, expect, it } from 'vitest';
import * as errors from '../../../core/api/errors.ts';
import type { LimitRange } from '../../../core/api/kinds/limit-range.ts';
import type { PriorityClass } from '../../../core/api/kinds/priority-class.ts';
import type { ServiceAccount } from '../../../core/api/kinds/service-account.ts';
import type { StorageClass } from '../../../core/api/kinds/storage-class.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { Kind, KObject } from '../../../core/api/types.ts';
import type {
  AdmissionAttributes,
  AdmissionPlugin,
  AdmissionResult,
} from '../../../core/apiserver/admission/attributes.ts';
import type { ObjectLookups } from '../../../core/apiserver/admission/lookups.ts';
import { defaultStorageClass } from '../../../core/apiserver/admission/plugins/default-storage-class.ts';
import {
  LIMIT_RANGE_LIVE_TTL_US,
  limitRanger,
} from '../../../core/apiserver/admission/plugins/limit-ranger.ts';
import { priority } from '../../../core/apiserver/admission/plugins/priority.ts';
import { serviceAccount } from '../../../core/apiserver/admission/plugins/service-account.ts';
import { userInfo } from '../../../core/apiserver/authn/user.ts';
import { pod } from './fixtures.ts';

/**
 * Objects as the informers hold them (`synced` false: not synced yet) and as the store has
 * them; every live read is counted by kind, and may be held until `release`.
 */
function world() {
  const w = {
    synced: true,
    informer: [] as KObject[],
    store: [] as KObject[],
    liveReads: new Map<Kind, number>(),
    nowUs: 0,
    failing: false,
    held: [] as (() => void)[],
    hold: false,
  };
  const of = (objs: KObject[], kind: Kind, namespace: string | undefined) =>
    objs
      .filter((o) => o.kind === kind && o.metadata.namespace === namespace)
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const live = async <T>(kind: Kind, answer: () => T): Promise<T> => {
    w.liveReads.set(kind, (w.liveReads.get(kind) ?? 0) + 1);
    if (w.hold) await new Promise<void>((resolve) => w.held.push(resolve));
    if (w.failing) return errors.serviceUnavailable('store unavailable') as T;
    return answer();
  };
  const lookups: ObjectLookups = {
    get: (kind, namespace, name) =>
      live(kind, () => {
        const found = of(w.store, kind, namespace).find((o) => o.metadata.name === name);
        return (found ?? errors.notFound(kind.toLowerCase(), name)) as never;
      }),
    list: (kind, namespace) => live(kind, () => of(w.store, kind, namespace) as never),
    cached: (kind, namespace, name) =>
      w.synced
        ? (of(w.informer, kind, namespace).find((o) => o.metadata.name === name) as never)
        : undefined,
    cachedList: (kind, namespace) =>
      w.synced ? (of(w.informer, kind, namespace) as never) : undefined,
  };
  const reads = (kind: Kind): number => w.liveReads.get(kind) ?? 0;
  return { w, lookups, reads };
}

const podCreate = (p: Pod): AdmissionAttributes => ({
  operation: 'CREATE',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  subresource: '',
  namespace: p.metadata.namespace ?? '',
  name: p.metadata.name ?? '',
  object: p as KObject,
  oldObject: undefined,
  dryRun: false,
  userInfo: userInfo('admin', ['system:masters']),
});

/** The plugin's mutating half then its validating half, as the chain runs them. */
async function admitThenValidate(
  plugin: AdmissionPlugin,
  a: AdmissionAttributes,
): Promise<AdmissionResult> {
  const mutated = plugin.admit === undefined ? undefined : await plugin.admit(a);
  if (mutated !== undefined && !mutated.allowed) return mutated;
  const object = mutated?.object ?? a.object;
  const validated =
    plugin.validate === undefined ? undefined : await plugin.validate({ ...a, object });
  if (validated !== undefined && !validated.allowed) return validated;
  return { allowed: true, object };
}

const limits = (name: string, namespace: string, cpu: string): LimitRange =>
  ({
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name, namespace },
    spec: { limits: [{ type: 'Container', default: { cpu }, defaultRequest: { cpu } }] },
  }) as LimitRange;

const cpuOf = (r: AdmissionResult): string | undefined =>
  r.allowed ? (r.object as Pod | undefined)?.spec.containers[0]?.resources?.limits?.cpu : 'refused';

describe('LimitRanger reads its informer, and lists live only a namespace it shows none in', () => {
  it('applies the informer’s ranges, in name order, without a store read', async () => {
    const { w, lookups, reads } = world();
    w.informer = [limits('b', 'app', '200m'), limits('a', 'app', '100m')] as KObject[];
    const plugin = limitRanger(lookups, () => w.nowUs);
    const r = await admitThenValidate(plugin, podCreate(pod('p', {}, 'app')));
    // The first range by name sets the default, as the store's list order gives it.
    expect(cpuOf(r)).toBe('100m');
    expect(reads('LimitRange')).toBe(0);
  });

  it('lists an empty namespace live once per 30 s, one read shared by concurrent creates', async () => {
    const { w, lookups, reads } = world();
    w.store = [limits('fresh', 'app', '300m')] as KObject[];
    const plugin = limitRanger(lookups, () => w.nowUs);
    w.hold = true;
    const first = admitThenValidate(plugin, podCreate(pod('p1', {}, 'app')));
    const second = admitThenValidate(plugin, podCreate(pod('p2', {}, 'app')));
    await Promise.resolve();
    expect(reads('LimitRange')).toBe(1);
    w.hold = false;
    for (const release of w.held.splice(0)) release();
    // The informer has not seen the new LimitRange; the live list has.
    expect(cpuOf(await first)).toBe('300m');
    expect(cpuOf(await second)).toBe('300m');
    expect(reads('LimitRange')).toBe(1);
    w.nowUs = LIMIT_RANGE_LIVE_TTL_US;
    expect(cpuOf(await admitThenValidate(plugin, podCreate(pod('p3', {}, 'app'))))).toBe('300m');
    expect(reads('LimitRange')).toBe(1);
    w.nowUs = LIMIT_RANGE_LIVE_TTL_US + 1;
    w.store = [];
    expect(cpuOf(await admitThenValidate(plugin, podCreate(pod('p4', {}, 'app'))))).toBe(undefined);
    expect(reads('LimitRange')).toBe(2);
    // Another namespace has its own entry.
    await admitThenValidate(plugin, podCreate(pod('p5', {}, 'other')));
    expect(reads('LimitRange')).toBe(3);
  });

  it('does not remember a failed live list, and reads live while the informer is not synced', async () => {
    const { w, lookups, reads } = world();
    const plugin = limitRanger(lookups, () => w.nowUs);
    w.failing = true;
    const refused = await admitThenValidate(plugin, podCreate(pod('p1', {}, 'app')));
    expect(refused.allowed).toBe(false);
    w.failing = false;
    expect((await admitThenValidate(plugin, podCreate(pod('p2', {}, 'app')))).allowed).toBe(true);
    expect(reads('LimitRange')).toBe(2);
    w.synced = false;
    w.store = [limits('r', 'app', '50m')] as KObject[];
    // Both halves read: nothing is remembered from a lookup made while unsynced.
    expect(cpuOf(await admitThenValidate(plugin, podCreate(pod('p3', {}, 'app'))))).toBe('50m');
    expect(reads('LimitRange')).toBe(4);
  });

  it('answers a pod create at once, with no promise, when the informer holds ranges', () => {
    const { w, lookups } = world();
    w.informer = [limits('a', 'app', '100m')] as KObject[];
    const plugin = limitRanger(lookups, () => w.nowUs);
    expect(plugin.admit?.(podCreate(pod('p', {}, 'app')))).not.toBeInstanceOf(Promise);
  });
});

const priorityClass = (name: string, value: number, globalDefault = false): PriorityClass =>
  ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    globalDefault,
  }) as PriorityClass;

const withClass = (name: string | undefined): Pod => {
  const p = pod('p', {}, 'app');
  return name === undefined ? p : { ...p, spec: { ...p.spec, priorityClassName: name } };
};

const priorityOf = (r: AdmissionResult): number | undefined =>
  r.allowed ? (r.object as Pod | undefined)?.spec.priority : undefined;

describe('Priority reads its informer', () => {
  it('resolves a named class and the default class without a store read, at once', () => {
    const { w, lookups, reads } = world();
    w.informer = [priorityClass('high', 1000), priorityClass('base', 10, true)] as KObject[];
    const plugin = priority(lookups);
    const named = plugin.admit?.(podCreate(withClass('high')));
    const defaulted = plugin.admit?.(podCreate(withClass(undefined)));
    expect(named).not.toBeInstanceOf(Promise);
    expect(priorityOf(named as AdmissionResult)).toBe(1000);
    expect(priorityOf(defaulted as AdmissionResult)).toBe(10);
    expect(reads('PriorityClass')).toBe(0);
  });

  it('reads a class the informer lacks from the store before refusing the pod', async () => {
    const { w, lookups, reads } = world();
    w.store = [priorityClass('new', 7)] as KObject[];
    const plugin = priority(lookups);
    expect(priorityOf(await admitThenValidate(plugin, podCreate(withClass('new'))))).toBe(7);
    const missing = await admitThenValidate(plugin, podCreate(withClass('none')));
    expect(missing.allowed ? '' : missing.status.message).toContain(
      'no PriorityClass with name none was found',
    );
    expect(reads('PriorityClass')).toBe(2);
    // Unsynced, the default class is found by a live list.
    w.synced = false;
    w.store = [priorityClass('base', 3, true)] as KObject[];
    expect(priorityOf(await admitThenValidate(plugin, podCreate(withClass(undefined))))).toBe(3);
    expect(reads('PriorityClass')).toBe(3);
  });
});

const account = (name: string, namespace: string): ServiceAccount =>
  ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  }) as ServiceAccount;

describe('ServiceAccount reads its informer', () => {
  it('finds the account in the informer without a store read, else in the store', async () => {
    const { w, lookups, reads } = world();
    w.informer = [account('default', 'app')] as KObject[];
    w.store = [account('builder', 'app')] as KObject[];
    const plugin = serviceAccount(lookups, async () => undefined);
    const informed = plugin.admit?.(podCreate(pod('p', {}, 'app')));
    expect(informed).not.toBeInstanceOf(Promise);
    expect((informed as AdmissionResult).allowed).toBe(true);
    expect(reads('ServiceAccount')).toBe(0);
    const p = pod('q', {}, 'app');
    const live = await plugin.admit?.(
      podCreate({ ...p, spec: { ...p.spec, serviceAccountName: 'builder' } }),
    );
    expect(live?.allowed).toBe(true);
    expect(reads('ServiceAccount')).toBe(1);
  });
});

describe('DefaultStorageClass reads its informer', () => {
  it('names the default class without a store read', () => {
    const { w, lookups, reads } = world();
    w.informer = [
      {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: {
          name: 'standard',
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        },
        provisioner: 'example.com/disk',
      } as StorageClass,
    ] as KObject[];
    const plugin = defaultStorageClass(lookups);
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'app' },
      spec: { resources: { requests: { storage: '1Gi' } } },
    } as unknown as KObject;
    const r = plugin.admit?.({
      ...podCreate(pod('x', {}, 'app')),
      kind: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
      resource: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
      name: 'data',
      object: claim,
    });
    expect(r).not.toBeInstanceOf(Promise);
    const admitted = r as AdmissionResult;
    expect(
      admitted.allowed
        ? (admitted.object as { spec: { storageClassName?: string } }).spec.storageClassName
        : undefined,
    ).toBe('standard');
    expect(reads('StorageClass')).toBe(0);
  });
});
