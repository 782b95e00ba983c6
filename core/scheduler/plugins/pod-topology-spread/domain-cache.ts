/**
 * Per-domain matching-pod counts for PodTopologySpread's PreFilter and PreScore, kept across
 * cycles: each aggregate remembers, per node slot, the node object, its generation and its
 * labels when it last looked and recounts only the slots that moved (usually the node the
 * previous pod landed on), instead of visiting every node every cycle. A node is eligible when
 * it carries every one of `requiredKeys` and passes the constraint's node-inclusion policies
 * (`admits`, which reads only the node and the part of the pod its `policyKey` spells out, so
 * pods with equal keys share the aggregate). With no required keys (PreScore under the system
 * default constraints) every node is, and a node without the topology label counts in the
 * domain "" as scoring.go's `node.Labels[key]` reads it.
 */
import type { Pod } from '../../../api/pod-types.ts';
import type { LabelMatcher } from '../../../api/selectors.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { AggregateCache, PerNodeAggregate } from '../../framework/per-node-aggregate.ts';
import type { RequiredNodeAffinity } from '../node-affinity/node-affinity.ts';
import {
  countPodsMatchSelector,
  labelOf,
  matchNodeInclusionPolicies,
  type Constraint,
} from './common.ts';

/** Which nodes a constraint counts beyond their labels, and the cache key part saying so. */
export interface Admission {
  /** Undefined when every node with the required labels counts. */
  readonly admits: ((ni: NodeInfo) => boolean) | undefined;
  readonly policyKey: string;
}

/**
 * matchNodeInclusionPolicies as an aggregate's eligibility: nodeAffinityPolicy Honor reads the
 * pod's nodeSelector and required node affinity, nodeTaintsPolicy Honor its tolerations; the
 * key holds exactly those, so two pods with equal keys admit the same nodes.
 */
export function admission(c: Constraint, pod: Pod, required: RequiredNodeAffinity): Admission {
  const affinity =
    c.nodeAffinityPolicy === 'Honor' &&
    (required.selector !== undefined || required.affinity !== undefined);
  const taints = c.nodeTaintsPolicy === 'Honor';
  if (!affinity && !taints) return { admits: undefined, policyKey: '' };
  const key = JSON.stringify([
    affinity
      ? [
          pod.spec.nodeSelector ?? null,
          pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null,
        ]
      : null,
    taints ? (pod.spec.tolerations ?? []) : null,
  ]);
  return {
    admits: (ni) => ni.node !== undefined && matchNodeInclusionPolicies(c, pod, ni.node, required),
    policyKey: key,
  };
}

export interface Domain {
  /** Eligible nodes in the domain (the domain exists while > 0). */
  nodes: number;
  /** Matching pods on them. */
  count: number;
}

export class DomainAggregate extends PerNodeAggregate {
  /** Domain value -> eligible nodes and matching pods. */
  readonly domains = new Map<string, Domain>();
  /** Domain value -> matching pods: `domains` as PreFilter's matchNum wants it, copied at once. */
  readonly counts = new Map<string, number>();
  /** Domain of the slot's node, undefined when the node is not eligible. */
  private values: (string | undefined)[] = [];
  private slotCounts: number[] = [];

  constructor(
    private readonly topologyKey: string,
    /** Every constraint's topology key: a node is eligible only with all of them. */
    private readonly requiredKeys: readonly string[],
    private readonly selector: LabelMatcher,
    private readonly namespace: string,
    private readonly admits: ((ni: NodeInfo) => boolean) | undefined,
  ) {
    super();
  }

  protected override truncate(n: number): void {
    this.values.length = n;
    this.slotCounts.length = n;
  }

  protected drop(slot: number): void {
    const v = this.values[slot];
    if (v === undefined) return;
    const d = this.domains.get(v) as Domain;
    d.nodes--;
    d.count -= this.slotCounts[slot] ?? 0;
    if (d.nodes === 0) {
      this.domains.delete(v);
      this.counts.delete(v);
    } else this.counts.set(v, d.count);
    this.values[slot] = undefined;
    this.slotCounts[slot] = 0;
  }

  protected take(slot: number, ni: NodeInfo): void {
    const labels = ni.labels;
    this.values[slot] = undefined;
    this.slotCounts[slot] = 0;
    if (ni.node === undefined) return;
    if (this.requiredKeys.length > 0) {
      if (labels === undefined) return;
      for (const k of this.requiredKeys) if (!Object.hasOwn(labels, k)) return;
    }
    if (this.admits !== undefined && !this.admits(ni)) return;
    const v = labelOf(labels, this.topologyKey) ?? '';
    const c =
      this.selector.empty || ni.pods.length === 0
        ? 0
        : countPodsMatchSelector(ni.pods, this.selector, this.namespace);
    let d = this.domains.get(v);
    if (d === undefined) {
      d = { nodes: 0, count: 0 };
      this.domains.set(v, d);
    }
    d.nodes++;
    d.count += c;
    this.counts.set(v, d.count);
    this.values[slot] = v;
    this.slotCounts[slot] = c;
  }
}

/** Bounded set of DomainAggregates, least recently used evicted. */
export class DomainCache extends AggregateCache<DomainAggregate> {
  get(
    key: string,
    topologyKey: string,
    requiredKeys: readonly string[],
    selector: LabelMatcher,
    namespace: string,
    admission: Admission,
    list: readonly NodeInfo[],
  ): DomainAggregate {
    return this.lookup(
      `${key}\u0001${admission.policyKey}`,
      () => new DomainAggregate(topologyKey, requiredKeys, selector, namespace, admission.admits),
      list,
    );
  }
}
