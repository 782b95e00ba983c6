/**
 * DefaultPreemption (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go,
 * pkg/scheduler/framework/preemption/preemption.go): when a pod fits nowhere, find nodes where
 * evicting lower-priority pods would make it fit, keep as few victims as possible (reprieving
 * PodDisruptionBudget-protected ones first), pick the cheapest node, evict its victims
 * gracefully and nominate the node for the pod.
 */
import { getCondition } from '../../../api/conditions.ts';
import { parseTime } from '../../../api/time.ts';
import type { CycleState } from '../../framework/cycle-state.ts';
import { FitError, newDiagnosis } from '../../framework/fit-error.ts';
import type { Handle } from '../../framework/handle.ts';
import type { PostFilterOutcome, PostFilterPlugin } from '../../framework/interface.ts';
import type { PodDisruptionBudgetView } from '../../framework/listers.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { NodeToStatus } from '../../framework/node-to-status.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import type { Random } from '../../../ports/random.ts';
import { Status, type MaybeStatus } from '../../framework/status.ts';
import { DEFAULT_PREEMPTION } from '../names/names.ts';
import { DEFAULT_PREEMPTION_ARGS, type DefaultPreemptionArgs } from './args.ts';
import { moreImportant, pickOneNodeForPreemption, type Candidate } from './candidate.ts';
import { filterPodsWithPDBViolation } from './pdb.ts';

export const NAME = DEFAULT_PREEMPTION;
export const REASON_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const REASON_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';
export const REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';

const NO_VICTIMS = Status.unresolvable(REASON_NO_VICTIMS).withPlugin(NAME);

interface VictimsOutcome {
  readonly victims: PodInfo[];
  readonly numViolating: number;
  readonly status: MaybeStatus;
}

/** A pod being deleted because the scheduler preempted it (DisruptionTarget/PreemptionByScheduler). */
function terminatingByPreemption(p: PodInfo): boolean {
  if (p.pod.metadata.deletionTimestamp === undefined) return false;
  const c = getCondition(p.pod.status?.conditions, 'DisruptionTarget');
  return c?.status === 'True' && c.reason === 'PreemptionByScheduler';
}

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = NAME;
  private readonly random: Random;

  constructor(
    private readonly args: DefaultPreemptionArgs,
    private readonly handle: Handle,
  ) {
    this.random = handle.random.fork(NAME);
  }

  postFilter(state: CycleState, pod: PodInfo, m: NodeToStatus): PostFilterOutcome {
    const out = this.preempt(state, pod, m);
    const msg = out.status?.message() ?? '';
    if (msg === '' || out.status === undefined) return out;
    return { result: out.result, status: Status.of(out.status.code, `preemption: ${msg}`) };
  }

  private startTime = (p: PodInfo): number => {
    const t = p.pod.status?.startTime;
    const parsed = t === undefined ? undefined : parseTime(t);
    return parsed ?? this.handle.clock.now();
  };

  /** PodEligibleToPreemptOthers. */
  eligible(pod: PodInfo, m: NodeToStatus): string | undefined {
    if (pod.pod.spec.preemptionPolicy === 'Never') return REASON_NEVER;
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated !== undefined && nominated !== '') {
      if (m.get(nominated).code === 'UnschedulableAndUnresolvable') return undefined;
      const ni = this.handle.snapshot.get(nominated);
      if (ni !== undefined)
        for (const p of ni.pods)
          if (p.priority < pod.priority && terminatingByPreemption(p)) return REASON_TERMINATING;
    }
    return undefined;
  }

  private preempt(state: CycleState, pod: PodInfo, m: NodeToStatus): PostFilterOutcome {
    const notEligible = this.eligible(pod, m);
    if (notEligible !== undefined) return { status: Status.unschedulable(notEligible) };
    const allNodes = this.handle.snapshot.list();
    if (allNodes.length === 0) return { status: Status.error('no nodes available') };
    const potential = this.nodesWithStatus(m, allNodes, 'Unschedulable');
    const pdbs = this.handle.listers.podDisruptionBudgets();
    const { candidates, statuses } =
      potential.length === 0
        ? { candidates: [], statuses: newDiagnosis().nodeToStatus }
        : this.dryRun(state, pod, potential, pdbs);
    if (candidates.length === 0) {
      const d = newDiagnosis();
      statuses.forEach((name, s, ni) => d.nodeToStatus.set(name, s, ni));
      d.nodeToStatus.absentStatus = Status.unresolvable(REASON_NOT_HELPFUL);
      return {
        result: { nominatedNodeName: '', mode: 'Override' },
        status: Status.unschedulable(new FitError(allNodes.length, d).message()),
      };
    }
    const best = pickOneNodeForPreemption(candidates, this.startTime);
    if (best === undefined)
      return { status: Status.unschedulable('no candidate node for preemption') };
    this.prepareCandidate(best, pod);
    return { result: { nominatedNodeName: best.nodeName, mode: 'Override' }, status: undefined };
  }

  /** NodeToStatus.NodesForStatusCode: listed nodes with the code, plus the unlisted if theirs matches. */
  private nodesWithStatus(
    m: NodeToStatus,
    allNodes: readonly NodeInfo[],
    code: 'Unschedulable',
  ): NodeInfo[] {
    if (m.absentStatus.code === code)
      return allNodes.filter((n) => !m.has(n.name) || m.get(n.name).code === code);
    const out: NodeInfo[] = [];
    m.forEach((name, s, ni) => {
      if (s.code !== code) return;
      const node = ni ?? this.handle.snapshot.get(name);
      if (node !== undefined) out.push(node);
    });
    return out;
  }

  /** How many candidates the dry run looks for (calculateNumCandidates). */
  numCandidates(numNodes: number): number {
    let n = Math.trunc((numNodes * this.args.minCandidateNodesPercentage) / 100);
    if (n < this.args.minCandidateNodesAbsolute) n = this.args.minCandidateNodesAbsolute;
    return Math.min(n, numNodes);
  }

  /** DryRunPreemption from a random offset, until enough candidates (one PDB-clean) are found. */
  private dryRun(
    state: CycleState,
    pod: PodInfo,
    potential: readonly NodeInfo[],
    pdbs: readonly PodDisruptionBudgetView[],
  ): { candidates: Candidate[]; statuses: NodeToStatus } {
    const statuses = newDiagnosis().nodeToStatus;
    const offset = this.random.int(potential.length);
    const wanted = this.numCandidates(potential.length);
    const clean: Candidate[] = [];
    const violating: Candidate[] = [];
    for (let i = 0; i < potential.length; i++) {
      const original = potential[(offset + i) % potential.length] as NodeInfo;
      // Nodes without a lower-priority pod cannot help; skip copying them.
      if (!original.pods.some((p) => p.priority < pod.priority)) {
        statuses.set(original.name, NO_VICTIMS);
        continue;
      }
      const ni = original.clone();
      const out = this.selectVictimsOnNode(state.clone(), pod, ni, pdbs);
      if (out.status === undefined && out.victims.length > 0) {
        const c: Candidate = {
          nodeName: ni.name,
          victims: out.victims,
          numPDBViolations: out.numViolating,
        };
        (out.numViolating === 0 ? clean : violating).push(c);
        if (clean.length > 0 && clean.length + violating.length >= wanted) break;
        continue;
      }
      statuses.set(
        ni.name,
        out.status ?? Status.error(`expected at least one victim pod on node "${ni.name}"`),
      );
    }
    return { candidates: [...clean, ...violating], statuses };
  }

  /**
   * SelectVictimsOnNode on a copy of the node and state: remove every lower-priority pod; if
   * the pod then fits, add them back one by one (PDB-violating first, most important first)
   * and keep as victims only those whose return makes the pod not fit.
   */
  selectVictimsOnNode(
    state: CycleState,
    pod: PodInfo,
    ni: NodeInfo,
    pdbs: readonly PodDisruptionBudgetView[],
  ): VictimsOutcome {
    const h = this.handle;
    const potential = ni.pods.filter((p) => p.priority < pod.priority);
    if (potential.length === 0) return { victims: [], numViolating: 0, status: NO_VICTIMS };
    for (const p of potential) {
      ni.removePod(p.key);
      const s = h.runPreFilterExtensionRemovePod(state, pod, p, ni);
      if (s !== undefined) return { victims: [], numViolating: 0, status: s };
    }
    const fits = h.runFilterPluginsWithNominatedPods(state, pod, ni);
    if (fits !== undefined) return { victims: [], numViolating: 0, status: fits };
    potential.sort((a, b) =>
      moreImportant(a, b, this.startTime) ? -1 : moreImportant(b, a, this.startTime) ? 1 : 0,
    );
    const { violating, nonViolating } = filterPodsWithPDBViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    const reprieve = (p: PodInfo): boolean | Status => {
      ni.addPod(p);
      const s = h.runPreFilterExtensionAddPod(state, pod, p, ni);
      if (s !== undefined) return s;
      if (h.runFilterPluginsWithNominatedPods(state, pod, ni) === undefined) return true;
      ni.removePod(p.key);
      const r = h.runPreFilterExtensionRemovePod(state, pod, p, ni);
      if (r !== undefined) return r;
      victims.push(p);
      return false;
    };
    let numViolating = 0;
    for (const p of violating) {
      const r = reprieve(p);
      if (r instanceof Status) return { victims: [], numViolating: 0, status: r };
      if (!r) numViolating++;
    }
    for (const p of nonViolating) {
      const r = reprieve(p);
      if (r instanceof Status) return { victims: [], numViolating: 0, status: r };
    }
    if (violating.length > 0 && nonViolating.length > 0)
      victims.sort((a, b) =>
        moreImportant(a, b, this.startTime) ? -1 : moreImportant(b, a, this.startTime) ? 1 : 0,
      );
    return { victims, numViolating, status: undefined };
  }

  /** Evict the victims (a waiting pod is rejected instead) and un-nominate lower pods there. */
  private prepareCandidate(c: Candidate, pod: PodInfo): void {
    const h = this.handle;
    for (const v of c.victims) {
      if (v.pod.metadata.deletionTimestamp !== undefined) continue;
      if (h.rejectWaitingPod(v.key, NAME, 'preempted')) continue;
      h.actions.preemptVictim(pod.pod, v.pod, c.nodeName);
    }
    for (const p of h.nominator.nominatedPodsForNode(c.nodeName))
      if (p.priority < pod.priority) h.actions.clearNominatedNodeName(p.pod);
  }
}

export function New(args: unknown, handle: Handle): DefaultPreemption {
  return new DefaultPreemption(
    (args as DefaultPreemptionArgs | undefined) ?? DEFAULT_PREEMPTION_ARGS,
    handle,
  );
}
