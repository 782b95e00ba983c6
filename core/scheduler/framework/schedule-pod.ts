/**
 * The scheduling algorithm proper (pkg/scheduler/schedule_one.go schedulePod,
 * findNodesThatFitPod, findNodesThatPassFilters, numFeasibleNodesToFind, prioritizeNodes,
 * selectHost): filter nodes from a rotating start index until enough feasible ones are found,
 * score them, and pick the best with a seeded tie-break.
 *
 * Upstream filters and scores in parallel; here nodes are visited in a fixed order, so the
 * result depends only on the snapshot, the start index and the random stream.
 */
import type { Random } from '../../ports/random.ts';
import type { CycleState } from './cycle-state.ts';
import type { ExplainCollector } from './explain.ts';
import { FitError, newDiagnosis, NO_NODE_AVAILABLE_MSG, type Diagnosis } from './fit-error.ts';
import type { Framework } from './framework.ts';
import type { NodeInfoLister } from './listers.ts';
import type { NodeInfo } from './node-info.ts';
import type { PodInfo } from './pod-info.ts';
import { isRejected, Status } from './status.ts';

/** schedule_one.go: at least this many nodes, and at least this percentage, are considered. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

export interface ScheduleResult {
  readonly suggestedHost: string;
  /** Nodes the filters ran on (feasible + rejected). */
  readonly evaluatedNodes: number;
  readonly feasibleNodes: number;
}

export type ScheduleOutcome =
  | { readonly kind: 'scheduled'; readonly result: ScheduleResult }
  | { readonly kind: 'unschedulable'; readonly fitError: FitError }
  /** No nodes at all: UnschedulableAndUnresolvable without a diagnosis. */
  | { readonly kind: 'noNodes'; readonly status: Status }
  | { readonly kind: 'error'; readonly status: Status };

/**
 * How many feasible nodes end the search: all below 100 nodes; otherwise the percentage
 * (adaptive: 50% - nodes/125, at least 5%) of the nodes, at least 100.
 */
export function numFeasibleNodesToFind(
  percentageOfNodesToScore: number,
  numAllNodes: number,
): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct === 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export class PodScheduler {
  /** Where the next search starts, so every node gets its turn across pods. */
  nextStartNodeIndex = 0;
  /** Reused across cycles: the loops allocate per cycle, not per node. */
  private feasible: NodeInfo[] = [];
  /** Reused across cycles like `feasible`: the weighted score totals, parallel to it. */
  private readonly totals: number[] = [];

  constructor(
    private readonly random: Random,
    private readonly snapshot: NodeInfoLister,
  ) {}

  /** With a collector, what the attempt saw is also handed to it (see explain.ts). */
  schedulePod(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    explain?: ExplainCollector,
  ): ScheduleOutcome {
    const allNodes = this.snapshot.list();
    if (explain !== undefined) explain.nodes = allNodes.length;
    if (allNodes.length === 0)
      return { kind: 'noNodes', status: Status.unresolvable(NO_NODE_AVAILABLE_MSG) };
    const diagnosis = newDiagnosis();
    const found = this.findNodesThatFitPod(fwk, state, pod, diagnosis, explain);
    if (found instanceof Status) return { kind: 'error', status: found };
    const feasible = found;
    explain?.filterResults(feasible, diagnosis.nodeToStatus);
    if (feasible.length === 0)
      return { kind: 'unschedulable', fitError: new FitError(allNodes.length, diagnosis) };
    if (feasible.length === 1) {
      const host = (feasible[0] as NodeInfo).name;
      if (explain !== undefined) explain.chosen = host;
      return {
        kind: 'scheduled',
        result: {
          suggestedHost: host,
          evaluatedNodes: 1 + diagnosis.nodeToStatus.size,
          feasibleNodes: 1,
        },
      };
    }
    const totals = this.prioritizeNodes(fwk, state, pod, feasible, explain);
    if (totals instanceof Status) return { kind: 'error', status: totals };
    const best = this.selectHost(totals);
    if (explain !== undefined) {
      explain.ranking(feasible, totals, best);
      explain.chosen = (feasible[best] as NodeInfo).name;
    }
    return {
      kind: 'scheduled',
      result: {
        suggestedHost: (feasible[best] as NodeInfo).name,
        evaluatedNodes: feasible.length + diagnosis.nodeToStatus.size,
        feasibleNodes: feasible.length,
      },
    };
  }

  /** Returns the feasible nodes (a reused array: valid until the next call) or an error. */
  findNodesThatFitPod(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    diagnosis: Diagnosis,
    explain?: ExplainCollector,
  ): NodeInfo[] | Status {
    const allNodes = this.snapshot.list();
    const pre = fwk.runPreFilterPlugins(state, pod, explain);
    for (const p of pre.unschedulablePlugins) diagnosis.unschedulablePlugins.add(p);
    if (pre.status !== undefined && pre.status.code !== 'Success') {
      if (!isRejected(pre.status)) return pre.status;
      // Every node shares the PreFilter status, so preemption sees it; the message is PreFilter's.
      diagnosis.nodeToStatus.absentStatus = pre.status;
      diagnosis.preFilterMsg = pre.status.message();
      if (pre.status.plugin !== '') diagnosis.unschedulablePlugins.add(pre.status.plugin);
      return [];
    }

    // A nominated node (set by an earlier preemption) is likely the only fit: try it first.
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated !== undefined && nominated !== '') {
      const ni = this.snapshot.get(nominated);
      if (ni !== undefined) {
        const s = fwk.runFilterPluginsWithNominatedPods(state, pod, ni);
        if (s === undefined) return [ni];
      }
    }

    let nodes: readonly NodeInfo[] = allNodes;
    if (pre.nodeNames !== undefined) {
      const narrowed: NodeInfo[] = [];
      for (const name of pre.nodeNames) {
        const ni = this.snapshot.get(name);
        if (ni !== undefined) narrowed.push(ni);
      }
      nodes = narrowed;
      diagnosis.nodeToStatus.absentStatus = Status.unresolvable(
        `node(s) didn't satisfy plugin(s) [${pre.pluginsWithNodes.join(' ')}]`,
      );
      for (const p of pre.pluginsWithNodes) diagnosis.unschedulablePlugins.add(p);
    }
    const feasible = this.findNodesThatPassFilters(fwk, state, pod, diagnosis, nodes);
    const processed =
      (feasible instanceof Status ? 0 : feasible.length) + diagnosis.nodeToStatus.size;
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % allNodes.length;
    return feasible;
  }

  private findNodesThatPassFilters(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    diagnosis: Diagnosis,
    nodes: readonly NodeInfo[],
  ): NodeInfo[] | Status {
    const numAll = nodes.length;
    const feasible = this.feasible;
    if (numAll === 0) {
      feasible.length = 0;
      return feasible;
    }
    const toFind = fwk.hasScorePlugins()
      ? numFeasibleNodesToFind(fwk.percentageOfNodesToScore, numAll)
      : 1;
    // The index can pass the end of a list narrowed by PreFilter.
    const start = this.nextStartNodeIndex % numAll;
    // Sized for the most it can hold, filled by index, trimmed at the end: setting the length
    // to 0 and pushing would drop the backing store and regrow it (copies and garbage) per pod.
    feasible.length = toFind;
    const filters = state.activeFilters ?? fwk.filterPlugins;
    if (filters.length === 0) {
      for (let i = 0; i < toFind; i++) feasible[i] = nodes[(start + i) % numAll] as NodeInfo;
      return feasible;
    }
    // From the start index to the end, then from 0 up to it: the same order as
    // (start + i) % numAll without a division per node.
    let found = this.filterRange(fwk, state, pod, diagnosis, nodes, start, numAll, 0, toFind);
    if (found >= 0 && found < toFind)
      found = this.filterRange(fwk, state, pod, diagnosis, nodes, 0, start, found, toFind);
    if (found < 0) {
      feasible.length = 0;
      return this.filterError as Status;
    }
    feasible.length = found;
    return feasible;
  }

  /** The Error status that stopped the last filterRange (which then returned -1). */
  private filterError: Status | undefined = undefined;

  /**
   * Filters nodes[from, to) into `feasible` from index `found` until it holds `toFind`;
   * returns how many it holds, or -1 when a filter answered Error (kept in filterError).
   */
  private filterRange(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    diagnosis: Diagnosis,
    nodes: readonly NodeInfo[],
    from: number,
    to: number,
    found: number,
    toFind: number,
  ): number {
    const feasible = this.feasible;
    const statuses = diagnosis.nodeToStatus;
    const plain = fwk.nominator.isEmpty;
    let n = found;
    for (let i = from; i < to; i++) {
      const ni = nodes[i] as NodeInfo;
      const s = plain
        ? fwk.runFilterPlugins(state, pod, ni)
        : fwk.runFilterPluginsWithNominatedPods(state, pod, ni);
      if (s === undefined) {
        feasible[n++] = ni;
        if (n >= toFind) return n;
        continue;
      }
      if (s.code === 'Error') {
        this.filterError = s;
        return -1;
      }
      statuses.set(ni.name, s, ni);
      if (s.plugin !== '') diagnosis.unschedulablePlugins.add(s.plugin);
    }
    return n;
  }

  /**
   * Weighted sums of the normalized plugin scores, parallel to `nodes` (a reused array: valid
   * until the next call).
   */
  prioritizeNodes(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    explain?: ExplainCollector,
  ): number[] | Status {
    const totals = this.totals;
    // Resized and filled in place, not emptied and pushed (see findNodesThatPassFilters).
    totals.length = nodes.length;
    if (!fwk.hasScorePlugins()) return totals.fill(1);
    totals.fill(0);
    const pre = fwk.runPreScorePlugins(state, pod, nodes);
    if (pre !== undefined) return pre;
    const s = fwk.runScorePlugins(state, pod, nodes, totals, explain);
    if (s !== undefined) return s;
    return totals;
  }

  /** Index of a highest score; ties are broken uniformly by the seeded stream (reservoir). */
  selectHost(totals: readonly number[]): number {
    let best = 0;
    let max = totals[0] as number;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      const t = totals[i] as number;
      if (t > max) {
        max = t;
        best = i;
        ties = 1;
      } else if (t === max) {
        ties++;
        if (this.random.int(ties) === 0) best = i;
      }
    }
    return best;
  }
}
