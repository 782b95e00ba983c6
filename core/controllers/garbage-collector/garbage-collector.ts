/**
 * The garbage collector (pkg/controller/garbagecollector/garbagecollector.go): informers on
 * every deletable resource feed the dependency graph; workers take the nodes the graph builder
 * hands them and, asking the API server for the latest state (never trusting the cache alone):
 * delete a dependent whose owners are all gone (dangling) or deleting in the foreground; drop
 * references to absent owners from a dependent that still has a live one; remove an owner's
 * foregroundDeletion finalizer once its blocking dependents are gone; and orphan the dependents
 * of an owner with the orphan finalizer before removing that finalizer.
 */
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from '../../api/meta.ts';
import { deepEqual } from '../../api/meta-validation.ts';
import type { OwnerReference, PropagationPolicy } from '../../api/meta-types.ts';
import type { Kind, KObject } from '../../api/types.ts';
import type { PatchContentType } from '../../api/http.ts';
import type { ApiClient, ApiResult } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import {
  customKey,
  deletableResources,
  isDeletable,
  resolveReferenceKind,
  type ResolvedKind,
} from './deletable-resources.ts';
import { Informer as ResourceInformer } from '../../client/informer.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import { GraphBuilder, hasFinalizer } from './graph-builder.ts';
import { describeIdentity, type GraphNode, type ObjectIdentity } from './graph.ts';

export interface GarbageCollectorOptions {
  /** --concurrent-gc-syncs: workers on each of the two queues. */
  readonly workers: number;
}

export const DEFAULT_GARBAGE_COLLECTOR: GarbageCollectorOptions = { workers: 20 };

/** retry.DefaultBackoff, which removeFinalizer retries conflicts with: 4 steps from 10 ms, x5. */
const FINALIZER_RETRY_STEPS = 4;
const FINALIZER_RETRY_INITIAL_US = 10_000;
const FINALIZER_RETRY_FACTOR = 5;

const STRATEGIC_MERGE: PatchContentType = 'application/strategic-merge-patch+json';
const MERGE: PatchContentType = 'application/merge-patch+json';

/** How often discovery is read again for custom resources to monitor (upstream's 30 s resync). */
const DISCOVERY_RESYNC_US = 30_000_000;

type Outcome =
  | { readonly kind: 'done' }
  /** The object is gone: the graph got a virtual delete event, nothing to retry. */
  | { readonly kind: 'virtual-delete' }
  /** A cluster-scoped object names a namespaced owner: retrying cannot help. */
  | { readonly kind: 'invalid-owner-scope' }
  | { readonly kind: 'error'; readonly message: string };

type Lookup =
  | { readonly kind: 'found'; readonly obj: KObject }
  | { readonly kind: 'absent' }
  | { readonly kind: 'error'; readonly message: string };

type Reference =
  | { readonly kind: 'dangling' }
  | { readonly kind: 'exists'; readonly owner: KObject }
  | { readonly kind: 'invalid-owner-scope' }
  | { readonly kind: 'error'; readonly message: string };

const DONE: Outcome = { kind: 'done' };

export class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  private readonly graph: GraphBuilder;
  private readonly attemptToDelete: WorkQueue<GraphNode>;
  private readonly attemptToOrphan: WorkQueue<GraphNode>;
  private readonly monitors: Informer<Kind>[] = [];
  /** Custom resources found through discovery, by apiVersion and kind, and their monitors. */
  private readonly customResources = new Map<string, ResourceInfo>();
  private readonly customMonitors = new Map<string, Informer<Kind>>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: GarbageCollectorOptions = DEFAULT_GARBAGE_COLLECTOR,
  ) {
    this.attemptToDelete = new WorkQueue(ports);
    this.attemptToOrphan = new WorkQueue(ports);
    this.graph = new GraphBuilder({
      attemptToDelete: (n) => this.attemptToDelete.add(n),
      attemptToDeleteRateLimited: (n) => this.attemptToDelete.addRateLimited(n),
      attemptToOrphan: (n) => this.attemptToOrphan.add(n),
      invalidNamespaceOwnerRef: (dep, ref) =>
        ports.trace.emit('gc.invalid-owner-ref', {
          object: describeIdentity(dep.identity),
          owner: `${ref.kind} ${ref.name} (uid ${ref.uid})`,
        }),
    });
    for (const def of deletableResources()) {
      const inf = informers.informer(def.resource.kind);
      this.monitor(inf, def.resource.apiVersion, def.resource.kind);
      this.monitors.push(inf);
    }
  }

  /** Feeds the graph with the events of `inf`, whose objects are `apiVersion` `kind`. */
  private monitor(inf: Informer<Kind>, apiVersion: string, kind: string): void {
    const identity = (obj: KObject): ObjectIdentity => ({
      apiVersion,
      kind,
      name: obj.metadata.name ?? '',
      uid: obj.metadata.uid ?? '',
      namespace: obj.metadata.namespace ?? '',
    });
    inf.addEventHandler({
      onAdd: (obj) =>
        this.graph.process({
          kind: 'observed',
          identity: identity(obj),
          meta: obj.metadata,
          oldMeta: undefined,
        }),
      onUpdate: (old, obj) =>
        this.graph.process({
          kind: 'observed',
          identity: identity(obj),
          meta: obj.metadata,
          oldMeta: old.metadata,
        }),
      onDelete: (obj) =>
        this.graph.process({ kind: 'deleted', identity: identity(obj), virtual: false }),
    });
  }

  /**
   * garbagecollector.go Sync: the custom resources discovery lists are monitored from when
   * they appear, and no longer once they are gone.
   */
  private async syncCustomMonitors(): Promise<void> {
    while (true) {
      const found = await this.api.discoverCustomResources();
      if (found.ok) {
        const now = new Map(
          found.value.filter(isDeletable).map((r) => [customKey(r.apiVersion, r.kind), r]),
        );
        for (const [key, inf] of [...this.customMonitors]) {
          if (now.has(key)) continue;
          inf.stop();
          this.customMonitors.delete(key);
          this.customResources.delete(key);
        }
        for (const [key, r] of now) {
          this.customResources.set(key, r);
          if (this.customMonitors.has(key)) continue;
          const inf = new ResourceInformer(this.ports, this.api, r.kind, { resource: r });
          this.monitor(inf, r.apiVersion, r.kind);
          this.customMonitors.set(key, inf);
          inf.start();
        }
      }
      await this.ports.clock.sleep(DISCOVERY_RESYNC_US);
    }
  }

  private resolve(apiVersion: string, kind: string): ResolvedKind | undefined {
    return resolveReferenceKind(apiVersion, kind, this.customResources);
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, this.monitors);
    this.ports.spawn(() => this.syncCustomMonitors());
    for (let i = 0; i < this.options.workers; i++) {
      this.ports.spawn(() => this.deleteWorker());
      this.ports.spawn(() => this.orphanWorker());
    }
  }

  stop(): void {
    for (const inf of this.customMonitors.values()) inf.stop();
    this.attemptToDelete.shutDown();
    this.attemptToOrphan.shutDown();
  }

  /** Nodes in the dependency graph (observed and virtual), for tests and reports. */
  get graphSize(): number {
    return this.graph.size;
  }

  // ---- attemptToDelete ------------------------------------------------------------------------

  private async deleteWorker(): Promise<void> {
    while (true) {
      const node = await this.attemptToDelete.get();
      if (node === undefined) return;
      const requeue = await this.attemptToDeleteWorker(node);
      if (requeue) this.attemptToDelete.addRateLimited(node);
      else this.attemptToDelete.forget(node);
      this.attemptToDelete.done(node);
    }
  }

  /** Whether to requeue the node. */
  private async attemptToDeleteWorker(node: GraphNode): Promise<boolean> {
    if (node.virtual) {
      // A requeued virtual node whose object was observed or deleted meanwhile is stale.
      const current = this.graph.node(node.identity.uid);
      if (current === undefined || current.observed) return false;
    }
    const outcome = await this.attemptToDeleteItem(node);
    switch (outcome.kind) {
      case 'virtual-delete':
      case 'invalid-owner-scope':
        return false;
      case 'error':
        this.syncError(node, outcome.message);
        return true;
      case 'done':
        // A virtual node stays queued until an informer observes its object or it is found
        // absent, or one added and removed while a watch was down would stay in the graph
        // (kubernetes#56121).
        return node.virtual;
    }
  }

  /**
   * attemptToDeleteItem: deletes the node's object iff its uid still matches, it is not waiting
   * for its own dependents, and none of its owners is solid.
   */
  private async attemptToDeleteItem(item: GraphNode): Promise<Outcome> {
    // Being deleted is a one-way trip: wait for the final delete, then see to the dependents.
    if (item.beingDeleted && !item.deletingDependents) return DONE;
    const latest = await this.getObject(item.identity);
    if (latest.kind === 'error') return latest;
    if (latest.kind === 'absent' || latest.obj.metadata.uid !== item.identity.uid) {
      this.graph.process({ kind: 'deleted', identity: item.identity, virtual: true });
      return { kind: 'virtual-delete' };
    }
    if (item.deletingDependents) return this.processDeletingDependentsItem(item);
    const owners = latest.obj.metadata.ownerReferences ?? [];
    if (owners.length === 0) return DONE;
    const solid: OwnerReference[] = [];
    const gone: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of owners) {
      const r = await this.isDangling(ref, item);
      if (r.kind === 'error' || r.kind === 'invalid-owner-scope') return r;
      if (r.kind === 'dangling') gone.push(ref);
      else if (
        r.owner.metadata.deletionTimestamp !== undefined &&
        hasFinalizer(r.owner.metadata, FINALIZER_FOREGROUND)
      )
        waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length > 0) {
      if (gone.length === 0 && waiting.length === 0) return DONE;
      // A reference to an owner waiting for its dependents must go too, or that owner would
      // wait for this one forever.
      return this.removeOwnerReferences(
        item,
        [...gone, ...waiting].map((r) => r.uid),
      );
    }
    if (waiting.length > 0 && item.dependents.size > 0) {
      for (const dep of item.dependents) {
        if (!dep.deletingDependents) continue;
        // Owner and dependent both delete in the foreground: a possible cycle, so this node
        // stops blocking its owners (upstream's detection has false positives too).
        const unblocked = await this.unblockOwnerReferences(item);
        if (unblocked.kind !== 'done') return unblocked;
        break;
      }
      // Deleted in the foreground, so it waits for its own dependents in turn.
      return this.deleteObject(item.identity, 'Foreground', latest.obj);
    }
    return this.deleteObject(item.identity, deletionPolicy(latest.obj), latest.obj);
  }

  /** An owner deleting in the foreground: done once no blocking dependent is left. */
  private async processDeletingDependentsItem(item: GraphNode): Promise<Outcome> {
    const blocking = item.blockingDependents();
    if (blocking.length === 0) {
      const r = await this.removeFinalizer(item, FINALIZER_FOREGROUND);
      if (r.kind === 'done') this.ports.trace.emit('gc.foreground-done', gcObject(item));
      return r;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.attemptToDelete.add(dep);
    return DONE;
  }

  // ---- attemptToOrphan ------------------------------------------------------------------------

  private async orphanWorker(): Promise<void> {
    while (true) {
      const owner = await this.attemptToOrphan.get();
      if (owner === undefined) return;
      const outcome = await this.orphanDependents(owner);
      if (outcome.kind === 'error') {
        this.syncError(owner, outcome.message);
        this.attemptToOrphan.addRateLimited(owner);
      } else this.attemptToOrphan.forget(owner);
      this.attemptToOrphan.done(owner);
    }
  }

  /** Removes the owner from its dependents' references, then its orphan finalizer. */
  private async orphanDependents(owner: GraphNode): Promise<Outcome> {
    const dependents = [...owner.dependents];
    const results = await Promise.all(
      dependents.map((dep) => this.removeOwnerReferences(dep, [owner.identity.uid])),
    );
    const failed = results.filter((r) => r.kind === 'error');
    if (failed.length > 0) {
      return {
        kind: 'error',
        message: `orphaning the dependents of ${describeIdentity(owner.identity)}: ${failed.map((f) => f.message).join('; ')}`,
      };
    }
    const r = await this.removeFinalizer(owner, FINALIZER_ORPHAN);
    if (r.kind === 'done')
      this.ports.trace.emit('gc.orphan', { ...gcObject(owner), dependents: dependents.length });
    return r;
  }

  // ---- API calls ------------------------------------------------------------------------------

  /**
   * isDangling: whether `ref` points at nothing. Cluster-scoped owners are looked up cluster
   * wide, namespaced ones in the dependent's namespace only: a namespaced owner in another
   * namespace is, to the collector, absent.
   */
  private async isDangling(ref: OwnerReference, item: GraphNode): Promise<Reference> {
    const coordinates = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      name: ref.name,
      uid: ref.uid,
    };
    const absent = this.graph.absentOwners;
    if (absent.has({ ...coordinates, namespace: '' })) return { kind: 'dangling' };
    if (absent.has({ ...coordinates, namespace: item.identity.namespace }))
      return { kind: 'dangling' };
    const resolved = this.resolve(ref.apiVersion, ref.kind);
    // Maybe a kind not served yet: retried, as upstream retries a REST mapping error.
    if (resolved === undefined) return unknownKind({ ...coordinates, namespace: '' });
    if (item.identity.namespace === '' && resolved.namespaced)
      return { kind: 'invalid-owner-scope' };
    const ownerId = {
      ...coordinates,
      namespace: resolved.namespaced ? item.identity.namespace : '',
    };
    const got = await this.getObject(ownerId);
    if (got.kind === 'error') return got;
    if (got.kind === 'absent' || got.obj.metadata.uid !== ref.uid) {
      absent.add(ownerId);
      return { kind: 'dangling' };
    }
    return { kind: 'exists', owner: got.obj };
  }

  private async getObject(id: ObjectIdentity): Promise<Lookup> {
    const resolved = this.resolve(id.apiVersion, id.kind);
    if (resolved === undefined) return unknownKind(id);
    // A namespaced kind named without a namespace (by a cluster-scoped dependent) is nowhere.
    if (resolved.namespaced && id.namespace === '') return { kind: 'absent' };
    const r = await this.api.getAt<KObject>(resolved.resource, namespaceOf(resolved, id), id.name);
    if (r.ok) return { kind: 'found', obj: r.value };
    if (r.status === 404) return { kind: 'absent' };
    return { kind: 'error', message: `get ${describeIdentity(id)}: ${describeFailure(r)}` };
  }

  /**
   * Deletes the object the decision was made from: pinned to the resourceVersion read, as
   * upstream's deleteObject is. On a conflict the object is read again; when what the decision
   * rested on is unchanged the delete goes again without the pin (upstream retries when the
   * owner references are the same), otherwise the item is retried and decided afresh.
   */
  private async deleteObject(
    id: ObjectIdentity,
    policy: PropagationPolicy,
    read: KObject,
  ): Promise<Outcome> {
    const pinned = await this.deleteAt(id, policy, read.metadata.resourceVersion);
    if (pinned === undefined) return unknownKind(id);
    if (pinned.ok) return this.deleted(id, policy);
    if (pinned.status !== 409) return failure(`delete ${describeIdentity(id)}`, pinned);
    const live = await this.getObject(id);
    if (live.kind === 'error') return live;
    if (live.kind === 'absent' || live.obj.metadata.uid !== id.uid) return DONE;
    if (!sameDecision(read, live.obj)) {
      return {
        kind: 'error',
        message: `delete ${describeIdentity(id)}: changed since read, to be decided again`,
      };
    }
    const r = await this.deleteAt(id, policy, undefined);
    if (r === undefined) return unknownKind(id);
    if (!r.ok) return failure(`delete ${describeIdentity(id)}`, r);
    return this.deleted(id, policy);
  }

  private async deleteAt(
    id: ObjectIdentity,
    policy: PropagationPolicy,
    resourceVersion: string | undefined,
  ): Promise<ApiResult<KObject> | undefined> {
    const resolved = this.resolve(id.apiVersion, id.kind);
    if (resolved === undefined) return undefined;
    return this.api.deleteAt(resolved.resource, namespaceOf(resolved, id), id.name, {
      preconditions: { uid: id.uid, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
      propagationPolicy: policy,
    });
  }

  private deleted(id: ObjectIdentity, policy: PropagationPolicy): Outcome {
    this.ports.trace.emit('gc.delete', {
      object: describeIdentity(id),
      uid: id.uid,
      propagationPolicy: policy,
    });
    return DONE;
  }

  /**
   * A strategic merge patch deleting the references to `ownerUids`; the dependent's uid in the
   * patch makes it fail if the name now belongs to another object. A dependent already gone is
   * fine.
   */
  private async removeOwnerReferences(
    item: GraphNode,
    ownerUids: readonly string[],
  ): Promise<Outcome> {
    const patch = {
      metadata: {
        ownerReferences: ownerUids.map((uid) => ({ $patch: 'delete', uid })),
        uid: item.identity.uid,
      },
    };
    // Custom resources take no strategic merge patch: the references left, as a merge patch
    // (upstream's jsonMergePatcher for a 415).
    const kept = item.owners.filter((o) => !ownerUids.includes(o.uid));
    const merge = { metadata: { ownerReferences: kept, uid: item.identity.uid } };
    return this.patchObject(item.identity, patch, true, merge);
  }

  /** Makes every blocking reference of `item` non-blocking. */
  private async unblockOwnerReferences(item: GraphNode): Promise<Outcome> {
    const refs = item.owners
      .filter((o) => o.blockOwnerDeletion === true)
      .map((o) => ({ ...o, blockOwnerDeletion: false }));
    const unblocked = item.owners.map((o) =>
      o.blockOwnerDeletion === true ? { ...o, blockOwnerDeletion: false } : o,
    );
    return this.patchObject(
      item.identity,
      { metadata: { ownerReferences: refs, uid: item.identity.uid } },
      false,
      { metadata: { ownerReferences: unblocked, uid: item.identity.uid } },
    );
  }

  private async patchObject(
    id: ObjectIdentity,
    patch: unknown,
    goneIsFine: boolean,
    mergePatch: unknown,
  ): Promise<Outcome> {
    const custom = this.resolve(id.apiVersion, id.kind)?.custom === true;
    const r = await this.patchAt(id, custom ? mergePatch : patch, custom ? MERGE : STRATEGIC_MERGE);
    if (r === undefined) return unknownKind(id);
    if (r.ok || (goneIsFine && r.status === 404)) return DONE;
    return failure(`patch ${describeIdentity(id)}`, r);
  }

  private async patchAt(
    id: ObjectIdentity,
    patch: unknown,
    contentType: PatchContentType,
  ): Promise<ApiResult<KObject> | undefined> {
    const resolved = this.resolve(id.apiVersion, id.kind);
    if (resolved === undefined) return undefined;
    return this.api.patchAt(
      resolved.resource,
      namespaceOf(resolved, id),
      id.name,
      patch,
      contentType,
    );
  }

  /**
   * Removes one finalizer with a merge patch pinned to the resourceVersion read, retrying
   * conflicts as retry.RetryOnConflict(DefaultBackoff) does. Gone, or without the finalizer:
   * nothing to do.
   */
  private async removeFinalizer(owner: GraphNode, finalizer: string): Promise<Outcome> {
    let waitUs = FINALIZER_RETRY_INITIAL_US;
    for (let step = 1; ; step++) {
      const got = await this.getObject(owner.identity);
      if (got.kind === 'absent') return DONE;
      if (got.kind === 'error') return got;
      const meta = got.obj.metadata;
      const finalizers = meta.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return DONE;
      const rest = finalizers.filter((f) => f !== finalizer);
      const patch = {
        metadata: {
          resourceVersion: meta.resourceVersion,
          finalizers: rest.length > 0 ? rest : null,
        },
      };
      const r = await this.patchAt(owner.identity, patch, 'application/merge-patch+json');
      if (r === undefined) return unknownKind(owner.identity);
      if (r.ok || r.status === 404) return DONE;
      if (r.status !== 409 || step >= FINALIZER_RETRY_STEPS)
        return failure(`remove finalizer ${finalizer} from ${describeIdentity(owner.identity)}`, r);
      await this.ports.clock.sleep(waitUs);
      waitUs *= FINALIZER_RETRY_FACTOR;
    }
  }

  private syncError(node: GraphNode, error: string): void {
    this.ports.trace.debug('gc.sync-error', { object: describeIdentity(node.identity), error });
  }
}

/**
 * Whether `live` gives the delete decision made from `read` the same inputs: its owner
 * references, whether it is being deleted, and the finalizers that choose the propagation
 * policy. Upstream compares only the owner references; the rest matters as well, because a
 * delete whose propagation policy differs from the one the object is being deleted with
 * replaces that policy: a background delete decided before the collector's own foreground
 * delete (sent earlier, timed out at the client, applied late) landed would drop the
 * foregroundDeletion finalizer and remove the object while its blocking dependents remain.
 */
function sameDecision(read: KObject, live: KObject): boolean {
  const a = read.metadata;
  const b = live.metadata;
  return (
    deepEqual(a.ownerReferences ?? [], b.ownerReferences ?? []) &&
    (a.deletionTimestamp === undefined) === (b.deletionTimestamp === undefined) &&
    deletionPolicy(read) === deletionPolicy(live)
  );
}

/** With no solid owner and none waiting, the object goes as its own finalizers ask. */
function deletionPolicy(obj: KObject): PropagationPolicy {
  if (hasFinalizer(obj.metadata, FINALIZER_ORPHAN)) return 'Orphan';
  if (hasFinalizer(obj.metadata, FINALIZER_FOREGROUND)) return 'Foreground';
  return 'Background';
}

function namespaceOf(
  resolved: { readonly namespaced: boolean },
  id: ObjectIdentity,
): string | undefined {
  return resolved.namespaced ? id.namespace : undefined;
}

function unknownKind(id: ObjectIdentity): { kind: 'error'; message: string } {
  return { kind: 'error', message: `no resource serves ${id.apiVersion} ${id.kind}` };
}

function failure(what: string, r: Extract<ApiResult<unknown>, { ok: false }>): Outcome {
  return { kind: 'error', message: `${what}: ${describeFailure(r)}` };
}

function gcObject(node: GraphNode): { object: string; uid: string } {
  return { object: describeIdentity(node.identity), uid: node.identity.uid };
}
