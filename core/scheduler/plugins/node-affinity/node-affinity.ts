/**
 * Filter and Score on node labels (pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go):
 * - Filter: spec.nodeSelector AND required node affinity (and the profile's addedAffinity);
 * - PreFilter: required terms on metadata.name narrow the candidate nodes;
 * - Score: sum of the weights of the preferred terms the node matches, normalized to 0..100.
 */
import type { Node } from '../../../api/node-types.ts';
import { nodeSelectorMatcher, type NodeSelectorMatcher } from '../../../api/node-affinity.ts';
import type {
  NodeAffinity as NodeAffinitySpec,
  Pod,
  PreferredSchedulingTerm,
} from '../../../api/pod-types.ts';
import { selectorFromSet, type LabelMatcher } from '../../../api/selectors.ts';
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState, StateData } from '../../framework/cycle-state.ts';
import {
  MAX_NODE_SCORE,
  PreFilterResult,
  type EnqueueExtensions,
  type FilterPlugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { SKIP, Status, type MaybeStatus } from '../../framework/status.ts';
import { ArgsReader, isPlainObject, type ArgsResult } from '../helper/args.ts';
import { defaultNormalizeScore } from '../helper/normalize-score.ts';
import { NODE_AFFINITY } from '../names/names.ts';

export const NAME = NODE_AFFINITY;
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;
const REJECT_POD = Status.unresolvable(ERR_REASON_POD).withPlugin(NAME);
const REJECT_ENFORCED = Status.unresolvable(ERR_REASON_ENFORCED).withPlugin(NAME);

export interface NodeAffinityArgs {
  readonly addedAffinity: NodeAffinitySpec | undefined;
}

export function parseArgs(raw: unknown, path: string): ArgsResult<NodeAffinityArgs> {
  const r = new ArgsReader(raw, path, ['addedAffinity']);
  const added = r.raw('addedAffinity');
  if (added !== undefined && added !== null && !isPlainObject(added))
    return r.result({ addedAffinity: undefined }, [
      `${path}.addedAffinity: Invalid value: expected an object`,
    ]);
  return r.result({ addedAffinity: (added ?? undefined) as NodeAffinitySpec | undefined });
}

/** GetRequiredNodeAffinity: nodeSelector AND required affinity, compiled once per pod. */
export interface RequiredNodeAffinity {
  readonly selector: LabelMatcher | undefined;
  readonly affinity: NodeSelectorMatcher | undefined;
}

const requiredMemo = new WeakMap<Pod, RequiredNodeAffinity>();

export function requiredNodeAffinity(pod: Pod): RequiredNodeAffinity {
  let r = requiredMemo.get(pod);
  if (r === undefined) {
    const ns = pod.spec.nodeSelector;
    const req = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    r = {
      selector: ns === undefined ? undefined : selectorFromSet(ns),
      affinity: req === undefined ? undefined : nodeSelectorMatcher(req),
    };
    requiredMemo.set(pod, r);
  }
  return r;
}

export function matchesRequired(r: RequiredNodeAffinity, node: Node): boolean {
  if (r.selector !== undefined && !r.selector.matches(node.metadata.labels)) return false;
  return r.affinity === undefined || r.affinity.matches(node);
}

interface WeightedMatcher {
  readonly weight: number;
  readonly matcher: NodeSelectorMatcher;
}

/** PreferredSchedulingTerms: terms of weight 0 are dropped; an empty term matches nothing. */
function compilePreferred(
  terms: readonly PreferredSchedulingTerm[] | undefined,
): WeightedMatcher[] {
  return (terms ?? [])
    .filter((t) => t.weight !== 0)
    .map((t) => ({
      weight: t.weight,
      matcher: nodeSelectorMatcher({ nodeSelectorTerms: [t.preference] }),
    }));
}

interface PreFilterState extends StateData {
  readonly required: RequiredNodeAffinity;
}

interface PreScoreState extends StateData {
  readonly preferred: readonly WeightedMatcher[];
}

export class NodeAffinity
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = NAME;
  private readonly addedRequired: NodeSelectorMatcher | undefined;
  private readonly addedPreferred: readonly WeightedMatcher[];

  constructor(args: NodeAffinityArgs) {
    const req = args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.addedRequired = req === undefined ? undefined : nodeSelectorMatcher(req);
    this.addedPreferred = compilePreferred(
      args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
    );
  }

  preFilter(state: CycleState, pod: PodInfo): MaybeStatus | PreFilterResult {
    const spec = pod.pod.spec;
    const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (
      required === undefined &&
      this.addedRequired === undefined &&
      spec.nodeSelector === undefined
    )
      return SKIP;
    state.write<PreFilterState>(PRE_FILTER_KEY, { required: requiredNodeAffinity(pod.pod) });
    if (required === undefined || required.nodeSelectorTerms.length === 0) return undefined;
    // Terms are ORed; within a term, metadata.name requirements are ANDed.
    let names: Set<string> | undefined;
    for (const term of required.nodeSelectorTerms) {
      let termNames: Set<string> | undefined;
      for (const r of term.matchFields ?? []) {
        if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
        const s = new Set(r.values ?? []);
        termNames = termNames === undefined ? s : new Set([...termNames].filter((n) => s.has(n)));
      }
      if (termNames === undefined) return undefined;
      names ??= new Set();
      for (const n of termNames) names.add(n);
    }
    if (names !== undefined && names.size === 0) return Status.unresolvable(ERR_REASON_CONFLICT);
    return names === undefined ? undefined : new PreFilterResult(names);
  }

  filter(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const node = nodeInfo.node as Node;
    if (this.addedRequired !== undefined && !this.addedRequired.matches(node))
      return REJECT_ENFORCED;
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    const required = s?.required ?? requiredNodeAffinity(pod.pod);
    return matchesRequired(required, node) ? undefined : REJECT_POD;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): MaybeStatus {
    if (nodes.length === 0) return undefined;
    const preferred = compilePreferred(
      pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
    );
    if (preferred.length === 0 && this.addedPreferred.length === 0) return SKIP;
    state.write<PreScoreState>(PRE_SCORE_KEY, { preferred });
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number {
    const node = nodeInfo.node as Node;
    const preferred =
      state.read<PreScoreState>(PRE_SCORE_KEY)?.preferred ??
      compilePreferred(
        pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      );
    let count = 0;
    for (const t of this.addedPreferred) if (t.matcher.matches(node)) count += t.weight;
    for (const t of preferred) if (t.matcher.matches(node)) count += t.weight;
    return count;
  }

  normalizeScore(
    _state: CycleState,
    _pod: PodInfo,
    _nodes: readonly NodeInfo[],
    scores: number[],
  ): MaybeStatus {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
    return undefined;
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeLabel },
        hint: (pod: Pod, _old: unknown, newObj: unknown) => {
          const node = newObj as Node;
          if (this.addedRequired !== undefined && !this.addedRequired.matches(node)) return 'Skip';
          return matchesRequired(requiredNodeAffinity(pod), node) ? 'Queue' : 'Skip';
        },
      },
    ];
  }
}

export function New(args: unknown): NodeAffinity {
  return new NodeAffinity((args as NodeAffinityArgs | undefined) ?? { addedAffinity: undefined });
}
