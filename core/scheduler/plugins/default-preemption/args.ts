/** DefaultPreemptionArgs (pkg/scheduler/apis/config/v1 defaults.go, validation_pluginargs.go). */
import { ArgsReader, type ArgsResult } from '../helper/args.ts';

export interface DefaultPreemptionArgs {
  /** Dry-run at least this percentage of the potential nodes... */
  readonly minCandidateNodesPercentage: number;
  /** ...and at least this many. */
  readonly minCandidateNodesAbsolute: number;
}

export const DEFAULT_PREEMPTION_ARGS: DefaultPreemptionArgs = {
  minCandidateNodesPercentage: 10,
  minCandidateNodesAbsolute: 100,
};

export function parseDefaultPreemptionArgs(
  raw: unknown,
  path: string,
): ArgsResult<DefaultPreemptionArgs> {
  const r = new ArgsReader(raw, path, ['minCandidateNodesPercentage', 'minCandidateNodesAbsolute']);
  const pct = r.int('minCandidateNodesPercentage', 10, 0, 100);
  const abs = r.int('minCandidateNodesAbsolute', 100, 0);
  const more =
    pct === 0 && abs === 0
      ? [
          `${path}: Invalid value: minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be zero`,
        ]
      : [];
  return r.result({ minCandidateNodesPercentage: pct, minCandidateNodesAbsolute: abs }, more);
}
