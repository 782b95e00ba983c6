/**
 * What happened to each task of a replay, read from the run's trace as it is written: its
 * creation (`runner.action` apply answered), its binding (`scheduler.bind`), the scheduler's
 * refusals (`scheduler.unschedulable`) and its deletion (`runner.delete`). From these it keeps
 * the resources allocated on the cluster at every moment, samples them, and tells the runner
 * when the cluster is full.
 */
import type { TraceSink } from '../trace.ts';
import { REPLAY_NAMESPACE } from './alibaba-scenario.ts';

/** What a task takes from the cluster once bound. */
export interface Demand {
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Thousandths of a GPU. */
  readonly gpuMilli: number;
}

export interface PodOutcome {
  createdAtUs?: number;
  boundAtUs?: number;
  node?: string;
  deletedAtUs?: number;
  /** Scheduling attempts the scheduler refused. */
  refusals: number;
  /** The scheduler's last message about it. */
  lastRefusal?: string;
}

export interface Sample {
  readonly atUs: number;
  readonly created: number;
  /** Bound and not deleted. */
  readonly running: number;
  /** Created, never bound, not deleted. */
  readonly pending: number;
  /** Allocated share of the cluster's capacity, 0..1. */
  readonly cpu: number;
  readonly memory: number;
  readonly gpu: number;
}

const BIND = '"k":"scheduler.bind"';
const REFUSED = '"k":"scheduler.unschedulable"';
const ACTION = '"k":"runner.action"';
const DELETE = '"k":"runner.delete"';
const POD_PREFIX = `${REPLAY_NAMESPACE}/`;

export class ReplayObserver {
  readonly outcomes = new Map<string, PodOutcome>();
  readonly samples: Sample[] = [];
  private readonly allocated = { cpuMilli: 0, memoryMiB: 0, gpuMilli: 0 };
  private created = 0;
  /** Bound and not deleted. */
  private running = 0;
  private everBound = 0;
  private deletedUnbound = 0;
  private gone = 0;
  /** Tasks in a row whose first scheduling attempt was refused. */
  private refusedStreak = 0;
  private longestStreak = 0;

  constructor(
    private readonly demands: ReadonlyMap<string, Demand>,
    private readonly capacity: Demand,
  ) {
    for (const name of demands.keys()) this.outcomes.set(name, { refusals: 0 });
  }

  /** The trace sink to add to the simulation. */
  readonly sink: TraceSink = (line) => {
    // Most records are about other things; a substring test is much cheaper than JSON.parse.
    if (line.includes(BIND)) this.onBind(JSON.parse(line));
    else if (line.includes(REFUSED)) this.onRefused(JSON.parse(line));
    else if (line.includes(ACTION)) this.onAction(JSON.parse(line));
    else if (line.includes(DELETE)) this.onDelete(JSON.parse(line));
  };

  private outcome(podKey: string): PodOutcome | undefined {
    if (!podKey.startsWith(POD_PREFIX)) return undefined;
    return this.outcomes.get(podKey.slice(POD_PREFIX.length));
  }

  private onAction(r: { t: number; action: string; kind: string; name: string; status: number }) {
    if (r.action !== 'apply' || r.kind !== 'Pod' || r.status >= 300) return;
    const o = this.outcomes.get(r.name);
    if (o === undefined || o.createdAtUs !== undefined) return;
    o.createdAtUs = r.t;
    this.created++;
  }

  private onBind(r: { t: number; pod: string; node: string }) {
    const o = this.outcome(r.pod);
    if (o === undefined) return;
    if (o.refusals === 0) this.refusedStreak = 0;
    o.boundAtUs = r.t;
    o.node = r.node;
    this.running++;
    this.everBound++;
    this.add(r.pod.slice(POD_PREFIX.length), 1);
  }

  private onRefused(r: { pod: string; message: string }) {
    const o = this.outcome(r.pod);
    if (o === undefined) return;
    if (o.refusals === 0 && o.boundAtUs === undefined) {
      this.refusedStreak++;
      this.longestStreak = Math.max(this.longestStreak, this.refusedStreak);
    }
    o.refusals++;
    o.lastRefusal = r.message;
  }

  private onDelete(r: { t: number; kind: string; name: string; status: number }) {
    if (r.kind !== 'Pod' || r.status >= 300) return;
    const o = this.outcomes.get(r.name);
    if (o === undefined || o.deletedAtUs !== undefined) return;
    o.deletedAtUs = r.t;
    this.gone++;
    // The scheduler forgets a bound pod once it is deleted (with grace period 0: at once).
    if (o.boundAtUs !== undefined) {
      this.add(r.name, -1);
      this.running--;
    } else if (o.createdAtUs !== undefined) this.deletedUnbound++;
  }

  private add(name: string, sign: 1 | -1): void {
    const d = this.demands.get(name);
    if (d === undefined) return;
    this.allocated.cpuMilli += sign * d.cpuMilli;
    this.allocated.memoryMiB += sign * d.memoryMiB;
    this.allocated.gpuMilli += sign * d.gpuMilli;
  }

  /** Records the state now. */
  sample(atUs: number): Sample {
    const share = (used: number, total: number): number => (total === 0 ? 0 : used / total);
    const s: Sample = {
      atUs,
      created: this.created,
      running: this.running,
      pending: this.pending,
      cpu: share(this.allocated.cpuMilli, this.capacity.cpuMilli),
      memory: share(this.allocated.memoryMiB, this.capacity.memoryMiB),
      gpu: share(this.allocated.gpuMilli, this.capacity.gpuMilli),
    };
    this.samples.push(s);
    return s;
  }

  /** Created, never bound, not deleted. */
  get pending(): number {
    return this.created - this.everBound - this.deletedUnbound;
  }

  /** Every task created, and each bound or deleted. */
  get allPlaced(): boolean {
    return this.created === this.outcomes.size && this.pending === 0;
  }

  /** `n` tasks in a row were refused at their first attempt (0: never full). */
  fullAfter(n: number): boolean {
    return n > 0 && this.refusedStreak >= n;
  }

  get deleted(): number {
    return this.gone;
  }

  get longestRefusedStreak(): number {
    return this.longestStreak;
  }
}
