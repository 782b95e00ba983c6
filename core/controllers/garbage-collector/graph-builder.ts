/**
 * The dependency graph builder (pkg/controller/garbagecollector/graph_builder.go): turns what
 * the informers observe into graph changes, and hands the collector the nodes it must look at.
 * Upstream funnels informer events through a single-threaded queue; here informer handlers and
 * the collector's virtual delete events run on one thread already, so each change is applied
 * when it happens, in the order it happened.
 */
import type { ObjectMeta, OwnerReference } from '../../api/meta-types.ts';
import { AbsentOwnerCache } from './absent-owner-cache.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from '../../api/meta.ts';
import {
  GraphNode,
  partitionDependents,
  referenceMatches,
  referencesDiffs,
  sameIdentity,
  type ObjectIdentity,
} from './graph.ts';

/** Where the builder sends the nodes the collector must process. */
export interface GraphQueues {
  attemptToDelete(node: GraphNode): void;
  attemptToDeleteRateLimited(node: GraphNode): void;
  attemptToOrphan(node: GraphNode): void;
  /** A namespaced dependent names an owner seen in another namespace (OwnerRefInvalidNamespace). */
  invalidNamespaceOwnerRef(dependent: GraphNode, owner: OwnerReference): void;
}

export type GraphEvent =
  /** An informer's add (`oldMeta` undefined) or update. */
  | {
      readonly kind: 'observed';
      readonly identity: ObjectIdentity;
      readonly meta: ObjectMeta;
      readonly oldMeta: ObjectMeta | undefined;
    }
  /** An informer's delete, or (virtual) the collector's finding that the object does not exist. */
  | { readonly kind: 'deleted'; readonly identity: ObjectIdentity; readonly virtual: boolean };

export class GraphBuilder {
  private readonly uidToNode = new Map<string, GraphNode>();
  readonly absentOwners = new AbsentOwnerCache();

  constructor(private readonly queues: GraphQueues) {}

  node(uid: string): GraphNode | undefined {
    return this.uidToNode.get(uid);
  }

  get size(): number {
    return this.uidToNode.size;
  }

  process(event: GraphEvent): void {
    const uid = event.identity.uid;
    let existing = this.uidToNode.get(uid);
    const fromInformer = event.kind === 'observed' || !event.virtual;
    if (existing !== undefined && fromInformer && existing.virtual) {
      existing = this.observe(existing, event.identity);
    }
    if (event.kind === 'observed') {
      if (existing === undefined) this.added(event.identity, event.meta, event.oldMeta);
      else this.updated(existing, event.meta, event.oldMeta);
      return;
    }
    if (existing !== undefined) this.deleted(existing, event.identity, event.virtual);
  }

  /**
   * The first informer event for a node known only as someone's owner: dependents that named it
   * with other coordinates are checked again (their reference may be dangling), and the node
   * takes the coordinates observed.
   */
  private observe(existing: GraphNode, observed: ObjectIdentity): GraphNode {
    let node = existing;
    if (!sameIdentity(observed, existing.identity)) {
      const { nonmatching } = partitionDependents(existing.dependents, observed);
      for (const dep of nonmatching) {
        if (observed.namespace !== '' && dep.identity.namespace !== observed.namespace)
          this.reportInvalidNamespace(dep, observed.uid);
        this.queues.attemptToDelete(dep);
      }
      node = existing.clone(observed);
      this.uidToNode.set(observed.uid, node);
    }
    node.virtual = false;
    return node;
  }

  private added(identity: ObjectIdentity, meta: ObjectMeta, oldMeta: ObjectMeta | undefined): void {
    const deleting = meta.deletionTimestamp !== undefined;
    const node = new GraphNode(
      identity,
      meta.ownerReferences ?? [],
      false,
      deleting && hasFinalizer(meta, FINALIZER_FOREGROUND),
      deleting,
    );
    this.uidToNode.set(identity.uid, node);
    this.addDependentToOwners(node, node.owners);
    // An informer may fold a create and a delete into one add.
    this.processTransitions(oldMeta, meta, node);
  }

  private updated(node: GraphNode, meta: ObjectMeta, oldMeta: ObjectMeta | undefined): void {
    const owners = meta.ownerReferences ?? [];
    const { added, removed, changed } = referencesDiffs(node.owners, owners);
    if (added.length > 0 || removed.length > 0 || changed.length > 0) {
      this.addUnblockedOwnersToDeleteQueue(removed, changed);
      node.owners = owners;
      this.addDependentToOwners(node, added);
      this.removeDependentFromOwners(node, removed);
    }
    if (meta.deletionTimestamp !== undefined) node.beingDeleted = true;
    this.processTransitions(oldMeta, meta, node);
  }

  private deleted(existing: GraphNode, identity: ObjectIdentity, virtual: boolean): void {
    if (virtual && !this.virtualDeleteRemoves(existing, identity)) return;
    this.removeNode(existing);
    if (existing.dependents.size > 0) this.absentOwners.add(identity);
    for (const dep of existing.dependents) this.queues.attemptToDelete(dep);
    for (const owner of existing.owners) {
      const ownerNode = this.uidToNode.get(owner.uid);
      // The owner may be waiting for this dependent to go before it can go itself.
      if (ownerNode?.deletingDependents === true) this.queues.attemptToDelete(ownerNode);
    }
  }

  /**
   * A virtual delete says "no object with these coordinates exists". It removes the node only
   * when every dependent named it by those coordinates; otherwise the dependents that did are
   * checked again and the node lives on under the next coordinates its other dependents use.
   */
  private virtualDeleteRemoves(existing: GraphNode, deleted: ObjectIdentity): boolean {
    if (existing.virtual) {
      const { matching, nonmatching } = partitionDependents(existing.dependents, deleted);
      if (nonmatching.length === 0) return true;
      this.absentAndRecheck(deleted, matching);
      if (sameIdentity(existing.identity, deleted)) {
        const replacement = alternateOwnerIdentity(nonmatching, deleted);
        if (replacement !== undefined) {
          const node = existing.clone(replacement);
          this.uidToNode.set(node.identity.uid, node);
          this.queues.attemptToDeleteRateLimited(node);
        }
      }
      return false;
    }
    if (sameIdentity(existing.identity, deleted)) return true;
    // An observed object disagrees with the coordinates the virtual delete was about.
    this.absentAndRecheck(deleted, partitionDependents(existing.dependents, deleted).matching);
    return false;
  }

  private absentAndRecheck(deleted: ObjectIdentity, matching: readonly GraphNode[]): void {
    if (matching.length === 0) return;
    this.absentOwners.add(deleted);
    for (const dep of matching) this.queues.attemptToDelete(dep);
  }

  /**
   * Adds `node` to its owners' dependents, creating virtual owners the collector will verify.
   * A reference that may be invalid (a namespaced owner seen in another namespace, coordinates
   * other than the observed owner's) puts the dependent itself up for verification.
   */
  private addDependentToOwners(node: GraphNode, owners: readonly OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const owner of owners) {
      let ownerNode = this.uidToNode.get(owner.uid);
      if (ownerNode === undefined) {
        ownerNode = new GraphNode(
          {
            apiVersion: owner.apiVersion,
            kind: owner.kind,
            name: owner.name,
            uid: owner.uid,
            namespace: node.identity.namespace,
          },
          [],
          true,
        );
        this.uidToNode.set(owner.uid, ownerNode);
        ownerNode.dependents.add(node);
        this.queues.attemptToDelete(ownerNode);
        continue;
      }
      ownerNode.dependents.add(node);
      if (potentiallyInvalid) continue;
      const ownerNamespace = ownerNode.identity.namespace;
      if (ownerNamespace !== '' && ownerNamespace !== node.identity.namespace) {
        if (ownerNode.observed) this.reportInvalidNamespace(node, owner.uid);
        potentiallyInvalid = true;
      } else if (!referenceMatches(owner, ownerNode.identity)) {
        potentiallyInvalid = true;
      } else if (ownerNamespace === '' && node.identity.namespace !== '' && ownerNode.virtual) {
        // A virtual cluster-scoped owner of a namespaced object may be a namespaced kind
        // wrongly referenced from a cluster-scoped one (kubernetes#98040): verify.
        potentiallyInvalid = true;
      }
    }
    if (potentiallyInvalid) this.queues.attemptToDelete(node);
  }

  private removeDependentFromOwners(node: GraphNode, owners: readonly OwnerReference[]): void {
    for (const owner of owners) this.uidToNode.get(owner.uid)?.dependents.delete(node);
  }

  private removeNode(node: GraphNode): void {
    this.uidToNode.delete(node.identity.uid);
    this.removeDependentFromOwners(node, node.owners);
  }

  /** A blocking reference removed or made non-blocking may unblock an owner deleting in foreground. */
  private addUnblockedOwnersToDeleteQueue(
    removed: readonly OwnerReference[],
    changed: readonly { oldRef: OwnerReference; newRef: OwnerReference }[],
  ): void {
    for (const ref of removed) {
      if (ref.blockOwnerDeletion !== true) continue;
      const owner = this.uidToNode.get(ref.uid);
      if (owner !== undefined) this.queues.attemptToDelete(owner);
    }
    for (const { oldRef, newRef } of changed) {
      if (oldRef.blockOwnerDeletion !== true || newRef.blockOwnerDeletion === true) continue;
      const owner = this.uidToNode.get(newRef.uid);
      if (owner !== undefined) this.queues.attemptToDelete(owner);
    }
  }

  /** Deletion that just started with the orphan or foregroundDeletion finalizer. */
  private processTransitions(
    oldMeta: ObjectMeta | undefined,
    meta: ObjectMeta,
    node: GraphNode,
  ): void {
    if (deletionStartsWithFinalizer(oldMeta, meta, FINALIZER_ORPHAN)) {
      this.queues.attemptToOrphan(node);
      return;
    }
    if (deletionStartsWithFinalizer(oldMeta, meta, FINALIZER_FOREGROUND)) {
      // A node first added as virtual did not know it, so set it here.
      node.deletingDependents = true;
      for (const dep of node.dependents) this.queues.attemptToDelete(dep);
      this.queues.attemptToDelete(node);
    }
  }

  private reportInvalidNamespace(dependent: GraphNode, ownerUid: string): void {
    const ref = dependent.owners.find((o) => o.uid === ownerUid);
    if (ref !== undefined) this.queues.invalidNamespaceOwnerRef(dependent, ref);
  }
}

export function hasFinalizer(meta: ObjectMeta, finalizer: string): boolean {
  return meta.finalizers?.includes(finalizer) ?? false;
}

function deletionStartsWithFinalizer(
  oldMeta: ObjectMeta | undefined,
  meta: ObjectMeta,
  finalizer: string,
): boolean {
  if (meta.deletionTimestamp === undefined || !hasFinalizer(meta, finalizer)) return false;
  return (
    oldMeta === undefined ||
    oldMeta.deletionTimestamp === undefined ||
    !hasFinalizer(oldMeta, finalizer)
  );
}

/**
 * getAlternateOwnerIdentity: among the coordinates `deps` use for `absent`'s uid other than
 * `absent`'s own, the first after `absent` in referenceLessThan order, else the first overall.
 */
function alternateOwnerIdentity(
  deps: readonly GraphNode[],
  absent: ObjectIdentity,
): ObjectIdentity | undefined {
  const clusterScoped = absent.namespace === '';
  const seen = new Set<string>([identityKey(absent)]);
  let first: ObjectIdentity | undefined;
  let firstFollowing: ObjectIdentity | undefined;
  for (const dep of deps) {
    for (const ref of dep.owners) {
      if (ref.uid !== absent.uid) continue;
      if (
        referenceMatches(ref, absent) &&
        (clusterScoped || absent.namespace === dep.identity.namespace)
      )
        continue;
      const sameType =
        clusterScoped && ref.apiVersion === absent.apiVersion && ref.kind === absent.kind;
      const alt: ObjectIdentity = {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        name: ref.name,
        uid: ref.uid,
        // That apiVersion/kind is known to be cluster-scoped.
        namespace: sameType ? '' : dep.identity.namespace,
      };
      const key = identityKey(alt);
      if (seen.has(key)) continue;
      seen.add(key);
      if (first === undefined || referenceLessThan(alt, first)) first = alt;
      if (
        referenceLessThan(absent, alt) &&
        (firstFollowing === undefined || referenceLessThan(alt, firstFollowing))
      )
        firstFollowing = alt;
    }
  }
  return firstFollowing ?? first;
}

function identityKey(id: ObjectIdentity): string {
  return JSON.stringify([id.kind, id.apiVersion, id.namespace, id.name, id.uid]);
}

/** Kind and apiVersion first, so cluster-scoped and namespaced coordinates of a type sort together. */
function referenceLessThan(a: ObjectIdentity, b: ObjectIdentity): boolean {
  for (const field of ['kind', 'apiVersion', 'namespace', 'name', 'uid'] as const) {
    if (a[field] !== b[field]) return a[field] < b[field];
  }
  return false;
}
