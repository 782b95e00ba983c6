import { describe, expect, it } from 'vitest';
import { cronScheduleError, timeZoneErrors } from '../../../../core/api/cron-schedule.ts';
import {
  CRON_JOB,
  defaultCronJob,
  validateCronJob,
  validateCronJobUpdate,
  type CronJob,
} from '../../../../core/api/kinds/cron-job.ts';
import { messages, template, withField } from './workload-fixtures.ts';

const cronJob: CronJob = defaultCronJob({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'default' },
  spec: {
    schedule: '0 3 * * *',
    jobTemplate: { spec: { template: template({}, 'OnFailure') } },
  },
});

const apply = (fields: Readonly<Record<string, unknown>>, base: CronJob = cronJob): CronJob =>
  Object.entries(fields).reduce((c, [path, value]) => withField(c, path, value), base);

describe('cron schedules (robfig/cron ParseStandard, as upstream validates them)', () => {
  it.each([
    ['*/5 * * * *', undefined],
    ['0 0 * * MON-FRI', undefined],
    ['0 0 1 jan,jul *', undefined],
    ['5/15 * * * *', undefined],
    ['@hourly', undefined],
    ['@every 90s', undefined],
    ['TZ=UTC 0 0 * * *', undefined],
    ['', 'empty spec string'],
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['0 0 * * 7', 'end of range (7) above maximum (6): 7'],
    ['3-1 * * * *', 'beginning of range (3) beyond end of range (1): 3-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
    ['* * * * * *', 'expected exactly 5 fields, found 6: [* * * * * *]'],
    ['0 0 L * *', 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every soon', 'failed to parse duration @every soon: time: invalid duration "soon"'],
    [
      'TZ=Mars/Olympus 0 * * * *',
      'provided bad location Mars/Olympus: unknown time zone Mars/Olympus',
    ],
  ])('%j', (schedule, expected) => {
    expect(cronScheduleError(schedule)).toBe(expected);
  });

  it.each([
    ['Europe/Paris', []],
    ['Etc/UTC', []],
    ['', ['timeZone must be nil or non-empty string']],
    ['europe/paris', ['unknown time zone europe/paris']],
    ['Europe/../Paris', ['unknown time zone Europe/../Paris']],
    [
      'Local',
      ['timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'],
    ],
  ])('time zone %j', (zone, expected) => {
    expect(timeZoneErrors(zone)).toEqual(expected);
  });
});

describe('CronJob', () => {
  it('defaults as SetDefaults_CronJob, not SetDefaults_Job', () => {
    expect(cronJob.spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(cronJob.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
  });

  it.each([
    ['a valid cron job', {}, []],
    [
      'a bad schedule',
      { 'spec.schedule': '0 25 * * *' },
      ['spec.schedule: Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25'],
    ],
    [
      'a TZ= prefix',
      { 'spec.schedule': 'CRON_TZ=UTC 0 3 * * *' },
      [
        'spec.schedule: Invalid value: "CRON_TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ],
    ],
    [
      'an unknown time zone',
      { 'spec.timeZone': 'Europe/Pariss' },
      ['spec.timeZone: Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss'],
    ],
    [
      'an unknown concurrency policy',
      { 'spec.concurrencyPolicy': 'Sometimes' },
      [
        'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
      ],
    ],
    [
      'a job template with a selector',
      { 'spec.jobTemplate.spec.selector': { matchLabels: { a: 'b' } } },
      [
        'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
      ],
    ],
    [
      'pods that restart Always',
      { 'spec.jobTemplate.spec.template.spec.restartPolicy': 'Always' },
      [
        'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      ],
    ],
    [
      'a name longer than 52 characters',
      { 'metadata.name': 'n'.repeat(53) },
      [`metadata.name: Invalid value: "${'n'.repeat(53)}": must be no more than 52 characters`],
    ],
  ] as const)('validates %s', (_name, fields, expected) => {
    expect(messages(validateCronJob(apply(fields)))).toEqual(expected);
  });

  it('lets a schedule stored with TZ= keep it, but not beside timeZone', () => {
    const old = apply({ 'spec.schedule': 'TZ=UTC 0 3 * * *' });
    expect(validateCronJobUpdate(apply({ 'spec.suspend': true }, old), old)).toEqual([]);
    expect(messages(validateCronJobUpdate(apply({ 'spec.timeZone': 'UTC' }, old), old))).toEqual([
      'spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule',
    ]);
    const long = apply({ 'metadata.name': 'n'.repeat(53) });
    expect(validateCronJobUpdate(long, long)).toEqual([]);
  });

  it('prints Schedule, Timezone, Suspend, Active and Last Schedule', () => {
    expect(CRON_JOB.table.map((c) => c.name)).toEqual([
      'Name',
      'Schedule',
      'Timezone',
      'Suspend',
      'Active',
      'Last Schedule',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    const active = apply({ status: { active: [{ name: 'nightly-1' }] } });
    expect(CRON_JOB.table.slice(1, 6).map((c) => c.cell(active, 0))).toEqual([
      '0 3 * * *',
      '<none>',
      'False',
      1,
      '<none>',
    ]);
  });
});
