/**
 * "Why did this pod land on that node?": what one scheduling attempt saw, gathered for the pods
 * being explained (kube-scheduler-simulator shows the same: each plugin's verdict and score per
 * node). The framework and the algorithm hand their results to a collector only when there is
 * one, checked once per plugin or per cycle, so attempts not explained allocate nothing more in
 * the filter and score loops.
 */
import type { TraceFieldsOf } from '../../trace/types.ts';
import { PreFilterResult } from './interface.ts';
import type { NodeInfo } from './node-info.ts';
import type { NodeToStatus } from './node-to-status.ts';
import type { Code, MaybeStatus } from './status.ts';

/** One attempt explained: the fields of a `scheduler.explain` trace record. */
export type AttemptExplanation = TraceFieldsOf<'scheduler.explain'>;

/** How many of the best-scored nodes an explanation lists (the chosen one is always added). */
export const EXPLAINED_TOP_NODES = 10;

/** Decides, once per attempt, whether to explain it, and receives the explanation. */
export interface Explainer {
  wants(namespace: string, name: string): boolean;
  record(explanation: AttemptExplanation): void;
}

interface PreFilterEntry {
  plugin: string;
  code: Code;
  reason?: string;
  nodes?: number;
}

interface FilterEntry {
  node: string;
  code: Code;
  plugin?: string;
  reason?: string;
}

interface ScoreEntry {
  node: string;
  raw: number[];
  normalized: number[];
  total: number;
}

export type ExplainedOutcome =
  | { readonly kind: 'Scheduled'; readonly node: string }
  | {
      readonly kind: 'Unschedulable' | 'SchedulerError';
      readonly node: string | undefined;
      readonly message: string;
    };

export class ExplainCollector {
  nodes = 0;
  /** The node the algorithm picked, if it got that far. */
  chosen: string | undefined = undefined;
  private readonly preFilter: PreFilterEntry[] = [];
  private readonly filter: FilterEntry[] = [];
  private readonly scorePlugins: { plugin: string; weight: number }[] = [];
  private readonly raw: number[][] = [];
  private readonly normalized: number[][] = [];
  private scores: ScoreEntry[] = [];

  preFilterResult(plugin: string, r: MaybeStatus | PreFilterResult): void {
    if (r instanceof PreFilterResult) {
      this.preFilter.push({ plugin, code: 'Success', nodes: r.nodeNames.size });
      return;
    }
    if (r === undefined || r.code === 'Success' || r.code === 'Skip') {
      this.preFilter.push({ plugin, code: r?.code ?? 'Success' });
      return;
    }
    this.preFilter.push({ plugin, code: r.code, reason: r.message() });
  }

  /** The nodes that passed (in order) and those turned down, as the filter loop left them. */
  filterResults(feasible: readonly NodeInfo[], rejected: NodeToStatus): void {
    for (const ni of feasible) this.filter.push({ node: ni.name, code: 'Success' });
    rejected.forEach((node, s) =>
      this.filter.push({
        node,
        code: s.code,
        ...(s.plugin === '' ? {} : { plugin: s.plugin }),
        reason: s.message(),
      }),
    );
  }

  /** One Score plugin's scores, parallel to the scored nodes (copied: the caller reuses them). */
  pluginScores(
    plugin: string,
    weight: number,
    raw: readonly number[],
    normalized: readonly number[],
  ): void {
    this.scorePlugins.push({ plugin, weight });
    this.raw.push([...raw]);
    this.normalized.push([...normalized]);
  }

  /** Keeps the best nodes by total (ties in evaluation order) and the chosen one. */
  ranking(nodes: readonly NodeInfo[], totals: readonly number[], chosen: number): void {
    const order = totals
      .map((_, i) => i)
      .sort((a, b) => (totals[b] as number) - (totals[a] as number) || a - b);
    const keep = order.slice(0, EXPLAINED_TOP_NODES);
    if (!keep.includes(chosen)) keep.push(chosen);
    this.scores = keep.map((i) => ({
      node: (nodes[i] as NodeInfo).name,
      raw: this.raw.map((r) => r[i] as number),
      normalized: this.normalized.map((n) => n[i] as number),
      total: totals[i] as number,
    }));
  }

  finish(pod: string, attempt: number, outcome: ExplainedOutcome): AttemptExplanation {
    const node = outcome.node ?? this.chosen;
    return {
      pod,
      attempt,
      nodes: this.nodes,
      preFilter: this.preFilter,
      filter: this.filter,
      scorePlugins: this.scores.length === 0 ? [] : this.scorePlugins,
      scores: this.scores,
      outcome: outcome.kind,
      ...(node === undefined ? {} : { node }),
      ...(outcome.kind === 'Scheduled' ? {} : { message: outcome.message }),
    };
  }
}
