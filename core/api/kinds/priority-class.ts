/**
 * PriorityClasses of scheduling.k8s.io/v1 (pkg/apis/scheduling/validation/validation.go,
 * pkg/apis/scheduling/v1/defaults.go and helpers.go, pkg/registry/scheduling/priorityclass,
 * the scheduling/bootstrap-system-priority-classes post-start hook in
 * pkg/registry/scheduling/rest/storage_scheduling.go, the Priority admission plugin's check of
 * globalDefault in plugin/pkg/admission/priority/admission.go; printers: printPriorityClass).
 */
import type { PriorityClass as UpstreamPriorityClass } from 'kubernetes-types/scheduling/v1.d.ts';
import {
  fieldForbidden,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from '../field-error.ts';
import {
  nameIsDNSSubdomain,
  validateAnnotations,
  validateImmutableField,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export type PriorityClass = Stored<UpstreamPriorityClass>;

/** scheduling.HighestUserDefinablePriority: classes above it are the system's. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** scheduling.SystemCriticalPriority. */
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

function systemClass(name: string, value: number, description: string): PriorityClass {
  return {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    description,
    preemptionPolicy: 'PreemptLowerPriority',
  };
}

/** schedulingapiv1.SystemPriorityClasses, in upstream's order. */
export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClass[] = [
  systemClass(
    'system-node-critical',
    SYSTEM_CRITICAL_PRIORITY + 1000,
    'Used for system critical pods that must not be moved from their current node.',
  ),
  systemClass(
    'system-cluster-critical',
    SYSTEM_CRITICAL_PRIORITY,
    'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  ),
];

/** IsKnownSystemPriorityClass: why `pc` is not exactly one of the system classes, if it is not. */
function systemClassMismatch(pc: PriorityClass): string | undefined {
  const name = pc.metadata.name ?? '';
  const known = SYSTEM_PRIORITY_CLASSES.find((s) => s.metadata.name === name);
  if (known === undefined) return `${name} is not a known system priority class`;
  if (known.value !== (pc.value ?? 0))
    return `value of ${name} PriorityClass must be ${known.value}`;
  if ((pc.globalDefault ?? false) !== false) {
    return `globalDefault of ${name} PriorityClass must be false`;
  }
  return undefined;
}

export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const errs = validateObjectMeta(pc.metadata, false, nameIsDNSSubdomain);
  if ((pc.metadata.name ?? '').startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const mismatch = systemClassMismatch(pc);
    if (mismatch !== undefined) {
      errs.push(
        fieldForbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${mismatch}`,
        ),
      );
    }
  } else if ((pc.value ?? 0) > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(
      fieldForbidden(
        'value',
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    );
  }
  if (pc.preemptionPolicy !== undefined) {
    if (pc.preemptionPolicy === '') errs.push(fieldRequired('preemptionPolicy'));
    else if (!PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) {
      errs.push(fieldNotSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
    }
  }
  return errs;
}

/**
 * Upstream validates only what an update may not change and the new metadata (its
 * ValidateObjectMetaUpdate includes labels and annotations): the rest is not revalidated.
 */
export function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(pc.metadata, old.metadata),
    ...validateLabels(pc.metadata.labels, 'metadata.labels'),
    ...validateAnnotations(pc.metadata.annotations, 'metadata.annotations'),
  ];
  if ((pc.value ?? 0) !== (old.value ?? 0)) {
    errs.push(fieldForbidden('value', 'may not be changed in an update.'));
  }
  errs.push(
    ...validateImmutableField(pc.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'),
  );
  return errs;
}

/**
 * The Priority admission plugin: a class may become the global default only while no other one
 * is. When a race left several, the one with the lowest value is "the" default, as upstream.
 */
function admitGlobalDefault(
  pc: PriorityClass,
  existing: readonly PriorityClass[],
  operation: 'create' | 'update',
): string | undefined {
  if (pc.globalDefault !== true) return undefined;
  const current = existing
    .filter((e) => e.globalDefault === true)
    .reduce<PriorityClass | undefined>(
      (a, e) => (a === undefined || e.value < a.value ? e : a),
      undefined,
    );
  if (current === undefined) return undefined;
  if (operation === 'update' && current.metadata.name === pc.metadata.name) return undefined;
  return `PriorityClass ${current.metadata.name ?? ''} is already marked as default. Only one default can exist`;
}

export const PRIORITY_CLASS = defineResource<PriorityClass>({
  discovery: {
    kind: 'PriorityClass',
    group: 'scheduling.k8s.io',
    resource: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
  },
  // SetDefaults_PriorityClass.
  defaults: (pc) =>
    pc.preemptionPolicy === undefined ? { ...pc, preemptionPolicy: 'PreemptLowerPriority' } : pc,
  // priorityClassStrategy.PrepareForCreate: generation starts (and stays) at 1.
  prepareForCreate: (pc) => ({ ...pc, metadata: { ...pc.metadata, generation: 1 } }),
  validate: validatePriorityClass,
  update: { prepareForUpdate: (next) => next, validateUpdate: validatePriorityClassUpdate },
  admitAmong: admitGlobalDefault,
  bootstrap: () => SYSTEM_PRIORITY_CLASSES,
  table: [
    NAME_COLUMN,
    {
      name: 'Value',
      type: 'integer',
      priority: 0,
      description:
        'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
      cell: (pc) => pc.value ?? 0,
    },
    {
      name: 'Global-Default',
      type: 'boolean',
      priority: 0,
      description:
        'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
      cell: (pc) => pc.globalDefault ?? false,
    },
    AGE_COLUMN,
    {
      name: 'PreemptionPolicy',
      type: 'string',
      priority: 0,
      description:
        'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
      cell: (pc) => pc.preemptionPolicy ?? '',
    },
  ],
});
