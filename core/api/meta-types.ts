/**
 * apimachinery meta/v1 shapes (TypeMeta, ObjectMeta, ListMeta, LabelSelector, ...).
 *
 * Field names and optionality follow the JSON of staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go
 * so that real manifests and real clients round-trip unchanged. Timestamps are RFC3339 strings.
 */

/** RFC3339 with seconds precision, e.g. "2026-01-01T00:00:05Z" (metav1.Time). */
export type Time = string;
/** RFC3339 with microseconds, e.g. "2026-01-01T00:00:05.000250Z" (metav1.MicroTime). */
export type MicroTime = string;

export interface TypeMeta {
  readonly apiVersion?: string;
  readonly kind?: string;
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  /** Opaque to clients; our store renders its revision in decimal. */
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: Time;
  readonly deletionTimestamp?: Time;
  readonly deletionGracePeriodSeconds?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly ownerReferences?: readonly OwnerReference[];
  readonly finalizers?: readonly string[];
  /** Who set which fields (server-side apply and every other write); see ../managed-fields. */
  readonly managedFields?: readonly ManagedFieldsEntry[];
}

/** metav1.ManagedFieldsEntry. */
export interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: 'Apply' | 'Update';
  readonly apiVersion?: string;
  readonly time?: Time;
  readonly fieldsType?: 'FieldsV1';
  /** The set of fields, in upstream's FieldsV1 JSON trie ("f:spec": {"f:replicas": {}}). */
  readonly fieldsV1?: FieldsV1;
  readonly subresource?: string;
}

export interface FieldsV1 {
  readonly [key: string]: FieldsV1;
}

export interface ListMeta {
  readonly resourceVersion?: string;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values?: readonly string[];
}

/** metav1.LabelSelector: requirements are ANDed; `{}` selects everything, an absent selector nothing. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** core/v1 ObjectReference (Binding.target, Event.involvedObject). */
export interface ObjectReference {
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly apiVersion?: string;
  readonly resourceVersion?: string;
  readonly fieldPath?: string;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** Generic `KindList` envelope: `{apiVersion, kind: "PodList", metadata, items}`. */
export interface KList<T> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ListMeta;
  readonly items: readonly T[];
}

/** metav1.DeletionPropagation: what happens to an object's dependents. */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** metav1.DeleteOptions, the members the registry honours. */
export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly propagationPolicy?: PropagationPolicy;
  /** Deprecated upstream in favour of propagationPolicy; true is Orphan, false Background. */
  readonly orphanDependents?: boolean;
}
