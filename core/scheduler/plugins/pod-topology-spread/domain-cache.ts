/**
 * Per-domain matching-pod counts for PodTopologySpread's PreFilter and PreScore, kept across
 * cycles: each aggregate remembers, per node slot, the node object, its generation and its
 * labels when it last looked and recounts only the slots that moved (usually the node the
 * previous pod landed on), instead of visiting every node every cycle. Only for constraints
 * whose node-inclusion policies admit every node, so eligibility depends on the node's labels
 * alone: a node is eligible when it carries every one of `requiredKeys`. With no required keys
 * (PreScore under the system default constraints) every node is, and a node without the
 * topology label counts in the domain "" as scoring.go's `node.Labels[key]` reads it.
 */
import type { LabelMatcher } from '../../../api/selectors.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { AggregateCache, PerNodeAggregate } from '../../framework/per-node-aggregate.ts';
import { countPodsMatchSelector, labelOf } from './common.ts';

export interface Domain {
  /** Eligible nodes in the domain (the domain exists while > 0). */
  nodes: number;
  /** Matching pods on them. */
  count: number;
}

export class DomainAggregate extends PerNodeAggregate {
  /** Domain value -> eligible nodes and matching pods. */
  readonly domains = new Map<string, Domain>();
  /** Domain of the slot's node, undefined when the node is not eligible. */
  private values: (string | undefined)[] = [];
  private counts: number[] = [];

  constructor(
    private readonly topologyKey: string,
    /** Every constraint's topology key: a node is eligible only with all of them. */
    private readonly requiredKeys: readonly string[],
    private readonly selector: LabelMatcher,
    private readonly namespace: string,
  ) {
    super();
  }

  protected override truncate(n: number): void {
    this.values.length = n;
    this.counts.length = n;
  }

  protected drop(slot: number): void {
    const v = this.values[slot];
    if (v === undefined) return;
    const d = this.domains.get(v) as Domain;
    d.nodes--;
    d.count -= this.counts[slot] ?? 0;
    if (d.nodes === 0) this.domains.delete(v);
    this.values[slot] = undefined;
    this.counts[slot] = 0;
  }

  protected take(slot: number, ni: NodeInfo): void {
    const labels = ni.labels;
    this.values[slot] = undefined;
    this.counts[slot] = 0;
    if (ni.node === undefined) return;
    if (this.requiredKeys.length > 0) {
      if (labels === undefined) return;
      for (const k of this.requiredKeys) if (!Object.hasOwn(labels, k)) return;
    }
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
    this.values[slot] = v;
    this.counts[slot] = c;
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
    list: readonly NodeInfo[],
  ): DomainAggregate {
    return this.lookup(
      key,
      () => new DomainAggregate(topologyKey, requiredKeys, selector, namespace),
      list,
    );
  }
}
