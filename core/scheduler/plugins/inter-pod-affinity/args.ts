/** InterPodAffinityArgs (pkg/scheduler/apis/config/v1 defaults.go, validation_pluginargs.go). */
import { ArgsReader, type ArgsResult } from '../helper/args.ts';

export interface InterPodAffinityArgs {
  /** Weight of an existing pod's required affinity term the incoming pod matches (scoring). */
  readonly hardPodAffinityWeight: number;
  readonly ignorePreferredTermsOfExistingPods: boolean;
}

export const DEFAULT_INTER_POD_AFFINITY_ARGS: InterPodAffinityArgs = {
  hardPodAffinityWeight: 1,
  ignorePreferredTermsOfExistingPods: false,
};

export function parseInterPodAffinityArgs(
  raw: unknown,
  path: string,
): ArgsResult<InterPodAffinityArgs> {
  const r = new ArgsReader(raw, path, [
    'hardPodAffinityWeight',
    'ignorePreferredTermsOfExistingPods',
  ]);
  return r.result({
    hardPodAffinityWeight: r.int('hardPodAffinityWeight', 1, 0, 100),
    ignorePreferredTermsOfExistingPods: r.bool('ignorePreferredTermsOfExistingPods', false),
  });
}
