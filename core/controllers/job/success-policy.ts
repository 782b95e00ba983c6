/**
 * A Job's successPolicy (pkg/controller/job/success_policy.go): an Indexed Job succeeds early
 * once one rule holds, each rule a set of indexes that must all have succeeded (or
 * succeededCount of them), or a bare succeededCount of any indexes.
 */
import type { Job } from '../../api/kinds/job.ts';
import { parseIndexes } from './indexes.ts';

type Policy = NonNullable<Job['spec']['successPolicy']>;

/** The SuccessCriteriaMet message ("Matched rules at index N"), or undefined. */
export function matchSuccessPolicy(
  policy: Policy | undefined,
  completions: number,
  succeeded: ReadonlySet<number>,
): string | undefined {
  if (policy === undefined || succeeded.size === 0) return undefined;
  for (const [index, rule] of policy.rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      // An unparsable rule matches nothing.
      if (required.size === 0) continue;
      let contained = 0;
      for (const ix of required) if (succeeded.has(ix)) contained++;
      const count = rule.succeededCount;
      if (contained === required.size || (count !== undefined && contained >= count))
        return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && succeeded.size >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}
