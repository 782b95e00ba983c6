/**
 * The per-kind resource definition: what upstream spreads over a registry Strategy
 * (pkg/registry/<group>/<kind>/strategy.go), the kind's REST storage (its subresources), its
 * printer (pkg/printers/internalversion) and the struct tags of its Go type (patch strategies).
 * The registry, the HTTP front, admission and RBAC read definitions and never switch on kind
 * names, so adding a kind is adding one definition file to kinds/index.ts.
 */
import type { FeatureGates } from '../feature-gates.ts';
import type { FieldError } from '../field-error.ts';
import type { PatchContentType } from '../http.ts';
import type { FieldSet } from '../field-selectors.ts';
import type { GroupVersionKind } from '../meta.ts';
import type { DeleteOptions, LabelSelector, ObjectMeta } from '../meta-types.ts';
import type { ResourceInfo, Verb } from '../resources.ts';
import type { Status } from '../status-types.ts';
import type { Kind, KObject } from '../types.ts';
import type { KubeletStreamRequest } from '../node-stream.ts';

/** Who sends a create (user.Info), for kinds that record it (CertificateSigningRequests). */
export interface Requester {
  readonly name: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/**
 * One kind. Behaviour is written as methods so that a `ResourceDefinition<Pod>` is usable where
 * the registry holds a `ResourceDefinition` of any kind (methods are checked bivariantly).
 */
export interface ResourceDefinition<T extends KObject = KObject> {
  /** The discovery row: what /api/v1 or /apis/<group>/<version> reports for the resource. */
  readonly resource: ResourceInfo;
  /** SetDefaults_* applied when a request body is decoded: on every create, update and patch. */
  defaults(obj: T): T;
  /** Built-in mutating admission for the main resource on create and update (no subresource). */
  admit(obj: T): T;
  /**
   * PrepareForCreate: resets what a client may not set on create, such as status, and drops
   * fields whose feature gate is off on this server.
   */
  prepareForCreate(obj: T, gates: FeatureGates, requester?: Requester): T;
  /** Create validation of a defaulted, prepared object. */
  validate(obj: T): FieldError[];
  /** Update strategy of the main resource (PUT and PATCH without a subresource). */
  readonly update: UpdateStrategy<T>;
  /** metadata.generation starts at 1 and grows by one whenever `generationChanged` says so. */
  readonly tracksGeneration: boolean;
  /**
   * Whether an update of the main resource is a change of desired state, which moves
   * metadata.generation on: by default a change of spec; some strategies count more (a
   * Deployment's annotations, an EndpointSlice's endpoints and labels).
   */
  generationChanged(next: T, old: T): boolean;
  /** A PUT without metadata.resourceVersion is accepted (last writer wins) instead of refused. */
  readonly allowUnconditionalUpdate: boolean;
  readonly subresources: readonly SubresourceDefinition<T>[];
  /**
   * A resource whose objects are never stored: a create is served by a subresource of another
   * kind, on the object the body names (upstream's legacy "bindings" resource, which is
   * pods/binding).
   */
  readonly createAs?: { readonly kind: Kind; readonly subresource: string };
  /** Server-side printing: the columns `kubectl get` shows (priority 1 only with -o wide). */
  readonly table: readonly TableColumn<T>[];
  /** Field labels a fieldSelector may use; others are a 400 "field label not supported". */
  readonly fieldSelectors: readonly string[];
  /** The selectable fields of an object (upstream GetAttrs / ToSelectableFields). */
  fields(obj: T): FieldSet;
  /** A field whose `field=value` selectors the watch cache indexes watchers by (pods: spec.nodeName). */
  readonly indexedField?: string;
  readonly deletion: DeletionRules<T>;
  /** Strategic-merge metadata of the fields that have any: `+patchStrategy` / `+patchMergeKey`. */
  readonly patch: readonly PatchField[];
  /**
   * Validating admission that reads the other objects of the kind, as upstream admission plugins
   * do through a lister (Priority: one globalDefault PriorityClass). Runs after validation on a
   * create or update of the main resource; `existing` is the collection in the object's scope
   * before the write. The reason the write is forbidden, or undefined.
   */
  admitAmong?(obj: T, existing: readonly T[], operation: 'create' | 'update'): string | undefined;
  /**
   * Conversion of a request body to the stored form, before defaulting (upstream's versioned ->
   * internal conversion): a Secret's stringData is folded into data. A string is a decoding
   * error, answered as 400 "<Kind> in version ... cannot be handled as a <Kind>: <error>".
   */
  decode?(obj: T): T | string;
  /** Values the kind takes from ranges the API server keeps in the store (ClusterIPs, node ports). */
  readonly allocation?: AllocationHooks<T>;
  /**
   * Objects the API server ensures at start, after the system namespaces (upstream's bootstrap
   * controllers: the `kubernetes` Service), given the configured ranges.
   */
  bootstrap?(ranges: RangeConfig): readonly T[];
  /**
   * Served from another kind's storage: this definition's group and version are another view
   * of that kind's objects (see StoredAs).
   */
  readonly storedAs?: StoredAs<T>;
  /**
   * The store folder of the objects when it is not the resource name: custom resources live
   * under `<group>/<plural>`, as upstream keeps them, so they never share a built-in's keys.
   */
  readonly storageResource?: string;
  /**
   * Objects are stored on a lease of the API server's --event-ttl (1 h), renewed by each write,
   * so the store deletes them that long after their last write (upstream's event registry
   * TTLFunc; the only kind upstream stores with a TTL).
   */
  readonly expiresAfterEventTtl?: boolean;
  /**
   * The patch content types served, when not all four: strategic merge needs the Go types'
   * struct tags, so upstream answers a custom resource's with 415.
   */
  readonly patchTypes?: readonly PatchContentType[];
  /**
   * The fields of `obj` its schema does not declare, and `obj` without them, for kinds whose
   * schema is not a built-in type (custom resources: their structural schema's pruning).
   */
  unknownFields?(obj: T): { readonly value: T; readonly unknown: readonly string[] };
  /**
   * The object's OpenAPI v3 schema, for kinds whose schema is not a built-in type (a custom
   * resource's openAPIV3Schema), as /openapi/v3 publishes it.
   */
  readonly openApiSchema?: unknown;
  /**
   * The resources an object of this kind adds to the API once created and accepted (a
   * CustomResourceDefinition's served versions): what a check of manifests without a cluster
   * (scenario files) must know of later manifests of the same file.
   */
  serves?(obj: T): readonly ResourceDefinition[];
  /**
   * What reading a stored object of this version does before it is served: a custom
   * resource's schema defaults, which upstream's decoder applies to what it reads from storage,
   * so a default added to a CRD later shows in objects stored before.
   */
  onRead?(obj: T): T;
}

/** Configured ranges by their flag ("service-cluster-ip-range"); a missing one has its default. */
export type RangeConfig = Readonly<Record<string, string>>;

/**
 * A range of values the API server hands out to objects (upstream keeps one as a
 * RangeAllocation bitmap under /registry/ranges/<name>).
 */
export interface RangeDeclaration {
  /** Upstream's store record name ("serviceips"): how hooks name the range. */
  readonly name: string;
  readonly type: 'ip' | 'port';
  /** The kube-apiserver flag that sets it, without the dashes: "service-cluster-ip-range". */
  readonly flag: string;
  /** The flag's default: "10.96.0.0/12", "30000-32767". */
  readonly defaultRange: string;
}

/** Allocation from one range with upstream's allocator semantics; errors are upstream's messages. */
export interface RangeAllocator<V> {
  /** The range as the flag gives it, normalized ("10.96.0.0/12", "30000-32767"). */
  readonly range: string;
  /** Reserves `value`: undefined, or why not (not in the range, already allocated). */
  allocate(value: V): string | undefined;
  /** Reserves a free value chosen at random, or answers undefined when the range is full. */
  allocateNext(): V | undefined;
  /** Gives `value` back; releasing a value that is free or outside the range does nothing. */
  release(value: V): void;
}

/**
 * What allocation hooks work with: the kind's ranges within one write. What the hooks reserve
 * is given back if the write fails; what they release is given back only once it succeeded.
 */
export interface AllocationContext {
  ip(range: string): RangeAllocator<string>;
  port(range: string): RangeAllocator<number>;
}

/** A value a stored object holds in one of its kind's ranges. */
export interface HeldValue {
  readonly range: string;
  readonly value: string | number;
}

/**
 * Upstream's Store.BeginCreate / BeginUpdate / AfterDelete hooks of the kinds that allocate.
 * The ranges' state is what the stored objects hold (`held`): the API server rebuilds it from
 * them at start, as upstream's repair loop does, so a crash neither leaks a value nor hands
 * one out twice.
 */
export interface AllocationHooks<T> {
  readonly ranges: readonly RangeDeclaration[];
  /** After admission, before PrepareForCreate and validation; a Status fails the create. */
  create(ctx: AllocationContext, obj: T): T | Status;
  /** For writes through the main resource, after admission and before the update strategy. */
  update(ctx: AllocationContext, next: T, old: T): T | Status;
  /** When the object leaves the store (not when it is only marked for deletion). */
  release(ctx: AllocationContext, obj: T): void;
  /** What a stored object holds: the ranges are rebuilt from this when they must be repaired. */
  held(obj: T): readonly HeldValue[];
}

/** The envelope every served object has, whatever its version. */
export interface VersionedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

/**
 * Upstream's several GroupVersions over one storage (events.k8s.io/v1 Events are core/v1
 * Events): the objects live in the storage of `kind`, in its shape, and everything else the
 * definition describes — defaulting, validation, strategies, field selection, printing — works
 * on that shape, as upstream's strategies work on the internal type. Only what crosses the wire
 * is converted: request bodies on the way in; objects, lists and watch events on the way out.
 * The definition's resource must have the storage kind's resource name and scope, so both are
 * the same keys.
 */
export interface StoredAs<T> {
  /** The kind whose storage holds the objects. */
  readonly kind: Kind;
  /** A body of this version (its apiVersion, kind and metadata already checked) as stored. */
  toStored(obj: VersionedObject): T;
  /** A stored object as this version shows it. */
  fromStored(obj: T): VersionedObject;
}

/** Upstream's rest.RESTUpdateStrategy, reduced to what differs between kinds and paths. */
export interface UpdateStrategy<T> {
  /**
   * What this path may change: everything else is copied from `old` (PrepareForUpdate); fields
   * whose feature gate is off are dropped unless `old` already uses them.
   */
  prepareForUpdate(next: T, old: T, gates: FeatureGates): T;
  validateUpdate(next: T, old: T): FieldError[];
}

export type SubresourceDefinition<T> =
  StrategySubresource<T> | ScaleSubresource<T> | ActionSubresource | NodeStreamSubresource<T>;

/**
 * The object itself, written through an update strategy of its own (status, namespaces'
 * finalize): upstream's StatusREST and FinalizeREST are the same store with another
 * UpdateStrategy.
 */
export interface StrategySubresource<T> {
  readonly kind: 'strategy';
  readonly name: string;
  readonly verbs: readonly Verb[];
  readonly strategy: UpdateStrategy<T>;
}

/** The autoscaling/v1 Scale view of a replicated object (upstream ScaleREST). */
export interface ScaleSubresource<T> {
  readonly kind: 'scale';
  readonly name: 'scale';
  readonly verbs: readonly Verb[];
  specReplicas(obj: T): number;
  statusReplicas(obj: T): number;
  selector(obj: T): LabelSelector | undefined;
  withSpecReplicas(obj: T, replicas: number): T;
}

/**
 * A stream the object's node serves and the API server proxies (pods/log, pods/exec: upstream's
 * LogREST and ExecREST with their LogLocation / ExecLocation). Requested only as a stream
 * (node-stream.ts); a plain request is a 400.
 */
export interface NodeStreamSubresource<T> {
  readonly kind: 'node-stream';
  readonly name: string;
  readonly verbs: readonly Verb[];
  /** The options type discovery reports (PodLogOptions is served as the object's kind). */
  readonly body: { readonly group: string; readonly version: string; readonly kind: string };
  /**
   * Verbs beyond the request's own that the requester must also be allowed (pods/exec asks
   * `create` of a WebSocket GET, as upstream's AuthorizePodWebsocketUpgradeCreatePermission).
   */
  readonly alsoRequires: readonly Verb[];
  /**
   * Where the request goes: the node and what to ask its kubelet, `undefined` for an object on
   * no node yet (an empty answer, as upstream's nil location), or the Status to refuse with.
   */
  locate(
    obj: T,
    query: Readonly<Record<string, string>>,
    nowUs: number,
  ): { readonly node: string; readonly request: KubeletStreamRequest } | undefined | Status;
}

/** A POST that acts on its object instead of storing a new one (binding, eviction). */
export interface ActionSubresource {
  readonly kind: 'action';
  readonly name: string;
  readonly verbs: readonly Verb[];
  /** The body's type, as discovery reports it for the subresource. */
  readonly body: { readonly group: string; readonly version: string; readonly kind: string };
  /**
   * Success or failure as a Status (its code is the status code), or the object the action
   * answers with (201), as the token subresource answers with its TokenRequest.
   */
  create(ctx: ActionContext, body: unknown): Promise<Status | KObject>;
}

const SCALE_KIND: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

/**
 * The kind a subresource answers with, as discovery reports it: the object's own for status and
 * finalize, autoscaling/v1 Scale, or the body an action or stream declares.
 */
export function subresourceKind<T>(
  own: GroupVersionKind,
  sub: SubresourceDefinition<T>,
): GroupVersionKind {
  switch (sub.kind) {
    case 'strategy':
      return own;
    case 'scale':
      return SCALE_KIND;
    case 'action':
    case 'node-stream':
      return sub.body;
  }
}

/**
 * What an action may do, with the registry's semantics, on the object the request names (the
 * subject) and on other objects. Failures come back as the Status the registry would answer.
 */
export interface ActionContext {
  readonly namespace: string | undefined;
  readonly name: string;
  /** Virtual time, microseconds. */
  nowUs(): number;
  get(): Promise<KObject | Status>;
  /**
   * Storage-level read-modify-write of the subject (upstream GuaranteedUpdate): no strategy and
   * no validation, retried when a concurrent writer wins.
   */
  guaranteedUpdate(transform: (current: KObject) => KObject | Status): Promise<KObject | Status>;
  /** The registry's delete of the subject: graceful deletion, finalizers, preconditions. */
  delete(options: DeleteOptions): Promise<KObject | Status>;
  list(kind: Kind, namespace: string): Promise<readonly KObject[] | Status>;
  /** A client's UpdateStatus of another object, conditional on its resourceVersion. */
  updateStatus(obj: KObject): Promise<KObject | Status>;
  /** A read of another object (a 404 Status when it does not exist). */
  getOther(kind: Kind, namespace: string | undefined, name: string): Promise<KObject | Status>;
  /** Adds a `Warning` header to the answer. */
  warn(message: string): void;
  /** The API server's ServiceAccount token issuer; undefined when it signs no tokens. */
  readonly tokens: TokenIssuer | undefined;
}

/**
 * What the API server signs ServiceAccount tokens with (upstream's TokenGenerator and the
 * token flags): the token subresource asks it for a token with these claims.
 */
export interface TokenIssuer {
  /** --api-audiences: a request naming no audience gets these. */
  readonly audiences: readonly string[];
  /** --service-account-max-token-expiration in seconds; 0: no maximum. */
  readonly maxExpirationSeconds: number;
  /** --service-account-extend-token-expiration. */
  readonly extendExpiration: boolean;
  issue(claims: BoundTokenClaims): string;
}

export interface BoundObjectClaim {
  readonly name: string;
  readonly uid: string;
}

export interface BoundTokenClaims {
  readonly namespace: string;
  readonly serviceAccount: BoundObjectClaim;
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  /** The token stays valid after this, but a client using it is warned (extended tokens). */
  readonly warnAfterSeconds?: number;
  readonly pod?: BoundObjectClaim;
  readonly secret?: BoundObjectClaim;
  /** A pod-bound token names the pod's node (uid "" when the node is gone). */
  readonly node?: BoundObjectClaim;
  readonly nowUs: number;
}

export type TableCell = string | number | boolean;

/** A column of upstream's server-side printing (metav1.TableColumnDefinition) and its cells. */
export interface TableColumn<T> {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format?: 'name';
  /** 0: always shown; 1: only with `-o wide`. */
  readonly priority: 0 | 1;
  readonly description: string;
  /** The cell for `obj`; `nowUs` (virtual time) is what ages are measured against. */
  cell(obj: T, nowUs: number): TableCell;
}

/** Upstream's RESTGracefulDeleteStrategy plus what holds a deletion back. */
export interface DeletionRules<T> {
  /**
   * CheckGracefulDelete: the grace period a delete with `requested` (DeleteOptions'
   * gracePeriodSeconds, if any) gets; 0 deletes at once unless finalizers hold the object.
   */
  gracePeriodSeconds(obj: T, requested: number | undefined): number;
  /** Finalizers outside metadata that hold the object too (namespaces' spec.finalizers). */
  pendingFinalizers(obj: T): readonly string[];
  /** What else changes when the object is marked for deletion (namespaces turn Terminating). */
  markDeleting(obj: T): T;
}

export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

/**
 * A field's strategic-merge metadata. Lists without an entry are replaced as a whole, as
 * upstream does for `+listType=atomic` and untagged lists.
 */
export interface PatchField {
  /** Dotted path from the object root; `[]` steps into list items: "spec.containers[].env". */
  readonly path: string;
  readonly patchStrategy: PatchStrategy;
  /** The key that identifies list items when merging (upstream `+patchMergeKey`). */
  readonly patchMergeKey?: string;
}
