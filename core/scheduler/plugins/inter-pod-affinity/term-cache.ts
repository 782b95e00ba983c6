/**
 * Aggregates over the snapshot that InterPodAffinity's PreFilter and PreScore would otherwise
 * rebuild by walking every pod each cycle. Each aggregate remembers, per node slot, the node
 * object, its generation and its labels when it last looked, and recomputes only the slots
 * that moved (usually the one node the previous pod landed on). Sums are exact integers, so
 * the counts equal those of a full walk.
 */
import type { Labels } from '../../../api/selectors.ts';
import { termMatches, type AffinityTerm } from '../../framework/affinity-term.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { AggregateCache, PerNodeAggregate } from '../../framework/per-node-aggregate.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { TopologyCounts } from './topology-counts.ts';

const termKeys = new WeakMap<AffinityTerm, string>();

/** Identity of a term: terms with equal keys match exactly the same pods. */
export function termKey(t: AffinityTerm): string {
  let k = termKeys.get(t);
  if (k === undefined) {
    const ns = [...t.namespaces].sort().join('\u0001');
    const sel = t.selector.nothing ? '\u0002' : t.selector.toString();
    const nsSel = t.namespaceSelector.nothing ? '\u0002' : t.namespaceSelector.toString();
    k = `${ns}\0${sel}\0${nsSel}\0${t.topologyKey}`;
    termKeys.set(t, k);
  }
  return k;
}

function addTo(m: Map<string, number>, value: string, delta: number): void {
  const v = (m.get(value) ?? 0) + delta;
  if (v === 0) m.delete(value);
  else m.set(value, v);
}

/**
 * Per topology value of `topologyKey`: the number of pods matching `matches` on nodes with that
 * value. `matches` must depend only on the pod object (no namespace-label lookups).
 */
export class PodCountAggregate extends PerNodeAggregate {
  readonly sums = new Map<string, number>();
  private counts: number[] = [];
  private values: (string | undefined)[] = [];

  constructor(
    private readonly topologyKey: string,
    private readonly matches: (p: PodInfo) => boolean,
  ) {
    super();
  }

  protected drop(slot: number): void {
    const v = this.values[slot];
    const c = this.counts[slot] ?? 0;
    if (v !== undefined && c !== 0) addTo(this.sums, v, -c);
    this.values[slot] = undefined;
    this.counts[slot] = 0;
  }

  protected take(slot: number, ni: NodeInfo): void {
    const labels = ni.labels;
    if (labels === undefined || !Object.hasOwn(labels, this.topologyKey)) {
      this.values[slot] = undefined;
      this.counts[slot] = 0;
      return;
    }
    let c = 0;
    for (const p of ni.pods) if (this.matches(p)) c++;
    const v = labels[this.topologyKey] as string;
    this.values[slot] = v;
    this.counts[slot] = c;
    if (c !== 0) addTo(this.sums, v, c);
  }
}

interface Contribution {
  readonly key: string;
  readonly term: AffinityTerm;
  readonly value: string;
  readonly weight: number;
}

export interface TermEntry {
  readonly term: AffinityTerm;
  readonly topologyKey: string;
  /** topology value -> summed weight of the terms with this key on nodes with that value. */
  readonly sums: Map<string, number>;
}

/**
 * Existing pods' terms grouped by termKey: per group, the summed weights per topology value of
 * the hosting node. `collect` emits the (term, weight) pairs a pod contributes.
 */
export class ExistingTermsAggregate extends PerNodeAggregate {
  readonly entries = new Map<string, TermEntry>();
  private contribs: (Contribution[] | undefined)[] = [];

  constructor(
    private readonly collect: (p: PodInfo, emit: (t: AffinityTerm, weight: number) => void) => void,
    private readonly podsOf: (ni: NodeInfo) => readonly PodInfo[],
  ) {
    super();
  }

  private add(key: string, term: AffinityTerm, value: string, weight: number): void {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { term, topologyKey: term.topologyKey, sums: new Map() };
      this.entries.set(key, e);
    }
    addTo(e.sums, value, weight);
    if (e.sums.size === 0) this.entries.delete(key);
  }

  protected drop(slot: number): void {
    const cs = this.contribs[slot];
    if (cs === undefined) return;
    for (const c of cs) this.add(c.key, c.term, c.value, -c.weight);
    this.contribs[slot] = undefined;
  }

  protected take(slot: number, ni: NodeInfo): void {
    const labels = ni.labels;
    if (labels === undefined) return;
    const pods = this.podsOf(ni);
    if (pods.length === 0) return;
    let cs: Contribution[] | undefined;
    const emit = (term: AffinityTerm, weight: number): void => {
      if (weight === 0 || !Object.hasOwn(labels, term.topologyKey)) return;
      const c: Contribution = {
        key: termKey(term),
        term,
        value: labels[term.topologyKey] as string,
        weight,
      };
      (cs ??= []).push(c);
      this.add(c.key, c.term, c.value, c.weight);
    };
    for (const p of pods) this.collect(p, emit);
    this.contribs[slot] = cs;
  }

  /** The groups whose term the pod matches. */
  matching(pod: PodInfo, nsLabels: Labels): TermEntry[] {
    const out: TermEntry[] = [];
    for (const e of this.entries.values())
      if (termMatches(e.term, pod.namespace, pod.labels, nsLabels)) out.push(e);
    return out;
  }

  /** Adds, for every group whose term the pod matches, the group's sums times `factor`. */
  addMatching(m: TopologyCounts, pod: PodInfo, nsLabels: Labels, factor: number): void {
    for (const e of this.entries.values()) {
      if (!termMatches(e.term, pod.namespace, pod.labels, nsLabels)) continue;
      m.addAll(e.topologyKey, e.sums, factor);
    }
  }
}

/** Bounded set of PodCountAggregates keyed by what they count, least recently used evicted. */
export class PodCountCache extends AggregateCache<PodCountAggregate> {
  get(
    key: string,
    topologyKey: string,
    matches: (p: PodInfo) => boolean,
    list: readonly NodeInfo[],
  ): PodCountAggregate {
    return this.lookup(key, () => new PodCountAggregate(topologyKey, matches), list);
  }
}

/** Can a term's matches be counted without namespace labels (no namespaceSelector)? */
export function cacheable(t: AffinityTerm): boolean {
  return t.namespaceSelector.nothing;
}

/** Matching predicate for a term without a namespaceSelector. */
export function plainMatcher(t: AffinityTerm): (p: PodInfo) => boolean {
  return (p) => t.namespaces.has(p.namespace) && t.selector.matches(p.labels);
}
