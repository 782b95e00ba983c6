/**
 * Pods on nodes over time. A placement is a pod's stay on one node: bound (pending), running,
 * terminating, until the kubelet forgets it, it finishes or the run ends. Few nodes: one Gantt
 * bar per placement phase, pods of a node stacked in lanes. Many: heat strips of node groups.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type { PodBar, PodPhaseCode, PodsView, PodTotals } from './report-data.ts';
import { Level, type Binning } from './stats.ts';

/** Above either limit, per-pod bars give way to heat strips. */
export const MAX_BAR_NODES = 64;
export const MAX_BARS = 5_000;
/** Heat strips: at most this many rows (groups of consecutive nodes). */
const MAX_HEAT_ROWS = 250;

const PENDING: PodPhaseCode = 0;
const RUNNING: PodPhaseCode = 1;
const TERMINATING: PodPhaseCode = 2;

interface Placement {
  readonly pod: number;
  readonly node: string;
  phase: PodPhaseCode;
  since: number;
}

export class PodsModel {
  private readonly podIndex = new Map<string, number>();
  private readonly placements = new Map<number, Placement>();
  /** Finished phase segments: pod, node, phase, start, end. */
  private readonly segments: [number, string, PodPhaseCode, number, number][] = [];
  /** Per node: running-pod changes [t, delta], for heat strips. */
  private readonly runningChanges = new Map<string, [number, number][]>();
  private readonly levels = [new Level(), new Level(), new Level()] as const;

  constructor(private readonly noteNode: (node: string) => void) {}

  add(r: TraceRecord): void {
    switch (r.k) {
      case 'scheduler.bind':
        return this.place(r.t, r.pod, r.node, PENDING);
      case 'kubelet.pod-phase':
        if (r.phase === 'Running') return this.place(r.t, r.pod, r.node, RUNNING);
        if (r.phase === 'Succeeded' || r.phase === 'Failed') return this.end(r.t, r.pod);
        return this.place(r.t, r.pod, r.node, this.current(r.pod)?.phase ?? PENDING);
      case 'kubelet.pod-terminating':
        return this.place(r.t, r.pod, r.node, TERMINATING);
      case 'taint-eviction.delete':
        return this.terminate(r.t, r.pod);
      case 'scheduler.preempt':
        return this.terminate(r.t, r.victim);
      case 'kubelet.pod-rejected':
      case 'kubelet.pod-deleted':
        return this.end(r.t, r.pod);
      default:
        return;
    }
  }

  private current(pod: string): Placement | undefined {
    const i = this.podIndex.get(pod);
    return i === undefined ? undefined : this.placements.get(i);
  }

  private terminate(t: number, pod: string): void {
    const p = this.current(pod);
    if (p !== undefined) this.place(t, pod, p.node, TERMINATING);
  }

  private place(t: number, pod: string, node: string, phase: PodPhaseCode): void {
    let i = this.podIndex.get(pod);
    if (i === undefined) {
      i = this.podIndex.size;
      this.podIndex.set(pod, i);
    }
    const p = this.placements.get(i);
    if (p !== undefined && p.node === node && p.phase === phase) return;
    if (p !== undefined) this.close(p, t);
    this.noteNode(node);
    this.placements.set(i, { pod: i, node, phase, since: t });
    this.levels[phase].change(t, 1);
    if (phase === RUNNING) this.running(node, t, 1);
  }

  private end(t: number, pod: string): void {
    const p = this.current(pod);
    if (p === undefined) return;
    this.close(p, t);
    this.placements.delete(p.pod);
  }

  private close(p: Placement, t: number): void {
    this.segments.push([p.pod, p.node, p.phase, p.since, t]);
    this.levels[p.phase].change(t, -1);
    if (p.phase === RUNNING) this.running(p.node, t, -1);
  }

  private running(node: string, t: number, delta: number): void {
    let c = this.runningChanges.get(node);
    if (c === undefined) this.runningChanges.set(node, (c = []));
    c.push([t, delta]);
  }

  totals(b: Binning): PodTotals {
    return {
      pending: this.levels[PENDING].bins(b),
      running: this.levels[RUNNING].bins(b),
      terminating: this.levels[TERMINATING].bins(b),
      placed: this.podIndex.size,
    };
  }

  view(endUs: number, nodes: readonly string[], b: Binning): PodsView {
    // Decided before copying: the live view takes a snapshot every second of a large run.
    if (nodes.length > MAX_BAR_NODES || this.segments.length + this.placements.size > MAX_BARS)
      return this.heat(endUs, nodes, b);
    const segments = [...this.segments];
    for (const p of this.placements.values())
      segments.push([p.pod, p.node, p.phase, p.since, endUs]);
    return this.bars(segments, nodes);
  }

  private bars(
    segments: [number, string, PodPhaseCode, number, number][],
    nodes: readonly string[],
  ): PodsView {
    const nodeIndex = new Map(nodes.map((n, i) => [n, i]));
    // A placement's segments share a lane: lanes are given per (pod, node) stay, first come first.
    const stays = new Map<string, { node: number; start: number; end: number; lane: number }>();
    segments.sort((a, b) => a[3] - b[3] || a[0] - b[0]);
    for (const [pod, node, , s, e] of segments) {
      const key = `${pod} ${node}`;
      const stay = stays.get(key);
      if (stay === undefined)
        stays.set(key, { node: nodeIndex.get(node) ?? 0, start: s, end: e, lane: -1 });
      else stay.end = Math.max(stay.end, e);
    }
    const laneEnds = nodes.map(() => [] as number[]);
    for (const stay of stays.values()) {
      const ends = laneEnds[stay.node] as number[];
      let lane = ends.findIndex((end) => end <= stay.start);
      if (lane < 0) lane = ends.push(0) - 1;
      ends[lane] = stay.end;
      stay.lane = lane;
    }
    const bars: PodBar[] = segments.map(([pod, node, phase, s, e]) => {
      const stay = stays.get(`${pod} ${node}`)!;
      return [pod, stay.node, stay.lane, phase, s, e];
    });
    return {
      kind: 'bars',
      pods: [...this.podIndex.keys()],
      lanes: laneEnds.map((l) => Math.max(1, l.length)),
      bars,
    };
  }

  private heat(endUs: number, nodes: readonly string[], b: Binning): PodsView {
    const perRow = Math.ceil(nodes.length / MAX_HEAT_ROWS);
    const rows: [string, string, number][] = [];
    const running: number[][] = [];
    let max = 0;
    for (let first = 0; first < nodes.length; first += perRow) {
      const group = nodes.slice(first, first + perRow);
      const sums = new Array<number>(b.count).fill(0);
      for (const node of group)
        addTimeWeighted(sums, this.runningChanges.get(node) ?? [], endUs, b.widthUs);
      const row = sums.map((v) => Math.round((v / group.length) * 10) / 10);
      for (const v of row) max = Math.max(max, v);
      rows.push([group[0] as string, group[group.length - 1] as string, group.length]);
      running.push(row);
    }
    return { kind: 'heat', rows, running, widthUs: b.widthUs, max };
  }
}

/** Adds to each bin the time-weighted mean of a level given by its changes over [0, endUs]. */
function addTimeWeighted(
  sums: number[],
  changes: readonly [number, number][],
  endUs: number,
  widthUs: number,
): void {
  let value = 0;
  let t = 0;
  const advance = (to: number): void => {
    if (value === 0) {
      t = Math.max(t, to);
      return;
    }
    while (t < to) {
      const bin = Math.floor(t / widthUs);
      const binEnd = Math.min(to, (bin + 1) * widthUs);
      if (bin < sums.length) sums[bin] = (sums[bin] as number) + (value * (binEnd - t)) / widthUs;
      t = binEnd;
    }
  };
  for (const [at, delta] of changes) {
    advance(at);
    value += delta;
  }
  advance(endUs);
}
