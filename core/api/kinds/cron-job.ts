/**
 * CronJobs of batch/v1 (pkg/apis/batch/v1/defaults.go SetDefaults_CronJob;
 * pkg/apis/batch/validation/validation.go ValidateCronJob*, validateScheduleFormat,
 * validateTimeZone, ValidateJobTemplateSpec; pkg/registry/batch/cronjob/strategy.go; printers:
 * printCronJob). Schedules are checked against robfig/cron's grammar and croner (see
 * ../cron-schedule.ts).
 */
import type {
  CronJob as UpstreamCronJob,
  CronJobSpec as UpstreamCronJobSpec,
} from 'kubernetes-types/batch/v1.d.ts';
import { DNS1123_LABEL_MAX_LENGTH } from '../content-checks.ts';
import { cronScheduleError, timeZoneErrors } from '../cron-schedule.ts';
import {
  child,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from '../field-error.ts';
import { validateJobSpecFields } from '../job-validation.ts';
import type { ObjectMeta } from '../meta-types.ts';
import {
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import { formatLabelSelector } from '../selectors.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import { defaultPodTemplate, validateNonnegative } from '../workload-validation.ts';
import {
  AGE_COLUMN,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  objectMetaPatch,
  timeSince,
  statusSubresource,
} from './common.ts';
import type { TableColumn } from './definition.ts';
import { JOB_SELECTOR_DESCRIPTION, type JobSpec } from './job.ts';
import { podSpecPatch } from './pod.ts';
import { containerColumns } from './workload-columns.ts';

export interface JobTemplateSpec {
  readonly metadata?: ObjectMeta;
  readonly spec: JobSpec;
}
export type CronJobSpec = DeepReadonly<Omit<UpstreamCronJobSpec, 'jobTemplate'>> & {
  readonly jobTemplate: JobTemplateSpec;
};
export type CronJob = Stored<UpstreamCronJob, { spec: CronJobSpec }>;

export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;
/** The controller names a CronJob's Jobs `<name>-<minutes since the epoch>`: 11 more characters. */
const MAX_CRON_JOB_NAME_LENGTH = DNS1123_LABEL_MAX_LENGTH - 11;
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];

/** SetDefaults_CronJob and the job template's pod defaults (not SetDefaults_Job: that is a Job's). */
export function defaultCronJob(cj: CronJob): CronJob {
  const spec: Partial<CronJobSpec> = cj.spec ?? {};
  const jt = spec.jobTemplate;
  const template = defaultPodTemplate(jt?.spec?.template);
  return {
    ...cj,
    spec: {
      ...spec,
      concurrencyPolicy: spec.concurrencyPolicy || 'Allow',
      suspend: spec.suspend ?? false,
      successfulJobsHistoryLimit:
        spec.successfulJobsHistoryLimit ?? DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT,
      failedJobsHistoryLimit: spec.failedJobsHistoryLimit ?? DEFAULT_FAILED_JOBS_HISTORY_LIMIT,
      ...(jt === undefined || template === undefined
        ? {}
        : { jobTemplate: { ...jt, spec: { ...jt.spec, template } } }),
    } as CronJobSpec,
  };
}

/** validateScheduleFormat: the grammar, then where a TZ= prefix is allowed. */
function validateSchedule(
  schedule: string,
  allowTZInSchedule: boolean,
  timeZone: string | undefined,
): FieldError[] {
  const path = 'spec.schedule';
  const errs: FieldError[] = [];
  const err = cronScheduleError(schedule);
  if (err !== undefined) errs.push(fieldInvalid(path, schedule, err));
  if (allowTZInSchedule && schedule.includes('TZ') && timeZone !== undefined) {
    errs.push(
      fieldInvalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'),
    );
  } else if (!allowTZInSchedule && schedule.includes('TZ')) {
    errs.push(
      fieldInvalid(
        path,
        schedule,
        'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ),
    );
  }
  return errs;
}

/** ValidateJobTemplateSpec: a Job's spec whose selector the API server will generate. */
function validateJobTemplate(jt: JobTemplateSpec | undefined, path: string): FieldError[] {
  const spec: Partial<JobSpec> = jt?.spec ?? {};
  const specPath = child(path, 'spec');
  const errs = validateJobSpecFields(spec, specPath);
  if (spec.selector !== undefined) {
    errs.push(
      fieldInvalid(child(specPath, 'selector'), spec.selector, '`selector` will be auto-generated'),
    );
  }
  if (spec.manualSelector === true) {
    errs.push(fieldNotSupported(child(specPath, 'manualSelector'), true, ['nil', 'false']));
  }
  return errs;
}

/** validateCronJobSpec; `old` is the stored spec on an update. */
function validateCronJobSpec(
  spec: Partial<CronJobSpec>,
  old: CronJobSpec | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = spec.schedule ?? '';
  if (schedule.length === 0) errs.push(fieldRequired('spec.schedule', ''));
  else {
    // A schedule stored with TZ= before the timeZone field existed may keep it.
    const allowTZ = old !== undefined && old.schedule.includes('TZ');
    errs.push(...validateSchedule(schedule, allowTZ, spec.timeZone));
  }
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (spec.timeZone !== undefined && (old === undefined || old.timeZone !== spec.timeZone)) {
    for (const msg of timeZoneErrors(spec.timeZone)) {
      errs.push(fieldInvalid('spec.timeZone', spec.timeZone, msg));
    }
  }
  const policy = spec.concurrencyPolicy ?? '';
  if (policy === '') errs.push(fieldRequired('spec.concurrencyPolicy', ''));
  else if (!CONCURRENCY_POLICIES.includes(policy)) {
    errs.push(fieldNotSupported('spec.concurrencyPolicy', policy, CONCURRENCY_POLICIES));
  }
  errs.push(...validateJobTemplate(spec.jobTemplate, 'spec.jobTemplate'));
  for (const f of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) {
    errs.push(...validateNonnegative(spec[f], child('spec', f)));
  }
  return errs;
}

export function validateCronJob(cj: CronJob): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateCronJobSpec(cj.spec ?? {}, undefined));
  const name = cj.metadata.name ?? '';
  if (name.length > MAX_CRON_JOB_NAME_LENGTH) {
    errs.push(
      fieldInvalid(
        'metadata.name',
        name,
        `must be no more than ${MAX_CRON_JOB_NAME_LENGTH} characters`,
      ),
    );
  }
  return errs;
}

/** ValidateCronJobUpdate: no name length limit, so older long-named CronJobs stay editable. */
export function validateCronJobUpdate(next: CronJob, old: CronJob): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateCronJobSpec(next.spec ?? {}, old.spec),
  ];
}

const TABLE: readonly TableColumn<CronJob>[] = [
  NAME_COLUMN,
  {
    name: 'Schedule',
    type: 'string',
    priority: 0,
    description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.',
    cell: (cj) => cj.spec.schedule,
  },
  {
    name: 'Timezone',
    type: 'string',
    priority: 0,
    description:
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
    cell: (cj) => cj.spec.timeZone ?? '<none>',
  },
  {
    name: 'Suspend',
    type: 'boolean',
    priority: 0,
    description:
      'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
    // printBoolPtr.
    cell: (cj) => (cj.spec.suspend === undefined ? '<unset>' : cj.spec.suspend ? 'True' : 'False'),
  },
  {
    name: 'Active',
    type: 'integer',
    priority: 0,
    description: 'A list of pointers to currently running jobs.',
    cell: (cj) => cj.status?.active?.length ?? 0,
  },
  {
    name: 'Last Schedule',
    type: 'string',
    priority: 0,
    description: 'Information when was the last time the job was successfully scheduled.',
    cell: (cj, nowUs) =>
      cj.status?.lastScheduleTime ? timeSince(cj.status.lastScheduleTime, nowUs) : '<none>',
  },
  AGE_COLUMN,
  ...containerColumns<CronJob>((cj) => cj.spec.jobTemplate?.spec?.template),
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description: JOB_SELECTOR_DESCRIPTION,
    cell: (cj) => formatLabelSelector(cj.spec.jobTemplate?.spec?.selector),
  },
];

export const CRON_JOB = defineResource<CronJob>({
  discovery: {
    kind: 'CronJob',
    group: 'batch',
    resource: 'cronjobs',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
  },
  defaults: defaultCronJob,
  prepareForCreate: (cj) => ({ ...cj, status: {} }),
  validate: validateCronJob,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateCronJobUpdate },
  tracksGeneration: true,
  subresources: [
    // cronJobStatusStrategy validates nothing beyond the generic metadata rules.
    statusSubresource((next, old) => validateObjectMetaUpdate(next.metadata, old.metadata)),
  ],
  table: TABLE,
  patch: [
    ...OBJECT_META_PATCH,
    ...objectMetaPatch('spec.jobTemplate.spec.template.metadata'),
    ...podSpecPatch('spec.jobTemplate.spec.template.spec'),
  ],
});
