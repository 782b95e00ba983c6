/**
 * LimitRanger (plugin/pkg/admission/limitranger), for pods on create: each LimitRange of the
 * namespace fills in the Container defaults (`default` limits, `defaultRequest` requests) a
 * container does not set, noting what it set in the kubernetes.io/limit-ranger annotation, then
 * the Container and Pod min/max constraints are checked, refused with upstream's messages.
 * Left out: maxLimitRequestRatio and the PersistentVolumeClaim constraints.
 */
import * as errors from '../../../api/errors.ts';
import type { LimitRange } from '../../../api/kinds/limit-range.ts';
import type { Container, Pod, ResourceList } from '../../../api/pod-types.ts';
import {
  add,
  cmp,
  formatQuantity,
  isQuantityError,
  parseQuantity,
  type Quantity,
} from '../../../api/quantity.ts';
import { ADMIT, deny, forbidden, handlesOnly, type AdmissionPlugin } from '../attributes.ts';
import type { ObjectLookups } from '../lookups.ts';

export const LIMIT_RANGER = 'LimitRanger';
export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type Item = NonNullable<LimitRange['spec']>['limits'][number];

export function limitRanger(lookups: ObjectLookups): AdmissionPlugin {
  const rangesOf = async (a: { namespace: string }) => lookups.list('LimitRange', a.namespace);
  const isPodCreate = (a: Parameters<NonNullable<AdmissionPlugin['admit']>>[0]): boolean =>
    a.resource.group === '' &&
    a.resource.resource === 'pods' &&
    a.subresource === '' &&
    a.object?.kind === 'Pod';
  return {
    name: LIMIT_RANGER,
    handles: handlesOnly('CREATE'),
    admit: async (a) => {
      if (!isPodCreate(a)) return ADMIT;
      const ranges = await rangesOf(a);
      if (errors.isStatus(ranges)) return deny(ranges);
      let pod = a.object as Pod;
      for (const range of ranges) pod = applyDefaults(range, pod);
      return { allowed: true, object: pod };
    },
    validate: async (a) => {
      if (!isPodCreate(a)) return ADMIT;
      const ranges = await rangesOf(a);
      if (errors.isStatus(ranges)) return deny(ranges);
      const problems: string[] = [];
      for (const range of ranges) problems.push(...violations(range, a.object as Pod));
      const unique = [...new Set(problems)];
      if (unique.length === 0) return ADMIT;
      // utilerrors.Aggregate: one error as is, several in brackets.
      const message = unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
      return deny(forbidden(a, message));
    },
  };
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
      out.push(...checkItem(item, 'Pod', podTotal(pod, 'requests'), podTotal(pod, 'limits')));
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
  return out;
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

/**
 * The pod's effective requests or limits: the containers' sum, or an init container's own
 * amount where that is larger (init containers run one at a time, before the others).
 */
function podTotal(pod: Pod, field: 'requests' | 'limits'): ResourceList {
  const total = new Map<string, Quantity>();
  for (const c of pod.spec.containers) {
    for (const [k, v] of Object.entries(c.resources?.[field] ?? {})) {
      const q = quantity(v);
      if (q === undefined) continue;
      const sum = total.get(k);
      total.set(k, sum === undefined ? q : add(sum, q));
    }
  }
  for (const c of pod.spec.initContainers ?? []) {
    for (const [k, v] of Object.entries(c.resources?.[field] ?? {})) {
      const q = quantity(v);
      const current = total.get(k);
      if (q !== undefined && (current === undefined || cmp(q, current) > 0)) total.set(k, q);
    }
  }
  return Object.fromEntries([...total].map(([k, q]) => [k, formatQuantity(q)]));
}
