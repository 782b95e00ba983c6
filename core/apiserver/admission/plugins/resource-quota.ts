/**
 * ResourceQuota (k8s.io/apiserver/pkg/admission/plugin/resourcequota): the last validating
 * plugin. A write that can change usage (a create; an update of a Service or claim) is measured
 * by its resource's evaluator and charged to every quota of the namespace it falls under: the
 * quota's status.used grows by the write's usage, stored with the quota's resourceVersion as a
 * precondition before the write itself is admitted. Writes to one namespace are checked one at
 * a time, and a conflicting status update (another API server charged the quota meanwhile) is
 * retried against a fresh read, so concurrent creates cannot together exceed a quota. A write
 * that would is refused with upstream's 403 ("exceeded quota: ..."). If the write fails later,
 * its charge stays until the quota controller recounts, as upstream's does.
 */
import * as errors from '../../../api/errors.ts';
import type { ResourceQuota } from '../../../api/kinds/resource-quota.ts';
import {
  calculateDelta,
  type QuotaEvaluator,
  evaluatorFor,
  quotaMatches,
  quotaScopes,
  type ScopeRequirement,
} from '../../../api/quota/evaluators.ts';
import {
  add,
  equal,
  exceeded,
  fromList,
  isZero,
  mask,
  prettyPrint,
  toList,
  type Usage,
} from '../../../api/quota/resource-lists.ts';
import { sign } from '../../../api/quantity.ts';
import type { Status } from '../../../api/status-types.ts';
import type { KObject } from '../../../api/types.ts';
import {
  ADMIT,
  deny,
  forbidden,
  handlesOnly,
  type AdmissionAttributes,
  type AdmissionPlugin,
  type AdmissionResult,
} from '../attributes.ts';

export const RESOURCE_QUOTA = 'ResourceQuota';

/** Where the plugin reads quotas and stores their usage (the API server's quota cache). */
export interface QuotaAccess {
  /** The namespace's quotas, as current as the server knows them. */
  quotas(namespace: string): Promise<readonly ResourceQuota[] | Status>;
  /** Whether the namespace has no quota, when known without waiting (undefined: not known). */
  hasNone(namespace: string): boolean | undefined;
  /** A live read of one quota, after a conflict. */
  fresh(namespace: string, name: string): Promise<ResourceQuota | Status>;
  /** UpdateStatus with the quota's resourceVersion as precondition (409 when it moved). */
  updateStatus(quota: ResourceQuota): Promise<ResourceQuota | Status>;
}

/**
 * The plugin's configuration file's limitedResources (ResourceQuotaConfiguration): writes of
 * the resource that consume a resource name containing one of `matchContains`, or that fall in
 * one of `matchScopes`, need a quota covering it, even where no quota exists.
 */
export interface LimitedResource {
  readonly apiGroup?: string;
  readonly resource: string;
  readonly matchContains?: readonly string[];
  readonly matchScopes?: readonly ScopeRequirement[];
}

/** checkAttributes' retries of conflicting status updates. */
const RETRIES = 3;

export function resourceQuota(
  access: QuotaAccess,
  now: () => number,
  limited: readonly LimitedResource[] = [],
): AdmissionPlugin {
  // One check at a time per namespace: the admission plugin's work queue keyed by namespace.
  const tails = new Map<string, Promise<unknown>>();
  const serialize = <T>(namespace: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(namespace) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(namespace, tail);
    void tail.then(() => {
      if (tails.get(namespace) === tail) tails.delete(namespace);
    });
    return run;
  };
  return {
    name: RESOURCE_QUOTA,
    handles: handlesOnly('CREATE', 'UPDATE'),
    validate: (a) => {
      // Cluster-scoped objects (namespaces included) are never charged.
      if (a.namespace === '' || a.object === undefined) return ADMIT;
      if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return ADMIT;
      const evaluator = evaluatorFor(a.resource.group, a.resource.resource);
      if (!evaluator.handles(a.operation, a.subresource)) return ADMIT;
      // Most namespaces have no quota: their writes are admitted at once, unless some
      // consumption must be covered by a quota.
      if (limited.length === 0 && access.hasNone(a.namespace) === true) return ADMIT;
      return serialize(a.namespace, () => admit(access, now, evaluator, a, limited));
    },
  };
}

async function admit(
  access: QuotaAccess,
  now: () => number,
  evaluator: QuotaEvaluator,
  a: AdmissionAttributes,
  limited: readonly LimitedResource[],
): Promise<AdmissionResult> {
  const listed = await access.quotas(a.namespace);
  if (errors.isStatus(listed)) return deny(listed);
  let quotas = listed;
  for (let attempt = 0; ; attempt++) {
    const checked = charge(quotas, a, evaluator, now(), attempt === 0 ? limited : []);
    if (checked.kind === 'denied') return deny(checked.status);
    if (a.dryRun || checked.changed.length === 0) return ADMIT;
    const conflicted: ResourceQuota[] = [];
    let lastFailure: Status | undefined;
    for (const q of checked.changed) {
      const r = await access.updateStatus(q);
      if (errors.isStatus(r)) {
        conflicted.push(q);
        lastFailure = r;
      }
    }
    if (lastFailure === undefined) return ADMIT;
    if (attempt >= RETRIES) return deny(lastFailure);
    // Check again against the current versions of the quotas whose update failed; the others
    // already carry this write's charge.
    const again: ResourceQuota[] = [];
    for (const q of conflicted) {
      const r = await access.fresh(q.metadata.namespace ?? '', q.metadata.name ?? '');
      if (!errors.isStatus(r)) again.push(r);
      else if (r.code !== 404) return deny(lastFailure);
    }
    quotas = again;
  }
}

type Charge =
  | { readonly kind: 'denied'; readonly status: Status }
  /** The quotas whose usage the write changes, with the new usage in status.used. */
  | { readonly kind: 'charged'; readonly changed: readonly ResourceQuota[] };

/**
 * CheckRequest: the write's usage against every quota it falls under, and the consumption the
 * limited resources say a quota must cover (checked on the first attempt; a retry re-checks
 * only the quotas whose update conflicted).
 */
function charge(
  quotas: readonly ResourceQuota[],
  a: AdmissionAttributes,
  evaluator: QuotaEvaluator,
  nowUs: number,
  limited: readonly LimitedResource[],
): Charge {
  const obj = a.object as KObject;
  const limitedScopes = limited.flatMap((l) =>
    (l.matchScopes ?? []).filter((s) => evaluator.matchesScope(s, obj)),
  );
  const limitedHere = limited.filter(
    (l) => (l.apiGroup ?? '') === a.resource.group && l.resource === a.resource.resource,
  );
  const limitedNames =
    limitedHere.length === 0 ? [] : limitedByDefault(evaluator.usage(obj, nowUs), limitedHere);
  const covered = new Set<string>();
  const coveredScopes: ScopeRequirement[] = [];
  const pertinent: ResourceQuota[] = [];
  for (const q of quotas) {
    coveredScopes.push(...quotaScopes(q).filter((s) => evaluator.matchesScope(s, obj)));
    if (!quotaMatches(q, obj, evaluator)) continue;
    const restricted = evaluator.matchingResources(Object.keys(q.status?.hard ?? {}));
    for (const r of restricted) covered.add(r);
    const problem = evaluator.constraints(restricted, obj);
    if (problem !== undefined) return denied(a, `failed quota: ${q.metadata.name}: ${problem}`);
    const used = q.status?.used ?? {};
    if (restricted.some((r) => used[r] === undefined)) {
      return denied(
        a,
        `status unknown for quota: ${q.metadata.name}, resources: ${[...restricted].sort().join(',')}`,
      );
    }
    pertinent.push(q);
  }
  if (pertinent.length === 0 && limitedNames.length === 0 && limitedScopes.length === 0) {
    return { kind: 'charged', changed: [] };
  }
  if (a.operation === 'UPDATE' && a.oldObject === undefined) {
    return denied(a, 'unable to get previous usage since prior version of object was not found');
  }
  const delta = calculateDelta(evaluator, obj, a.oldObject, nowUs);
  if (delta.kind === 'negative') {
    return denied(a, `quota usage is negative for resource(s): ${delta.names.join(',')}`);
  }
  if (isZero(delta.usage)) return { kind: 'charged', changed: [] };
  const uncovered = [...new Set(limitedNames.filter((n) => !covered.has(n)))].sort();
  if (uncovered.length > 0) {
    return denied(a, `insufficient quota to consume: ${uncovered.join(',')}`);
  }
  // UncoveredQuotaScopes: a limited scope is covered by a matching quota scope of its name.
  const uncoveredScopes = limitedScopes.filter(
    (s) => !coveredScopes.some((c) => c.scopeName === s.scopeName),
  );
  if (uncoveredScopes.length > 0) {
    // Upstream returns this one as a plain error, which the API server answers with a 500.
    return {
      kind: 'denied',
      status: errors.unclassified(
        `insufficient quota to match these scopes: [${uncoveredScopes.map(goScope).join(' ')}]`,
      ),
    };
  }
  if (pertinent.length === 0) return { kind: 'charged', changed: [] };
  const changed: ResourceQuota[] = [];
  for (const q of pertinent) {
    const hard = fromList(q.status?.hard);
    const used = fromList(q.status?.used);
    const requested = mask(delta.usage, hard.keys());
    const newUsed = add(used, requested);
    const over = exceeded(mask(newUsed, requested.keys()), hard);
    if (over.length > 0) {
      return denied(
        a,
        `exceeded quota: ${q.metadata.name}, requested: ${prettyPrint(mask(requested, over))}, ` +
          `used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`,
      );
    }
    if (equal(newUsed, used)) continue;
    changed.push({ ...q, status: { ...q.status, used: toList(newUsed) } });
  }
  return { kind: 'charged', changed };
}

function denied(a: AdmissionAttributes, message: string): Charge {
  return { kind: 'denied', status: forbidden(a, message) };
}

/** limitedByDefault: the consumed resource names some limited resource's matchContains names. */
function limitedByDefault(usage: Usage, limited: readonly LimitedResource[]): string[] {
  const out: string[] = [];
  for (const l of limited) {
    for (const [name, value] of usage) {
      if (sign(value) <= 0) continue;
      if ((l.matchContains ?? []).some((m) => name.includes(m))) out.push(name);
    }
  }
  return out;
}

/** Go's %v of a ScopedResourceSelectorRequirement: `{PriorityClass In [high]}`. */
function goScope(s: ScopeRequirement): string {
  return `{${s.scopeName} ${s.operator} [${(s.values ?? []).join(' ')}]}`;
}
