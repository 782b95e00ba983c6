/**
 * Folds a trace, record by record, into the report's data (report-data.ts). One pass, memory
 * bounded by the aggregates, so a trace of any length can be read as a stream.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import { ApiModel } from './api.ts';
import { EventsModel, type EventsKept } from './events.ts';
import { NodesModel } from './nodes.ts';
import { PodsModel } from './pods.ts';
import type { ReportData, SloRow, Verdict } from './report-data.ts';
import { SchedulingModel } from './scheduling.ts';
import { SloCollector, type SloResult } from './slo.ts';
import { binningFor, formatUs } from './stats.ts';
import { StoreModel } from './store.ts';
import { TrafficModel } from './traffic.ts';
import { WorkloadModel } from './workload.ts';

/** The report's row of an SLO with a threshold and samples (`ksim run` prints the same). */
function sloRow(r: SloResult): SloRow[] {
  if (r.slo === 'watch-latency' && r.value !== undefined) return [watchLatencyRow(r, r.value)];
  if (r.value === undefined || r.threshold === undefined || r.slo === 'scheduling-throughput')
    return [];
  const n = r.samples.toLocaleString('en-US');
  return [
    {
      name:
        r.slo === 'api-call-latency'
          ? `API call latency, ${r.scope ?? ''} (${n} calls)`
          : `Pod startup latency, image pulls excluded (${n} pods)`,
      target: `p99 <= ${formatUs(r.threshold)}`,
      observed: `p99 ${formatUs(r.value)}`,
      passed: r.passed,
    },
  ];
}

/** Watch latency has no SLO upstream: reported, and judged only against a scenario's own. */
function watchLatencyRow(r: SloResult, value: number): SloRow {
  return {
    name: `Watch latency, commit to delivery (${r.samples.toLocaleString('en-US')} deliveries sampled)`,
    target:
      r.threshold === undefined ? 'none (no SLO upstream)' : `p99 <= ${formatUs(r.threshold)}`,
    observed: `p99 ${formatUs(value)}${r.note === undefined ? '' : ` (${r.note})`}`,
    passed: r.passed,
    ...(r.threshold === undefined ? { reportedOnly: true } : {}),
  };
}

/** Node names in natural order (node-2 before node-10). */
function byNaturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export class ReportBuilder {
  private readonly nodes = new Set<string>();
  private readonly pods = new PodsModel((n) => this.nodes.add(n));
  private readonly nodeStates = new NodesModel(
    (p) => this.nodes.has(p),
    (n) => this.nodes.add(n),
  );
  private readonly store = new StoreModel();
  private readonly api = new ApiModel();
  private readonly scheduling = new SchedulingModel();
  private readonly workload = new WorkloadModel();
  private readonly traffic = new TrafficModel();
  private readonly slo = new SloCollector();
  private readonly events: EventsModel;
  private readonly verdicts: Verdict[] = [];
  private header:
    { seed: number; ksimVersion: string; schemaVersion: number; level: string } | undefined;
  private records = 0;
  private endUs = 0;

  /**
   * `events`: which rows the capped event log keeps, and `maxEventRows` how many (default
   * 25,000). The live view keeps the latest 5,000: it sends the whole report every second.
   */
  constructor(options: { readonly events?: EventsKept; readonly maxEventRows?: number } = {}) {
    this.events = new EventsModel(options.events, options.maxEventRows);
  }

  add(r: TraceRecord): void {
    this.records++;
    this.endUs = Math.max(this.endUs, r.t);
    if (r.k === 'trace.header') {
      this.header = {
        seed: r.seed,
        ksimVersion: r.ksimVersion,
        schemaVersion: r.schemaVersion,
        level: r.level,
      };
      return;
    }
    if (r.k === 'runner.verdict')
      this.verdicts.push({
        name: r.name,
        passed: r.passed,
        metAtUs: r.metAtUs,
        ...(r.violatedAtUs === undefined ? {} : { violatedAtUs: r.violatedAtUs }),
        ...(r.objects === undefined ? {} : { objects: r.objects }),
        detail: r.detail,
      });
    this.pods.add(r);
    this.nodeStates.add(r);
    this.store.add(r);
    this.api.add(r);
    this.scheduling.add(r);
    this.workload.add(r);
    this.traffic.add(r);
    this.slo.add(r);
    this.events.add(r);
  }

  /**
   * The report data; `endUs` extends the time axis past the last record (a run's duration).
   * A snapshot: call it as often as you like while records keep coming (the live view does,
   * every second); what it returns shares nothing that later records change.
   */
  finish(title: string, endUs = 0): ReportData {
    const end = Math.max(this.endUs, endUs, 1);
    const b = binningFor(end);
    const nodes = [...this.nodes].sort(byNaturalOrder);
    const h = this.header ?? { seed: 0, ksimVersion: '', schemaVersion: 0, level: '' };
    const api = this.api.view(b);
    const workload = this.workload.view(b);
    const traffic = this.traffic.view(b);
    const slos = this.slo.results().flatMap(sloRow);
    return {
      meta: { title, ...h, records: this.records, endUs: end },
      nodes,
      pods: this.pods.view(end, nodes, b),
      podTotals: this.pods.totals(b),
      nodeStates: this.nodeStates.view(end, nodes, b),
      faults: this.nodeStates.faultBands(end),
      store: this.store.view(end),
      api,
      scheduling: this.scheduling.view(b),
      workload,
      ...(traffic === undefined ? {} : { traffic }),
      verdicts: this.verdicts.slice(),
      slos,
      events: this.events.view(),
    };
  }
}
