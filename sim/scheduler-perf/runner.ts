/**
 * Runs scheduler_perf workloads against a PerfCluster (scheduler_perf executor.go semantics):
 * ops run in order; createPods waits for its pods to be bound unless skipWaitToCompletion;
 * churn, rate-limited deletes and the scheduler's periodic work run on virtual timers; the
 * measured window (collectMetrics, or start/stopCollectingMetrics) reports pods bound per
 * wall-clock second, as upstream's SchedulingThroughput, and per-attempt wall latencies.
 *
 * Virtual time: every scheduling attempt costs `attemptCostUs` (default 1 ms, about
 * kube-scheduler's CI throughput, so churn every 200 ms interleaves with the measured pods in
 * upstream's proportion); when activeQ is empty time jumps to the next timer (backoff flush,
 * churn tick, grace-period expiry). Wall time comes only from the injected `now()`: this folder
 * never reads a clock of its own, and wall time never flows into the cluster.
 */
import type { Node } from '../../core/api/node-types.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import {
  defaultConfiguration,
  loadSchedulerConfiguration,
  type SchedulerConfiguration,
} from '../../core/scheduler/config/load.ts';
import type { Registry } from '../../core/scheduler/framework/profile.ts';
import { IN_TREE_REGISTRY } from '../../core/scheduler/plugins/registry.ts';
import { SeededRandom } from '../random.ts';
import { PerfCluster } from './perf-cluster.ts';
import {
  countOf,
  durationOf,
  matchesLabelFilter,
  paramErrors,
  WorkloadFileError,
  type BarrierOp,
  type ChurnOp,
  type CreateNodesOp,
  type CreatePodsOp,
  type DeletePodsOp,
  type Op,
  type ParamValue,
  type TestCase,
  type Workload,
  type WorkloadFile,
} from './workload-file.ts';

export interface RunOptions {
  readonly seed: number;
  /** Wall clock in milliseconds (performance.now in the CLI; a fake in tests). */
  readonly now: () => number;
  /** Upstream's label filter; default "performance". "" runs every workload. */
  readonly labelFilter?: string;
  /** Only workloads whose "TestCase/Workload" name matches. */
  readonly nameFilter?: RegExp;
  /** Replaces a workload's params (e.g. small sizes in tests); checked like the file's. */
  readonly params?: (
    testCase: string,
    workload: string,
    params: Readonly<Record<string, ParamValue>>,
  ) => Readonly<Record<string, ParamValue>>;
  /** Virtual time one scheduling attempt takes; default 1 ms. */
  readonly attemptCostUs?: number;
  /** How long (virtual) a wait may take before the workload fails; default 10 min as upstream. */
  readonly waitTimeoutUs?: number;
  /** Keep the final nodes and pods in the result (tests). */
  readonly retainState?: boolean;
  readonly registry?: Registry;
  /** Called before each workload starts (progress output). */
  readonly onWorkloadStart?: (name: string) => void;
}

export interface LatencyPercentilesUs {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** One measured window: upstream's SchedulingThroughput and attempt-duration data items. */
export interface MetricsWindow {
  readonly name: string;
  readonly namespaces: readonly string[];
  /** Pods bound in the measured namespaces during the window. */
  readonly measuredPods: number;
  readonly wallMs: number;
  readonly podsPerSecond: number;
  /** Scheduling attempts in the window (any pod) and their wall latencies. */
  readonly attempts: number;
  readonly attemptLatencyUs: LatencyPercentilesUs;
  /** Virtual time the window spanned, and attempts per measured pod: deterministic. */
  readonly virtualSeconds: number;
  readonly attemptsPerPod: number;
}

export interface WorkloadResult {
  readonly testCase: string;
  readonly workload: string;
  /** "TestCase/Workload". */
  readonly name: string;
  readonly labels: readonly string[];
  readonly threshold: number;
  readonly featureGates: Readonly<Record<string, boolean>>;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The measured window; undefined when no op collects metrics. */
  readonly metrics: MetricsWindow | undefined;
  readonly totals: {
    readonly nodes: number;
    readonly pods: number;
    readonly boundPods: number;
    readonly unscheduledPods: number;
    readonly attempts: number;
    readonly failedAttempts: number;
    readonly preemptedPods: number;
    readonly virtualSeconds: number;
    readonly wallMs: number;
  };
  /** Every binding in order, hashed: same seed, same workload, same code -> same digest. */
  readonly placementDigest: string;
  readonly state?: { readonly nodes: readonly Node[]; readonly pods: readonly Pod[] };
}

const DEFAULT_ATTEMPT_COST_US = 1_000;
const DEFAULT_WAIT_TIMEOUT_US = 10 * 60 * 1_000_000;

/** The workloads of a file that the filters select, in file order. */
export function selectWorkloads(
  file: WorkloadFile,
  opts: Pick<RunOptions, 'labelFilter' | 'nameFilter'>,
): { testCase: TestCase; workload: Workload }[] {
  const out: { testCase: TestCase; workload: Workload }[] = [];
  for (const testCase of file.testCases)
    for (const workload of testCase.workloads) {
      if (!matchesLabelFilter(opts.labelFilter ?? 'performance', workload.labels)) continue;
      if (opts.nameFilter && !opts.nameFilter.test(`${testCase.name}/${workload.name}`)) continue;
      out.push({ testCase, workload });
    }
  return out;
}

export async function runWorkloadFile(
  file: WorkloadFile,
  opts: RunOptions,
): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = [];
  for (const { testCase, workload } of selectWorkloads(file, opts)) {
    opts.onWorkloadStart?.(`${testCase.name}/${workload.name}`);
    results.push(await runWorkload(testCase, workload, opts));
  }
  return results;
}

export async function runWorkload(
  tc: TestCase,
  w: Workload,
  opts: RunOptions,
): Promise<WorkloadResult> {
  const params = opts.params?.(tc.name, w.name, w.params) ?? w.params;
  const workload: Workload = { ...w, params };
  const errors = paramErrors(tc, workload);
  if (errors.length > 0)
    throw new WorkloadFileError(errors.map((e) => `${tc.name}/${w.name}: ${e}`));
  const registry = opts.registry ?? IN_TREE_REGISTRY;
  const cluster = new PerfCluster({
    config: schedulerConfig(tc, registry),
    registry,
    random: SeededRandom.root(opts.seed).fork(`scheduler-perf/${tc.name}/${w.name}`),
  });
  const exec = new Executor(tc, workload, cluster, opts);
  const start = opts.now();
  await exec.run();
  const wallMs = opts.now() - start;
  const pods = cluster.allPods();
  const bound = pods.filter((p) => p.spec.nodeName).length;
  return {
    testCase: tc.name,
    workload: w.name,
    name: `${tc.name}/${w.name}`,
    labels: w.labels,
    threshold: w.threshold,
    featureGates: w.featureGates,
    params,
    metrics: exec.window,
    totals: {
      nodes: cluster.allNodes().length,
      pods: pods.length,
      boundPods: bound,
      unscheduledPods: pods.length - bound,
      attempts: cluster.stats.attempts,
      failedAttempts: cluster.stats.failures,
      preemptedPods: cluster.stats.preemptions,
      virtualSeconds: cluster.clock.elapsedUs / 1e6,
      wallMs,
    },
    placementDigest: cluster.placementDigest(),
    ...(opts.retainState ? { state: { nodes: cluster.allNodes(), pods } } : {}),
  };
}

function schedulerConfig(tc: TestCase, registry: Registry): SchedulerConfiguration {
  if (tc.schedulerConfig === undefined) return defaultConfiguration(registry);
  const r = loadSchedulerConfiguration(tc.schedulerConfig, registry);
  if (!r.ok)
    throw new WorkloadFileError(r.errors.map((e) => `${tc.name}: schedulerConfigPath: ${e}`));
  return r.config;
}

/** An open metrics window. */
interface Collector {
  readonly name: string;
  readonly namespaces: ReadonlySet<string>;
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly startWallMs: number;
  readonly startVirtualUs: number;
  readonly samplesUs: number[];
  bound: number;
}

/** Pods a createPods op waits for. */
interface WaitGroup {
  remaining: number;
}

class Executor {
  private readonly attemptCostUs: number;
  private readonly waitTimeoutUs: number;
  /** upstream's numPodsScheduledPerNamespace: namespaces barriers know, pods they wait for. */
  private readonly expected = new Map<string, number>();
  private readonly waiting = new Map<string, WaitGroup>();
  private readonly stops: (() => void)[] = [];
  private collector: Collector | undefined;
  private nextNodeIndex = 0;
  window: MetricsWindow | undefined;

  constructor(
    private readonly tc: TestCase,
    private readonly w: Workload,
    private readonly cluster: PerfCluster,
    private readonly opts: RunOptions,
  ) {
    this.attemptCostUs = opts.attemptCostUs ?? DEFAULT_ATTEMPT_COST_US;
    this.waitTimeoutUs = opts.waitTimeoutUs ?? DEFAULT_WAIT_TIMEOUT_US;
    cluster.onBound = (pod) => this.observeBound(pod);
    cluster.onPodGone = (pod) => this.observeGone(pod);
  }

  async run(): Promise<void> {
    const ops = this.tc.workloadTemplate;
    for (let i = 0; i < ops.length; i++) await this.runOp(ops[i] as Op, i);
    if (this.collector !== undefined)
      throw this.fail('startCollectingMetrics without a matching stopCollectingMetrics');
    // The workload is over: background churn and deletions stop, as upstream cancels them.
    for (const stop of this.stops) stop();
  }

  private async runOp(op: Op, index: number): Promise<void> {
    switch (op.opcode) {
      case 'createNodes':
        return this.createNodes(op);
      case 'createNamespaces': {
        const n = countOf(op.count, this.w.params);
        for (let i = 0; i < n; i++) {
          const name = `${op.prefix}-${i}`;
          this.cluster.createNamespace(op.namespaceTemplate?.object, name);
          if (!this.expected.has(name)) this.expected.set(name, 0);
        }
        return;
      }
      case 'createPods':
        return this.createPods(op, op.namespace ?? `namespace-${index}`);
      case 'createPodSets': {
        const n = countOf(op.count, this.w.params);
        for (let i = 0; i < n; i++)
          await this.createPods(op.createPodsOp, `${op.namespacePrefix}-${i}`);
        return;
      }
      case 'deletePods':
        return this.deletePods(op);
      case 'churn':
        return this.churn(op, op.namespace ?? `namespace-${index}`);
      case 'barrier':
        return this.barrier(op);
      case 'sleep': {
        const until = this.cluster.clock.now() + durationOf(op.duration, this.w.params);
        while (this.cluster.clock.now() < until) await this.step(until);
        return;
      }
      case 'startCollectingMetrics':
        if (this.collector !== undefined) throw this.fail('metrics collection is overlapping');
        this.startCollecting(op.name, op.namespaces, op.labelSelector);
        return;
      case 'stopCollectingMetrics':
        this.stopCollecting();
        return;
    }
  }

  private createNodes(op: CreateNodesOp): void {
    const n = countOf(op.count, this.w.params);
    const label = op.labelNodePrepareStrategy;
    for (let i = 0; i < n; i++) {
      const labels: Record<string, string> = {};
      // LabelNodePrepareStrategy assigns its values round-robin, starting over per op.
      if (label !== undefined)
        labels[label.labelKey] = label.labelValues[i % label.labelValues.length] ?? '';
      if (op.uniqueNodeLabelStrategy !== undefined)
        labels[op.uniqueNodeLabelStrategy.labelKey] = `node-${this.nextNodeIndex + i}`;
      this.cluster.createNode(op.nodeTemplate.object, labels, op.nodeAllocatable);
    }
    this.nextNodeIndex += n;
  }

  private async createPods(op: CreatePodsOp, namespace: string): Promise<void> {
    if (!this.expected.has(namespace)) this.expected.set(namespace, 0);
    this.cluster.createNamespace(undefined, namespace);
    const n = countOf(op.count, this.w.params);
    if (op.collectMetrics) {
      if (this.collector !== undefined) throw this.fail('metrics collection is overlapping');
      this.startCollecting('', [namespace], undefined);
    }
    const group: WaitGroup = { remaining: 0 };
    for (let i = 0; i < n; i++) {
      const pod = this.cluster.createPod(op.podTemplate.object, namespace);
      if (op.skipWaitToCompletion || pod.spec.nodeName) continue;
      group.remaining++;
      this.waiting.set(pod.metadata.uid ?? '', group);
    }
    this.cluster.drainEffects();
    if (op.skipWaitToCompletion) {
      this.expected.set(namespace, (this.expected.get(namespace) ?? 0) + n);
      return;
    }
    await this.driveUntil(
      () => group.remaining === 0,
      () => `${group.remaining} of ${n} pods in namespace ${namespace} to be scheduled`,
    );
    if (op.collectMetrics) this.stopCollecting();
  }

  private async deletePods(op: DeletePodsOp): Promise<void> {
    const victims = this.cluster.listPods(op.namespace, op.labelSelector);
    let next = 0;
    const deleteOne = (): void => {
      const p = victims[next++];
      if (p !== undefined)
        this.cluster.deletePod(op.namespace, p.metadata.name ?? '', p.metadata.uid);
    };
    if (op.deletePodsPerSecond === 0) {
      while (next < victims.length) deleteOne();
      this.cluster.drainEffects();
    } else {
      const stop = this.cluster.every(Math.max(1, Math.round(1e6 / op.deletePodsPerSecond)), () => {
        deleteOne();
        if (next >= victims.length) stop();
      });
      this.stops.push(stop);
    }
    if (op.skipWaitToCompletion) return;
    const gone = (): number =>
      victims.filter(
        (p) =>
          this.cluster.getPod(op.namespace, p.metadata.name ?? '')?.metadata.uid !== p.metadata.uid,
      ).length;
    await this.driveUntil(
      () => next >= victims.length && gone() === victims.length,
      () =>
        `${victims.length - gone()} of ${victims.length} pods in namespace ${op.namespace} to be deleted`,
    );
  }

  /** Objects created (and, in recreate mode, deleted again) every interval until the end. */
  private churn(op: ChurnOp, namespace: string): void {
    this.cluster.createNamespace(undefined, namespace);
    const slots: (string | undefined)[][] = op.templates.map(() =>
      new Array<string | undefined>(op.number).fill(undefined),
    );
    let round = 0;
    const stop = this.cluster.every(op.intervalUs, () => {
      op.templates.forEach((t, i) => {
        const obj = t.object;
        if (op.mode === 'create') {
          this.createChurnObject(obj, namespace);
          return;
        }
        const ring = slots[i] as (string | undefined)[];
        const slot = round % op.number;
        const name = ring[slot];
        if (name === undefined) ring[slot] = this.createChurnObject(obj, namespace);
        else {
          if (obj.kind === 'Node') this.cluster.deleteNode(name);
          else this.cluster.deletePod(namespace, name);
          ring[slot] = undefined;
        }
      });
      round++;
      if (op.mode === 'create' && op.number > 0 && round >= op.number) stop();
    });
    this.stops.push(stop);
  }

  private createChurnObject(obj: Node | Pod, namespace: string): string {
    const created =
      obj.kind === 'Node' ? this.cluster.createNode(obj) : this.cluster.createPod(obj, namespace);
    return created.metadata.name ?? '';
  }

  private async barrier(op: BarrierOp): Promise<void> {
    for (const ns of op.namespaces)
      if (!this.expected.has(ns)) throw this.fail(`barrier: unknown namespace ${ns}`);
    const namespaces = op.namespaces.length > 0 ? op.namespaces : [...this.expected.keys()];
    const reached = (ns: string): number => {
      if (op.labelSelector === undefined) {
        const c = this.cluster.countsOf(ns);
        return op.stageRequirement === 'Scheduled' ? c.bound : c.attempted;
      }
      const pods = this.cluster.listPods(ns, op.labelSelector);
      return op.stageRequirement === 'Scheduled'
        ? pods.filter((p) => p.spec.nodeName).length
        : pods.filter(
            (p) => p.spec.nodeName || p.status?.conditions?.some((c) => c.type === 'PodScheduled'),
          ).length;
    };
    const missing = (): string[] =>
      namespaces.filter((ns) => reached(ns) < (this.expected.get(ns) ?? 0));
    await this.driveUntil(
      () => missing().length === 0,
      () =>
        `pods in ${missing().join(', ')} to be ${op.stageRequirement === 'Scheduled' ? 'scheduled' : 'attempted'}`,
    );
    if (op.stageRequirement === 'Scheduled') for (const ns of namespaces) this.expected.delete(ns);
  }

  // ---- driving the scheduler ---------------------------------------------------------------

  /** Runs the scheduler until `done`; fails after waitTimeoutUs of virtual time. */
  private async driveUntil(done: () => boolean, what: () => string): Promise<void> {
    const deadline = this.cluster.clock.now() + this.waitTimeoutUs;
    while (!done()) {
      if (this.cluster.clock.now() > deadline)
        throw this.fail(
          `timed out after ${this.waitTimeoutUs / 1e6}s of virtual time waiting for ${what()}`,
        );
      await this.step();
    }
  }

  /** One attempt and its virtual cost; when idle, jump to the next timer (at most `limitUs`). */
  private async step(limitUs?: number): Promise<void> {
    const c = this.collector;
    const t0 = c === undefined ? 0 : this.opts.now();
    const outcome = await this.cluster.attempt();
    if (outcome === 'idle') {
      const next = this.cluster.clock.nextTimerUs();
      if (next === undefined) throw this.fail('the scheduler is idle and nothing is pending');
      this.cluster.clock.advanceTo(limitUs === undefined ? next : Math.min(next, limitUs));
      return;
    }
    if (c !== undefined) c.samplesUs.push((this.opts.now() - t0) * 1000);
    this.cluster.drainEffects();
    this.cluster.clock.advance(this.attemptCostUs);
  }

  private observeBound(pod: Pod): void {
    const id = pod.metadata.uid ?? '';
    const g = this.waiting.get(id);
    if (g !== undefined) {
      g.remaining--;
      this.waiting.delete(id);
    }
    const c = this.collector;
    if (
      c !== undefined &&
      c.namespaces.has(pod.metadata.namespace ?? '') &&
      matches(pod, c.selector)
    )
      c.bound++;
  }

  /** A pod a createPods op waits for was deleted before it was bound: it will never be. */
  private observeGone(pod: Pod): void {
    const id = pod.metadata.uid ?? '';
    const g = this.waiting.get(id);
    if (g !== undefined) {
      g.remaining--;
      this.waiting.delete(id);
    }
  }

  private startCollecting(
    name: string,
    namespaces: readonly string[],
    selector: Readonly<Record<string, string>> | undefined,
  ): void {
    this.collector = {
      name,
      namespaces: new Set(namespaces),
      selector,
      startWallMs: this.opts.now(),
      startVirtualUs: this.cluster.clock.now(),
      samplesUs: [],
      bound: 0,
    };
  }

  private stopCollecting(): void {
    const c = this.collector;
    if (c === undefined) throw this.fail('stopCollectingMetrics without startCollectingMetrics');
    const wallMs = this.opts.now() - c.startWallMs;
    this.collector = undefined;
    if (this.window !== undefined) throw this.fail('more than one metrics window');
    this.window = {
      name: c.name,
      namespaces: [...c.namespaces],
      measuredPods: c.bound,
      wallMs,
      podsPerSecond: wallMs > 0 ? c.bound / (wallMs / 1000) : 0,
      attempts: c.samplesUs.length,
      attemptLatencyUs: percentiles(c.samplesUs),
      virtualSeconds: (this.cluster.clock.now() - c.startVirtualUs) / 1e6,
      attemptsPerPod: c.bound > 0 ? c.samplesUs.length / c.bound : 0,
    };
  }

  private fail(message: string): Error {
    return new Error(`${this.tc.name}/${this.w.name}: ${message}`);
  }
}

function matches(pod: Pod, selector: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector)) if (pod.metadata.labels?.[k] !== v) return false;
  return true;
}

/** Nearest-rank percentiles of the samples. */
export function percentiles(samples: readonly number[]): LatencyPercentilesUs {
  if (samples.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const round = (x: number): number => Math.round(x * 10) / 10;
  return {
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}
