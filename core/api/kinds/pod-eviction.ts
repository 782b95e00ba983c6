/**
 * pods/{name}/eviction (upstream pod/storage/eviction.go): a pod covered by a
 * PodDisruptionBudget is deleted only if the budget allows a disruption, which is then recorded
 * in the budget's status (disruptionsAllowed - 1, the pod in disruptedPods) before the delete;
 * otherwise 429 TooManyRequests. Terminal pods are deleted without a check.
 */
import * as errors from '../errors.ts';
import type { DeleteOptions } from '../meta-types.ts';
import { isPodTerminal } from '../pod-helpers.ts';
import type { Pod } from '../pod-types.ts';
import type { Eviction, PodDisruptionBudget } from '../policy-types.ts';
import { labelSelectorMatcher } from '../selectors.ts';
import type { Status } from '../status-types.ts';
import { formatTime } from '../time.ts';
import type { ActionContext } from './definition.ts';

export async function evictPod(ctx: ActionContext, body: unknown): Promise<Status> {
  const grace = (body as Eviction | undefined)?.deleteOptions?.gracePeriodSeconds;
  const options: DeleteOptions = grace === undefined ? {} : { gracePeriodSeconds: grace };
  const current = await ctx.get();
  if (errors.isStatus(current)) return current;
  const pod = current as Pod;
  if (!isPodTerminal(pod)) {
    const refused = await takeDisruption(ctx, pod);
    if (refused !== undefined) return refused;
  }
  const deleted = await ctx.delete(options);
  return errors.isStatus(deleted) ? deleted : errors.success(201);
}

/** Records the eviction in the budget covering the pod; a Status when it may not happen. */
async function takeDisruption(ctx: ActionContext, pod: Pod): Promise<Status | undefined> {
  const namespace = pod.metadata.namespace ?? '';
  const listed = await ctx.list('PodDisruptionBudget', namespace);
  if (errors.isStatus(listed)) return errors.serverTimeout('pods', 'eviction', 1);
  const covering = (listed as readonly PodDisruptionBudget[]).filter(
    (b) =>
      b.spec.selector !== undefined &&
      labelSelectorMatcher(b.spec.selector).matches(pod.metadata.labels),
  );
  if (covering.length > 1) {
    return errors.internalError(
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const pdb = covering[0];
  if (pdb === undefined) return undefined;
  const status = pdb.status ?? {
    disruptionsAllowed: 0,
    currentHealthy: 0,
    desiredHealthy: 0,
    expectedPods: 0,
  };
  if (
    status.disruptionsAllowed <= 0 ||
    (status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)
  ) {
    return {
      ...errors.tooManyRequests(
        "Cannot evict pod as it would violate the pod's disruption budget.",
        0,
      ),
      details: {
        retryAfterSeconds: 0,
        causes: [
          {
            reason: 'DisruptionBudget',
            message: `The disruption budget ${pdb.metadata.name ?? ''} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
          },
        ],
      },
    };
  }
  const updated: PodDisruptionBudget = {
    ...pdb,
    status: {
      ...status,
      disruptionsAllowed: status.disruptionsAllowed - 1,
      disruptedPods: { ...status.disruptedPods, [ctx.name]: formatTime(ctx.nowUs()) },
    },
  };
  const written = await ctx.updateStatus(updated);
  // A concurrent eviction changed the budget: the client retries, as upstream asks it to.
  if (errors.isStatus(written)) {
    return errors.tooManyRequests(
      'the disruption budget changed concurrently; retry the eviction',
      1,
    );
  }
  return undefined;
}
