/**
 * The ResourceQuota admission plugin's view of quotas (upstream's quotaAccessor): a mirror of
 * the ResourceQuota watch cache, so charging a create costs no store read, overlaid with the
 * versions this server wrote itself (its status updates reach the mirror a moment later, and a
 * check in between must not charge the older usage again). Until the mirror has synced, and
 * after a conflicting update, quotas are read from the store.
 */
import * as errors from '../../../api/errors.ts';
import { definitionFor, type ResourceDefinition } from '../../../api/kinds/index.ts';
import type { ResourceQuota } from '../../../api/kinds/resource-quota.ts';
import type { Status } from '../../../api/status-types.ts';
import type { KObject } from '../../../api/types.ts';
import type { Clock } from '../../../ports/clock.ts';
import { assert } from '../../../util/assert.ts';
import { mirrorResource } from '../../cache-mirror.ts';
import type { WatchCache } from '../../watch-cache.ts';
import type { ObjectLookups } from '../lookups.ts';
import type { QuotaAccess } from './resource-quota.ts';

export interface QuotaCachePorts {
  readonly clock: Clock;
  spawn(task: () => Promise<unknown>): void;
  cacheFor(definition: ResourceDefinition): WatchCache;
  /** Store reads, for before the mirror has synced and after a conflict. */
  readonly lookups: ObjectLookups;
  /** An update of the object's status subresource, as the API server itself. */
  updateStatus(obj: KObject): Promise<KObject | Status>;
}

export class QuotaCache implements QuotaAccess {
  private readonly mirrored = new Map<string, Map<string, ResourceQuota>>();
  /** Versions this server stored that the mirror has not shown yet, by namespace/name. */
  private readonly written = new Map<string, ResourceQuota>();
  private synced = false;

  constructor(private readonly ports: QuotaCachePorts) {
    const definition = definitionFor('ResourceQuota');
    assert(definition !== undefined, 'ResourceQuota is served');
    mirrorResource(
      (d) => ports.cacheFor(d),
      definition,
      {
        reset: () => {
          this.synced = false;
          this.mirrored.clear();
        },
        upsert: (obj) => this.upsert(obj as ResourceQuota),
        remove: (obj) => this.remove(obj as ResourceQuota),
        synced: () => {
          this.synced = true;
        },
      },
      ports.clock,
      (t) => ports.spawn(t),
    );
  }

  async quotas(namespace: string): Promise<readonly ResourceQuota[] | Status> {
    if (!this.synced) return this.ports.lookups.list('ResourceQuota', namespace);
    const mirrored = this.mirrored.get(namespace);
    if (mirrored === undefined) return [];
    return [...mirrored.values()].map((q) => {
      const mine = this.written.get(keyOf(q));
      return mine !== undefined && revision(mine) > revision(q) ? mine : q;
    });
  }

  hasNone(namespace: string): boolean | undefined {
    return this.synced ? !this.mirrored.has(namespace) : undefined;
  }

  fresh(namespace: string, name: string): Promise<ResourceQuota | Status> {
    return this.ports.lookups.get('ResourceQuota', namespace, name);
  }

  async updateStatus(quota: ResourceQuota): Promise<ResourceQuota | Status> {
    const written = await this.ports.updateStatus(quota);
    if (errors.isStatus(written)) return written;
    const r = written as ResourceQuota;
    const mirrored = this.mirrored.get(r.metadata.namespace ?? '')?.get(r.metadata.name ?? '');
    if (mirrored === undefined || revision(mirrored) < revision(r)) this.written.set(keyOf(r), r);
    return r;
  }

  private upsert(q: ResourceQuota): void {
    const ns = q.metadata.namespace ?? '';
    let byName = this.mirrored.get(ns);
    if (byName === undefined) this.mirrored.set(ns, (byName = new Map()));
    byName.set(q.metadata.name ?? '', q);
    const mine = this.written.get(keyOf(q));
    if (mine !== undefined && revision(mine) <= revision(q)) this.written.delete(keyOf(q));
  }

  private remove(q: ResourceQuota): void {
    const ns = q.metadata.namespace ?? '';
    const byName = this.mirrored.get(ns);
    byName?.delete(q.metadata.name ?? '');
    if (byName?.size === 0) this.mirrored.delete(ns);
    this.written.delete(keyOf(q));
  }
}

function keyOf(q: KObject): string {
  return `${q.metadata.namespace ?? ''}/${q.metadata.name ?? ''}`;
}

/** resourceVersions are the store's revisions, so they order numerically. */
function revision(q: KObject): number {
  return Number(q.metadata.resourceVersion ?? '0');
}
