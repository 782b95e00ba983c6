/**
 * Priority (plugin/pkg/admission/priority): a new pod's priorityClassName is resolved to its
 * priority and preemption policy; a pod without one gets the globalDefault class's (the lowest
 * value when several claim it), or priority 0 and PreemptLowerPriority when none does. A pod
 * naming a missing class, or stating a priority other than its class's, is refused. An update
 * keeps what creation set. (The check that only one class is globalDefault is the PriorityClass
 * definition's admitAmong.)
 *
 * As upstream's, the plugin reads the server's PriorityClass informer. One difference: a class
 * the informer does not hold (created a moment ago) is read from the store before the pod is
 * refused, and while the informer has not synced the default class is found by a live list;
 * upstream refuses from its lister, and waits for it to sync.
 */
import * as errors from '../../../api/errors.ts';
import type { PriorityClass } from '../../../api/kinds/priority-class.ts';
import type { Pod, PreemptionPolicy } from '../../../api/pod-types.ts';
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
import type { Status } from '../../../api/status-types.ts';
import { cachedListOrLive, cachedOrLive, type ObjectLookups } from '../lookups.ts';

export const PRIORITY = 'Priority';

/** scheduling.DefaultPriorityWhenNoDefaultClassExists. */
const DEFAULT_PRIORITY = 0;

interface Resolved {
  readonly className: string | undefined;
  readonly priority: number;
  readonly preemptionPolicy: PreemptionPolicy | undefined;
}

export function priority(lookups: ObjectLookups): AdmissionPlugin {
  return {
    name: PRIORITY,
    informed: ['PriorityClass'],
    resources: coreResources('pods'),
    handles: handlesOnly('CREATE', 'UPDATE'),
    admit: (a) => {
      if (a.resource.group !== '' || a.resource.resource !== 'pods' || a.subresource !== '')
        return ADMIT;
      if (a.object?.kind !== 'Pod') return ADMIT;
      const pod = a.object as Pod;
      if (a.operation === 'UPDATE') {
        const old = a.oldObject as Pod | undefined;
        const priority = pod.spec.priority ?? old?.spec.priority;
        const preemptionPolicy = pod.spec.preemptionPolicy ?? old?.spec.preemptionPolicy;
        return { allowed: true, object: withPriority(pod, undefined, priority, preemptionPolicy) };
      }
      return admitCreate(lookups, a, pod);
    },
  };
}

/**
 * A pod's create: its priority from its class (or the default class), which it must not
 * contradict. An answer at once when the informer holds what it needs.
 */
function admitCreate(
  lookups: ObjectLookups,
  a: AdmissionAttributes,
  pod: Pod,
): AdmissionResult | Promise<AdmissionResult> {
  const resolving = resolve(lookups, pod.spec.priorityClassName);
  return resolving instanceof Promise
    ? resolving.then((r) => admitResolved(a, pod, r))
    : admitResolved(a, pod, resolving);
}

function admitResolved(
  a: AdmissionAttributes,
  pod: Pod,
  resolved: Resolved | Status,
): AdmissionResult {
  if (errors.isStatus(resolved))
    return deny(resolved.code === 404 ? forbidden(a, resolved.message ?? '') : resolved);
  if (pod.spec.priority !== undefined && pod.spec.priority !== resolved.priority) {
    return deny(
      forbidden(
        a,
        `the integer value of priority (${pod.spec.priority}) must not be provided in pod spec; priority admission controller computed ${resolved.priority} from the given PriorityClass name`,
      ),
    );
  }
  const policy = resolved.preemptionPolicy;
  if (
    policy !== undefined &&
    pod.spec.preemptionPolicy !== undefined &&
    pod.spec.preemptionPolicy !== policy
  ) {
    return deny(
      forbidden(
        a,
        `the string value of PreemptionPolicy (${pod.spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
      ),
    );
  }
  return {
    allowed: true,
    object: withPriority(
      pod,
      resolved.className,
      resolved.priority,
      policy ?? pod.spec.preemptionPolicy,
    ),
  };
}

/** The named class, or the default when no name is given; a 404 Status names a missing class. */
function resolve(
  lookups: ObjectLookups,
  className: string | undefined,
): Resolved | Status | Promise<Resolved | Status> {
  if (className !== undefined && className !== '') {
    const pc = cachedOrLive(lookups, 'PriorityClass', undefined, className);
    return pc instanceof Promise ? pc.then((c) => named(className, c)) : named(className, pc);
  }
  const all = cachedListOrLive(lookups, 'PriorityClass', undefined);
  return all instanceof Promise ? all.then(defaultOf) : defaultOf(all);
}

function named(className: string, pc: PriorityClass | Status): Resolved | Status {
  if (errors.isStatus(pc)) {
    return pc.code === 404
      ? { ...pc, message: `no PriorityClass with name ${className} was found` }
      : errors.internalError(
          `failed to get PriorityClass with name ${className}: ${pc.message ?? ''}`,
        );
  }
  return { className, priority: pc.value, preemptionPolicy: preemptionOf(pc) };
}

/** getDefaultPriorityClass: the globalDefault class with the lowest value, if any. */
function defaultOf(all: readonly PriorityClass[] | Status): Resolved | Status {
  if (errors.isStatus(all)) {
    return errors.internalError(`failed to get default priority class: ${all.message ?? ''}`);
  }
  let best: PriorityClass | undefined;
  for (const pc of all) {
    if (pc.globalDefault === true && (best === undefined || pc.value < best.value)) best = pc;
  }
  if (best === undefined) {
    return {
      className: undefined,
      priority: DEFAULT_PRIORITY,
      preemptionPolicy: 'PreemptLowerPriority',
    };
  }
  return {
    className: best.metadata.name,
    priority: best.value,
    preemptionPolicy: preemptionOf(best),
  };
}

function preemptionOf(pc: PriorityClass): PreemptionPolicy | undefined {
  return pc.preemptionPolicy as PreemptionPolicy | undefined;
}

function withPriority(
  pod: Pod,
  className: string | undefined,
  priority: number | undefined,
  preemptionPolicy: PreemptionPolicy | undefined,
): Pod {
  return {
    ...pod,
    spec: {
      ...pod.spec,
      ...(className === undefined ? {} : { priorityClassName: className }),
      ...(priority === undefined ? {} : { priority }),
      ...(preemptionPolicy === undefined ? {} : { preemptionPolicy }),
    },
  };
}
