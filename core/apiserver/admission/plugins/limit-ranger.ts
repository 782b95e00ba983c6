/**
 * LimitRanger (plugin/pkg/admission/limitranger), for pods on create: each LimitRange of the
 * namespace fills in the Container defaults (`default` limits, `defaultRequest` requests) a
 * container does not set, noting what it set in the kubernetes.io/limit-ranger annotation, then
 * the Container and Pod min/max constraints are checked, refused with upstream's messages.
 * Left out: maxLimitRequestRatio and the PersistentVolumeClaim constraints.
 *
 * As upstream's, the plugin reads the server's LimitRange informer. A namespace the informer
 * holds no LimitRange of is listed live, and that answer is reused for 30 s (upstream's
 * liveLookupCache, filled one lookup at a time per namespace as its singleflight does): the
 * informer may not have seen a LimitRange created a moment ago, and most namespaces have none,
 * so without the reuse every pod create there would read the store.
 */
import * as errors from '../../../api/errors.ts';
import type { LimitRange } from '../../../api/kinds/limit-range.ts';
import { containerTotals } from '../../../api/pod-helpers.ts';
import type { Container, Pod, ResourceList } from '../../../api/pod-types.ts';
import {
  cmp,
  isQuantityError,
  milliValueBig,
  parseQuantity,
  valueBig,
  type Quantity,
} from '../../../api/quantity.ts';
import {
  ADMIT,
  coreResources,
  deny,
  forbidden,
  handlesOnly,
  type AdmissionAttributes,
  type AdmissionPlugin,
  type AdmissionResult,
} from '../attributes.ts';
import type { ObjectLookups } from '../lookups.ts';
import type { Status } from '../../../api/status-types.ts';

export const LIMIT_RANGER = 'LimitRanger';
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type Item = NonNullable<LimitRange['spec']>['limits'][number];

/** liveTTL: how long a live list of a namespace the informer shows no LimitRange in is reused. */
export const LIMIT_RANGE_LIVE_TTL_US = 30_000_000;

/** The size of upstream's liveLookupCache (an LRU of 10,000 namespaces). */
const LIVE_LOOKUP_ENTRIES = 10_000;

/** `now`: the virtual clock, for the live lookups' expiry. */
export function limitRanger(lookups: ObjectLookups, now: () => number): AdmissionPlugin {
  const live = new LiveLookups(lookups, now);
  const rangesOf = (a: { namespace: string }) => live.rangesOf(a.namespace);
  const isPodCreate = (a: AdmissionAttributes): boolean =>
    a.operation === 'CREATE' &&
    a.resource.group === '' &&
    a.resource.resource === 'pods' &&
    a.subresource === '' &&
    a.object?.kind === 'Pod';
  const isClaimWrite = (a: AdmissionAttributes): boolean =>
    a.resource.group === '' &&
    a.resource.resource === 'persistentvolumeclaims' &&
    a.subresource === '' &&
    a.object !== undefined;
  return {
    name: LIMIT_RANGER,
    informed: ['LimitRange'],
    resources: coreResources('pods', 'persistentvolumeclaims'),
    handles: handlesOnly('CREATE', 'UPDATE'),
    // Other kinds are admitted at once, with no promise to wait for.
    admit: (a) => (isPodCreate(a) ? withRanges(rangesOf(a), (r) => admitPod(a, r)) : ADMIT),
    validate: (a) => {
      const claim = isClaimWrite(a);
      return claim || isPodCreate(a) ? withRanges(rangesOf(a), (r) => check(a, claim, r)) : ADMIT;
    },
  };
}

/** `answer` of the ranges: at once when they are at hand, later when they are read live. */
function withRanges(
  ranges: readonly LimitRange[] | Promise<readonly LimitRange[] | Status>,
  answer: (ranges: readonly LimitRange[]) => AdmissionResult,
): AdmissionResult | Promise<AdmissionResult> {
  const decide = (r: readonly LimitRange[] | Status): AdmissionResult =>
    errors.isStatus(r) ? deny(r) : answer(r);
  return ranges instanceof Promise ? ranges.then(decide) : decide(ranges);
}

function admitPod(a: AdmissionAttributes, ranges: readonly LimitRange[]): AdmissionResult {
  let pod = a.object as Pod;
  for (const range of ranges) pod = applyDefaults(range, pod);
  return { allowed: true, object: pod };
}

function check(
  a: AdmissionAttributes,
  claim: boolean,
  ranges: readonly LimitRange[],
): AdmissionResult {
  const problems: string[] = [];
  for (const range of ranges) {
    problems.push(
      ...(claim
        ? claimViolations(range, a.object as Claim, a.oldObject as Claim | undefined)
        : violations(range, a.object as Pod)),
    );
  }
  const unique = [...new Set(problems)];
  if (unique.length === 0) return ADMIT;
  // utilerrors.Aggregate: one error as is, several in brackets.
  const message = unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
  return deny(forbidden(a, message));
}

type Ranges = readonly LimitRange[];

interface LiveEntry {
  /** Virtual µs until which a read list serves (unused while the read is under way). */
  readonly untilUs: number;
  readonly ranges: Ranges | Promise<Ranges | Status>;
}

/**
 * GetLimitRanges: the informer's LimitRanges of a namespace; when it has none, a live list,
 * reused until it expires. While the informer has not synced, every lookup is live (upstream
 * waits for the informer instead).
 */
class LiveLookups {
  /** By namespace, in the order filled: a list read, or the read still under way. */
  private readonly entries = new Map<string, LiveEntry>();

  constructor(
    private readonly lookups: ObjectLookups,
    private readonly now: () => number,
  ) {}

  rangesOf(namespace: string): Ranges | Promise<Ranges | Status> {
    const informed = this.lookups.cachedList('LimitRange', namespace);
    if (informed === undefined) return this.lookups.list('LimitRange', namespace);
    if (informed.length > 0) return informed;
    const entry = this.entries.get(namespace);
    // An entry still being read is shared (singleflight); a read one serves until it expires.
    if (entry !== undefined && (entry.ranges instanceof Promise || entry.untilUs >= this.now())) {
      return entry.ranges;
    }
    const reading = this.lookups.list('LimitRange', namespace).then((r) => {
      if (this.entries.get(namespace) !== pending) return r;
      // A failed read is not remembered: the next lookup tries again.
      if (errors.isStatus(r)) this.entries.delete(namespace);
      else this.remember(namespace, { untilUs: this.now() + LIMIT_RANGE_LIVE_TTL_US, ranges: r });
      return r;
    });
    const pending = { untilUs: 0, ranges: reading };
    this.remember(namespace, pending);
    return reading;
  }

  /** The newest entry goes last; beyond the capacity the one filled longest ago goes. */
  private remember(namespace: string, entry: LiveEntry): void {
    this.entries.delete(namespace);
    this.entries.set(namespace, entry);
    if (this.entries.size > LIVE_LOOKUP_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
  }
}

/** defaultContainerResourceRequirements + mergeContainerResources over every container. */
function applyDefaults(range: LimitRange, pod: Pod): Pod {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  for (const item of range.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    Object.assign(limits, item.default ?? {});
    Object.assign(requests, item.defaultRequest ?? {});
  }
  if (Object.keys(limits).length === 0 && Object.keys(requests).length === 0) return pod;
  const notes: string[] = [];
  const merge =
    (prefix: string) =>
    (c: Container): Container => {
      const setLimits = Object.keys(limits).filter((k) => c.resources?.limits?.[k] === undefined);
      const setRequests = Object.keys(requests).filter(
        (k) => c.resources?.requests?.[k] === undefined,
      );
      if (setRequests.length > 0)
        notes.push(`${[...setRequests].sort().join(', ')} request for ${prefix} ${c.name}`);
      if (setLimits.length > 0)
        notes.push(`${[...setLimits].sort().join(', ')} limit for ${prefix} ${c.name}`);
      return {
        ...c,
        resources: {
          ...c.resources,
          limits: { ...pick(limits, setLimits), ...c.resources?.limits },
          requests: { ...pick(requests, setRequests), ...c.resources?.requests },
        },
      };
    };
  const containers = pod.spec.containers.map(merge('container'));
  const initContainers = pod.spec.initContainers?.map(merge('init container'));
  if (notes.length === 0) return pod;
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: {
        ...pod.metadata.annotations,
        [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`,
      },
    },
    spec: {
      ...pod.spec,
      containers,
      ...(initContainers === undefined ? {} : { initContainers }),
    },
  };
}

function pick(list: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, list[k] ?? '']));
}

/** PodValidateLimitFunc: the Container and Pod constraints `pod` breaks. */
function violations(range: LimitRange, pod: Pod): string[] {
  const out: string[] = [];
  for (const item of range.spec?.limits ?? []) {
    if (item.type === 'Container') {
      for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
        out.push(...checkItem(item, 'Container', c.resources?.requests, c.resources?.limits));
      }
    } else if (item.type === 'Pod') {
      out.push(
        ...checkItem(item, 'Pod', containerTotals(pod, 'requests'), containerTotals(pod, 'limits')),
      );
    }
  }
  return out;
}

interface Claim {
  readonly spec?: { readonly resources?: { readonly requests?: ResourceList } };
}

/**
 * PersistentVolumeClaimValidateLimitFunc: the claim's requests against PersistentVolumeClaim
 * min and max (limits are not user input for claims); on an update, a request the stored claim
 * already holds is not checked again.
 */
function claimViolations(range: LimitRange, claim: Claim, old: Claim | undefined): string[] {
  const requests = claim.spec?.resources?.requests;
  const oldRequests = old?.spec?.resources?.requests;
  const unchanged = (resource: string): boolean => {
    const req = requests?.[resource];
    const was = oldRequests?.[resource];
    return req !== undefined && was !== undefined && !less(req, was) && !less(was, req);
  };
  const out: string[] = [];
  for (const item of range.spec?.limits ?? []) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [resource, enforced] of Object.entries(item.min ?? {})) {
      if (unchanged(resource)) continue;
      const problem = minConstraint(item.type, resource, enforced, requests, undefined);
      if (problem !== undefined) out.push(problem);
    }
    for (const [resource, enforced] of Object.entries(item.max ?? {})) {
      if (unchanged(resource)) continue;
      const req = requests?.[resource];
      if (req === undefined) {
        out.push(
          `maximum ${resource} usage per ${item.type} is ${enforced}.  No request is specified`,
        );
      } else if (less(enforced, req)) {
        out.push(
          `maximum ${resource} usage per ${item.type} is ${enforced}, but request is ${req}`,
        );
      }
    }
  }
  return out;
}

function checkItem(
  item: Item,
  limitType: string,
  requests: ResourceList | undefined,
  limits: ResourceList | undefined,
): string[] {
  const out: string[] = [];
  for (const [resource, enforced] of Object.entries(item.min ?? {})) {
    const problem = minConstraint(limitType, resource, enforced, requests, limits);
    if (problem !== undefined) out.push(problem);
  }
  for (const [resource, enforced] of Object.entries(item.max ?? {})) {
    const problem = maxConstraint(limitType, resource, enforced, requests, limits);
    if (problem !== undefined) out.push(problem);
  }
  for (const [resource, enforced] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const problem = ratioConstraint(limitType, resource, enforced, requests, limits);
    if (problem !== undefined) out.push(problem);
  }
  return out;
}

/** Quantities past this many milli-units compare in whole units (resource.MaxMilliValue). */
const MAX_MILLI_VALUE = (1n << 63n) / 1000n;

/**
 * limitRequestRatioConstraint: limit over request may not exceed the enforced ratio, compared
 * in milli-units where none overflows (requestLimitEnforcedValues); the ratio is printed with
 * six decimals, as Go's %f.
 */
function ratioConstraint(
  limitType: string,
  resource: string,
  enforced: string,
  requests: ResourceList | undefined,
  limits: ResourceList | undefined,
): string | undefined {
  const req = quantity(requests?.[resource] ?? '');
  const lim = quantity(limits?.[resource] ?? '');
  const max = quantity(enforced);
  if (max === undefined) return undefined;
  const prefix = `${resource} max limit to request ratio per ${limitType} is ${enforced}`;
  const fitsMilli = (q: Quantity | undefined) => q === undefined || valueBig(q) <= MAX_MILLI_VALUE;
  const precise = fitsMilli(req) && fitsMilli(lim) && fitsMilli(max);
  const scaled = (q: Quantity) => (precise ? milliValueBig(q) : valueBig(q));
  if (req === undefined || scaled(req) === 0n) {
    return `${prefix}, but no request is specified or request is 0`;
  }
  if (lim === undefined || scaled(lim) === 0n) {
    return `${prefix}, but no limit is specified or limit is 0`;
  }
  const observed = Number(scaled(lim)) / Number(scaled(req));
  // The ratio against the enforced value, in milli-units when the enforced value allows.
  const maxInMilli = fitsMilli(max);
  const allowed = Number(maxInMilli ? milliValueBig(max) : valueBig(max));
  const compared = maxInMilli ? observed * 1000 : observed;
  if (compared <= allowed) return undefined;
  return `${prefix}, but provided ratio is ${observed.toFixed(6)}`;
}

function minConstraint(
  limitType: string,
  resource: string,
  enforced: string,
  requests: ResourceList | undefined,
  limits: ResourceList | undefined,
): string | undefined {
  const req = requests?.[resource];
  const lim = limits?.[resource];
  if (req === undefined)
    return `minimum ${resource} usage per ${limitType} is ${enforced}.  No request is specified`;
  if (less(req, enforced))
    return `minimum ${resource} usage per ${limitType} is ${enforced}, but request is ${req}`;
  if (lim !== undefined && less(lim, enforced))
    return `minimum ${resource} usage per ${limitType} is ${enforced}, but limit is ${lim}`;
  return undefined;
}

function maxConstraint(
  limitType: string,
  resource: string,
  enforced: string,
  requests: ResourceList | undefined,
  limits: ResourceList | undefined,
): string | undefined {
  const req = requests?.[resource];
  const lim = limits?.[resource];
  if (lim === undefined)
    return `maximum ${resource} usage per ${limitType} is ${enforced}.  No limit is specified`;
  if (less(enforced, lim))
    return `maximum ${resource} usage per ${limitType} is ${enforced}, but limit is ${lim}`;
  if (req !== undefined && less(enforced, req))
    return `maximum ${resource} usage per ${limitType} is ${enforced}, but request is ${req}`;
  return undefined;
}

function less(a: string, b: string): boolean {
  const qa = quantity(a);
  const qb = quantity(b);
  return qa !== undefined && qb !== undefined && cmp(qa, qb) < 0;
}

function quantity(s: string): Quantity | undefined {
  const q = parseQuantity(s);
  return isQuantityError(q) ? undefined : q;
}
