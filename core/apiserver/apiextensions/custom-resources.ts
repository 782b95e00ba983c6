/**
 * The apiextensions-apiserver inside each API server (staging/src/k8s.io/apiextensions-apiserver):
 * it follows the CustomResourceDefinitions in the store and
 * - serves each Established one's versions through the server's catalog (apiserver.go's
 *   crdHandler, which builds its storage from the CRD's accepted names);
 * - sets the status as upstream's controllers do: NamesAccepted after checking the names
 *   against the other CRDs of the group (pkg/controller/status/naming_controller.go), then
 *   Established (pkg/controller/establish), and storedVersions;
 * - finalizes a deleted CRD: its instances are deleted first, then the
 *   customresourcecleanup.apiextensions.k8s.io finalizer is removed
 *   (pkg/controller/finalizer/crd_finalizer.go).
 * Every API server runs these, as every upstream kube-apiserver does; their status writes
 * are conditional, so servers that race agree on the outcome.
 */
import * as errors from '../../api/errors.ts';
import { customResourceDefinitions } from '../../api/custom-resources/definition.ts';
import type { ConversionHooks } from '../../api/custom-resources/conversion.ts';
import {
  CUSTOM_RESOURCE_CLEANUP_FINALIZER,
  CUSTOM_RESOURCE_DEFINITION,
  isEstablished,
  type CustomResourceDefinition,
} from '../../api/kinds/custom-resource-definition.ts';
import type { DefinitionCatalog, ResourceDefinition } from '../../api/kinds/index.ts';
import { setCondition, type ConditionLike } from '../../api/conditions.ts';
import { formatTime } from '../../api/time.ts';
import type { KObject } from '../../api/types.ts';
import type { Clock } from '../../ports/clock.ts';
import { collectionPrefix } from '../keys.ts';
import { prefixFor, storageResourceOf } from '../registry/context.ts';
import type { Registry } from '../registry/registry.ts';
import { requestInfoFor } from '../request-info.ts';
import type { ObjectStorage, StorageEvent } from '../storage.ts';

/** How long to wait before looking again at instances a CRD's deletion still waits for. */
const CLEANUP_RETRY_US = 1_000_000;
/** How long to wait before listing again after the store failed. */
const RELIST_US = 1_000_000;

export interface CustomResourcePorts {
  readonly clock: Clock;
  readonly storage: ObjectStorage;
  readonly registry: Registry;
  readonly catalog: DefinitionCatalog;
  /** The conversion hooks CRDs with strategy Webhook convert through. */
  readonly conversionHooks?: ConversionHooks;
  spawn(task: () => Promise<void>): void;
  /** After the served set changed: `removed` are definitions no longer served. */
  onChange(removed: readonly ResourceDefinition[]): void;
}

export class CustomResources {
  /** The CRDs as last seen, by name. */
  private readonly crds = new Map<string, CustomResourceDefinition>();
  /** Names whose reconciliation is queued; one worker runs them in order. */
  private readonly queue: string[] = [];
  private working = false;
  private readonly cleaning = new Set<string>();
  /** What each served CRD was served from, so a change elsewhere (conditions) rebuilds nothing. */
  private readonly servedFrom = new Map<string, string>();

  constructor(private readonly ports: CustomResourcePorts) {}

  start(): void {
    this.ports.spawn(() => this.listAndWatch());
  }

  private async listAndWatch(): Promise<void> {
    const prefix = collectionPrefix(storageResourceOf(CUSTOM_RESOURCE_DEFINITION), undefined);
    while (true) {
      const list = await this.ports.storage.list<CustomResourceDefinition>(prefix);
      if (!list.ok) {
        await this.ports.clock.sleep(RELIST_US);
        continue;
      }
      const seen = new Set<string>();
      for (const crd of list.value.items) {
        seen.add(crd.metadata.name ?? '');
        this.observe(crd);
      }
      for (const name of [...this.crds.keys()]) if (!seen.has(name)) this.forget(name);
      const closed = new Promise<void>((resolve) => {
        this.ports.storage.watch<CustomResourceDefinition>(
          prefix,
          Number(list.value.resourceVersion),
          { onEvent: (ev) => this.onEvent(ev), onClose: () => resolve() },
        );
      });
      await closed;
    }
  }

  private onEvent(ev: StorageEvent<CustomResourceDefinition>): void {
    if (ev.type === 'progress') return;
    if (ev.type === 'delete') this.forget(ev.object.metadata.name ?? '');
    else this.observe(ev.object);
  }

  private observe(crd: CustomResourceDefinition): void {
    const name = crd.metadata.name ?? '';
    this.crds.set(name, crd);
    this.serve(name, crd);
    this.enqueue(name);
  }

  private forget(name: string): void {
    this.crds.delete(name);
    this.serve(name, undefined);
  }

  /** Serves what an Established CRD defines; nothing for one that is not (or is gone). */
  private serve(name: string, crd: CustomResourceDefinition | undefined): void {
    const established = crd !== undefined && isEstablished(crd);
    // A rebuilt definition is a new resource to the watch caches, whose watches end: only
    // what the definitions are made of counts.
    const from = established
      ? JSON.stringify([crd.spec, crd.status?.acceptedNames, crd.metadata.deletionTimestamp])
      : '';
    if ((this.servedFrom.get(name) ?? '') === from) return;
    if (from === '') this.servedFrom.delete(name);
    else this.servedFrom.set(name, from);
    const before = this.ports.catalog.group(name);
    const next = established ? customResourceDefinitions(crd, this.ports.conversionHooks) : [];
    if (before.length === 0 && next.length === 0) return;
    this.ports.catalog.set(name, next);
    this.ports.onChange(before);
  }

  private enqueue(name: string): void {
    if (!this.queue.includes(name)) this.queue.push(name);
    if (this.working) return;
    this.working = true;
    this.ports.spawn(async () => {
      while (this.queue.length > 0) {
        const next = this.queue.shift() as string;
        const crd = this.crds.get(next);
        if (crd !== undefined) await this.reconcile(crd);
      }
      this.working = false;
    });
  }

  private async reconcile(crd: CustomResourceDefinition): Promise<void> {
    if (crd.metadata.deletionTimestamp !== undefined) {
      if ((crd.metadata.finalizers ?? []).includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)) {
        this.cleanup(crd.metadata.name ?? '');
      }
      return;
    }
    const status = this.desiredStatus(crd);
    if (status === crd.status) return;
    const info = requestInfoFor(
      CUSTOM_RESOURCE_DEFINITION,
      'update',
      undefined,
      crd.metadata.name,
      'status',
    );
    // A conflict means another writer got there first; its change comes back as an event.
    await this.ports.registry.subresource(
      info,
      crd.metadata.name ?? '',
      { ...crd, status },
      undefined,
    );
  }

  /** The status upstream's naming and establishing controllers converge to (the same object if nothing changes). */
  private desiredStatus(crd: CustomResourceDefinition): CustomResourceDefinition['status'] {
    const now = formatTime(this.ports.clock.now());
    const current = crd.status ?? {};
    const conflict = this.namesConflict(crd);
    let conditions = current.conditions as readonly ConditionLike[] | undefined;
    let acceptedNames = current.acceptedNames;
    if (conflict === undefined) {
      acceptedNames = crd.spec.names;
      conditions = setCondition(
        conditions,
        {
          type: 'NamesAccepted',
          status: 'True',
          reason: 'NoConflicts',
          message: 'no conflicts found',
        },
        now,
      );
      conditions = setCondition(
        conditions,
        {
          type: 'Established',
          status: 'True',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
        },
        now,
      );
    } else {
      conditions = setCondition(
        conditions,
        {
          type: 'NamesAccepted',
          status: 'False',
          reason: conflict.reason,
          message: conflict.message,
        },
        now,
      );
      if (!isEstablished(crd)) {
        conditions = setCondition(
          conditions,
          {
            type: 'Established',
            status: 'False',
            reason: 'NotAccepted',
            message: 'not all names are accepted',
          },
          now,
        );
      }
    }
    const storage = crd.spec.versions.find((v) => v.storage)?.name;
    const stored = current.storedVersions ?? [];
    const storedVersions =
      storage === undefined || stored.includes(storage) ? stored : [...stored, storage];
    const same =
      conditions === current.conditions &&
      JSON.stringify(acceptedNames) === JSON.stringify(current.acceptedNames) &&
      storedVersions === stored &&
      current.storedVersions !== undefined;
    return same
      ? crd.status
      : ({
          ...current,
          conditions,
          acceptedNames,
          storedVersions,
        } as CustomResourceDefinition['status']);
  }

  /** naming_controller.go getAcceptedNamesForGroup: names another CRD of the group already holds. */
  private namesConflict(
    crd: CustomResourceDefinition,
  ): { reason: string; message: string } | undefined {
    const names = crd.spec.names;
    const mine = crd.metadata.name;
    for (const other of this.crds.values()) {
      if (other.metadata.name === mine || other.spec.group !== crd.spec.group) continue;
      const taken = other.status?.acceptedNames;
      if (taken === undefined) continue;
      const resources = new Set([taken.plural, taken.singular, ...(taken.shortNames ?? [])]);
      if (resources.has(names.plural))
        return conflict('PluralConflict', `"${names.plural}" is already in use`);
      if (names.singular !== undefined && resources.has(names.singular))
        return conflict('SingularConflict', `"${names.singular}" is already in use`);
      for (const s of names.shortNames ?? [])
        if (resources.has(s)) return conflict('ShortNamesConflict', `"${s}" is already in use`);
      if (taken.kind === names.kind || taken.listKind === names.kind)
        return conflict('KindConflict', `"${names.kind}" is already in use`);
      if (
        names.listKind !== undefined &&
        (taken.kind === names.listKind || taken.listKind === names.listKind)
      )
        return conflict('ListKindConflict', `"${names.listKind}" is already in use`);
    }
    return undefined;
  }

  /**
   * crd_finalizer.go: deletes every instance through the registry (their own finalizers
   * still run), waits until none is left, then releases the CRD.
   */
  private cleanup(name: string): void {
    if (this.cleaning.has(name)) return;
    this.cleaning.add(name);
    this.ports.spawn(async () => {
      try {
        while (true) {
          const crd = this.crds.get(name);
          if (
            crd === undefined ||
            !(crd.metadata.finalizers ?? []).includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)
          )
            return;
          const left = await this.deleteInstances(name);
          if (left === 0) {
            await this.release(crd);
            return;
          }
          await this.ports.clock.sleep(CLEANUP_RETRY_US);
        }
      } finally {
        this.cleaning.delete(name);
      }
    });
  }

  /** Deletes the instances of the CRD's storage; how many there still were. */
  private async deleteInstances(name: string): Promise<number> {
    const storageDef = this.ports.catalog.group(name).find((d) => d.storedAs === undefined);
    if (storageDef === undefined) return 0;
    const listInfo = requestInfoFor(storageDef, 'list', undefined);
    const list = await this.ports.storage.list<KObject>(prefixFor(listInfo));
    if (!list.ok) return 1;
    for (const item of list.value.items) {
      if (item.metadata.deletionTimestamp !== undefined) continue;
      const info = requestInfoFor(
        storageDef,
        'delete',
        item.metadata.namespace,
        item.metadata.name,
      );
      await this.ports.registry.delete(info, item.metadata.name ?? '', {});
    }
    return list.value.items.length;
  }

  private async release(crd: CustomResourceDefinition): Promise<void> {
    const name = crd.metadata.name ?? '';
    const info = requestInfoFor(CUSTOM_RESOURCE_DEFINITION, 'update', undefined, name);
    const finalizers = (crd.metadata.finalizers ?? []).filter(
      (f) => f !== CUSTOM_RESOURCE_CLEANUP_FINALIZER,
    );
    const r = await this.ports.registry.update(info, name, {
      ...crd,
      metadata: { ...crd.metadata, finalizers },
    });
    if (errors.isStatus(r.body) && r.status !== 200) this.enqueue(name);
  }
}

function conflict(reason: string, message: string): { reason: string; message: string } {
  return { reason, message };
}
