import { describe, expect, it } from 'vitest';
import {
  CONTROLLER_UID_LABEL,
  defaultJob,
  generateSelector,
  JOB,
  JOB_NAME_LABEL,
  validateJob,
  validateJobStatusUpdate,
  validateJobUpdate,
  type Job,
} from '../../../../core/api/kinds/job.ts';
import { parseIndexes } from '../../../../core/api/job-validation.ts';
import { messages, template, withField } from './workload-fixtures.ts';

const UID = '0b6c9c1e-0000-4000-8000-000000000001';

/** A Job as the API server has it after defaulting and PrepareForCreate. */
const job: Job = generateSelector(
  defaultJob({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'default', uid: UID },
    spec: { template: template({}, 'Never') },
  }),
);

const apply = (fields: Readonly<Record<string, unknown>>, base: Job = job): Job =>
  Object.entries(fields).reduce((j, [path, value]) => withField(j, path, value), base);

describe('Job', () => {
  it('defaults as SetDefaults_Job', () => {
    expect(job.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    const perIndex = defaultJob(
      apply({
        'spec.completionMode': 'Indexed',
        'spec.completions': 4,
        'spec.backoffLimitPerIndex': 1,
        'spec.backoffLimit': undefined,
      }),
    );
    expect(perIndex.spec.backoffLimit).toBe(2147483647);
    const workQueue = defaultJob(apply({ 'spec.completions': undefined, 'spec.parallelism': 3 }));
    expect(workQueue.spec.completions).toBeUndefined();
    const withPolicy = defaultJob(
      apply({
        'spec.podReplacementPolicy': undefined,
        'spec.podFailurePolicy': {
          rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }],
        },
      }),
    );
    expect(withPolicy.spec.podReplacementPolicy).toBe('Failed');
    expect(withPolicy.spec.podFailurePolicy?.rules[0]?.onPodConditions?.[0]?.status).toBe('True');
  });

  it('generates the selector and pod labels from the uid and name, keeping the user’s labels', () => {
    expect(job.spec.selector).toEqual({ matchLabels: { [CONTROLLER_UID_LABEL]: UID } });
    expect(job.spec.template.metadata?.labels).toEqual({
      'job-name': 'migrate',
      [JOB_NAME_LABEL]: 'migrate',
      'controller-uid': UID,
      [CONTROLLER_UID_LABEL]: UID,
    });
    const manual = apply({
      'spec.manualSelector': true,
      'spec.selector': { matchLabels: { a: 'b' } },
    });
    expect(generateSelector(manual)).toBe(manual);
  });

  it.each([
    ['a valid job', {}, []],
    [
      'a restart policy of Always',
      { 'spec.template.spec.restartPolicy': 'Always' },
      ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ],
    [
      'negative counts',
      { 'spec.parallelism': -1, 'spec.backoffLimit': -2 },
      [
        'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
        'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0',
      ],
    ],
    [
      'an Indexed job without completions',
      { 'spec.completionMode': 'Indexed', 'spec.completions': undefined },
      ['spec.completions: Required value: when completion mode is Indexed'],
    ],
    [
      'a per-index limit without Indexed mode',
      { 'spec.backoffLimitPerIndex': 1 },
      ['spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode'],
    ],
    [
      'a selector that was not generated',
      { 'spec.selector': { matchLabels: { [CONTROLLER_UID_LABEL]: 'other' } } },
      [
        'spec.selector: Invalid value: {"matchLabels":{"batch.kubernetes.io/controller-uid":"other"}}: `selector` not auto-generated',
        'spec.template.metadata.labels: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"0b6c9c1e-0000-4000-8000-000000000001", "batch.kubernetes.io/job-name":"migrate", "controller-uid":"0b6c9c1e-0000-4000-8000-000000000001", "job-name":"migrate"}: `selector` does not match template `labels`',
      ],
    ],
    [
      'a pod failure policy with OnFailure pods and a rule without requirements',
      {
        'spec.template.spec.restartPolicy': 'OnFailure',
        'spec.podFailurePolicy': { rules: [{ action: 'FailJob' }] },
      },
      [
        'spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
        'spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"',
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      ],
    ],
    [
      'exit codes out of order, duplicated, and 0 with In',
      {
        'spec.podReplacementPolicy': 'Failed',
        'spec.podFailurePolicy': {
          rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [3, 0, 3] } }],
        },
      },
      [
        'spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator',
        'spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3',
        'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 0, 3}: must be ordered',
      ],
    ],
    [
      'a success policy without Indexed mode',
      { 'spec.successPolicy': { rules: [{ succeededCount: 1 }] } },
      [
        'spec.successPolicy: Invalid value: {"rules":[{"succeededCount":1}]}: requires indexed completion mode',
      ],
    ],
  ] as const)('validates %s', (_name, fields, expected) => {
    expect(messages(validateJob(apply(fields)))).toEqual(expected);
  });

  it('refuses an Indexed job whose last pod hostname would not be a DNS label', () => {
    const name = 'a'.repeat(62);
    const indexed = generateSelector(
      defaultJob({
        ...job,
        metadata: { name, namespace: 'default', uid: UID },
        spec: { template: template({}, 'Never'), completionMode: 'Indexed', completions: 10 },
      }),
    );
    expect(messages(validateJob(indexed))).toContain(
      `metadata.name: Invalid value: "${name}": will not able to create pod with invalid DNS label: ${name}-9`,
    );
  });

  it('parses index lists as validateIndexesFormat', () => {
    expect(parseIndexes('1,3-5,7', 8)).toBe(5);
    expect(parseIndexes('', 8)).toBe(0);
    expect(parseIndexes('1-2-3', 8)).toBe(
      'the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by \'-\'',
    );
    expect(parseIndexes('8', 8)).toBe('too large index: "8"');
    expect(parseIndexes('3,1', 8)).toBe('non-increasing order, previous: 3, current: 1');
    expect(parseIndexes('x', 8)).toBe('cannot convert string to integer for index: "x"');
  });

  it('keeps the template immutable unless the job is suspended and never started', () => {
    const changed = apply({ 'spec.template.spec.nodeSelector': { zone: 'a' } });
    expect(messages(validateJobUpdate(changed, job))).toEqual([
      expect.stringMatching(/^spec\.template: Invalid value: .*: field is immutable$/),
    ]);
    const suspended = apply({ 'spec.suspend': true });
    expect(
      validateJobUpdate(
        apply({ 'spec.template.spec.nodeSelector': { zone: 'a' } }, suspended),
        suspended,
      ),
    ).toEqual([]);
    const container = { ...job.spec.template.spec.containers[0], image: 'other' };
    const image = apply({ 'spec.template.spec.containers': [container] }, suspended);
    expect(messages(validateJobUpdate(image, suspended))).toEqual([
      expect.stringMatching(/^spec\.template: Invalid value: .*: field is immutable$/),
    ]);
    expect(messages(validateJobUpdate(apply({ 'spec.completions': 2 }), job))).toEqual([
      'spec.completions: Invalid value: 2: field is immutable',
    ]);
  });

  it('checks status transitions as jobStatusStrategy does', () => {
    const complete = { type: 'Complete', status: 'True' };
    const running = apply({ status: { active: 1, failed: 2, startTime: '2026-01-01T00:00:00Z' } });
    const finished = apply({
      status: { active: 1, failed: 1, startTime: '2026-01-01T00:00:00Z', conditions: [complete] },
    });
    expect(messages(validateJobStatusUpdate(finished, running))).toEqual([
      'status.completionTime: Required value: completionTime is required for Complete jobs',
      'status.active: Invalid value: 1: active>0 is invalid for finished job',
      'status.failed: Invalid value: 1: cannot decrease the failed counter',
    ]);
    const done = apply({
      status: {
        succeeded: 1,
        startTime: '2026-01-01T00:00:00Z',
        completionTime: '2026-01-01T00:01:00Z',
        conditions: [complete],
      },
    });
    expect(
      validateJobStatusUpdate(
        done,
        apply({ status: { active: 1, startTime: '2026-01-01T00:00:00Z' } }),
      ),
    ).toEqual([]);
    expect(messages(validateJobStatusUpdate(apply({ status: { succeeded: 1 } }), done))).toEqual([
      'status.conditions: Invalid value: cannot disable the terminal Complete=True condition',
      'status.startTime: Required value: startTime cannot be removed for unsuspended job',
    ]);
  });

  it('prints Status, Completions and Duration', () => {
    const done = apply({
      status: {
        succeeded: 1,
        startTime: '2026-01-01T00:00:00Z',
        completionTime: '2026-01-01T00:01:05Z',
        conditions: [{ type: 'Complete', status: 'True' }],
      },
    });
    expect(JOB.table.map((c) => c.name)).toEqual([
      'Name',
      'Status',
      'Completions',
      'Duration',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(JOB.table.slice(1, 4).map((c) => c.cell(done, 0))).toEqual(['Complete', '1/1', '65s']);
    const queue = apply({ 'spec.completions': undefined, 'spec.parallelism': 3 });
    expect(JOB.table.slice(1, 4).map((c) => c.cell(queue, 0))).toEqual(['Running', '0/1 of 3', '']);
  });
});
