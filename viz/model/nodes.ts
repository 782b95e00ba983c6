/**
 * Node state lanes (Ready / NotReady / Unknown as the node lifecycle controller saw them, down
 * while the node's process is crashed, taints) and the fault bands drawn across every chart.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type {
  FaultBand,
  NodeSegment,
  NodeStateCode,
  NodeStatesView,
  TaintSegment,
} from './report-data.ts';
import { Level, type Binning } from './stats.ts';

/** Above this many nodes, lanes give way to counts of nodes per state. */
export const MAX_LANE_NODES = 64;

const READY: NodeStateCode = 0;
const NOT_READY: NodeStateCode = 1;
const UNKNOWN: NodeStateCode = 2;
const DOWN: NodeStateCode = 3;

interface Open<V> {
  value: V;
  since: number;
}

export class NodesModel {
  private readonly state = new Map<string, Open<NodeStateCode>>();
  private readonly taint = new Map<string, Open<string>>();
  /** Condition before a crash, restored when the process starts again. */
  private readonly beforeDown = new Map<string, NodeStateCode>();
  private readonly segments: [string, NodeStateCode, number, number][] = [];
  private readonly taintSegments: [string, string, number, number][] = [];
  private readonly levels = [new Level(), new Level(), new Level(), new Level()] as const;
  private readonly tainted = new Level();
  private readonly faults: FaultBand[] = [];
  /** Faults that last until `fault.heal`. */
  private readonly untilHeal: { kind: string; label: string; startUs: number }[] = [];
  private readonly crashed = new Map<string, number>();

  constructor(
    private readonly isNode: (process: string) => boolean,
    private readonly noteNode: (node: string) => void,
  ) {}

  add(r: TraceRecord): void {
    switch (r.k) {
      case 'kubelet.node-registered':
        this.noteNode(r.node);
        if (!this.state.has(r.node)) this.set(r.t, r.node, READY);
        return;
      case 'node-lifecycle.node-not-ready':
        return this.set(r.t, r.node, r.status === 'Unknown' ? UNKNOWN : NOT_READY);
      case 'node-lifecycle.node-unknown':
        return this.set(r.t, r.node, UNKNOWN);
      case 'node-lifecycle.node-ready':
        return this.set(r.t, r.node, READY);
      case 'node-lifecycle.taint':
        return this.setTaints(r.t, r.node, r.taints.join(', '));
      case 'process.crash':
        this.crashed.set(r.p, r.t);
        if (this.isNode(r.p) && this.state.has(r.p)) {
          this.beforeDown.set(r.p, this.state.get(r.p)!.value);
          this.set(r.t, r.p, DOWN);
        }
        return;
      case 'process.start': {
        const since = this.crashed.get(r.p);
        if (since !== undefined) {
          this.crashed.delete(r.p);
          this.faults.push({ kind: 'crash', label: `${r.p} down`, startUs: since, endUs: r.t });
        }
        const before = this.beforeDown.get(r.p);
        if (before !== undefined) {
          this.beforeDown.delete(r.p);
          this.set(r.t, r.p, before);
        }
        return;
      }
      default:
        return this.addFault(r);
    }
  }

  private addFault(r: TraceRecord): void {
    const at = (kind: string, label: string, durationUs = 0): void => {
      this.faults.push({ kind, label, startUs: r.t, endUs: r.t + durationUs });
    };
    switch (r.k) {
      case 'fault.partition':
        this.untilHeal.push({
          kind: 'partition',
          label: `partition ${r.groups.map((g) => `[${g.join(' ')}]`).join(' | ')}`,
          startUs: r.t,
        });
        return;
      case 'fault.block':
        this.untilHeal.push({
          kind: 'partition',
          label: `block ${r.from} -> ${r.to}`,
          startUs: r.t,
        });
        return;
      case 'fault.heal':
        for (const f of this.untilHeal.splice(0)) this.faults.push({ ...f, endUs: r.t });
        return;
      case 'fault.clog':
        return at('clog', `clog ${r.process}`, r.durationUs);
      case 'fault.link':
        return at(
          'network',
          `link ${r.from} -> ${r.to}: loss ${r.lossProbability}, duplicate ${r.duplicateProbability}`,
        );
      case 'fault.disk':
        return at(
          'disk',
          `disk faults on ${r.process}: torn ${r.tornWriteProbability}, read errors ${r.readErrorProbability}`,
        );
      case 'fault.disk-wipe':
        return at('disk', `disk wiped on ${r.p}`);
      case 'fault.clock-jump':
        return at('clock', `clock of ${r.process} jumps ${r.deltaUs}µs`);
      case 'fault.clock-rate':
        return at('clock', `clock of ${r.process} runs at ${r.rate}x`);
      case 'fault.isolate-leader':
        return at('partition', `isolate store leader ${r.process}`);
      case 'fault.crash-leader':
        return at('crash', `crash store leader ${r.process}`);
      case 'fault.replace-member':
        return at('membership', `replace ${r.process} by ${r.by}`);
      case 'fault.lose-member':
        return at('membership', `lose ${r.process}, replaced by ${r.by}`);
      case 'runtime.fault':
        return at('runtime', `runtime fault on ${r.p}: ${r.fault}`);
      default:
        return;
    }
  }

  private set(t: number, node: string, value: NodeStateCode): void {
    const open = this.state.get(node);
    if (open !== undefined) {
      if (open.value === value) return;
      this.segments.push([node, open.value, open.since, t]);
      if (open.value !== READY) this.levels[open.value].change(t, -1);
    }
    this.state.set(node, { value, since: t });
    if (value !== READY) this.levels[value].change(t, 1);
  }

  private setTaints(t: number, node: string, taints: string): void {
    const open = this.taint.get(node);
    if (open !== undefined) {
      this.taintSegments.push([node, open.value, open.since, t]);
      this.taint.delete(node);
      this.tainted.change(t, -1);
    }
    if (taints === '') return;
    this.taint.set(node, { value: taints, since: t });
    this.tainted.change(t, 1);
  }

  /** The bands, overlapping ones of a kind merged: 50 nodes down at once are one band. */
  faultBands(endUs: number): FaultBand[] {
    const open = [
      ...this.untilHeal.map((f) => ({ ...f, endUs })),
      ...[...this.crashed].map(([p, since]) => ({
        kind: 'crash',
        label: `${p} down`,
        startUs: since,
        endUs,
      })),
    ];
    return mergeBands([...this.faults, ...open]);
  }

  view(endUs: number, nodes: readonly string[], b: Binning): NodeStatesView {
    const lanes = nodes.length <= MAX_LANE_NODES;
    const index = new Map(nodes.map((n, i) => [n, i]));
    const segments: NodeSegment[] = [
      ...this.segments,
      ...[...this.state].map(([n, o]) => [n, o.value, o.since, endUs] as const),
    ].map(([n, v, s, e]) => [index.get(n) ?? 0, v, s, e]);
    const taints: TaintSegment[] = [
      ...this.taintSegments,
      ...[...this.taint].map(([n, o]) => [n, o.value, o.since, endUs] as const),
    ].map(([n, v, s, e]) => [index.get(n) ?? 0, v, s, e]);
    return {
      segments: lanes ? segments : undefined,
      taints: lanes ? taints : undefined,
      notReady: this.levels[NOT_READY].bins(b),
      unknown: this.levels[UNKNOWN].bins(b),
      down: this.levels[DOWN].bins(b),
      tainted: this.tainted.bins(b),
    };
  }
}

/** Labels listed in a merged band before "and N more". */
const MAX_MERGED_LABELS = 5;

export function mergeBands(bands: readonly FaultBand[]): FaultBand[] {
  const sorted = [...bands].sort((a, b) => a.startUs - b.startUs || (a.kind < b.kind ? -1 : 1));
  const open = new Map<string, { band: FaultBand; labels: string[] }>();
  const out: FaultBand[] = [];
  const close = (m: { band: FaultBand; labels: string[] }): void => {
    const more = m.labels.length - MAX_MERGED_LABELS;
    const label =
      m.labels.slice(0, MAX_MERGED_LABELS).join('; ') + (more > 0 ? `; and ${more} more` : '');
    out.push({ ...m.band, label });
  };
  for (const b of sorted) {
    const m = open.get(b.kind);
    if (m !== undefined && b.startUs <= m.band.endUs) {
      m.band = { ...m.band, endUs: Math.max(m.band.endUs, b.endUs) };
      m.labels.push(b.label);
      continue;
    }
    if (m !== undefined) close(m);
    open.set(b.kind, { band: b, labels: [b.label] });
  }
  for (const m of open.values()) close(m);
  return out.sort((a, b) => a.startUs - b.startUs || (a.kind < b.kind ? -1 : 1));
}
