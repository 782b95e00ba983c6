/**
 * Jobs of batch/v1 (pkg/apis/batch/v1/defaults.go SetDefaults_Job;
 * pkg/apis/batch/validation/validation.go ValidateJob*; pkg/registry/batch/job/strategy.go with
 * its generated selector and status options; printers: printJob).
 */
import type { Job as UpstreamJob, JobStatus } from 'kubernetes-types/batch/v1.d.ts';
import { isDNS1123Label } from '../content-checks.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import {
  child,
  fieldDuplicate,
  fieldInvalid,
  fieldRequired,
  index,
  OMIT_VALUE,
  type FieldError,
} from '../field-error.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { PodTemplateSpec } from '../pod-types.ts';
import { formatLabelSelector, isSelectorError, labelSelectorAsMatcher } from '../selectors.ts';
import { validateJobSpecFields } from '../job-validation.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import type { JobSpec } from '../workload-types.ts';
import { parseTime } from '../time.ts';
import {
  defaultPodTemplate,
  validateHasLabel,
  validateNonnegative,
  validateSelectorMatchesTemplate,
} from '../workload-validation.ts';
import { humanDuration } from './duration.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  defineResource,
  keepSpec,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  objectMetaPatch,
  STATUS_VERBS,
} from './common.ts';
import type { TableColumn, UpdateStrategy } from './definition.ts';
import { podSpecPatch } from './pod.ts';
import { containerColumns } from './workload-columns.ts';

export type { JobSpec };
export type Job = Stored<UpstreamJob, { spec: JobSpec }>;

export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const DEFAULT_BACKOFF_LIMIT = 6;
const INT32_MAX = 2147483647;

/** SetDefaults_Job and the pod template's defaults. */
export function defaultJob(job: Job): Job {
  const spec: Partial<JobSpec> = job.spec ?? {};
  const bothUnset = spec.completions === undefined && spec.parallelism === undefined;
  const failurePolicy = spec.podFailurePolicy && {
    ...spec.podFailurePolicy,
    rules: spec.podFailurePolicy.rules.map((r) =>
      r.onPodConditions === undefined
        ? r
        : {
            ...r,
            onPodConditions: r.onPodConditions.map((p) => ({ ...p, status: p.status || 'True' })),
          },
    ),
  };
  // The template is a struct in upstream's JobSpec, not a pointer: missing, it is the zero one.
  const template = defaultPodTemplate(spec.template ?? ({} as PodTemplateSpec));
  const templateLabels = spec.template?.metadata?.labels;
  const labels = job.metadata.labels;
  return {
    ...job,
    // A Job without labels of its own takes its pods' labels.
    metadata:
      templateLabels !== undefined && Object.keys(labels ?? {}).length === 0
        ? { ...job.metadata, labels: templateLabels }
        : job.metadata,
    spec: {
      ...spec,
      ...(bothUnset ? { completions: 1 } : {}),
      parallelism: spec.parallelism ?? 1,
      backoffLimit:
        spec.backoffLimit ??
        (spec.backoffLimitPerIndex !== undefined ? INT32_MAX : DEFAULT_BACKOFF_LIMIT),
      completionMode: spec.completionMode ?? 'NonIndexed',
      suspend: spec.suspend ?? false,
      ...(failurePolicy === undefined ? {} : { podFailurePolicy: failurePolicy }),
      podReplacementPolicy:
        spec.podReplacementPolicy ??
        (spec.podFailurePolicy !== undefined ? 'Failed' : 'TerminatingOrFailed'),
      ...(template === undefined ? {} : { template }),
    } as JobSpec,
  };
}

/**
 * generateSelectorIfNeeded: unless the user asked for a manual selector, the pods carry the
 * Job's name and uid under both the legacy and the batch.kubernetes.io keys, and the selector
 * is the uid. Labels the user set are kept; validation rejects them if they disagree.
 */
export function generateSelector(job: Job): Job {
  if (job.spec.manualSelector === true) return job;
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  const labels = { ...job.spec.template.metadata?.labels };
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) labels[k] ??= name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) labels[k] ??= uid;
  const matchLabels = { ...job.spec.selector?.matchLabels };
  matchLabels[CONTROLLER_UID_LABEL] ??= uid;
  const template = { ...job.spec.template, metadata: { ...job.spec.template.metadata, labels } };
  return {
    ...job,
    spec: { ...job.spec, template, selector: { ...job.spec.selector, matchLabels } },
  };
}

/** validateGeneratedSelector: the generated labels are there and the selector selects them. */
function validateGeneratedSelector(job: Job, requirePrefixedLabels: boolean): FieldError[] {
  if (job.spec.manualSelector === true || job.spec.selector === undefined) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  if (uid === '') errs.push(fieldRequired('metadata.uid', ''));
  const labels = job.spec.template.metadata?.labels;
  const meta = 'spec.template.metadata';
  errs.push(...validateHasLabel(labels, meta, LEGACY_CONTROLLER_UID_LABEL, uid));
  errs.push(...validateHasLabel(labels, meta, LEGACY_JOB_NAME_LABEL, name));
  const expected: Record<string, string> = {};
  if (requirePrefixedLabels) {
    errs.push(...validateHasLabel(labels, meta, CONTROLLER_UID_LABEL, uid));
    errs.push(...validateHasLabel(labels, meta, JOB_NAME_LABEL, name));
    expected[CONTROLLER_UID_LABEL] = uid;
    expected[JOB_NAME_LABEL] = name;
  }
  expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  expected[LEGACY_JOB_NAME_LABEL] = name;
  const m = labelSelectorAsMatcher(job.spec.selector);
  if (!isSelectorError(m) && !m.matches(expected)) {
    errs.push(fieldInvalid('spec.selector', job.spec.selector, '`selector` not auto-generated'));
  }
  return errs;
}

/** ValidateJobSpec: the fields, then the selector and its agreement with the template. */
function validateJobSpec(spec: Partial<JobSpec>): FieldError[] {
  const errs = validateJobSpecFields(spec, 'spec');
  if (spec.selector === undefined) errs.push(fieldRequired('spec.selector', ''));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  errs.push(
    ...validateSelectorMatchesTemplate(
      spec.selector,
      spec.template,
      'spec.selector',
      'spec.template',
      undefined,
    ),
  );
  return errs;
}

/** ValidateJob with the options of a create, or of an update of a Job that has the labels. */
function validateJobWith(job: Job, requirePrefixedLabels: boolean): FieldError[] {
  const errs = validateObjectMeta(job.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateGeneratedSelector(job, requirePrefixedLabels));
  errs.push(...validateJobSpec(job.spec ?? {}));
  const completions = job.spec?.completions;
  if (job.spec?.completionMode === 'Indexed' && completions !== undefined && completions > 0) {
    // The controller names pods' hostnames `<job>-<index>`.
    const hostname = `${job.metadata.name ?? ''}-${completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(
        fieldInvalid(
          'metadata.name',
          job.metadata.name,
          `will not able to create pod with invalid DNS label: ${hostname}`,
        ),
      );
    }
  }
  return errs;
}

export function validateJob(job: Job): FieldError[] {
  return validateJobWith(job, true);
}

/**
 * The template may change only while the Job is suspended and has never started, and then
 * only its scheduling directives (JobMutableNodeSchedulingDirectives), labels and annotations.
 */
function comparableTemplate(next: Job, old: Job): PodTemplateSpec {
  const o = old.spec.template;
  if (!(old.spec.suspend === true && old.status?.startTime === undefined)) return o;
  const n = next.spec.template;
  const nodeAffinity = n.spec.affinity?.nodeAffinity;
  const { nodeAffinity: _dropped, ...otherAffinity } = o.spec.affinity ?? {};
  const affinity =
    n.spec.affinity === undefined && Object.keys(otherAffinity).length === 0
      ? undefined
      : { ...otherAffinity, ...(nodeAffinity === undefined ? {} : { nodeAffinity }) };
  const spec = {
    ...o.spec,
    nodeSelector: n.spec.nodeSelector,
    tolerations: n.spec.tolerations,
    schedulingGates: (n.spec as { schedulingGates?: unknown }).schedulingGates,
    affinity,
  };
  return {
    ...o,
    metadata: { ...o.metadata, labels: n.metadata?.labels, annotations: n.metadata?.annotations },
    spec: dropUndefined(spec) as unknown as PodTemplateSpec['spec'],
  };
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** jobStrategy.ValidateUpdate: ValidateJob, then ValidateJobUpdate's immutable fields. */
export function validateJobUpdate(next: Job, old: Job): FieldError[] {
  const oldLabels = old.spec.template.metadata?.labels ?? {};
  const prefixed = old.spec.manualSelector === true || CONTROLLER_UID_LABEL in oldLabels;
  const errs = [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateJobWith(next, prefixed),
  ];
  const s = next.spec;
  const o = old.spec;
  errs.push(...validateImmutableField(s.completions, o.completions, 'spec.completions'));
  errs.push(...validateImmutableField(s.selector, o.selector, 'spec.selector'));
  errs.push(...validateImmutableField(s.template, comparableTemplate(next, old), 'spec.template'));
  for (const f of [
    'completionMode',
    'podFailurePolicy',
    'backoffLimitPerIndex',
    'managedBy',
    'successPolicy',
  ] as const) {
    errs.push(...validateImmutableField(s[f], o[f], child('spec', f)));
  }
  return errs;
}

type Conditions = DeepReadonly<JobStatus>['conditions'];

function conditionTrue(conditions: Conditions, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

const isComplete = (j: Job): boolean => conditionTrue(j.status?.conditions, 'Complete');
const isFailed = (j: Job): boolean => conditionTrue(j.status?.conditions, 'Failed');
const isFinished = (j: Job): boolean => isComplete(j) || isFailed(j);

/**
 * ValidateJobUpdateStatus with the options jobStatusStrategy computes (JobManagedBy is on in
 * 1.32): counters, the terminal conditions and the times that go with them. Each rule runs
 * only when a field it reads changed, so a controller can fix a status a spec change upset.
 * The completed/failed index checks are not modelled.
 */
export function validateJobStatusUpdate(next: Job, old: Job): FieldError[] {
  const s = next.status ?? {};
  const o = old.status ?? {};
  const errs = validateObjectMetaUpdate(next.metadata, old.metadata);
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating'] as const) {
    errs.push(...validateNonnegative(s[f], child('status', f)));
  }
  const uncounted = s.uncountedTerminatedPods;
  if (uncounted !== undefined) {
    const seen = new Set<string>();
    for (const list of ['succeeded', 'failed'] as const) {
      for (const [i, uid] of (uncounted[list] ?? []).entries()) {
        const p = index(child('status.uncountedTerminatedPods', list), i);
        if (uid === '') errs.push(fieldInvalid(p, uid, 'must not be empty'));
        else if (seen.has(uid)) errs.push(fieldDuplicate(p, uid));
        else seen.add(uid);
      }
    }
  }
  const changed = (f: keyof typeof s): boolean => !deepEqual(s[f], o[f]);
  const finishedChanged = isFinished(old) !== isFinished(next);
  const completeChanged = isComplete(old) !== isComplete(next);
  const conditions = 'status.conditions';
  if ((completeChanged || isFailed(old) !== isFailed(next)) && isComplete(next) && isFailed(next)) {
    errs.push(
      fieldInvalid(conditions, OMIT_VALUE, 'cannot set Complete=True and Failed=true conditions'),
    );
  }
  if (
    (completeChanged || changed('completionTime')) &&
    s.completionTime !== undefined &&
    !isComplete(next)
  ) {
    errs.push(
      fieldInvalid(
        'status.completionTime',
        s.completionTime,
        'cannot set completionTime when there is no Complete=True condition',
      ),
    );
  }
  if (
    (completeChanged || changed('completionTime')) &&
    s.completionTime === undefined &&
    isComplete(next)
  ) {
    errs.push(
      fieldRequired('status.completionTime', 'completionTime is required for Complete jobs'),
    );
  }
  if ((changed('startTime') || changed('completionTime')) && s.startTime && s.completionTime) {
    if ((parseTime(s.completionTime) ?? 0) < (parseTime(s.startTime) ?? 0)) {
      errs.push(
        fieldInvalid(
          'status.completionTime',
          s.completionTime,
          'completionTime cannot be set before startTime',
        ),
      );
    }
  }
  if ((finishedChanged || changed('active')) && (s.active ?? 0) > 0 && isFinished(next)) {
    errs.push(fieldInvalid('status.active', s.active, 'active>0 is invalid for finished job'));
  }
  if ((finishedChanged || changed('startTime')) && s.startTime === undefined && isFinished(next)) {
    errs.push(fieldRequired('status.startTime', 'startTime is required for finished job'));
  }
  if (
    (changed('ready') || changed('active')) &&
    s.ready !== undefined &&
    s.ready > (s.active ?? 0)
  ) {
    errs.push(fieldInvalid('status.ready', s.ready, 'cannot set more ready pods than active'));
  }
  for (const type of ['Failed', 'Complete', 'FailureTarget']) {
    if (conditionTrue(o.conditions, type) && !conditionTrue(s.conditions, type)) {
      errs.push(
        fieldInvalid(conditions, OMIT_VALUE, `cannot disable the terminal ${type}=True condition`),
      );
    }
  }
  if ((s.failed ?? 0) < (o.failed ?? 0)) {
    errs.push(fieldInvalid('status.failed', s.failed ?? 0, 'cannot decrease the failed counter'));
  }
  const elastic =
    next.spec.completionMode === 'Indexed' && next.spec.completions === next.spec.parallelism;
  if (!elastic && (s.succeeded ?? 0) < (o.succeeded ?? 0)) {
    errs.push(
      fieldInvalid('status.succeeded', s.succeeded ?? 0, 'cannot decrease the succeeded counter'),
    );
  }
  if (
    s.completionTime !== undefined &&
    o.completionTime !== undefined &&
    s.completionTime !== o.completionTime
  ) {
    errs.push(
      fieldInvalid('status.completionTime', s.completionTime, 'completionTime cannot be mutated'),
    );
  }
  if (o.startTime !== undefined && o.startTime !== s.startTime && next.spec.suspend !== true) {
    errs.push(fieldRequired('status.startTime', 'startTime cannot be removed for unsuspended job'));
  }
  return errs;
}

const STATUS_STRATEGY: UpdateStrategy<Job> = {
  prepareForUpdate: keepSpec,
  validateUpdate: validateJobStatusUpdate,
};

/** printJob's Completions: `succeeded/completions`, or `/1 of <parallelism>` for a work queue. */
function completions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function duration(job: Job, nowUs: number): string {
  const start = job.status?.startTime ? parseTime(job.status.startTime) : undefined;
  if (start === undefined) return '';
  const end = job.status?.completionTime ? parseTime(job.status.completionTime) : undefined;
  return humanDuration((end ?? nowUs) - start);
}

function jobStatus(job: Job): string {
  const c = job.status?.conditions;
  if (conditionTrue(c, 'Complete')) return 'Complete';
  if (conditionTrue(c, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (conditionTrue(c, 'Suspended')) return 'Suspended';
  if (conditionTrue(c, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const JOB_SELECTOR_DESCRIPTION =
  'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors';

const TABLE: readonly TableColumn<Job>[] = [
  NAME_COLUMN,
  {
    name: 'Status',
    type: 'string',
    priority: 0,
    description: 'Status of the job.',
    cell: jobStatus,
  },
  {
    name: 'Completions',
    type: 'string',
    priority: 0,
    description:
      'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
    cell: completions,
  },
  {
    name: 'Duration',
    type: 'string',
    priority: 0,
    description: 'Time required to complete the job.',
    cell: duration,
  },
  AGE_COLUMN,
  ...containerColumns<Job>((j) => j.spec.template),
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description: JOB_SELECTOR_DESCRIPTION,
    cell: (j) => formatLabelSelector(j.spec.selector),
  },
];

export const JOB = defineResource<Job>({
  discovery: {
    kind: 'Job',
    group: 'batch',
    resource: 'jobs',
    namespaced: true,
    categories: ['all'],
  },
  defaults: defaultJob,
  // jobStrategy.PrepareForCreate: the generated selector (the uid is already set), no status.
  prepareForCreate: (job) => ({ ...generateSelector(job), status: {} }),
  validate: validateJob,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateJobUpdate },
  tracksGeneration: true,
  subresources: [
    { kind: 'strategy', name: 'status', verbs: STATUS_VERBS, strategy: STATUS_STRATEGY },
  ],
  table: TABLE,
  fields: (job) => ({
    ...objectMetaFields(job.metadata),
    'status.successful': String(job.status?.succeeded ?? 0),
  }),
  fieldSelectors: [...OBJECT_META_FIELD_LABELS, 'status.successful'],
  patch: [
    ...OBJECT_META_PATCH,
    ...objectMetaPatch('spec.template.metadata'),
    ...podSpecPatch('spec.template.spec'),
    conditionsPatch('status.conditions'),
  ],
});
