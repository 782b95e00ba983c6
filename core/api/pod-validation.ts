/**
 * Pod and PodSpec validation, following pkg/apis/core/validation/validation.go (ValidatePodCreate,
 * ValidatePodSpec, validateContainers, validateTolerations, validateAffinity,
 * validateTopologySpreadConstraints, ValidatePodUpdate). Like upstream it runs on defaulted objects:
 * fields that defaulting fills (restartPolicy, imagePullPolicy, port protocol, ...) are required.
 */
import { MIRROR_POD_ANNOTATION } from './pod-helpers.ts';
import {
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  IS_NEGATIVE_ERROR,
} from './content-checks.ts';
import {
  child,
  fieldDuplicate as duplicate,
  fieldForbidden as forbidden,
  index,
  fieldInvalid as invalid,
  key,
  fieldNotFound as notFound,
  fieldNotSupported as notSupported,
  fieldRequired as required,
  type FieldError,
} from './field-error.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateLabels,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta-validation.ts';
import type {
  Affinity,
  Container,
  NodeSelectorTerm,
  Pod,
  PodAffinityTerm,
  PodSpec,
  ResourceList,
  ResourceRequirements,
  Toleration,
  TopologySpreadConstraint,
} from './pod-types.ts';
import { cmp, formatQuantity, isQuantityError, parseQuantity, type Quantity } from './quantity.ts';

const MAX_INT32 = 2_147_483_647;

// ---- resources ----------------------------------------------------------------------------------

export const STANDARD_CONTAINER_RESOURCES: ReadonlySet<string> = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
]);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** Extended resources and huge pages cannot be overcommitted: request must equal limit. */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

/**
 * Resource names allowed in a node's capacity/allocatable (upstream validateResourceName with
 * the standard resources): the container ones plus `pods`.
 */
export const STANDARD_NODE_RESOURCES: ReadonlySet<string> = new Set([
  ...STANDARD_CONTAINER_RESOURCES,
  'pods',
]);

export function validateResourceName(
  name: string,
  path: string,
  standard: ReadonlySet<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const msg of isQualifiedName(name)) errs.push(invalid(path, name, msg));
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    if (!standard.has(name) && !isHugePages(name)) {
      errs.push(
        invalid(
          path,
          name,
          standard === STANDARD_CONTAINER_RESOURCES
            ? 'must be a standard resource for containers'
            : 'must be a standard resource type or fully qualified',
        ),
      );
    }
  } else if (!isNativeResource(name) && name.startsWith('requests.')) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Parses one entry, appending errors; returns the quantity when it is usable. */
function validateQuantityEntry(
  name: string,
  raw: string,
  path: string,
  errs: FieldError[],
): Quantity | undefined {
  const q = parseQuantity(String(raw));
  if (isQuantityError(q)) {
    errs.push(invalid(path, raw, q.reason));
    return undefined;
  }
  if (q.nanos < 0n) errs.push(invalid(path, formatQuantity(q), IS_NEGATIVE_ERROR));
  if (!isNativeResource(name) && q.nanos % 1_000_000_000n !== 0n) {
    errs.push(invalid(path, formatQuantity(q), 'must be an integer'));
  }
  return q;
}

export function validateResourceList(
  list: ResourceList | undefined,
  path: string,
  standard: ReadonlySet<string> = STANDARD_CONTAINER_RESOURCES,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, raw] of Object.entries(list ?? {})) {
    const p = key(path, name);
    errs.push(...validateResourceName(name, p, standard));
    validateQuantityEntry(name, raw, p, errs);
  }
  return errs;
}

function validateResourceRequirements(
  res: ResourceRequirements | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity>();
  for (const [name, raw] of Object.entries(res?.limits ?? {})) {
    const p = key(limPath, name);
    errs.push(...validateResourceName(name, p, STANDARD_CONTAINER_RESOURCES));
    const q = validateQuantityEntry(name, raw, p, errs);
    if (q !== undefined) limits.set(name, q);
  }
  for (const [name, raw] of Object.entries(res?.requests ?? {})) {
    const p = key(reqPath, name);
    errs.push(...validateResourceName(name, p, STANDARD_CONTAINER_RESOURCES));
    const q = validateQuantityEntry(name, raw, p, errs);
    const limit = limits.get(name);
    if (q === undefined || limit === undefined) continue;
    const c = cmp(q, limit);
    if (c !== 0 && !isOvercommitAllowed(name)) {
      errs.push(
        invalid(
          reqPath,
          formatQuantity(q),
          `must be equal to ${name} limit of ${formatQuantity(limit)}`,
        ),
      );
    } else if (c > 0) {
      errs.push(
        invalid(
          reqPath,
          formatQuantity(q),
          `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`,
        ),
      );
    }
  }
  return errs;
}

// ---- containers ---------------------------------------------------------------------------------

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function validatePorts(c: Container, path: string, hostNetwork: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = index(path, i);
    if (port.name) {
      for (const msg of isValidPortName(port.name))
        errs.push(invalid(child(p, 'name'), port.name, msg));
      if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
      names.add(port.name);
    }
    if (port.containerPort === undefined || port.containerPort === 0) {
      errs.push(required(child(p, 'containerPort'), ''));
    } else {
      for (const msg of isValidPortNum(port.containerPort))
        errs.push(invalid(child(p, 'containerPort'), port.containerPort, msg));
    }
    if (port.hostPort !== undefined && port.hostPort !== 0) {
      for (const msg of isValidPortNum(port.hostPort))
        errs.push(invalid(child(p, 'hostPort'), port.hostPort, msg));
      if (hostNetwork && port.hostPort !== port.containerPort) {
        errs.push(
          invalid(
            child(p, 'hostPort'),
            port.hostPort,
            'must match `containerPort` when `hostNetwork` is true',
          ),
        );
      }
    }
    if (!port.protocol) errs.push(required(child(p, 'protocol'), ''));
    else if (!PROTOCOLS.includes(port.protocol))
      errs.push(notSupported(child(p, 'protocol'), port.protocol, PROTOCOLS));
  });
  return errs;
}

function validateEnv(c: Container, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (c.env ?? []).forEach((ev, i) => {
    const p = child(index(path, i), 'name');
    if (!ev.name) errs.push(required(p, ''));
    // RelaxedEnvironmentVariableValidation (GA): any printable ASCII except '='.
    else if (!/^[\x20-\x7e]+$/.test(ev.name) || ev.name.includes('=')) {
      errs.push(
        invalid(
          p,
          ev.name,
          "a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
      );
    }
  });
  return errs;
}

function validateContainer(
  c: Container,
  path: string,
  names: Set<string>,
  hostNetwork: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(child(path, 'name'), ''));
  else {
    for (const msg of isDNS1123Label(c.name)) errs.push(invalid(child(path, 'name'), c.name, msg));
    if (names.has(c.name)) errs.push(duplicate(child(path, 'name'), c.name));
    names.add(c.name);
  }
  if (!c.image) errs.push(required(child(path, 'image'), ''));
  else if (c.image.trim() !== c.image) {
    errs.push(
      invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'),
    );
  }
  if (!c.imagePullPolicy) errs.push(required(child(path, 'imagePullPolicy'), ''));
  else if (!PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  }
  const tmp = c.terminationMessagePolicy;
  if (!tmp)
    errs.push(
      required(
        child(path, 'terminationMessagePolicy'),
        "must be 'File' or 'FallbackToLogsOnError'",
      ),
    );
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(
      invalid(
        child(path, 'terminationMessagePolicy'),
        tmp,
        "must be 'File' or 'FallbackToLogsOnError'",
      ),
    );
  }
  errs.push(...validatePorts(c, child(path, 'ports'), hostNetwork));
  errs.push(...validateEnv(c, child(path, 'env')));
  errs.push(...validateResourceRequirements(c.resources, child(path, 'resources')));
  return errs;
}

/**
 * The fields an ephemeral container may not set (upstream's validateFieldAllowList over
 * EphemeralContainerCommon, in the struct's field order): what a pod relies on for its own
 * service, since a debugging container must not become part of the workload.
 */
const EPHEMERAL_FORBIDDEN = [
  'ports',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
] as const;

/** A field Go would see as set: not absent, not an empty list or object. */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v).some(isSet);
  return true;
}

/**
 * validateEphemeralContainers: each one a valid container whose name is unique across every
 * container of the pod, targeting an existing (non-ephemeral) container, without the fields
 * above or volume subpaths. `names` holds the regular and init containers' names.
 */
function validateEphemeralContainers(
  spec: PodSpec,
  path: string,
  names: Set<string>,
  hostNetwork: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set(names);
  (spec.ephemeralContainers ?? []).forEach((ec, i) => {
    const p = index(path, i);
    errs.push(...validateContainer(ec as Container, p, names, hostNetwork));
    if (ec.targetContainerName && !others.has(ec.targetContainerName)) {
      errs.push(notFound(child(p, 'targetContainerName'), ec.targetContainerName));
    }
    for (const field of EPHEMERAL_FORBIDDEN) {
      if (isSet((ec as unknown as Readonly<Record<string, unknown>>)[field])) {
        errs.push(forbidden(child(p, field), 'cannot be set for an Ephemeral Container'));
      }
    }
    (ec.volumeMounts ?? []).forEach((m, j) => {
      for (const field of ['subPath', 'subPathExpr'] as const) {
        if (m[field]) {
          errs.push(
            forbidden(
              child(index(child(p, 'volumeMounts'), j), field),
              'cannot be set for an Ephemeral Container',
            ),
          );
        }
      }
    });
  });
  return errs;
}

// ---- scheduling constraints ---------------------------------------------------------------------

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaintEffect(
  effect: string | undefined,
  allowEmpty: boolean,
  path: string,
): FieldError[] {
  if (!effect) return allowEmpty ? [] : [required(path, '')];
  return TAINT_EFFECTS.includes(effect) ? [] : [notSupported(path, effect, TAINT_EFFECTS)];
}

export function validateTolerations(
  tolerations: readonly Toleration[] | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = index(path, i);
    if (t.key)
      for (const msg of isQualifiedName(t.key)) errs.push(invalid(child(p, 'key'), t.key, msg));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(
        invalid(
          child(p, 'operator'),
          t.operator ?? '',
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(
        invalid(
          child(p, 'effect'),
          t.effect ?? '',
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    switch (t.operator) {
      case undefined:
      case 'Equal':
        for (const msg of isLabelValue(t.value ?? ''))
          errs.push(invalid(child(p, 'operator'), t.value ?? '', msg));
        break;
      case 'Exists':
        if (t.value)
          errs.push(
            invalid(child(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"),
          );
        break;
      default:
        errs.push(notSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    errs.push(...validateTaintEffect(t.effect, true, child(p, 'effect')));
  });
  return errs;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (term.matchExpressions ?? []).forEach((r, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const n = r.values?.length ?? 0;
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (n === 0)
          errs.push(
            required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (n > 0)
          errs.push(
            forbidden(
              child(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        break;
      case 'Gt':
      case 'Lt':
        if (n !== 1)
          errs.push(
            required(
              child(p, 'values'),
              "must be specified single value when `operator` is 'Lt' or 'Gt'",
            ),
          );
        break;
      default:
        errs.push(invalid(child(p, 'operator'), r.operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(r.key)) errs.push(invalid(child(p, 'key'), r.key, msg));
  });
  (term.matchFields ?? []).forEach((r, i) => {
    const p = index(child(path, 'matchFields'), i);
    if (r.key !== 'metadata.name')
      errs.push(invalid(child(p, 'key'), r.key, 'not a valid field selector key'));
    if (r.operator !== 'In' && r.operator !== 'NotIn') {
      errs.push(invalid(child(p, 'operator'), r.operator, 'not a valid selector operator'));
    } else if ((r.values?.length ?? 0) !== 1) {
      errs.push(
        required(
          child(p, 'values'),
          "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
        ),
      );
    }
  });
  return errs;
}

function validateWeight(weight: number, path: string): FieldError[] {
  return Number.isInteger(weight) && weight >= 1 && weight <= 100
    ? []
    : [invalid(path, weight, 'must be in the range 1-100')];
}

function validatePodAffinityTerm(term: PodAffinityTerm, path: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabelSelector(term.labelSelector, child(path, 'labelSelector')));
  errs.push(...validateLabelSelector(term.namespaceSelector, child(path, 'namespaceSelector')));
  for (const ns of term.namespaces ?? []) {
    for (const msg of isDNS1123Label(ns)) errs.push(invalid(child(path, 'namespace'), ns, msg));
  }
  if (!term.topologyKey) errs.push(required(child(path, 'topologyKey'), 'can not be empty'));
  else
    for (const msg of isQualifiedName(term.topologyKey))
      errs.push(invalid(child(path, 'topologyKey'), term.topologyKey, msg));
  for (const k of [...(term.matchLabelKeys ?? []), ...(term.mismatchLabelKeys ?? [])]) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(child(path, 'matchLabelKeys'), k, msg));
  }
  return errs;
}

function validateAffinity(affinity: Affinity | undefined, path: string): FieldError[] {
  if (affinity === undefined) return [];
  const errs: FieldError[] = [];
  const na = affinity.nodeAffinity;
  if (na !== undefined) {
    const p = child(path, 'nodeAffinity');
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req !== undefined) {
      const rp = child(
        child(p, 'requiredDuringSchedulingIgnoredDuringExecution'),
        'nodeSelectorTerms',
      );
      if ((req.nodeSelectorTerms ?? []).length === 0)
        errs.push(required(rp, 'must have at least one node selector term'));
      (req.nodeSelectorTerms ?? []).forEach((t, i) =>
        errs.push(...validateNodeSelectorTerm(t, index(rp, i))),
      );
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const tp = index(child(p, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      errs.push(...validateWeight(t.weight, child(tp, 'weight')));
      errs.push(...validateNodeSelectorTerm(t.preference, child(tp, 'preference')));
    });
  }
  for (const which of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = affinity[which];
    if (pa === undefined) continue;
    const p = child(path, which);
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) =>
      errs.push(
        ...validatePodAffinityTerm(
          t,
          index(child(p, 'requiredDuringSchedulingIgnoredDuringExecution'), i),
        ),
      ),
    );
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const tp = index(child(p, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      errs.push(...validateWeight(t.weight, child(tp, 'weight')));
      errs.push(...validatePodAffinityTerm(t.podAffinityTerm, child(tp, 'podAffinityTerm')));
    });
  }
  return errs;
}

const INCLUSION_POLICIES = ['Honor', 'Ignore'];
const UNSATISFIABLE_ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'];

function validateTopologySpreadConstraints(
  constraints: readonly TopologySpreadConstraint[] | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (constraints ?? []).forEach((c, i) => {
    const p = index(path, i);
    if (!(c.maxSkew > 0))
      errs.push(invalid(child(p, 'maxSkew'), c.maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
    else
      for (const msg of isQualifiedName(c.topologyKey))
        errs.push(invalid(child(p, 'topologyKey'), c.topologyKey, msg));
    if (!UNSATISFIABLE_ACTIONS.includes(c.whenUnsatisfiable)) {
      errs.push(
        notSupported(child(p, 'whenUnsatisfiable'), c.whenUnsatisfiable, UNSATISFIABLE_ACTIONS),
      );
    }
    if (c.minDomains !== undefined) {
      if (!(c.minDomains > 0))
        errs.push(invalid(child(p, 'minDomains'), c.minDomains, 'must be greater than 0'));
      else if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(
          invalid(
            child(p, 'minDomains'),
            c.minDomains,
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`,
          ),
        );
      }
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const v = c[f];
      if (v !== undefined && !INCLUSION_POLICIES.includes(v))
        errs.push(notSupported(child(p, f), v, INCLUSION_POLICIES));
    }
    const pair = `{${c.topologyKey}, ${c.whenUnsatisfiable}}`;
    if (seen.has(pair)) errs.push(duplicate(p, pair));
    seen.add(pair);
    errs.push(...validateLabelSelector(c.labelSelector, child(p, 'labelSelector')));
    for (const k of c.matchLabelKeys ?? []) {
      for (const msg of isQualifiedName(k)) errs.push(invalid(child(p, 'matchLabelKeys'), k, msg));
    }
  });
  return errs;
}

function validateSchedulingGates(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (spec.schedulingGates ?? []).forEach((g, i) => {
    const p = child(index(path, i), 'name');
    for (const msg of isQualifiedName(g.name)) errs.push(invalid(p, g.name, msg));
    if (seen.has(g.name)) errs.push(duplicate(index(path, i), g.name));
    seen.add(g.name);
  });
  return errs;
}

// ---- spec ---------------------------------------------------------------------------------------

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

function validateSubdomainField(v: string | undefined, path: string): FieldError[] {
  return v ? isDNS1123Subdomain(v).map((msg) => invalid(path, v, msg)) : [];
}

export function validatePodSpec(spec: PodSpec | undefined, path = 'spec'): FieldError[] {
  if (spec === undefined) return [required(path, '')];
  const errs: FieldError[] = [];
  const hostNetwork = spec.hostNetwork === true;
  const names = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    errs.push(required(child(path, 'containers'), ''));
  }
  (spec.initContainers ?? []).forEach((c, i) => {
    const p = index(child(path, 'initContainers'), i);
    errs.push(...validateContainer(c, p, names, hostNetwork));
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
      errs.push(notSupported(child(p, 'restartPolicy'), c.restartPolicy, ['Always']));
    }
  });
  (spec.containers ?? []).forEach((c, i) => {
    const p = index(child(path, 'containers'), i);
    errs.push(...validateContainer(c, p, names, hostNetwork));
    if (c.restartPolicy !== undefined)
      errs.push(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(
    ...validateEphemeralContainers(spec, child(path, 'ephemeralContainers'), names, hostNetwork),
  );
  if (!spec.restartPolicy) errs.push(required(child(path, 'restartPolicy'), ''));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy)) {
    errs.push(notSupported(child(path, 'restartPolicy'), spec.restartPolicy, RESTART_POLICIES));
  }
  if (!spec.dnsPolicy) errs.push(required(child(path, 'dnsPolicy'), ''));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) {
    errs.push(notSupported(child(path, 'dnsPolicy'), spec.dnsPolicy, DNS_POLICIES));
  }
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds;
    if (!Number.isInteger(v) || v < 1 || v > MAX_INT32) {
      errs.push(
        invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)),
      );
    }
  }
  if (spec.preemptionPolicy !== undefined && !PREEMPTION_POLICIES.includes(spec.preemptionPolicy)) {
    errs.push(
      notSupported(child(path, 'preemptionPolicy'), spec.preemptionPolicy, PREEMPTION_POLICIES),
    );
  }
  errs.push(...validateSubdomainField(spec.nodeName, child(path, 'nodeName')));
  errs.push(...validateSubdomainField(spec.schedulerName, child(path, 'schedulerName')));
  errs.push(...validateSubdomainField(spec.priorityClassName, child(path, 'priorityClassName')));
  errs.push(...validateSubdomainField(spec.serviceAccountName, child(path, 'serviceAccountName')));
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  errs.push(...validateAffinity(spec.affinity, child(path, 'affinity')));
  errs.push(
    ...validateTopologySpreadConstraints(
      spec.topologySpreadConstraints,
      child(path, 'topologySpreadConstraints'),
    ),
  );
  errs.push(...validateSchedulingGates(spec, child(path, 'schedulingGates')));
  errs.push(...validateResourceList(spec.overhead, child(path, 'overhead')));
  return errs;
}

/** ValidatePodCreate: a valid pod, whose ephemeral containers only come later, one by one. */
export function validatePod(pod: Pod): FieldError[] {
  return [
    ...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain),
    ...validatePodSpec(pod.spec),
    ...((pod.spec?.ephemeralContainers?.length ?? 0) > 0
      ? [forbidden(child('spec', 'ephemeralContainers'), 'cannot be set on create')]
      : []),
  ];
}

/**
 * ValidatePodEphemeralContainersUpdate (pods/ephemeralcontainers): the pod stays valid, a
 * static pod's mirror takes none, and existing ephemeral containers may be neither removed nor
 * changed; new ones may be added.
 */
export function validatePodEphemeralContainersUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(newPod.metadata, oldPod.metadata),
    ...validatePodSpec(newPod.spec),
  ];
  if (oldPod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    return [forbidden('', 'static pods do not support ephemeral containers')];
  }
  const path = child('spec', 'ephemeralContainers');
  const next = new Map((newPod.spec.ephemeralContainers ?? []).map((c) => [c.name, c]));
  for (const old of oldPod.spec.ephemeralContainers ?? []) {
    const now = next.get(old.name);
    if (now === undefined) {
      errs.push(
        forbidden(
          path,
          `existing ephemeral containers ${JSON.stringify(old.name)} may not be removed\n`,
        ),
      );
    } else if (!deepEqual(now, old)) {
      errs.push(
        forbidden(
          child(path, old.name),
          `existing ephemeral containers ${JSON.stringify(old.name)} may not be changed\n`,
        ),
      );
    }
  }
  return errs;
}

// ---- update -------------------------------------------------------------------------------------

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (
    a.key === b.key &&
    (a.operator ?? 'Equal') === (b.operator ?? 'Equal') &&
    (a.value ?? '') === (b.value ?? '') &&
    a.effect === b.effect
  );
}

/** Existing tolerations must stay; a NoExecute tolerationSeconds may only shrink. */
function validateTolerationsUpdate(
  newT: readonly Toleration[] | undefined,
  oldT: readonly Toleration[] | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const old of oldT ?? []) {
    const match = (newT ?? []).find((t) => sameToleration(t, old));
    if (match === undefined) {
      errs.push(
        forbidden(path, 'existing toleration can not be modified except its tolerationSeconds'),
      );
    } else if (
      old.tolerationSeconds !== undefined &&
      (match.tolerationSeconds === undefined || match.tolerationSeconds > old.tolerationSeconds)
    ) {
      errs.push(
        invalid(
          path,
          match,
          'existing toleration can not be modified except its tolerationSeconds',
        ),
      );
    }
  }
  return errs;
}

function validateSchedulingGatesUpdate(
  newSpec: PodSpec,
  oldSpec: PodSpec,
  path: string,
): FieldError[] {
  const old = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
  return (newSpec.schedulingGates ?? [])
    .filter((g) => !old.has(g.name))
    .map((g) =>
      forbidden(path, `only deletion is allowed, but found new scheduling gate '${g.name}'`),
    );
}

/** ValidatePodUpdate: the new pod must be valid, and only the mutable spec fields may differ. */
export function validatePodUpdate(newPod: Pod, oldPod: Pod): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(newPod.metadata, oldPod.metadata),
    ...validatePodSpec(newPod.spec),
  ];
  const ns = newPod.spec;
  const os = oldPod.spec;
  const oldAds = os.activeDeadlineSeconds;
  if (oldAds !== undefined) {
    if (ns.activeDeadlineSeconds === undefined) {
      errs.push(
        invalid(
          child('spec', 'activeDeadlineSeconds'),
          null,
          'must not update from a positive integer to nil value',
        ),
      );
    } else if (ns.activeDeadlineSeconds > oldAds) {
      errs.push(
        invalid(
          child('spec', 'activeDeadlineSeconds'),
          ns.activeDeadlineSeconds,
          'must be less than or equal to previous value',
        ),
      );
    }
  }
  errs.push(
    ...validateTolerationsUpdate(ns.tolerations, os.tolerations, child('spec', 'tolerations')),
  );
  errs.push(...validateSchedulingGatesUpdate(ns, os, child('spec', 'schedulingGates')));
  // Neutralise the fields allowed to change, then any remaining difference is forbidden.
  const withImages = (
    cs: readonly Container[] | undefined,
    from: readonly Container[] | undefined,
  ) => cs?.map((c, i) => ({ ...c, image: from?.[i]?.image ?? c.image }));
  const oldTgp = os.terminationGracePeriodSeconds;
  const munged: PodSpec = {
    ...os,
    containers: withImages(os.containers, ns.containers) ?? [],
    initContainers: withImages(os.initContainers, ns.initContainers),
    activeDeadlineSeconds: ns.activeDeadlineSeconds,
    tolerations: ns.tolerations,
    schedulingGates: ns.schedulingGates,
    terminationGracePeriodSeconds:
      oldTgp !== undefined && oldTgp < 0 && ns.terminationGracePeriodSeconds === 1 ? 1 : oldTgp,
  };
  if (!deepEqual(normalizeSpec(munged), normalizeSpec(ns)))
    errs.push(forbidden('spec', POD_UPDATE_FORBIDDEN));
  return errs;
}

/** Empty lists and absent lists mean the same in JSON-decoded Go structs. */
function normalizeSpec(spec: PodSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}
