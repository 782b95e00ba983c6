/**
 * What a scenario does to the cluster's objects, as a user with kubectl would: create the
 * objects, apply (server-side, field manager `ksim`, forcing conflicts), patch, cordon,
 * uncordon, drain, taint, label, delete and rollout restart. Every request is repeated while
 * the control plane cannot answer it; what the API server refuses for good is a `Rejection`
 * the run's report lists, and in the trace.
 */
import { MIRROR_POD_ANNOTATION } from '../../core/api/pod-helpers.ts';
import type { PatchContentType } from '../../core/api/http.ts';
import type { Node, Taint } from '../../core/api/node-types.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import { formatTime } from '../../core/api/time.ts';
import type { Kind, KObject } from '../../core/api/types.ts';
import { SYSTEM_NAMESPACES } from '../../core/apiserver/server.ts';
import { resourcePath, type ApiClient, type ApiResult } from '../../core/client/api-client.ts';
import { definitionFor } from '../../core/api/kinds/index.ts';
import type { ProcessPorts } from '../../core/ports/process.ts';
import type { Manifest, ScenarioAction, TaintSpec } from './scenario.ts';

/** The field manager of the scenario's applies and patches (kubectl's is "kubectl"). */
export const FIELD_MANAGER = 'ksim';

/** A request the API server refused for good. */
export interface Rejection {
  /** Virtual time of the final answer, microseconds. */
  readonly atUs: number;
  /** `object` for spec.objects, else the action: apply, patch, drain, ... */
  readonly action: string;
  /** `Deployment default/web`, `Node node-2`. */
  readonly target: string;
  /** Where the scenario asks for it: `file:line`. */
  readonly source: string;
  /** The HTTP status of the final answer; 0 for a store membership change (not HTTP). */
  readonly status: number;
  readonly message: string;
}

export interface ActionContext {
  readonly api: ApiClient;
  readonly ports: ProcessPorts;
  reject(r: Omit<Rejection, 'atUs'>): void;
}

const US_PER_SECOND = 1_000_000;
/** kubectl drain asks again this long after a 429 (a disruption budget said no). */
const EVICTION_RETRY_US = 5 * US_PER_SECOND;
/** The annotation of a mirror pod (a static pod's copy in the API), which drain leaves alone. */
const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

const PATCH_TYPES: Readonly<Record<'strategic' | 'merge' | 'json', PatchContentType>> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

/** Whether a failed request may succeed later: no reply, overload, or a 5xx. */
function retryable(status: number): boolean {
  return status >= 500 || status === 429;
}

/**
 * Runs a request until the control plane answers it for good: retried every second while the
 * API server or the store is unavailable, as a user repeating a kubectl command would.
 */
async function untilAnswered<T>(
  ports: ProcessPorts,
  request: () => Promise<ApiResult<T>>,
  retryAlso: (r: ApiResult<T>) => boolean = () => false,
): Promise<ApiResult<T> & { readonly retried: boolean }> {
  for (let retried = false; ; retried = true) {
    const r = await request();
    if (r.ok || (!retryable(r.status) && !retryAlso(r))) return { ...r, retried };
    await ports.clock.sleep(US_PER_SECOND);
  }
}

/**
 * A system namespace the API server has not created yet, or a custom resource whose
 * CustomResourceDefinition (earlier in the scenario, so checked at load) the API server has not
 * Established yet: wait for it.
 */
const notYetThere = (r: ApiResult<unknown>): boolean =>
  !r.ok &&
  r.status === 404 &&
  (SYSTEM_NAMESPACES.some((ns) => r.error.message === `namespaces "${ns}" not found`) ||
    (r.error.message ?? '').startsWith('no matches for kind '));

function targetOf(kind: string, namespace: string | undefined, name: string): string {
  const namespaced = definitionFor(kind)?.resource.namespaced ?? true;
  return `${kind} ${namespaced ? `${namespace ?? 'default'}/` : ''}${name}`;
}

const namespaceOf = (kind: string, namespace: string | undefined): string =>
  (definitionFor(kind)?.resource.namespaced ?? true) ? (namespace ?? 'default') : '';

/** Creates one of spec.objects. */
export async function createObject(ctx: ActionContext, m: Manifest): Promise<void> {
  const o = await withOwnerUids(ctx, m.object);
  const r = await untilAnswered(ctx.ports, () => ctx.api.create(o), notYetThere);
  // A 409 after a retry is the earlier attempt's create, whose answer was lost.
  if (r.ok || (r.status === 409 && r.retried)) return;
  const message = r.error.message ?? '';
  ctx.ports.trace.emit('runner.apply-failed', {
    kind: o.kind,
    name: o.metadata?.name ?? '',
    status: r.status,
    message,
  });
  ctx.reject({
    action: 'object',
    target: targetOf(o.kind, o.metadata?.namespace, o.metadata?.name ?? ''),
    source: m.source,
    status: r.status,
    message,
  });
}

/**
 * A scenario names an owner by kind and name: an ownerReference without a uid gets the uid of
 * that object in the same namespace (created earlier in the scenario), read when the object is
 * created. An owner that does not exist leaves the reference as it is, and the API server
 * refuses it.
 */
async function withOwnerUids(ctx: ActionContext, o: KObject): Promise<KObject> {
  const refs = o.metadata?.ownerReferences;
  if (refs === undefined || refs.every((r) => r.uid)) return o;
  const resolved = [];
  for (const ref of refs) {
    if (ref.uid) {
      resolved.push(ref);
      continue;
    }
    const owner = await untilAnswered(ctx.ports, () =>
      ctx.api.get(ref.kind as Kind, o.metadata?.namespace ?? 'default', ref.name),
    );
    resolved.push(owner.ok ? { ...ref, uid: owner.value.metadata?.uid ?? '' } : ref);
  }
  return { ...o, metadata: { ...o.metadata, ownerReferences: resolved } } as KObject;
}

/** Performs an action other than a fault. */
export async function performAction(ctx: ActionContext, a: ScenarioAction): Promise<void> {
  if (a.apply !== undefined) {
    for (const m of a.apply) await apply(ctx, m);
  } else if (a.patch !== undefined) {
    const p = a.patch;
    await patch(ctx, a, 'patch', p.kind, p.namespace, p.name, p.patch, p.type ?? 'strategic');
  } else if (a.cordon !== undefined) {
    await cordon(ctx, a, 'cordon', a.cordon.node, true);
  } else if (a.uncordon !== undefined) {
    await cordon(ctx, a, 'uncordon', a.uncordon.node, false);
  } else if (a.drain !== undefined) {
    await drain(ctx, a, a.drain.node);
  } else if (a.taint !== undefined) {
    await taint(ctx, a, a.taint.node, a.taint.add ?? [], a.taint.remove ?? []);
  } else if (a.label !== undefined) {
    const l = a.label;
    const labels = {
      ...Object.fromEntries((l.remove ?? []).map((k) => [k, null])),
      ...l.set,
    };
    await patch(ctx, a, 'label', l.kind, l.namespace, l.name, { metadata: { labels } }, 'merge');
  } else if (a.restart !== undefined) {
    const r = a.restart;
    const now = formatTime(ctx.ports.clock.now());
    const body = {
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: now } } } },
    };
    await patch(ctx, a, 'restart', r.kind, r.namespace, r.name, body, 'strategic');
  } else if (a.delete !== undefined) {
    await remove(ctx, a);
  } else if (a.scale !== undefined) {
    const s = a.scale;
    const r = await untilAnswered(ctx.ports, () =>
      ctx.api.patch(s.kind, s.namespace ?? 'default', s.name, { spec: { replicas: s.replicas } }),
    );
    ctx.ports.trace.emit('runner.scale', { name: s.name, replicas: s.replicas, status: r.status });
    if (!r.ok) refused(ctx, a, 'scale', targetOf(s.kind, s.namespace, s.name), r);
  }
}

function refused(
  ctx: ActionContext,
  a: ScenarioAction,
  action: string,
  target: string,
  r: ApiResult<unknown>,
): void {
  if (r.ok) return;
  ctx.reject({
    action,
    target,
    source: a.source,
    status: r.status,
    message: r.error.message ?? '',
  });
}

function traced(
  ctx: ActionContext,
  action: string,
  kind: string,
  namespace: string | undefined,
  name: string,
  r: ApiResult<unknown>,
): void {
  ctx.ports.trace.emit('runner.action', {
    action,
    kind,
    namespace: namespaceOf(kind, namespace),
    name,
    status: r.status,
    ...(r.ok ? {} : { message: r.error.message ?? '' }),
  });
}

async function apply(ctx: ActionContext, m: Manifest): Promise<void> {
  const o = m.object;
  const r = await untilAnswered(
    ctx.ports,
    () => ctx.api.apply(o, FIELD_MANAGER, true),
    notYetThere,
  );
  const name = o.metadata?.name ?? '';
  traced(ctx, 'apply', o.kind, o.metadata?.namespace, name, r);
  if (!r.ok) {
    const target = targetOf(o.kind, o.metadata?.namespace, name);
    ctx.reject({
      action: 'apply',
      target,
      source: m.source,
      status: r.status,
      message: r.error.message ?? '',
    });
  }
}

async function patch(
  ctx: ActionContext,
  a: ScenarioAction,
  action: string,
  kind: string,
  namespace: string | undefined,
  name: string,
  body: unknown,
  type: keyof typeof PATCH_TYPES,
): Promise<ApiResult<KObject>> {
  const ns = namespaceOf(kind, namespace);
  const path = resourcePath(kind as Kind, ns === '' ? undefined : ns, name);
  const r = await untilAnswered(ctx.ports, () =>
    ctx.api.request<KObject>('PATCH', path, {
      body,
      contentType: PATCH_TYPES[type],
      query: { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' },
    }),
  );
  traced(ctx, action, kind, namespace, name, r);
  refused(ctx, a, action, targetOf(kind, namespace, name), r);
  return r;
}

function cordon(
  ctx: ActionContext,
  a: ScenarioAction,
  action: string,
  node: string,
  unschedulable: boolean,
): Promise<ApiResult<KObject>> {
  // kubectl cordon sets spec.unschedulable; uncordon clears it (false is omitted upstream).
  const body = { spec: { unschedulable: unschedulable ? true : null } };
  return patch(ctx, a, action, 'Node', undefined, node, body, 'merge');
}

/**
 * kubectl taint: an added taint replaces one of the same key and effect; a removal without an
 * effect removes every taint of the key. Written as a patch conditional on the node's
 * resourceVersion, read again when another writer got there first.
 */
async function taint(
  ctx: ActionContext,
  a: ScenarioAction,
  node: string,
  add: readonly TaintSpec[],
  remove: readonly TaintSpec[],
): Promise<void> {
  while (true) {
    const got = await untilAnswered(ctx.ports, () => ctx.api.get('Node', undefined, node));
    if (!got.ok) {
      traced(ctx, 'taint', 'Node', undefined, node, got);
      return refused(ctx, a, 'taint', targetOf('Node', undefined, node), got);
    }
    const n: Node = got.value;
    const matches = (t: Taint, s: TaintSpec): boolean =>
      t.key === s.key && (s.effect === undefined || t.effect === s.effect);
    const kept = (n.spec?.taints ?? []).filter(
      (t) => !remove.some((s) => matches(t, s)) && !add.some((s) => matches(t, s)),
    );
    const added = add.map((s) => ({
      key: s.key,
      ...(s.value === undefined ? {} : { value: s.value }),
      effect: s.effect ?? 'NoSchedule',
    }));
    const body = {
      metadata: { resourceVersion: n.metadata.resourceVersion },
      spec: { taints: [...kept, ...added] },
    };
    const r = await patch(ctx, a, 'taint', 'Node', undefined, node, body, 'merge');
    if (r.ok || r.status !== 409) return;
  }
}

async function remove(ctx: ActionContext, a: ScenarioAction): Promise<void> {
  const d = a.delete;
  if (d === undefined) return;
  const ns = namespaceOf(d.kind, d.namespace);
  const r = await untilAnswered(ctx.ports, () =>
    ctx.api.delete(d.kind as Kind, ns === '' ? undefined : ns, d.name, {
      ...(d.propagationPolicy === undefined ? {} : { propagationPolicy: d.propagationPolicy }),
      ...(d.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: d.gracePeriodSeconds }),
    }),
  );
  ctx.ports.trace.emit('runner.delete', { kind: d.kind, name: d.name, status: r.status });
  refused(ctx, a, 'delete', targetOf(d.kind, d.namespace, d.name), r);
}

/** Pods drain leaves alone: a DaemonSet's (as --ignore-daemonsets) and mirror pods. */
export function drainSkips(p: Pod): boolean {
  const daemon = (p.metadata.ownerReferences ?? []).some(
    (o) => o.controller === true && o.kind === 'DaemonSet',
  );
  return daemon || p.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

/**
 * kubectl drain: cordon, then evict every pod on the node through pods/eviction, so that
 * PodDisruptionBudgets are honoured; an eviction refused with 429 is asked again every 5 s
 * until the budget allows it. Pods already being deleted are left to finish.
 */
async function drain(ctx: ActionContext, a: ScenarioAction, node: string): Promise<void> {
  const cordoned = await cordon(ctx, a, 'drain', node, true);
  if (!cordoned.ok) return;
  const listed = await untilAnswered(ctx.ports, () =>
    ctx.api.list('Pod', undefined, { fieldSelector: `spec.nodeName=${node}` }),
  );
  if (!listed.ok) return refused(ctx, a, 'drain', targetOf('Node', undefined, node), listed);
  const pods = listed.value.items.filter(
    (p) => p.metadata.deletionTimestamp === undefined && !drainSkips(p),
  );
  await Promise.all(pods.map((p) => evict(ctx, a, node, p)));
}

async function evict(ctx: ActionContext, a: ScenarioAction, node: string, p: Pod): Promise<void> {
  const namespace = p.metadata.namespace ?? 'default';
  const name = p.metadata.name ?? '';
  const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } };
  const path = resourcePath('Pod', namespace, name, 'eviction');
  while (true) {
    const r = await ctx.api.request('POST', path, { body });
    const pod = `${namespace}/${name}`;
    if (r.ok || r.status === 429 || !retryable(r.status)) {
      ctx.ports.trace.emit('runner.evict', {
        pod,
        node,
        status: r.status,
        ...(r.ok ? {} : { message: r.error.message ?? '' }),
      });
    }
    // Gone already: what the eviction was for.
    if (r.ok || r.status === 404) return;
    if (r.status === 429) await ctx.ports.clock.sleep(EVICTION_RETRY_US);
    else if (retryable(r.status)) await ctx.ports.clock.sleep(US_PER_SECOND);
    else return refused(ctx, a, 'drain', `Pod ${pod}`, r);
  }
}
