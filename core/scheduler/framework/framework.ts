/**
 * One profile's plugins wired per extension point, and the runners the scheduling and binding
 * cycles call (pkg/scheduler/framework/runtime/framework.go). The framework is also the Handle
 * its plugins were built with.
 */
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import { assert } from '../../util/assert.ts';
import type { ClusterEventWithHint } from './cluster-event.ts';
import type { CycleState } from './cycle-state.ts';
import type { ExplainCollector } from './explain.ts';
import type { Handle, PodNominator } from './handle.ts';
import {
  MAX_NODE_SCORE,
  PreFilterResult,
  type BindPlugin,
  type EnqueueExtensions,
  type FilterPlugin,
  type Plugin,
  type PermitPlugin,
  type PostBindPlugin,
  type PostFilterOutcome,
  type PostFilterPlugin,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type SchedulerActions,
  type ScorePlugin,
} from './interface.ts';
import type { ClusterListers, NodeInfoLister } from './listers.ts';
import type { NodeInfo } from './node-info.ts';
import type { NodeToStatus } from './node-to-status.ts';
import type { PodInfo } from './pod-info.ts';
import {
  EXTENSION_POINTS,
  type ExtensionPoint,
  type Registry,
  type ResolvedProfile,
} from './profile.ts';
import { isRejected, Status, type MaybeStatus } from './status.ts';
import { WaitingPod } from './waiting-pod.ts';

/** interface.go maxTimeout: the longest a Permit plugin may hold a pod. */
export const MAX_PERMIT_TIMEOUT_US = 15 * 60 * 1_000_000;

export interface FrameworkDeps {
  readonly snapshot: NodeInfoLister;
  readonly listers: ClusterListers;
  readonly nominator: PodNominator & { readonly isEmpty: boolean };
  readonly clock: Clock;
  readonly random: Random;
  readonly actions: SchedulerActions;
}

interface WeightedScorePlugin {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

export interface PreFilterOutcomeInternal {
  readonly status: MaybeStatus;
  /** Narrowed candidate nodes, or undefined for all. */
  readonly nodeNames: ReadonlySet<string> | undefined;
  readonly unschedulablePlugins: ReadonlySet<string>;
  /** Plugins whose PreFilterResult narrowed the nodes. */
  readonly pluginsWithNodes: readonly string[];
}

export class Framework implements Handle {
  readonly profileName: string;
  readonly percentageOfNodesToScore: number;
  readonly snapshot: NodeInfoLister;
  readonly listers: ClusterListers;
  readonly nominator: PodNominator & { readonly isEmpty: boolean };
  readonly clock: Clock;
  readonly random: Random;
  readonly actions: SchedulerActions;

  readonly plugins = new Map<string, Plugin>();
  readonly preEnqueuePlugins: readonly PreEnqueuePlugin[];
  readonly queueSortPlugin: QueueSortPlugin;
  readonly preFilterPlugins: readonly PreFilterPlugin[];
  readonly filterPlugins: readonly FilterPlugin[];
  readonly postFilterPlugins: readonly PostFilterPlugin[];
  readonly preScorePlugins: readonly PreScorePlugin[];
  readonly scorePlugins: readonly WeightedScorePlugin[];
  readonly reservePlugins: readonly ReservePlugin[];
  readonly permitPlugins: readonly PermitPlugin[];
  readonly preBindPlugins: readonly PreBindPlugin[];
  readonly bindPlugins: readonly BindPlugin[];
  readonly postBindPlugins: readonly PostBindPlugin[];
  private readonly waitingPods = new Map<string, WaitingPod>();
  /** Reused by runScorePlugins: one allocation per framework, not per cycle. */
  private readonly scratchScores: number[] = [];

  constructor(profile: ResolvedProfile, registry: Registry, deps: FrameworkDeps) {
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    this.snapshot = deps.snapshot;
    this.listers = deps.listers;
    this.nominator = deps.nominator;
    this.clock = deps.clock;
    this.random = deps.random;
    this.actions = deps.actions;
    for (const point of EXTENSION_POINTS)
      for (const name of profile.points[point]) {
        if (this.plugins.has(name)) continue;
        const entry = registry.get(name);
        assert(entry !== undefined, `plugin ${name} is not registered`);
        this.plugins.set(name, entry.factory(profile.pluginArgs.get(name), this));
      }
    const at = <T>(point: ExtensionPoint, method: string): T[] =>
      profile.points[point].map((name) => {
        const p = this.plugins.get(name) as unknown as Record<string, unknown>;
        assert(typeof p[method] === 'function', `plugin ${name} does not implement ${point}`);
        return p as unknown as T;
      });
    this.preEnqueuePlugins = at('preEnqueue', 'preEnqueue');
    const sorts = at<QueueSortPlugin>('queueSort', 'less');
    assert(
      sorts.length === 1,
      `profile ${this.profileName}: exactly one queueSort plugin is required`,
    );
    this.queueSortPlugin = sorts[0] as QueueSortPlugin;
    this.preFilterPlugins = at('preFilter', 'preFilter');
    this.filterPlugins = at('filter', 'filter');
    this.postFilterPlugins = at('postFilter', 'postFilter');
    this.preScorePlugins = at('preScore', 'preScore');
    this.scorePlugins = at<ScorePlugin>('score', 'score').map((plugin) => ({
      plugin,
      weight: profile.scoreWeights.get(plugin.name) ?? 1,
    }));
    this.reservePlugins = at('reserve', 'reserve');
    this.permitPlugins = at('permit', 'permit');
    this.preBindPlugins = at('preBind', 'preBind');
    this.bindPlugins = at('bind', 'bind');
    this.postBindPlugins = at('postBind', 'postBind');
    assert(
      this.bindPlugins.length > 0,
      `profile ${this.profileName}: at least one bind plugin is required`,
    );
  }

  /** Events each enabled plugin registered, for the queue's requeueing. */
  eventsToRegister(): Map<string, readonly ClusterEventWithHint[]> {
    const out = new Map<string, readonly ClusterEventWithHint[]>();
    for (const [name, p] of this.plugins) {
      const ext = p as unknown as Partial<EnqueueExtensions>;
      if (typeof ext.eventsToRegister === 'function') out.set(name, ext.eventsToRegister());
    }
    return out;
  }

  // ---- queueing ------------------------------------------------------------------------------

  runPreEnqueuePlugins(pod: PodInfo): MaybeStatus {
    for (const pl of this.preEnqueuePlugins) {
      const s = pl.preEnqueue(pod);
      if (s !== undefined && s.code !== 'Success') return withPlugin(s, pl.name);
    }
    return undefined;
  }

  // ---- scheduling cycle ----------------------------------------------------------------------

  runPreFilterPlugins(
    state: CycleState,
    pod: PodInfo,
    explain?: ExplainCollector,
  ): PreFilterOutcomeInternal {
    let nodeNames: Set<string> | undefined;
    const withNodes: string[] = [];
    const rejected = new Set<string>();
    let returnStatus: MaybeStatus;
    for (const pl of this.preFilterPlugins) {
      const r = pl.preFilter(state, pod);
      explain?.preFilterResult(pl.name, r);
      if (r instanceof PreFilterResult) {
        withNodes.push(pl.name);
        nodeNames =
          nodeNames === undefined ? new Set(r.nodeNames) : intersect(nodeNames, r.nodeNames);
        if (nodeNames.size === 0) {
          const msg =
            withNodes.length === 1
              ? `node(s) didn't satisfy plugin ${withNodes[0]}`
              : `node(s) didn't satisfy plugin(s) [${withNodes.join(' ')}] simultaneously`;
          return {
            status: Status.unresolvable(msg),
            nodeNames,
            unschedulablePlugins: new Set(withNodes),
            pluginsWithNodes: withNodes,
          };
        }
        continue;
      }
      if (r === undefined || r.code === 'Success') continue;
      if (r.code === 'Skip') {
        state.skipFilterPlugins.add(pl.name);
        continue;
      }
      const s = withPlugin(r, pl.name);
      if (s.code === 'UnschedulableAndUnresolvable')
        return {
          status: s,
          nodeNames,
          unschedulablePlugins: new Set([pl.name]),
          pluginsWithNodes: withNodes,
        };
      if (s.code === 'Unschedulable') {
        // Keep running the others so that preemption sees their state (issue 119770).
        rejected.add(pl.name);
        returnStatus ??= s;
        continue;
      }
      return {
        status: Status.error(`running PreFilter plugin "${pl.name}": ${s.message()}`).withPlugin(
          pl.name,
        ),
        nodeNames,
        unschedulablePlugins: rejected,
        pluginsWithNodes: withNodes,
      };
    }
    state.activeFilters = this.filterPlugins.filter((p) => !state.skipFilterPlugins.has(p.name));
    return {
      status: returnStatus,
      nodeNames,
      unschedulablePlugins: rejected,
      pluginsWithNodes: withNodes,
    };
  }

  runPreFilterExtensionAddPod(
    state: CycleState,
    podToSchedule: PodInfo,
    podToAdd: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus {
    for (const pl of this.preFilterPlugins) {
      if (pl.preFilterExtensions === undefined || state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.preFilterExtensions.addPod(state, podToSchedule, podToAdd, nodeInfo);
      if (s !== undefined && s.code !== 'Success')
        return Status.error(
          `running AddPod on PreFilter plugin "${pl.name}": ${s.message()}`,
        ).withPlugin(pl.name);
    }
    return undefined;
  }

  runPreFilterExtensionRemovePod(
    state: CycleState,
    podToSchedule: PodInfo,
    podToRemove: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus {
    for (const pl of this.preFilterPlugins) {
      if (pl.preFilterExtensions === undefined || state.skipFilterPlugins.has(pl.name)) continue;
      const s = pl.preFilterExtensions.removePod(state, podToSchedule, podToRemove, nodeInfo);
      if (s !== undefined && s.code !== 'Success')
        return Status.error(
          `running RemovePod on PreFilter plugin "${pl.name}": ${s.message()}`,
        ).withPlugin(pl.name);
    }
    return undefined;
  }

  /** The first failing Filter decides (the hot loop: no allocation when a node passes). */
  runFilterPlugins(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const filters = state.activeFilters ?? this.filterPlugins;
    for (let i = 0; i < filters.length; i++) {
      const pl = filters[i] as FilterPlugin;
      const s = pl.filter(state, pod, nodeInfo);
      if (s === undefined || s.code === 'Success') continue;
      if (isRejected(s)) return withPlugin(s, pl.name);
      return Status.error(`running "${pl.name}" filter plugin: ${s.message()}`).withPlugin(pl.name);
    }
    return undefined;
  }

  /**
   * Filters with the pods nominated to this node of equal or higher priority counted as if
   * they were there, then (if that passed and some were added) again without them, so a pod
   * that only fits thanks to a nominated pod (e.g. affinity to it) is not placed
   * (framework.go RunFilterPluginsWithNominatedPods).
   */
  runFilterPluginsWithNominatedPods(
    state: CycleState,
    pod: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus {
    if (this.nominator.isEmpty) return this.runFilterPlugins(state, pod, nodeInfo);
    const nominated = this.nominator
      .nominatedPodsForNode(nodeInfo.name)
      .filter((p) => p.priority >= pod.priority && p.key !== pod.key);
    if (nominated.length === 0) return this.runFilterPlugins(state, pod, nodeInfo);
    const stateWith = state.clone();
    const nodeWith = nodeInfo.clone();
    for (const p of nominated) {
      nodeWith.addPod(p);
      const s = this.runPreFilterExtensionAddPod(stateWith, pod, p, nodeWith);
      if (s !== undefined) return s;
    }
    const s = this.runFilterPlugins(stateWith, pod, nodeWith);
    if (s !== undefined) return s;
    return this.runFilterPlugins(state, pod, nodeInfo);
  }

  runPostFilterPlugins(state: CycleState, pod: PodInfo, statuses: NodeToStatus): PostFilterOutcome {
    const reasons: string[] = [];
    let rejectedBy: string | undefined;
    let result: PostFilterOutcome['result'];
    for (const pl of this.postFilterPlugins) {
      const out = pl.postFilter(state, pod, statuses);
      const s = out.status;
      if (s === undefined || s.code === 'Success') return { result: out.result, status: undefined };
      if (s.code === 'UnschedulableAndUnresolvable')
        return { result: out.result, status: withPlugin(s, pl.name) };
      if (!isRejected(s)) return { status: Status.error(s.message()).withPlugin(pl.name) };
      reasons.push(...s.reasons);
      rejectedBy ??= pl.name;
      result ??= out.result;
    }
    if (rejectedBy === undefined) return { status: Status.unschedulable() };
    return { result, status: Status.unschedulable(...reasons).withPlugin(rejectedBy) };
  }

  hasPostFilterPlugins(): boolean {
    return this.postFilterPlugins.length > 0;
  }

  hasScorePlugins(): boolean {
    return this.scorePlugins.length > 0;
  }

  runPreScorePlugins(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): MaybeStatus {
    for (const pl of this.preScorePlugins) {
      const s = pl.preScore(state, pod, nodes);
      if (s === undefined || s.code === 'Success') continue;
      if (s.code === 'Skip') {
        state.skipScorePlugins.add(pl.name);
        continue;
      }
      return Status.error(`running PreScore plugin "${pl.name}": ${s.message()}`).withPlugin(
        pl.name,
      );
    }
    return undefined;
  }

  /**
   * Adds each plugin's normalized, weighted score into `totals` (parallel to `nodes`).
   * Scores outside [0, MAX_NODE_SCORE] after normalization are an error, as upstream.
   * With a collector, each plugin's raw and normalized scores are copied into it.
   */
  runScorePlugins(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    totals: number[],
    explain?: ExplainCollector,
  ): MaybeStatus {
    const n = nodes.length;
    const maxScore = MAX_NODE_SCORE;
    const scores = this.scratchScores;
    scores.length = n;
    const skip = state.skipScorePlugins;
    for (let p = 0; p < this.scorePlugins.length; p++) {
      const { plugin, weight } = this.scorePlugins[p] as WeightedScorePlugin;
      if (skip.size > 0 && skip.has(plugin.name)) continue;
      if (plugin.scoreAll !== undefined) plugin.scoreAll(state, pod, nodes, scores);
      else for (let i = 0; i < n; i++) scores[i] = plugin.score(state, pod, nodes[i] as NodeInfo);
      const raw = explain === undefined ? undefined : scores.slice(0, n);
      if (plugin.normalizeScore !== undefined) {
        const s = plugin.normalizeScore(state, pod, nodes, scores);
        if (s !== undefined && s.code !== 'Success')
          return Status.error(
            `running Normalize on Score plugins: plugin "${plugin.name}" failed: ${s.message()}`,
          ).withPlugin(plugin.name);
      }
      for (let i = 0; i < n; i++) {
        const sc = scores[i] as number;
        if (sc > maxScore || sc < 0 || Math.trunc(sc) !== sc)
          return Status.error(
            `plugin "${plugin.name}" returns an invalid score ${sc}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`,
          ).withPlugin(plugin.name);
        totals[i] = (totals[i] as number) + sc * weight;
      }
      if (raw !== undefined) explain?.pluginScores(plugin.name, weight, raw, scores);
    }
    return undefined;
  }

  runReservePluginsReserve(state: CycleState, pod: PodInfo, nodeName: string): MaybeStatus {
    for (const pl of this.reservePlugins) {
      const s = pl.reserve(state, pod, nodeName);
      if (s === undefined || s.code === 'Success') continue;
      if (isRejected(s)) return withPlugin(s, pl.name);
      return Status.error(`running Reserve plugin "${pl.name}": ${s.message()}`).withPlugin(
        pl.name,
      );
    }
    return undefined;
  }

  /** In reverse order, as upstream. */
  runReservePluginsUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--)
      (this.reservePlugins[i] as ReservePlugin).unreserve(state, pod, nodeName);
  }

  /** Success, a rejection, or Wait (the pod is then held until waitOnPermit settles). */
  runPermitPlugins(state: CycleState, pod: PodInfo, nodeName: string): MaybeStatus {
    const waits = new Map<string, number>();
    for (const pl of this.permitPlugins) {
      const { status: s, timeoutUs } = pl.permit(state, pod, nodeName);
      if (s === undefined || s.code === 'Success') continue;
      if (isRejected(s)) return withPlugin(s, pl.name);
      if (s.code === 'Wait') {
        waits.set(pl.name, Math.min(Math.max(0, timeoutUs), MAX_PERMIT_TIMEOUT_US));
        continue;
      }
      return Status.error(`running Permit plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    if (waits.size === 0) return undefined;
    this.waitingPods.set(pod.key, new WaitingPod(pod, waits, this.clock));
    return Status.of(
      'Wait',
      `one or more plugins asked to wait and no plugin rejected pod "${pod.name}"`,
    );
  }

  async waitOnPermit(pod: PodInfo): Promise<MaybeStatus> {
    const wp = this.waitingPods.get(pod.key);
    if (wp === undefined) return undefined;
    const s = await wp.done;
    this.waitingPods.delete(pod.key);
    return s;
  }

  getWaitingPod(podKey: string): WaitingPod | undefined {
    return this.waitingPods.get(podKey);
  }

  rejectWaitingPod(podKey: string, plugin: string, message: string): boolean {
    const wp = this.waitingPods.get(podKey);
    if (wp === undefined) return false;
    wp.reject(plugin, message);
    return true;
  }

  /** RunPreBindPreFlights: whether some PreBind plugin has work for this pod. */
  preBindNeeded(state: CycleState, pod: PodInfo, nodeName: string): boolean {
    return this.preBindPlugins.some(
      (pl) => pl.preBindPreFlight?.(state, pod, nodeName)?.code !== 'Skip',
    );
  }

  async runPreBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<MaybeStatus> {
    for (const pl of this.preBindPlugins) {
      const s = await pl.preBind(state, pod, nodeName);
      if (s === undefined || s.code === 'Success' || s.code === 'Skip') continue;
      if (isRejected(s)) return withPlugin(s, pl.name);
      return Status.error(`running PreBind plugin "${pl.name}": ${s.message()}`).withPlugin(
        pl.name,
      );
    }
    return undefined;
  }

  async runBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<MaybeStatus> {
    for (const pl of this.bindPlugins) {
      const s = await pl.bind(state, pod, nodeName);
      if (s !== undefined && s.code === 'Skip') continue;
      if (s === undefined || s.code === 'Success') return undefined;
      if (isRejected(s)) return withPlugin(s, pl.name);
      return Status.error(`running Bind plugin "${pl.name}": ${s.message()}`).withPlugin(pl.name);
    }
    return Status.of('Skip');
  }

  runPostBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const pl of this.postBindPlugins) pl.postBind(state, pod, nodeName);
  }
}

function withPlugin(s: Status, name: string): Status {
  return s.withPlugin(name);
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}
