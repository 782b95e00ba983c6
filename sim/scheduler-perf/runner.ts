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
  resolveTemplateParams,
  WorkloadFileError,
  type BarrierOp,
  type ChurnOp,
  type CreateAnyOp,
  type CreateNodesOp,
  type CreatePodsOp,
  type DeletePodsOp,
  type KindObject,
  type Op,
  type ParamValue,
  type TestCase,
  type UpdateAnyOp,
  type Workload,
  type WorkloadFile,
} from './workload-file.ts';

export interface RunOptions {
  readonly seed: number;
  /** Wall clock in milliseconds (performance.now in the CLI; a fake in tests). */
  readonly now: () => number;
  /**
   * The process's CPU time in milliseconds (process.cpuUsage in the CLI): beside the wall
   * time, the window's CPU cost, steadier on a shared machine.
   */
  readonly cpuNow?: () => number;
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
  /**
   * Instead of a fixed cost: the virtual time of an attempt that filtered and scored `nodes`
   * nodes in all (the CPU cost model's `scheduler.attempt`, sim/cost-model.ts).
   */
  readonly attemptCost?: (nodes: number) => number;
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
  /** The process's CPU time over the window (0 without `cpuNow`), and pods per CPU second. */
  readonly cpuMs: number;
  readonly podsPerCpuSecond: number;
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

/** A selected workload ksim did not run, and why (printed by the CLI). */
export interface SkippedWorkload {
  readonly name: string;
  readonly labels: readonly string[];
  readonly threshold: number;
  readonly reason: string;
}

/** A workload that started and failed (a wait timed out, a template did not render...). */
export interface FailedWorkload {
  readonly name: string;
  readonly labels: readonly string[];
  readonly threshold: number;
  readonly error: string;
}

export type WorkloadOutcome =
  | ({ readonly outcome: 'ran' } & WorkloadResult)
  | ({ readonly outcome: 'skipped' } & SkippedWorkload)
  | ({ readonly outcome: 'failed' } & FailedWorkload);

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

/**
 * Runs the selected workloads in file order. A workload ksim cannot run (its test case uses a
 * step ksim does not model, or its feature gates ask for behaviour ksim does not have) is
 * skipped with the reason; one that fails while running is reported with its error and the
 * others still run. Only a bad parameter override (a usage error) throws.
 */
export async function runWorkloadFile(
  file: WorkloadFile,
  opts: RunOptions,
): Promise<WorkloadOutcome[]> {
  const out: WorkloadOutcome[] = [];
  for (const { testCase, workload } of selectWorkloads(file, opts)) {
    const name = `${testCase.name}/${workload.name}`;
    const about = { name, labels: workload.labels, threshold: workload.threshold };
    const reason = skipReason(testCase, workload);
    if (reason !== undefined) {
      out.push({ outcome: 'skipped', ...about, reason });
      continue;
    }
    opts.onWorkloadStart?.(name);
    try {
      out.push({ outcome: 'ran', ...(await runWorkload(testCase, workload, opts)) });
    } catch (e) {
      if (e instanceof WorkloadFileError) throw e;
      out.push({ outcome: 'failed', ...about, error: (e as Error).message });
    }
  }
  return out;
}

/** Why ksim does not run this workload: its test case's unsupported steps, then its gates. */
export function skipReason(tc: TestCase, w: Workload): string | undefined {
  if (tc.unsupported.length > 0) return tc.unsupported.join('; ');
  return w.unsupported;
}

/** The workloads that ran (tests and callers that expect every selected workload to run). */
export function ranOnly(outcomes: readonly WorkloadOutcome[]): WorkloadResult[] {
  return outcomes.flatMap((o) => {
    if (o.outcome === 'ran') return [o];
    throw new Error(`${o.name} did not run: ${o.outcome === 'skipped' ? o.reason : o.error}`);
  });
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
  readonly startCpuMs: number;
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
          this.cluster.createNamespace(op.namespaceTemplate?.render({ Index: i, Count: n }), name);
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
      case 'createAny':
        return this.createAny(op);
      case 'updateAny':
        return this.updateAny(op);
    }
  }

  /** createAny: `count` objects, each rendered with its Index; namespaced kinds need a namespace. */
  private createAny(op: CreateAnyOp): void {
    const n = countOf(op.count, this.w.params);
    const tp = resolveTemplateParams(op.templateParams, this.w.params);
    for (let i = 0; i < n; i++) {
      const obj = op.template.render({ Index: i, Count: n, ...tp });
      checkScope(obj, op.namespace, op.template.path);
      this.createObject(obj, op.namespace ?? '');
    }
    this.cluster.drainEffects();
  }

  private createObject(obj: KindObject, namespace: string): string {
    switch (obj.kind) {
      case 'Node':
        return this.cluster.createNode(obj).metadata.name ?? '';
      case 'Namespace': {
        const name = obj.metadata.name;
        if (!name) throw this.fail(`createAny: namespace template needs metadata.name`);
        if (!this.expected.has(name)) this.expected.set(name, 0);
        return this.cluster.createNamespace(obj, name).metadata.name ?? '';
      }
      case 'Pod':
        return this.cluster.createPod(obj, namespace).metadata.name ?? '';
      case 'Service':
        return this.cluster.createService(obj, namespace).metadata.name ?? '';
    }
  }

  /** updateAny: `count` updates, all at once or `updatePerSecond`; the op waits for them all. */
  private async updateAny(op: UpdateAnyOp): Promise<void> {
    const n = countOf(op.count, this.w.params);
    let next = 0;
    const updateOne = (): void => {
      const obj = op.template.render({ Index: next, Count: n });
      next++;
      checkScope(obj, op.namespace, op.template.path);
      this.updateObject(obj, op.namespace ?? '');
    };
    if (op.updatePerSecond === 0) {
      while (next < n) updateOne();
      this.cluster.drainEffects();
      return;
    }
    const stop = this.cluster.every(Math.max(1, Math.round(1e6 / op.updatePerSecond)), () => {
      if (next < n) updateOne();
      if (next >= n) stop();
    });
    this.stops.push(stop);
    await this.driveUntil(
      () => next >= n,
      () => `${n - next} of ${n} updates from ${op.template.path}`,
    );
  }

  private updateObject(obj: KindObject, namespace: string): void {
    switch (obj.kind) {
      case 'Node':
        return this.cluster.updateNode(obj);
      case 'Namespace':
        return this.cluster.updateNamespace(obj);
      case 'Pod':
        return this.cluster.updatePod(obj, namespace);
      case 'Service':
        return this.cluster.updateService(obj, namespace);
    }
  }

  private createNodes(op: CreateNodesOp): void {
    const n = countOf(op.count, this.w.params);
    const label = op.labelNodePrepareStrategy;
    const tp = resolveTemplateParams(op.templateParams, this.w.params);
    const fixed = op.nodeTemplate.dynamic ? undefined : op.nodeTemplate.render({});
    for (let i = 0; i < n; i++) {
      const labels: Record<string, string> = {};
      // LabelNodePrepareStrategy assigns its values round-robin, starting over per op.
      if (label !== undefined)
        labels[label.labelKey] = label.labelValues[i % label.labelValues.length] ?? '';
      if (op.uniqueNodeLabelStrategy !== undefined)
        labels[op.uniqueNodeLabelStrategy.labelKey] = `node-${this.nextNodeIndex + i}`;
      const template = fixed ?? op.nodeTemplate.render({ Index: i, Count: n, ...tp });
      this.cluster.createNode(template, labels, op.nodeAllocatable);
    }
    this.nextNodeIndex += n;
  }

  private async createPods(op: CreatePodsOp, namespace: string): Promise<void> {
    if (!this.expected.has(namespace)) this.expected.set(namespace, 0);
    this.cluster.createNamespace(undefined, namespace);
    const n =
      countOf(op.count, this.w.params) *
      (op.countMultiplier === undefined ? 1 : countOf(op.countMultiplier, this.w.params));
    const tp = resolveTemplateParams(op.templateParams, this.w.params);
    // A template without actions is the same object for every pod: render it once.
    const fixed = op.podTemplate.dynamic ? undefined : op.podTemplate.render({});
    if (op.collectMetrics) {
      if (this.collector !== undefined) throw this.fail('metrics collection is overlapping');
      this.startCollecting('', [namespace], undefined);
    }
    const group: WaitGroup = { remaining: 0 };
    for (let i = 0; i < n; i++) {
      const template = fixed ?? op.podTemplate.render({ Index: i, Count: n, ...tp });
      const pod = this.cluster.createPod(template, namespace);
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
        const obj = t.render({ Index: round, Count: op.number });
        if (op.mode === 'create') {
          this.createObject(obj, namespace);
          return;
        }
        const ring = slots[i] as (string | undefined)[];
        const slot = round % op.number;
        const name = ring[slot];
        if (name === undefined) ring[slot] = this.createObject(obj, namespace);
        else {
          if (obj.kind === 'Node') this.cluster.deleteNode(name);
          else if (obj.kind === 'Service') this.cluster.deleteService(namespace, name);
          else this.cluster.deletePod(namespace, name);
          ring[slot] = undefined;
        }
      });
      round++;
      if (op.mode === 'create' && op.number > 0 && round >= op.number) stop();
    });
    this.stops.push(stop);
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
    const cost = this.opts.attemptCost;
    this.cluster.clock.advance(
      cost === undefined ? this.attemptCostUs : cost(this.cluster.lastAttemptNodes),
    );
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
      startCpuMs: this.opts.cpuNow?.() ?? 0,
      startVirtualUs: this.cluster.clock.now(),
      samplesUs: [],
      bound: 0,
    };
  }

  private stopCollecting(): void {
    const c = this.collector;
    if (c === undefined) throw this.fail('stopCollectingMetrics without startCollectingMetrics');
    const wallMs = this.opts.now() - c.startWallMs;
    const cpuMs = this.opts.cpuNow === undefined ? 0 : this.opts.cpuNow() - c.startCpuMs;
    this.collector = undefined;
    if (this.window !== undefined) throw this.fail('more than one metrics window');
    this.window = {
      name: c.name,
      namespaces: [...c.namespaces],
      measuredPods: c.bound,
      wallMs,
      podsPerSecond: wallMs > 0 ? c.bound / (wallMs / 1000) : 0,
      cpuMs,
      podsPerCpuSecond: cpuMs > 0 ? c.bound / (cpuMs / 1000) : 0,
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

/** createAny/updateAny's scope check (create.go): a namespace for namespaced kinds only. */
function checkScope(obj: KindObject, namespace: string | undefined, path: string): void {
  const namespaced = obj.kind === 'Pod' || obj.kind === 'Service';
  if (namespaced && !namespace)
    throw new Error(`namespace not set for ${path}, but /v1, Kind=${obj.kind} has scope namespace`);
  if (!namespaced && namespace)
    throw new Error(
      `namespace ${JSON.stringify(namespace)} set for ${path}, but /v1, Kind=${obj.kind} has scope root`,
    );
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
