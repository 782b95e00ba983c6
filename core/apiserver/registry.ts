import { addDefaultTolerations, defaultObject } from '../api/defaults.ts';
import * as errors from '../api/errors.ts';
import {
  parseFieldSelector,
  fieldsOf,
  isFieldSelectorError,
  unsupportedFieldLabel,
  type FieldMatcher,
} from '../api/field-selectors.ts';
import type { ObjectMeta } from '../api/meta-types.ts';
import type { Pod } from '../api/pod-types.ts';
import type { ResourceInfo } from '../api/resources.ts';
import {
  isSelectorError,
  labelSelectorMatcher,
  parseSelector,
  type LabelMatcher,
} from '../api/selectors.ts';
import type { Status } from '../api/status-types.ts';
import { formatTime } from '../api/time.ts';
import type { KObject } from '../api/types.ts';
import type { Binding } from '../api/cluster-types.ts';
import type { Eviction, PodDisruptionBudget } from '../api/policy-types.ts';
import { setCondition } from '../api/conditions.ts';
import type { Clock } from '../ports/clock.ts';
import { nameSuffix, uid, type Random } from '../ports/random.ts';
import type { ApiResponse } from '../api/http.ts';
import { collectionPrefix, objectKey } from './keys.ts';
import type { RequestInfo } from './request-info.ts';
import { ObjectStorage, parseResourceVersion, type StorageFailure } from './storage.ts';
import { mergeForUpdate, strategyFor } from './strategies.ts';

type Obj = KObject & { metadata: ObjectMeta };
type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

const reply = (status: number, body: unknown): ApiResponse => ({ status, body });
const statusReply = (s: Status): ApiResponse => reply(s.code ?? 500, s);

/** How many times a read-modify-write retries on a conflict it caused itself (GuaranteedUpdate). */
const MAX_INTERNAL_RETRIES = 5;

/** Kubernetes' qualified resource name as printed in messages: "pods", "replicasets.apps". */
export function qualified(r: ResourceInfo): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

export interface Selectors {
  readonly labels: LabelMatcher | undefined;
  readonly fields: FieldMatcher | undefined;
}

/** Parses labelSelector/fieldSelector query parameters; a bad one is a 400 naming it. */
export function parseSelectors(
  info: RequestInfo,
  query: Readonly<Record<string, string>>,
): Selectors | Status {
  let labels: LabelMatcher | undefined;
  let fields: FieldMatcher | undefined;
  if (query.labelSelector) {
    const m = parseSelector(query.labelSelector);
    if (isSelectorError(m)) return errors.badRequest(`unable to parse requirement: ${m.message}`);
    labels = m;
  }
  if (query.fieldSelector) {
    const m = parseFieldSelector(query.fieldSelector);
    if (isFieldSelectorError(m)) return errors.badRequest(m.message);
    const bad = unsupportedFieldLabel(info.resource.kind, m);
    if (bad !== undefined) return errors.badRequest(`field label not supported: ${bad}`);
    fields = m;
  }
  return { labels, fields };
}

export function matches(obj: KObject, sel: Selectors): boolean {
  if (sel.labels !== undefined && !sel.labels.matches(obj.metadata?.labels)) return false;
  if (sel.fields !== undefined && !sel.fields.matches(fieldsOf(obj))) return false;
  return true;
}

/**
 * The generic REST registry (upstream registry/generic/registry.Store) for every resource in
 * the discovery table: create, get, list, update (main and status), patch, delete with
 * preconditions, graceful pod deletion and finalizers, and pod binding.
 */
export class Registry {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  key(info: RequestInfo, name: string): string {
    return objectKey(
      info.resource.resource,
      info.resource.namespaced ? info.namespace : undefined,
      name,
    );
  }

  async get(info: RequestInfo, name: string): Promise<ApiResponse> {
    const r = await this.storage.get<Obj>(this.key(info, name));
    return r.ok ? reply(200, r.value) : this.failure(info, name, r.failure);
  }

  async list(info: RequestInfo, sel: Selectors, atRv: number | undefined): Promise<ApiResponse> {
    const prefix = collectionPrefix(
      info.resource.resource,
      info.resource.namespaced ? info.namespace : undefined,
    );
    const r = await this.storage.list<Obj>(prefix, atRv);
    if (!r.ok) return this.failure(info, '', r.failure);
    return reply(200, {
      apiVersion: info.resource.apiVersion,
      kind: info.resource.listKind,
      metadata: { resourceVersion: r.value.resourceVersion },
      items: r.value.items.filter((o) => matches(o, sel)),
    });
  }

  async create(info: RequestInfo, body: unknown): Promise<ApiResponse> {
    const shaped = this.checkBody(info, body, undefined);
    if ('code' in shaped) return statusReply(shaped);
    const strategy = strategyFor(info.resource.kind);
    const meta: MutableMeta = { ...shaped.metadata };
    if (!meta.name && meta.generateName)
      meta.name = `${meta.generateName}${nameSuffix(this.random)}`;
    if (info.resource.namespaced) meta.namespace = info.namespace ?? meta.namespace ?? 'default';
    let obj = defaultObject({ ...shaped, metadata: meta } as KObject) as Obj;
    obj = strategy.prepareForCreate(obj) as Obj;
    if (obj.kind === 'Pod') obj = addDefaultTolerations(obj as Pod) as Obj;
    const errs = strategy.validate(obj);
    if (errs.length > 0) return statusReply(errors.invalid(obj.kind, meta.name ?? '', errs));
    if (info.resource.namespaced) {
      const ns = await this.storage.get(
        objectKey('namespaces', undefined, meta.namespace as string),
      );
      if (!ns.ok) {
        return ns.failure.kind === 'not-found'
          ? statusReply(errors.notFound('namespaces', meta.namespace as string))
          : this.failure(info, meta.name ?? '', ns.failure);
      }
    }
    const stamped: MutableMeta = {
      ...obj.metadata,
      uid: uid(this.random),
      creationTimestamp: formatTime(this.clock.now()),
    };
    delete stamped.resourceVersion;
    delete stamped.deletionTimestamp;
    delete stamped.deletionGracePeriodSeconds;
    if (strategy.tracksGeneration) stamped.generation = 1;
    const r = await this.storage.create(this.key(info, stamped.name as string), {
      ...obj,
      metadata: stamped,
    } as Obj);
    return r.ok ? reply(201, r.value) : this.failure(info, stamped.name as string, r.failure);
  }

  /** PUT on the object or its status subresource. */
  async update(
    info: RequestInfo,
    name: string,
    body: unknown,
    statusPath: boolean,
  ): Promise<ApiResponse> {
    const shaped = this.checkBody(info, body, name);
    if ('code' in shaped) return statusReply(shaped);
    const requestedRv = parseResourceVersion(shaped.metadata.resourceVersion);
    if (Number.isNaN(requestedRv))
      return statusReply(
        errors.badRequest(
          `invalid resourceVersion ${JSON.stringify(shaped.metadata.resourceVersion)}`,
        ),
      );
    const strategy = strategyFor(info.resource.kind);
    if (requestedRv === undefined && !strategy.allowUnconditionalUpdate) {
      return statusReply(
        errors.invalid(shaped.kind, name, [
          {
            type: 'FieldValueRequired',
            field: 'metadata.resourceVersion',
            detail: 'must be specified for an update',
          },
        ]),
      );
    }
    return this.readModifyWrite(
      info,
      name,
      requestedRv,
      (old) => mergeForUpdate(strategy, shaped, old, statusPath) as Obj,
    );
  }

  /** JSON merge patch (RFC 7386); strategic merge patches are applied as merge patches for now. */
  async patch(info: RequestInfo, name: string, body: unknown): Promise<ApiResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return statusReply(errors.badRequest('the patch body must be a JSON object'));
    }
    const patchRv = parseResourceVersion(
      (body as { metadata?: ObjectMeta }).metadata?.resourceVersion,
    );
    return this.readModifyWrite(info, name, patchRv, (old) => mergePatch(old, body) as Obj);
  }

  async delete(info: RequestInfo, name: string, options: DeleteOptions): Promise<ApiResponse> {
    for (let attempt = 0; attempt < MAX_INTERNAL_RETRIES; attempt++) {
      const key = this.key(info, name);
      const current = await this.storage.get<Obj>(key);
      if (!current.ok) return this.failure(info, name, current.failure);
      const obj = current.value;
      const precondition = checkPreconditions(info, name, obj, options);
      if (precondition !== undefined) return statusReply(precondition);
      const rv = Number(obj.metadata.resourceVersion);
      const plan = this.deletionPlan(obj, options);
      if (plan.action === 'none') return reply(200, obj);
      if (plan.action === 'mark') {
        const r = await this.storage.update(key, plan.obj, rv);
        if (!r.ok && r.failure.kind === 'conflict') continue;
        return r.ok ? reply(200, r.value) : this.failure(info, name, r.failure);
      }
      const r = await this.storage.delete<Obj>(key, rv);
      if (!r.ok && r.failure.kind === 'conflict') continue;
      return r.ok ? reply(200, r.value) : this.failure(info, name, r.failure);
    }
    return statusReply(errors.conflict(qualified(info.resource), name));
  }

  /** POST pods/{name}/binding (upstream BindingREST.Create / assignPod). */
  async bind(info: RequestInfo, name: string, body: unknown): Promise<ApiResponse> {
    const binding = body as Binding;
    const node = binding?.target?.name;
    if (!node)
      return statusReply(
        errors.invalid('Binding', name, [
          { type: 'FieldValueRequired', field: 'target.name', detail: '' },
        ]),
      );
    const response = await this.readModifyWrite(
      info,
      name,
      undefined,
      (old) => {
        const pod = old as Pod;
        if (pod.metadata.deletionTimestamp !== undefined) {
          return errors.conflict(
            'pods',
            name,
            `pod ${name} is being deleted, cannot be assigned to a host`,
          );
        }
        if (pod.spec.nodeName) {
          return errors.conflict(
            'pods',
            name,
            `pod ${name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`,
          );
        }
        const conditions = setCondition(
          pod.status?.conditions ?? [],
          { type: 'PodScheduled', status: 'True' },
          formatTime(this.clock.now()),
        );
        return {
          ...pod,
          spec: { ...pod.spec, nodeName: node },
          status: { ...pod.status, conditions },
        } as Obj;
      },
      { skipValidation: true },
    );
    if (response.status !== 200) return response;
    return reply(201, errors.success());
  }

  /**
   * POST pods/{name}/eviction (upstream pod/storage/eviction.go): a pod covered by a
   * PodDisruptionBudget is deleted only if the budget allows a disruption, which is then
   * recorded in the budget's status (disruptionsAllowed - 1, the pod in disruptedPods) before
   * the delete; otherwise 429 TooManyRequests. Terminal pods are deleted without a check.
   */
  async evict(info: RequestInfo, name: string, body: unknown): Promise<ApiResponse> {
    const grace = (body as Eviction | undefined)?.deleteOptions?.gracePeriodSeconds;
    const options: DeleteOptions = grace === undefined ? {} : { gracePeriodSeconds: grace };
    const current = await this.storage.get<Obj>(this.key(info, name));
    if (!current.ok) return this.failure(info, name, current.failure);
    const pod = current.value as Pod;
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!terminal) {
      const namespace = pod.metadata.namespace ?? 'default';
      const pdbs = await this.storage.list<PodDisruptionBudget>(
        collectionPrefix('poddisruptionbudgets', namespace),
      );
      if (!pdbs.ok) return statusReply(errors.serverTimeout('pods', 'eviction', 1));
      const covering = pdbs.value.items.filter(
        (b) =>
          b.spec.selector !== undefined &&
          labelSelectorMatcher(b.spec.selector).matches(pod.metadata.labels),
      );
      if (covering.length > 1) {
        return statusReply(
          errors.internalError(
            'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
          ),
        );
      }
      const pdb = covering[0];
      if (pdb !== undefined) {
        const status = pdb.status ?? {
          disruptionsAllowed: 0,
          currentHealthy: 0,
          desiredHealthy: 0,
          expectedPods: 0,
        };
        if (
          status.disruptionsAllowed <= 0 ||
          (status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)
        ) {
          return statusReply({
            ...errors.tooManyRequests(
              "Cannot evict pod as it would violate the pod's disruption budget.",
              0,
            ),
            details: {
              retryAfterSeconds: 0,
              causes: [
                {
                  reason: 'DisruptionBudget',
                  message: `The disruption budget ${pdb.metadata.name ?? ''} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
                },
              ],
            },
          });
        }
        const updated: PodDisruptionBudget = {
          ...pdb,
          status: {
            ...status,
            disruptionsAllowed: status.disruptionsAllowed - 1,
            disruptedPods: { ...status.disruptedPods, [name]: formatTime(this.clock.now()) },
          },
        };
        const key = objectKey('poddisruptionbudgets', namespace, pdb.metadata.name ?? '');
        const w = await this.storage.update(key, updated, Number(pdb.metadata.resourceVersion));
        // A concurrent eviction changed the budget: the client retries, as upstream asks it to.
        if (!w.ok)
          return statusReply(
            errors.tooManyRequests(
              'the disruption budget changed concurrently; retry the eviction',
              1,
            ),
          );
      }
    }
    const deleted = await this.delete(info, name, options);
    return deleted.status === 200 ? reply(201, errors.success()) : deleted;
  }

  /**
   * Reads, transforms and writes with the read version as precondition; a conflict caused by a
   * concurrent writer is retried unless the client pinned a resourceVersion (then it is the
   * client's 409 to handle).
   */
  private async readModifyWrite(
    info: RequestInfo,
    name: string,
    requestedRv: number | undefined,
    transform: (old: Obj) => Obj | Status,
    opts: { skipValidation?: boolean } = {},
  ): Promise<ApiResponse> {
    const strategy = strategyFor(info.resource.kind);
    const key = this.key(info, name);
    for (let attempt = 0; attempt < MAX_INTERNAL_RETRIES; attempt++) {
      const current = await this.storage.get<Obj>(key);
      if (!current.ok) return this.failure(info, name, current.failure);
      const old = current.value;
      const oldRv = Number(old.metadata.resourceVersion);
      if (requestedRv !== undefined && requestedRv !== oldRv)
        return statusReply(errors.conflict(qualified(info.resource), name));
      const next = transform(old);
      if ('code' in next && (next as Status).kind === 'Status') return statusReply(next as Status);
      const updated = this.preserveSystemMeta(next as Obj, old, strategy.tracksGeneration);
      if (!opts.skipValidation) {
        const errs = strategy.validateUpdate(updated, old);
        if (errs.length > 0) return statusReply(errors.invalid(updated.kind, name, errs));
      }
      if (isReadyToDelete(updated)) {
        const r = await this.storage.delete<Obj>(key, oldRv);
        if (!r.ok && r.failure.kind === 'conflict' && requestedRv === undefined) continue;
        return r.ok ? reply(200, r.value) : this.failure(info, name, r.failure);
      }
      const r = await this.storage.update(key, updated, oldRv);
      if (!r.ok && r.failure.kind === 'conflict' && requestedRv === undefined) continue;
      return r.ok ? reply(200, r.value) : this.failure(info, name, r.failure);
    }
    return statusReply(errors.conflict(qualified(info.resource), name));
  }

  /** Fields clients cannot change through an update (upstream FillObjectMetaSystemFields). */
  private preserveSystemMeta(next: Obj, old: Obj, tracksGeneration: boolean): Obj {
    const meta: MutableMeta = {
      ...next.metadata,
      name: old.metadata.name,
      namespace: old.metadata.namespace,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
    };
    if (old.metadata.deletionTimestamp !== undefined) {
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (tracksGeneration) {
      const specChanged =
        JSON.stringify((next as { spec?: unknown }).spec) !==
        JSON.stringify((old as { spec?: unknown }).spec);
      meta.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    }
    return { ...next, metadata: meta } as Obj;
  }

  /**
   * What a delete does now: pods bound to a node get their grace period (the kubelet finishes
   * the deletion with grace 0), objects with finalizers wait for them, the rest go at once.
   */
  private deletionPlan(obj: Obj, options: DeleteOptions): DeletionPlan {
    const hasFinalizers = (obj.metadata.finalizers?.length ?? 0) > 0;
    let grace = 0;
    if (obj.kind === 'Pod') {
      const pod = obj as Pod;
      const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      // Upstream podStrategy.CheckGracefulDeleteNotAllowed: unscheduled or terminal pods go at once.
      if (pod.spec.nodeName && !terminal)
        grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    }
    if (grace === 0 && !hasFinalizers) return { action: 'delete' };
    const existingGrace = obj.metadata.deletionGracePeriodSeconds;
    // Already terminating with a grace period no longer than asked: a repeated delete changes nothing.
    if (
      obj.metadata.deletionTimestamp !== undefined &&
      existingGrace !== undefined &&
      existingGrace <= grace
    )
      return { action: 'none' };
    const metadata: MutableMeta = {
      ...obj.metadata,
      deletionTimestamp: formatTime(this.clock.now() + grace * 1_000_000),
      deletionGracePeriodSeconds: grace,
    };
    return { action: 'mark', obj: { ...obj, metadata } as Obj };
  }

  /** Validates the envelope: kind and apiVersion match the path, name and namespace agree. */
  private checkBody(info: RequestInfo, body: unknown, name: string | undefined): Obj | Status {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return errors.badRequest(`the body of the request must be a ${info.resource.kind} object`);
    }
    const b = body as Partial<Obj>;
    if (b.kind !== undefined && b.kind !== info.resource.kind) {
      return errors.badRequest(
        `the object kind ${JSON.stringify(b.kind)} does not match the resource ${qualified(info.resource)} (expected ${info.resource.kind})`,
      );
    }
    if (b.apiVersion !== undefined && b.apiVersion !== info.resource.apiVersion) {
      return errors.badRequest(
        `the apiVersion ${JSON.stringify(b.apiVersion)} is not served for ${info.resource.kind} (expected ${info.resource.apiVersion})`,
      );
    }
    const meta = (b.metadata ?? {}) as ObjectMeta;
    if (typeof meta !== 'object') return errors.badRequest('metadata must be an object');
    if (
      info.resource.namespaced &&
      meta.namespace !== undefined &&
      info.namespace !== undefined &&
      meta.namespace !== info.namespace
    ) {
      return errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (name !== undefined && meta.name !== undefined && meta.name !== name) {
      return errors.badRequest(
        `the name of the object (${meta.name}) does not match the name on the URL (${name})`,
      );
    }
    const metadata: MutableMeta = { ...meta };
    if (name !== undefined) metadata.name = name;
    if (info.resource.namespaced && info.namespace !== undefined)
      metadata.namespace = info.namespace;
    return {
      ...b,
      kind: info.resource.kind,
      apiVersion: info.resource.apiVersion,
      metadata,
    } as Obj;
  }

  failure(info: RequestInfo, name: string, f: StorageFailure): ApiResponse {
    const resource = qualified(info.resource);
    switch (f.kind) {
      case 'not-found':
        return statusReply(errors.notFound(resource, name));
      case 'exists':
        return statusReply(errors.alreadyExists(resource, name));
      case 'conflict':
        return statusReply(errors.conflict(resource, name));
      case 'compacted':
        return statusReply(
          errors.expired(`too old resource version: ${f.requestedRv} (${f.compactedRv})`),
        );
      case 'unavailable':
        return statusReply(errors.serverTimeout(resource, 'request', 1));
    }
  }
}

type DeletionPlan =
  | { readonly action: 'delete' }
  | { readonly action: 'none' }
  | { readonly action: 'mark'; readonly obj: Obj };

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

function checkPreconditions(
  info: RequestInfo,
  name: string,
  obj: Obj,
  options: DeleteOptions,
): Status | undefined {
  const p = options.preconditions;
  if (p?.uid !== undefined && p.uid !== obj.metadata.uid) {
    return errors.conflict(
      qualified(info.resource),
      name,
      `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`,
    );
  }
  if (p?.resourceVersion !== undefined && p.resourceVersion !== obj.metadata.resourceVersion) {
    return errors.conflict(
      qualified(info.resource),
      name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
    );
  }
  return undefined;
}

/** An object whose deletion was waiting only for finalizers and has none left. */
function isReadyToDelete(obj: Obj): boolean {
  return (
    obj.metadata.deletionTimestamp !== undefined &&
    (obj.metadata.finalizers?.length ?? 0) === 0 &&
    (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0
  );
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete base[k];
    else base[k] = mergePatch(base[k], v);
  }
  return base;
}
