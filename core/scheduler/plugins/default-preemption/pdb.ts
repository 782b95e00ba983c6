/**
 * Which victims would break a PodDisruptionBudget (default_preemption.go
 * filterPodsWithPDBViolation): walking the victims in order, each matching budget's allowance
 * is spent; a pod that takes any budget below zero is "violating". Pods the API server already
 * counted (status.disruptedPods) do not spend it again.
 */
import { isSelectorError, labelSelectorAsMatcher } from '../../../api/selectors.ts';
import type { PodDisruptionBudgetView } from '../../framework/listers.ts';
import type { PodInfo } from '../../framework/pod-info.ts';

export function filterPodsWithPDBViolation(
  pods: readonly PodInfo[],
  pdbs: readonly PodDisruptionBudgetView[],
): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => p.disruptionsAllowed);
  const selectors = pdbs.map((p) => {
    const m = labelSelectorAsMatcher(p.selector);
    return isSelectorError(m) ? undefined : m;
  });
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pi of pods) {
    let violated = false;
    if (pi.labels !== undefined && Object.keys(pi.labels).length > 0)
      pdbs.forEach((pdb, i) => {
        const sel = selectors[i];
        if (pdb.namespace !== pi.namespace || sel === undefined) return;
        // A nil or empty selector matches nothing.
        if (sel.empty || sel.nothing || !sel.matches(pi.labels)) return;
        if (pdb.disruptedPods.has(pi.name)) return;
        allowed[i] = (allowed[i] as number) - 1;
        if ((allowed[i] as number) < 0) violated = true;
      });
    (violated ? violating : nonViolating).push(pi);
  }
  return { violating, nonViolating };
}
