/**
 * A Job's podFailurePolicy (pkg/controller/job/pod_failure_policy.go): the first rule that
 * matches a failed pod decides what its failure means. FailJob fails the whole Job, FailIndex
 * fails the pod's index (backoffLimitPerIndex), Ignore keeps the failure out of backoffLimit,
 * Count counts it as usual; a pod no rule matches counts.
 */
import type { Job } from '../../api/kinds/job.ts';
import type { ContainerStatus, Pod } from '../../api/pod-types.ts';

type Policy = NonNullable<Job['spec']['podFailurePolicy']>;
type Rule = Policy['rules'][number];
type ExitCodes = NonNullable<Rule['onExitCodes']>;
export type PodFailurePolicyAction = Rule['action'];

export interface PodFailureMatch {
  /** Set when a FailJob rule matched: the message of the Job's failure. */
  readonly failJobMessage: string | undefined;
  /** False when an Ignore rule matched: the failure does not count toward backoffLimit. */
  readonly countFailed: boolean;
  readonly action: PodFailurePolicyAction | undefined;
}

const NO_MATCH: PodFailureMatch = {
  failJobMessage: undefined,
  countFailed: true,
  action: undefined,
};

export function matchPodFailurePolicy(policy: Policy | undefined, pod: Pod): PodFailureMatch {
  if (policy === undefined) return NO_MATCH;
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  for (const [index, rule] of policy.rules.entries()) {
    let failJobMessage: string | undefined;
    if (rule.onExitCodes !== undefined) {
      const c = matchOnExitCodes(pod, rule.onExitCodes);
      if (c === undefined) continue;
      const code = c.state?.terminated?.exitCode;
      failJobMessage = `Container ${c.name} for pod ${ns}/${name} failed with exit code ${code} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions !== undefined) {
      const patterns = rule.onPodConditions;
      const cond = (pod.status?.conditions ?? []).find((c) =>
        patterns.some((p) => p.type === c.type && p.status === c.status),
      );
      if (cond === undefined) continue;
      failJobMessage = `Pod ${ns}/${name} has condition ${cond.type} matching ${rule.action} rule at index ${index}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case 'Ignore':
        return { failJobMessage: undefined, countFailed: false, action: 'Ignore' };
      case 'Count':
        return { failJobMessage: undefined, countFailed: true, action: 'Count' };
      case 'FailJob':
        return { failJobMessage, countFailed: true, action: 'FailJob' };
      case 'FailIndex':
        return { failJobMessage: undefined, countFailed: true, action: 'FailIndex' };
      default:
        // An action this version does not know: upstream skips the rule.
        continue;
    }
  }
  return NO_MATCH;
}

/** matchOnExitCodes: a terminated container, regular ones first, with a matching non-zero code. */
function matchOnExitCodes(pod: Pod, req: ExitCodes): ContainerStatus | undefined {
  return (
    matchingContainer(pod.status?.containerStatuses, req) ??
    matchingContainer(pod.status?.initContainerStatuses, req)
  );
}

function matchingContainer(
  statuses: readonly ContainerStatus[] | undefined,
  req: ExitCodes,
): ContainerStatus | undefined {
  for (const s of statuses ?? []) {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (req.containerName !== undefined && req.containerName !== s.name) continue;
    const listed = req.values.includes(code);
    if (req.operator === 'In' ? listed : req.operator === 'NotIn' && !listed) return s;
  }
  return undefined;
}
