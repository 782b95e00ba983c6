/**
 * Quota evaluators (pkg/quota/v1/evaluator/core and k8s.io/apiserver/pkg/quota/v1/generic): for
 * one group resource, which quota resource names it accounts, what one object uses, whether an
 * object falls in a quota's scopes, and which fields a quota makes mandatory. The ResourceQuota
 * admission plugin charges a write's usage with them; the quota controller sums them over every
 * object of a namespace. Pods, Services and PersistentVolumeClaims have their own evaluators;
 * every other resource is counted as objects (`count/<resource>.<group>`, and the legacy names
 * `configmaps`, `secrets`, `replicationcontrollers`, `resourcequotas`).
 */
import { COMPUTE_QUOTA_RESOURCES, type ResourceQuota } from '../kinds/resource-quota.ts';
import { computePodQOS, podLimits, podRequests } from '../pod-helpers.ts';
import type { Container, Pod } from '../pod-types.ts';
import { mustParseQuantity, newQuantity, type Quantity } from '../quantity.ts';
import { matcherFromRequirements, type Operator } from '../selectors.ts';
import { parseTime } from '../time.ts';
import type { KObject } from '../types.ts';
import { add, negativeNames, subtractNonNegative, type Usage } from './resource-lists.ts';

/** corev1.ScopedResourceSelectorRequirement. */
export interface ScopeRequirement {
  readonly scopeName: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface QuotaEvaluator {
  readonly group: string;
  readonly resource: string;
  /** Handles: whether a write of this kind can change usage (creates; updates for some). */
  handles(operation: 'CREATE' | 'UPDATE', subresource: string): boolean;
  /** MatchingResources: the names of `names` this evaluator accounts. */
  matchingResources(names: readonly string[]): string[];
  /** The scope function: whether `obj` falls in the scope (false for kinds without scopes). */
  matchesScope(scope: ScopeRequirement, obj: KObject): boolean;
  /** Constraints: a reason `obj` cannot be admitted under a quota on `required`, if any. */
  constraints(required: readonly string[], obj: KObject): string | undefined;
  /** Usage of one object at `nowUs` (pods stop using compute once terminal or gone). */
  usage(obj: KObject, nowUs: number): Usage;
}

const ONE = newQuantity(1n);

/** generic.ObjectCountQuotaResourceNameFor: "count/pods", "count/deployments.apps". */
export function objectCountName(group: string, resource: string): string {
  return group === '' ? `count/${resource}` : `count/${resource}.${group}`;
}

/** getScopeSelectorsFromQuota: `scopes` as Exists requirements, then the scope selector's. */
export function quotaScopes(quota: ResourceQuota): ScopeRequirement[] {
  return [
    ...(quota.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })),
    ...(quota.spec?.scopeSelector?.matchExpressions ?? []),
  ];
}

/**
 * generic.Matches: the quota's status.hard names something the evaluator accounts and the object
 * falls in every scope of the quota.
 */
export function quotaMatches(quota: ResourceQuota, obj: KObject, e: QuotaEvaluator): boolean {
  if (e.matchingResources(Object.keys(quota.status?.hard ?? {})).length === 0) return false;
  return quotaScopes(quota).every((s) => e.matchesScope(s, obj));
}

/**
 * CalculateUsage for one quota: every resource of `hard` an evaluator accounts starts at zero,
 * then each object in the quota's scopes adds its usage; the result names only those resources.
 */
export function calculateUsage(
  quota: ResourceQuota,
  hard: readonly string[],
  evaluators: readonly QuotaEvaluator[],
  objectsOf: (e: QuotaEvaluator) => readonly KObject[],
  nowUs: number,
): Usage {
  const scopes = quotaScopes(quota);
  const used = new Map<string, Quantity>();
  for (const e of evaluators) {
    const tracked = e.matchingResources(hard);
    if (tracked.length === 0) continue;
    let sum: Usage = new Map(tracked.map((name) => [name, newQuantity(0n)]));
    for (const obj of objectsOf(e)) {
      if (scopes.every((s) => e.matchesScope(s, obj))) sum = add(sum, e.usage(obj, nowUs));
    }
    for (const name of tracked) used.set(name, sum.get(name)!);
  }
  return used;
}

export type Delta =
  | { readonly kind: 'usage'; readonly usage: Usage }
  | { readonly kind: 'negative'; readonly names: readonly string[] };

/**
 * What a write adds to usage: the object's usage, less the stored version's on an update (never
 * below zero per resource, SubtractWithNonNegativeResult). A negative usage is refused.
 */
export function calculateDelta(
  e: QuotaEvaluator,
  obj: KObject,
  old: KObject | undefined,
  nowUs: number,
): Delta {
  const usage = e.usage(obj, nowUs);
  const names = negativeNames(usage);
  if (names.length > 0) return { kind: 'negative', names };
  if (old === undefined || (old.metadata.resourceVersion ?? '') === '') {
    return { kind: 'usage', usage };
  }
  return { kind: 'usage', usage: subtractNonNegative(usage, e.usage(old, nowUs)) };
}

const intersect = (names: readonly string[], accounted: ReadonlySet<string>): string[] =>
  names.filter((n) => accounted.has(n));

// --- object counts ---------------------------------------------------------------------------

/** The legacy object count names (core registry.go's legacyObjectCountAliases). */
const LEGACY_ALIASES: ReadonlyMap<string, string> = new Map([
  ['configmaps', 'configmaps'],
  ['resourcequotas', 'resourcequotas'],
  ['replicationcontrollers', 'replicationcontrollers'],
  ['secrets', 'secrets'],
]);

/** generic.NewObjectCountEvaluator: one of every created object, without scopes. */
export function objectCountEvaluator(group: string, resource: string): QuotaEvaluator {
  const alias = group === '' ? LEGACY_ALIASES.get(resource) : undefined;
  const count = objectCountName(group, resource);
  const names = new Set(alias === undefined ? [count] : [count, alias]);
  const usage: Usage = new Map([...names].map((n) => [n, ONE]));
  return {
    group,
    resource,
    handles: (operation) => operation === 'CREATE',
    matchingResources: (input) => intersect(input, names),
    matchesScope: () => false,
    constraints: () => undefined,
    usage: () => usage,
  };
}

// --- pods ------------------------------------------------------------------------------------

const POD_RESOURCES: ReadonlySet<string> = new Set([
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);

const POD_RESOURCE_PREFIXES = ['hugepages-', 'requests.hugepages-'];

/** validationSet: a quota on these makes every container state them (an upstream wart kept). */
const REQUIRED_BY_QUOTA: ReadonlySet<string> = new Set(COMPUTE_QUOTA_RESOURCES);

/** helper.IsNativeResource: no domain, or a kubernetes.io domain. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** helper.IsExtendedResourceName: a domain-qualified name outside kubernetes.io, not requests.* */
function isExtendedResourceName(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

/** podComputeUsageHelper: what requests and limits amount to in quota names. */
function computeUsage(
  requests: Readonly<Record<string, string>> | undefined,
  limits: Readonly<Record<string, string>> | undefined,
): Map<string, Quantity> {
  const out = new Map<string, Quantity>([['pods', ONE]]);
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    const request = requests?.[r];
    if (request !== undefined) {
      out.set(r, mustParseQuantity(request));
      out.set(`requests.${r}`, mustParseQuantity(request));
    }
    const limit = limits?.[r];
    if (limit !== undefined) out.set(`limits.${r}`, mustParseQuantity(limit));
  }
  for (const [r, request] of Object.entries(requests ?? {})) {
    if (r.startsWith('hugepages-')) {
      out.set(r, mustParseQuantity(request));
      out.set(`requests.${r}`, mustParseQuantity(request));
    }
    if (isExtendedResourceName(r)) out.set(`requests.${r}`, mustParseQuantity(request));
  }
  return out;
}

/**
 * QuotaV1Pod: a pod uses compute quota until it is terminal, or until its deletion's grace period
 * has run out (a pod stuck terminating on a lost node must not block its replacement).
 */
export function podCountsForQuota(pod: Pod, nowUs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const deletion = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (deletion !== undefined && grace !== undefined) {
    const deletedUs = parseTime(deletion);
    if (deletedUs !== undefined && nowUs > deletedUs + grace * 1_000_000) return false;
  }
  return true;
}

function usesCrossNamespaceAffinity(pod: Pod): boolean {
  const crossNamespace = (t: { namespaces?: readonly string[]; namespaceSelector?: unknown }) =>
    (t.namespaces?.length ?? 0) !== 0 || t.namespaceSelector !== undefined;
  for (const a of [pod.spec.affinity?.podAffinity, pod.spec.affinity?.podAntiAffinity]) {
    if (a === undefined) continue;
    if ((a.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crossNamespace)) return true;
    const preferred = a.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (preferred.some((w) => crossNamespace(w.podAffinityTerm))) return true;
  }
  return false;
}

/** ScopedResourceSelectorRequirementsAsSelector over a one-label set. */
function selectorMatches(scope: ScopeRequirement, labels: Record<string, string>): boolean {
  const operator = SCOPE_OPERATORS[scope.operator];
  if (operator === undefined) return false;
  const values = operator === 'exists' || operator === '!' ? [] : [...(scope.values ?? [])];
  return matcherFromRequirements([{ key: scope.scopeName, operator, values }]).matches(labels);
}

const SCOPE_OPERATORS: Readonly<Record<string, Operator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/** podMatchesScopeFunc. */
function podMatchesScope(scope: ScopeRequirement, pod: Pod): boolean {
  const terminating = pod.spec.activeDeadlineSeconds !== undefined;
  switch (scope.scopeName) {
    case 'Terminating':
      return terminating;
    case 'NotTerminating':
      return !terminating;
    case 'BestEffort':
      return computePodQOS(pod) === 'BestEffort';
    case 'NotBestEffort':
      return computePodQOS(pod) !== 'BestEffort';
    case 'PriorityClass': {
      const pc = pod.spec.priorityClassName ?? '';
      if (scope.operator === 'Exists') return pc !== '';
      return selectorMatches(scope, pc === '' ? {} : { PriorityClass: pc });
    }
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespaceAffinity(pod);
    default:
      return false;
  }
}

/** enforcePodContainerConstraints over every container: "must specify ..." when one is missing. */
function podConstraints(required: readonly string[], pod: Pod): string | undefined {
  const requiredSet = required.filter((r) => REQUIRED_BY_QUOTA.has(r));
  if (requiredSet.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  const check = (c: Container) => {
    const has = computeUsage(c.resources?.requests, c.resources?.limits);
    for (const r of requiredSet) {
      if (has.has(r)) continue;
      let names = missing.get(r);
      if (names === undefined) missing.set(r, (names = new Set()));
      names.add(c.name);
    }
  };
  pod.spec.containers.forEach(check);
  (pod.spec.initContainers ?? []).forEach(check);
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()]
    .sort()
    .map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

export const POD_EVALUATOR: QuotaEvaluator = {
  group: '',
  resource: 'pods',
  // Pod updates cannot change requests (in-place resize is not modelled).
  handles: (operation, subresource) => operation === 'CREATE' && subresource === '',
  matchingResources: (input) =>
    input.filter(
      (r) =>
        POD_RESOURCES.has(r) ||
        POD_RESOURCE_PREFIXES.some((p) => r.startsWith(p)) ||
        (!isNativeResource(r) && r.startsWith('requests.')),
    ),
  matchesScope: (scope, obj) => podMatchesScope(scope, obj as Pod),
  constraints: (required, obj) => podConstraints(required, obj as Pod),
  usage: (obj, nowUs) => {
    const pod = obj as Pod;
    const count: Usage = new Map([['count/pods', ONE]]);
    if (!podCountsForQuota(pod, nowUs)) return count;
    return add(count, computeUsage(podRequests(pod), podLimits(pod)));
  },
};

// --- services --------------------------------------------------------------------------------

const SERVICE_RESOURCES: ReadonlySet<string> = new Set([
  'count/services',
  'services',
  'services.loadbalancers',
  'services.nodeports',
]);

interface ServiceShape {
  readonly spec?: {
    readonly type?: string;
    readonly ports?: readonly { readonly nodePort?: number }[];
    readonly allocateLoadBalancerNodePorts?: boolean;
  };
}

export const SERVICE_EVALUATOR: QuotaEvaluator = {
  group: '',
  resource: 'services',
  // Updates too: a Service's type, and so its node ports, can change.
  handles: (_operation, subresource) => subresource === '',
  matchingResources: (input) => intersect(input, SERVICE_RESOURCES),
  matchesScope: () => false,
  constraints: () => undefined,
  usage: (obj) => {
    const spec = (obj as KObject & ServiceShape).spec;
    const ports = spec?.ports ?? [];
    let nodePorts = 0n;
    let loadBalancers = 0n;
    if (spec?.type === 'NodePort') nodePorts = BigInt(ports.length);
    if (spec?.type === 'LoadBalancer') {
      loadBalancers = 1n;
      // Without node port allocation only the ports that name one are counted.
      nodePorts =
        spec.allocateLoadBalancerNodePorts === false
          ? BigInt(ports.filter((p) => (p.nodePort ?? 0) !== 0).length)
          : BigInt(ports.length);
    }
    return new Map([
      ['count/services', ONE],
      ['services', ONE],
      ['services.loadbalancers', newQuantity(loadBalancers)],
      ['services.nodeports', newQuantity(nodePorts)],
    ]);
  },
};

// --- persistent volume claims ----------------------------------------------------------------

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const PVC_RESOURCES = ['persistentvolumeclaims', 'requests.storage'];

interface ClaimShape {
  readonly metadata: { readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: {
    readonly storageClassName?: string;
    readonly resources?: { readonly requests?: Readonly<Record<string, string>> };
  };
  readonly status?: { readonly allocatedResources?: Readonly<Record<string, string>> };
}

/** GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName. */
function claimClass(pvc: ClaimShape): string {
  return (
    pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ??
    pvc.spec?.storageClassName ??
    ''
  );
}

/** Rounded up to whole bytes, so the used amount passes the quota's own validation. */
function wholeBytes(q: Quantity): Quantity {
  const rest = q.nanos % 1_000_000_000n;
  return rest === 0n ? q : { ...q, nanos: q.nanos - rest + (q.nanos > 0n ? 1_000_000_000n : 0n) };
}

/** getStorageUsage: the request, or the allocated size when that is larger. */
function claimStorage(pvc: ClaimShape): Quantity | undefined {
  const requested = pvc.spec?.resources?.requests?.['storage'];
  if (requested === undefined) return undefined;
  const request = wholeBytes(mustParseQuantity(requested));
  const allocated = pvc.status?.allocatedResources?.['storage'];
  if (allocated === undefined) return request;
  const a = mustParseQuantity(allocated);
  return a.nanos > request.nanos ? wholeBytes(a) : request;
}

export const PVC_EVALUATOR: QuotaEvaluator = {
  group: '',
  resource: 'persistentvolumeclaims',
  handles: (_operation, subresource) => subresource === '',
  matchingResources: (input) =>
    input.filter(
      (r) =>
        r === 'count/persistentvolumeclaims' ||
        PVC_RESOURCES.includes(r) ||
        PVC_RESOURCES.some((p) => r.endsWith(STORAGE_CLASS_SUFFIX + p)),
    ),
  matchesScope: () => false,
  constraints: () => undefined,
  usage: (obj) => {
    const pvc = obj as KObject & ClaimShape;
    const out = new Map<string, Quantity>([
      ['persistentvolumeclaims', ONE],
      ['count/persistentvolumeclaims', ONE],
    ]);
    const cls = claimClass(pvc);
    if (cls !== '') out.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, ONE);
    const storage = claimStorage(pvc);
    if (storage !== undefined) {
      out.set('requests.storage', storage);
      if (cls !== '') out.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
    }
    return out;
  },
};

const SPECIFIC: ReadonlyMap<string, QuotaEvaluator> = new Map(
  [POD_EVALUATOR, SERVICE_EVALUATOR, PVC_EVALUATOR].map((e) => [`${e.resource}.${e.group}`, e]),
);
const objectCounts = new Map<string, QuotaEvaluator>();

/**
 * The evaluators that account any of `names` (a quota's hard resource names): the pod, Service
 * and claim evaluators for the names they know, and object counts for `count/<resource>.<group>`
 * and the legacy count names, among the resources `served` says exist.
 */
export function quotaEvaluators(
  names: readonly string[],
  served: (group: string, resource: string) => boolean,
): QuotaEvaluator[] {
  const out = new Map<string, QuotaEvaluator>();
  for (const e of SPECIFIC.values()) {
    if (e.matchingResources(names).length > 0) out.set(`${e.resource}.${e.group}`, e);
  }
  for (const name of names) {
    let group = '';
    let resource: string;
    if (name.startsWith('count/')) {
      const qualified = name.slice('count/'.length);
      const dot = qualified.indexOf('.');
      resource = dot < 0 ? qualified : qualified.slice(0, dot);
      group = dot < 0 ? '' : qualified.slice(dot + 1);
    } else if (LEGACY_ALIASES.has(name)) {
      resource = name;
    } else {
      continue;
    }
    const key = `${resource}.${group}`;
    if (!out.has(key) && served(group, resource)) out.set(key, evaluatorFor(group, resource));
  }
  return [...out.values()];
}

/** The evaluator of a group resource: its own, or an object count evaluator made on first use. */
export function evaluatorFor(group: string, resource: string): QuotaEvaluator {
  const key = `${resource}.${group}`;
  const specific = SPECIFIC.get(key);
  if (specific !== undefined) return specific;
  let e = objectCounts.get(key);
  if (e === undefined) objectCounts.set(key, (e = objectCountEvaluator(group, resource)));
  return e;
}
