/**
 * The garbage collector's dependency graph (pkg/controller/garbagecollector/graph.go): one node
 * per object uid that is stored or named as an owner, with the owner references the object
 * holds and the nodes that name it as their owner. A node only named by others (not yet seen by
 * an informer) is "virtual": its coordinates are what its first dependent said.
 */
import type { OwnerReference } from '../../api/meta-types.ts';

/** An object's coordinates: an owner reference plus the namespace ("" when cluster-scoped). */
export interface ObjectIdentity {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly namespace: string;
}

export class GraphNode {
  /** Insertion-ordered, so whatever iterates dependents does so in a defined order. */
  readonly dependents = new Set<GraphNode>();

  constructor(
    public identity: ObjectIdentity,
    public owners: readonly OwnerReference[],
    public virtual: boolean,
    /** Deleting with the foregroundDeletion finalizer: it waits for its blocking dependents. */
    public deletingDependents = false,
    public beingDeleted = false,
  ) {}

  get observed(): boolean {
    return !this.virtual;
  }

  /** A copy under another identity; the dependents are shared as upstream's clone does. */
  clone(identity: ObjectIdentity): GraphNode {
    const c = new GraphNode(
      identity,
      this.owners,
      this.virtual,
      this.deletingDependents,
      this.beingDeleted,
    );
    for (const d of this.dependents) c.dependents.add(d);
    return c;
  }

  /** Dependents whose reference to this node has blockOwnerDeletion: a foreground delete waits for them. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      if (dep.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true))
        out.push(dep);
    }
    return out;
  }
}

export function sameIdentity(a: ObjectIdentity, b: ObjectIdentity): boolean {
  return (
    a.uid === b.uid &&
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.namespace === b.namespace
  );
}

/** ownerReferenceMatchesCoordinates: the same object as far as a reference can say. */
export function referenceMatches(ref: OwnerReference, identity: ObjectIdentity): boolean {
  return (
    ref.uid === identity.uid &&
    ref.name === identity.name &&
    ref.kind === identity.kind &&
    ref.apiVersion === identity.apiVersion
  );
}

export function describeIdentity(id: ObjectIdentity): string {
  const where = id.namespace === '' ? id.name : `${id.namespace}/${id.name}`;
  return `${id.kind} ${where}`;
}

/**
 * partitionDependents: the dependents whose reference to `owner`'s uid matches its coordinates,
 * and those that refer to the uid with other coordinates (or from another namespace than a
 * namespaced owner's). A dependent with several references to the uid can be in both.
 */
export function partitionDependents(
  dependents: Iterable<GraphNode>,
  owner: ObjectIdentity,
): { matching: GraphNode[]; nonmatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonmatching: GraphNode[] = [];
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (owner.namespace !== '' && owner.namespace !== dep.identity.namespace) mismatch = true;
    else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (referenceMatches(ref, owner)) match = true;
        else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonmatching.push(dep);
  }
  return { matching, nonmatching };
}

/**
 * referencesDiffs: owner references added, removed, and changed (same uid, other fields) between
 * two versions of an object.
 */
export function referencesDiffs(
  old: readonly OwnerReference[],
  next: readonly OwnerReference[],
): {
  added: OwnerReference[];
  removed: OwnerReference[];
  changed: { oldRef: OwnerReference; newRef: OwnerReference }[];
} {
  const oldByUid = new Map(old.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: { oldRef: OwnerReference; newRef: OwnerReference }[] = [];
  for (const ref of next) {
    const before = oldByUid.get(ref.uid);
    if (before === undefined) {
      added.push(ref);
      continue;
    }
    if (!sameReference(before, ref)) changed.push({ oldRef: before, newRef: ref });
    oldByUid.delete(ref.uid);
  }
  return { added, removed: [...oldByUid.values()], changed };
}

function sameReference(a: OwnerReference, b: OwnerReference): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.uid === b.uid &&
    a.controller === b.controller &&
    a.blockOwnerDeletion === b.blockOwnerDeletion
  );
}
