/**
 * Admission (k8s.io/apiserver/pkg/admission): what a plugin is told about a request, and what
 * it answers. Mutating plugins run first, in order, each seeing the previous one's object; then
 * the kind's own defaulting-free preparation and validation; then validating plugins, which
 * may only refuse. A plugin is one folder under admission/, gets what it reads (lookups, a
 * clock, configuration) from its factory, and never reaches into the registry.
 */
import * as errors from '../../api/errors.ts';
import type { Status } from '../../api/status-types.ts';
import type { Kind, KObject } from '../../api/types.ts';
import type { UserInfo } from '../authn/user.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** A resource of a group ("" for the core group), any version. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** admission.Attributes. */
export interface AdmissionAttributes {
  readonly operation: Operation;
  /** The kind of `object`: the resource's kind, or a subresource's body kind (Binding, Eviction, TokenRequest). */
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  /** "" for the main resource. */
  readonly subresource: string;
  /** "" for cluster-scoped resources. */
  readonly namespace: string;
  /** "" when not known yet (a create with generateName). */
  readonly name: string;
  /** The object being written; undefined for DELETE. */
  readonly object: KObject | undefined;
  /** The stored object for UPDATE and DELETE (when the registry has read it). */
  readonly oldObject: KObject | undefined;
  readonly dryRun: boolean;
  readonly userInfo: UserInfo;
}

export type AdmissionResult =
  | {
      readonly allowed: true;
      /** The object as the plugin leaves it (mutating plugins); undefined: unchanged. */
      readonly object?: KObject;
      readonly warnings?: readonly string[];
    }
  | { readonly allowed: false; readonly status: Status; readonly warnings?: readonly string[] };

export const ADMIT: AdmissionResult = { allowed: true };

export function deny(status: Status): AdmissionResult {
  return { allowed: false, status };
}

/** admission.Interface, with MutationInterface and ValidationInterface as optional methods. */
export interface AdmissionPlugin {
  readonly name: string;
  /**
   * The kinds the plugin reads through `ObjectLookups.cached`: the API server keeps an informer
   * of each from its start (upstream's plugins ask for the informers they read).
   */
  readonly informed?: readonly Kind[];
  handles(operation: Operation): boolean;
  /**
   * The resources whose requests the plugin may change or refuse; undefined: any resource.
   * The chain calls the plugin for no other (upstream's plugins look at the resource first
   * and admit any other at once; said here, the chain skips them without the call).
   */
  readonly resources?: readonly GroupResource[];
  /** Mutating admission: may change the object (return it) or refuse. */
  admit?(a: AdmissionAttributes): AdmissionResult | Promise<AdmissionResult>;
  /** Validating admission: may only refuse; an object it returns is ignored. */
  validate?(a: AdmissionAttributes): AdmissionResult | Promise<AdmissionResult>;
}

/** Resources of the core group, for a plugin's `resources`. */
export function coreResources(...resources: string[]): readonly GroupResource[] {
  return resources.map((resource) => ({ group: '', resource }));
}

/** admission.NewHandler: a plugin for these operations only. */
export function handlesOnly(...operations: Operation[]): (op: Operation) => boolean {
  return (op) => operations.includes(op);
}

/**
 * admission.NewForbidden: 403 naming the resource and the object's name ("Unknown" when the
 * request carries no object, as for a delete; the generateName when there is no name yet).
 */
export function forbidden(a: AdmissionAttributes, cause: string): Status {
  const resource =
    a.resource.group === '' ? a.resource.resource : `${a.resource.resource}.${a.resource.group}`;
  const meta = a.object?.metadata;
  const name = meta?.name || meta?.generateName || 'Unknown';
  return errors.forbidden(resource, name, cause);
}
