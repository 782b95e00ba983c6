/**
 * The matchers behind podFailurePolicy and successPolicy, case by case as upstream's
 * pod_failure_policy_test.go and success_policy_test.go exercise them.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../core/api/kinds/job.ts';
import type { ContainerStatus, Pod, PodCondition } from '../../../core/api/pod-types.ts';
import { matchPodFailurePolicy } from '../../../core/controllers/job/pod-failure-policy.ts';
import { matchSuccessPolicy } from '../../../core/controllers/job/success-policy.ts';

type Policy = NonNullable<Job['spec']['podFailurePolicy']>;

const terminated = (name: string, exitCode: number): ContainerStatus => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { terminated: { exitCode, finishedAt: '2026-01-01T00:00:10Z' } },
});

function failedPod(
  containers: ContainerStatus[],
  extra: { init?: ContainerStatus[]; conditions?: PodCondition[] } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { containers: containers.map((c) => ({ name: c.name, image: 'busybox' })) },
    status: {
      phase: 'Failed',
      containerStatuses: containers,
      ...(extra.init === undefined ? {} : { initContainerStatuses: extra.init }),
      ...(extra.conditions === undefined ? {} : { conditions: extra.conditions }),
    },
  };
}

const onCodes = (
  action: Policy['rules'][number]['action'],
  operator: 'In' | 'NotIn',
  values: number[],
  containerName?: string,
): Policy['rules'][number] => ({
  action,
  onExitCodes: { operator, values, ...(containerName === undefined ? {} : { containerName }) },
});

describe('matchPodFailurePolicy', () => {
  const cases: {
    name: string;
    policy: Policy | undefined;
    pod: Pod;
    want: { action: string | undefined; countFailed: boolean; message?: string };
  }[] = [
    {
      name: 'no policy: counted, no action',
      policy: undefined,
      pod: failedPod([terminated('main', 2)]),
      want: { action: undefined, countFailed: true },
    },
    {
      name: 'FailJob on an exit code In the list',
      policy: { rules: [onCodes('FailJob', 'In', [1, 2, 3])] },
      pod: failedPod([terminated('main', 2)]),
      want: {
        action: 'FailJob',
        countFailed: true,
        message:
          'Container main for pod ns/p failed with exit code 2 matching FailJob rule at index 0',
      },
    },
    {
      name: 'NotIn matches any other non-zero code',
      policy: { rules: [onCodes('Ignore', 'NotIn', [1, 2, 3])] },
      pod: failedPod([terminated('main', 42)]),
      want: { action: 'Ignore', countFailed: false },
    },
    {
      name: 'exit code 0 never matches, not even NotIn',
      policy: { rules: [onCodes('FailJob', 'NotIn', [1])] },
      pod: failedPod([terminated('main', 0)]),
      want: { action: undefined, countFailed: true },
    },
    {
      name: 'containerName restricts the rule to that container',
      policy: { rules: [onCodes('FailJob', 'In', [5], 'sidecar')] },
      pod: failedPod([terminated('main', 5), terminated('sidecar', 1)]),
      want: { action: undefined, countFailed: true },
    },
    {
      name: 'init containers are looked at after the regular ones',
      policy: { rules: [onCodes('FailJob', 'In', [9])] },
      pod: failedPod([terminated('main', 1)], { init: [terminated('setup', 9)] }),
      want: {
        action: 'FailJob',
        countFailed: true,
        message:
          'Container setup for pod ns/p failed with exit code 9 matching FailJob rule at index 0',
      },
    },
    {
      name: 'the first matching rule wins',
      policy: {
        rules: [onCodes('Count', 'In', [4]), onCodes('FailJob', 'In', [4])],
      },
      pod: failedPod([terminated('main', 4)]),
      want: { action: 'Count', countFailed: true },
    },
    {
      name: 'onPodConditions: a DisruptionTarget condition is ignored',
      policy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      pod: failedPod([terminated('main', 137)], {
        conditions: [{ type: 'DisruptionTarget', status: 'True' }],
      }),
      want: { action: 'Ignore', countFailed: false },
    },
    {
      name: 'onPodConditions compares the status too',
      policy: {
        rules: [
          { action: 'FailJob', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      pod: failedPod([terminated('main', 137)], {
        conditions: [{ type: 'DisruptionTarget', status: 'False' }],
      }),
      want: { action: undefined, countFailed: true },
    },
    {
      name: 'FailJob on a pod condition names the condition',
      policy: {
        rules: [
          onCodes('Ignore', 'In', [1]),
          { action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue', status: 'True' }] },
        ],
      },
      pod: failedPod([terminated('main', 2)], {
        conditions: [{ type: 'ConfigIssue', status: 'True' }],
      }),
      want: {
        action: 'FailJob',
        countFailed: true,
        message: 'Pod ns/p has condition ConfigIssue matching FailJob rule at index 1',
      },
    },
    {
      name: 'FailIndex counts the failure and fails only the index',
      policy: { rules: [onCodes('FailIndex', 'In', [7])] },
      pod: failedPod([terminated('main', 7)]),
      want: { action: 'FailIndex', countFailed: true },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const m = matchPodFailurePolicy(c.policy, c.pod);
      expect({ action: m.action, countFailed: m.countFailed }).toEqual({
        action: c.want.action,
        countFailed: c.want.countFailed,
      });
      expect(m.failJobMessage).toBe(c.want.message);
    });
  }
});

describe('matchSuccessPolicy', () => {
  const set = (...ix: number[]) => new Set(ix);
  const cases: {
    name: string;
    rules: NonNullable<Job['spec']['successPolicy']>['rules'];
    completions: number;
    succeeded: Set<number>;
    want: string | undefined;
  }[] = [
    {
      name: 'succeededIndexes all succeeded',
      rules: [{ succeededIndexes: '0-2' }],
      completions: 5,
      succeeded: set(0, 1, 2, 4),
      want: 'Matched rules at index 0',
    },
    {
      name: 'succeededIndexes partly succeeded',
      rules: [{ succeededIndexes: '0-2' }],
      completions: 5,
      succeeded: set(0, 2, 3),
      want: undefined,
    },
    {
      name: 'succeededIndexes with succeededCount: enough of them',
      rules: [{ succeededIndexes: '1,3-7', succeededCount: 3 }],
      completions: 10,
      succeeded: set(0, 3, 5, 7),
      want: 'Matched rules at index 0',
    },
    {
      name: 'succeededIndexes with succeededCount: too few of them',
      rules: [{ succeededIndexes: '1,3-7', succeededCount: 3 }],
      completions: 10,
      succeeded: set(0, 2, 5, 8, 9),
      want: undefined,
    },
    {
      name: 'succeededCount alone counts any indexes',
      rules: [{ succeededCount: 3 }],
      completions: 10,
      succeeded: set(0, 8, 9),
      want: 'Matched rules at index 0',
    },
    {
      name: 'the first rule that holds is named',
      rules: [{ succeededIndexes: '0' }, { succeededCount: 2 }],
      completions: 4,
      succeeded: set(2, 3),
      want: 'Matched rules at index 1',
    },
    {
      name: 'indexes beyond completions are ignored',
      rules: [{ succeededIndexes: '2-9' }],
      completions: 4,
      succeeded: set(2, 3),
      want: 'Matched rules at index 0',
    },
    {
      name: 'nothing succeeded yet',
      rules: [{ succeededCount: 0 }],
      completions: 4,
      succeeded: set(),
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(matchSuccessPolicy({ rules: c.rules }, c.completions, c.succeeded)).toBe(c.want);
    });
  }
});
