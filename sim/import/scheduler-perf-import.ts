/**
 * One workload of a scheduler_perf configuration file (kube-scheduler's
 * test/integration/scheduler_perf format, parsed by sim/scheduler-perf) as a scenario that runs
 * on the whole simulated cluster: `ksim bench scheduler` drives the scheduler alone against an
 * in-process cluster, this drives every component, kubelets included.
 *
 * - createNodes: nodes rendered from the node template (Go templates executed per node, the
 *   label strategies and nodeAllocatable applied) become node pools, one per shape, each node
 *   by name; the template's capacity (or allocatable) is the pool's capacity.
 * - createNamespaces, and the namespace of each createPods op, become Namespace objects.
 * - createPods (and createPodSets): the pods rendered from the pod template. The first op's are
 *   created at the start; a later op's are created when every pod of the op before it is
 *   Running (as upstream waits for an op's pods to be scheduled before the next op, unless
 *   skipWaitToCompletion), each as a conditional apply.
 * - barrier, startCollectingMetrics and stopCollectingMetrics only shape upstream's
 *   measurement: the scenario's SLO table measures scheduling throughput over every binding.
 *
 * Steps that need the harness's own clock or bulk operations (sleep, deletePods, churn,
 * createAny, updateAny) and a custom scheduler configuration are refused, naming the step.
 */
import type { Node } from '../../core/api/node-types.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import {
  countOf,
  resolveTemplateParams,
  skipReason,
  type CreateNodesOp,
  type CreatePodsOp,
  type Op,
  type TestCase,
  type Workload,
  type WorkloadFile,
} from '../scheduler-perf/index.ts';
import { ImportError } from './kubectl-import.ts';

export interface SchedulerPerfImportOptions {
  readonly testCase: string;
  readonly workload: string;
  /** The scenario's name (default: <case>-<workload>, lower case). */
  readonly name?: string;
  /** Virtual time the scenario runs, as a scenario duration. */
  readonly duration: string;
}

export interface SchedulerPerfImport {
  readonly scenario: Record<string, unknown>;
  readonly nodes: number;
  readonly pools: number;
  readonly pods: number;
  /** What the scenario does differently from upstream's harness. */
  readonly notes: readonly string[];
}

type Obj = Record<string, unknown>;

/** Pods waited for, by namespace, before the next createPods op. */
interface PodBatch {
  readonly namespace: string;
  readonly pods: Obj[];
  readonly wait: boolean;
}

export function importSchedulerPerf(
  file: WorkloadFile,
  options: SchedulerPerfImportOptions,
): SchedulerPerfImport {
  const tc = file.testCases.find((t) => t.name === options.testCase);
  if (tc === undefined)
    throw new ImportError(
      `${file.path}: no test case ${JSON.stringify(options.testCase)} (test cases: ${file.testCases.map((t) => t.name).join(', ')})`,
    );
  const w = tc.workloads.find((x) => x.name === options.workload);
  if (w === undefined)
    throw new ImportError(
      `${file.path}: test case ${tc.name} has no workload ${JSON.stringify(options.workload)} (workloads: ${tc.workloads.map((x) => x.name).join(', ')})`,
    );
  const skipped = skipReason(tc, w);
  if (skipped !== undefined) throw new ImportError(`${tc.name}/${w.name}: ${skipped}`);
  if (tc.schedulerConfig !== undefined)
    throw new ImportError(
      `${tc.name}: a custom scheduler configuration (schedulerConfigPath) is not imported yet`,
    );
  const built = new Builder(tc, w);
  tc.workloadTemplate.forEach((op, i) => built.op(op, i));
  return built.result(options);
}

class Builder {
  private readonly nodes: Node[] = [];
  private readonly namespaces = new Map<string, Obj>();
  private readonly batches: PodBatch[] = [];
  private readonly notes: string[] = [];

  constructor(
    private readonly tc: TestCase,
    private readonly w: Workload,
  ) {
    const gates = Object.entries(w.featureGates);
    if (gates.length > 0)
      this.notes.push(
        `feature gates ${gates.map(([g, on]) => `${g}=${String(on)}`).join(', ')}: ksim's scheduler runs as it is (gate states it lacks were refused)`,
      );
  }

  op(op: Op, index: number): void {
    switch (op.opcode) {
      case 'createNodes':
        return this.createNodes(op);
      case 'createNamespaces': {
        const n = countOf(op.count, this.w.params);
        for (let i = 0; i < n; i++) {
          const name = `${op.prefix}-${i}`;
          const template = op.namespaceTemplate?.render({ Index: i, Count: n });
          this.namespace(name, template?.metadata.labels);
        }
        return;
      }
      case 'createPods':
        return this.createPods(op, op.namespace ?? `namespace-${index}`);
      case 'createPodSets': {
        const n = countOf(op.count, this.w.params);
        for (let i = 0; i < n; i++) this.createPods(op.createPodsOp, `${op.namespacePrefix}-${i}`);
        return;
      }
      case 'barrier':
      case 'startCollectingMetrics':
      case 'stopCollectingMetrics':
        return;
      default:
        throw new ImportError(
          `${this.tc.name}: workloadTemplate[${index}] (${op.opcode}) is not imported yet: only createNodes, createNamespaces, createPods, createPodSets, barrier and metrics collection are`,
        );
    }
  }

  private namespace(name: string, labels?: Readonly<Record<string, string>>): void {
    if (this.namespaces.has(name) || name === 'default') return;
    this.namespaces.set(name, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, ...(labels === undefined ? {} : { labels: { ...labels } }) },
    });
  }

  private createNodes(op: CreateNodesOp): void {
    const n = countOf(op.count, this.w.params);
    const tp = resolveTemplateParams(op.templateParams, this.w.params);
    const strategy = op.labelNodePrepareStrategy;
    const first = this.nodes.length;
    for (let i = 0; i < n; i++) {
      const node = op.nodeTemplate.render({ Index: i, Count: n, ...tp });
      const labels: Record<string, string> = { ...node.metadata.labels };
      // As the harness: LabelNodePrepareStrategy round robin per op, unique labels per node.
      if (strategy !== undefined)
        labels[strategy.labelKey] = strategy.labelValues[i % strategy.labelValues.length] ?? '';
      if (op.uniqueNodeLabelStrategy !== undefined)
        labels[op.uniqueNodeLabelStrategy.labelKey] = `node-${first + i}`;
      const capacity = {
        ...(node.status?.allocatable ?? node.status?.capacity),
        ...op.nodeAllocatable,
      };
      this.nodes.push({
        ...node,
        metadata: { ...node.metadata, labels },
        status: { ...node.status, capacity },
      });
    }
  }

  private createPods(op: CreatePodsOp, namespace: string): void {
    this.namespace(namespace);
    const n =
      countOf(op.count, this.w.params) *
      (op.countMultiplier === undefined ? 1 : countOf(op.countMultiplier, this.w.params));
    const tp = resolveTemplateParams(op.templateParams, this.w.params);
    const taken = new Set(
      this.batches.filter((b) => b.namespace === namespace).flatMap((b) => b.pods.map(podName)),
    );
    const pods: Obj[] = [];
    for (let i = 0; i < n; i++) {
      const pod = op.podTemplate.render({ Index: i, Count: n, ...tp });
      const name = uniqueName(pod.metadata.name ?? pod.metadata.generateName ?? 'pod-', taken);
      taken.add(name);
      const metadata: Record<string, unknown> = { ...pod.metadata, name, namespace };
      delete metadata.generateName;
      pods.push({ ...(pod as Pod), apiVersion: 'v1', kind: 'Pod', metadata });
    }
    this.batches.push({ namespace, pods, wait: !op.skipWaitToCompletion });
  }

  result(options: SchedulerPerfImportOptions): SchedulerPerfImport {
    const { pools, names } = nodePools(this.nodes);
    const [first, ...later] = this.batches;
    const actions = later.flatMap((batch, i) => {
      const before = this.batches[i] as PodBatch;
      const when = before.wait
        ? {
            pods: {
              namespace: before.namespace,
              phase: 'Running',
              count: { atLeast: countIn(this.batches.slice(0, i + 1), before.namespace) },
            },
          }
        : undefined;
      return batch.pods.map((pod) =>
        when === undefined ? { at: '0s', apply: pod } : { when, apply: pod },
      );
    });
    const expect = [...new Set(this.batches.map((b) => b.namespace))].map((namespace) => {
      const count = countIn(this.batches, namespace);
      return {
        name: `all ${count} pods of namespace ${namespace} Running`,
        eventually: { pods: { namespace, phase: 'Running', count } },
      };
    });
    const pods = this.batches.reduce((n, b) => n + b.pods.length, 0);
    const scenario = {
      apiVersion: 'ksim.io/v1alpha1',
      kind: 'Scenario',
      metadata: {
        name:
          options.name ??
          `${this.tc.name}-${this.w.name}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-'),
        description: `scheduler_perf ${this.tc.name}/${this.w.name} on the whole simulated cluster`,
      },
      spec: {
        duration: options.duration,
        cluster: {
          // The default /14 has room for 1,024 nodes' /24s; a /12 for 4,096.
          ...(this.nodes.length > 1_024
            ? { podNetwork: { clusterCIDR: '10.0.0.0/12', nodeCIDRMaskSize: 24 } }
            : {}),
          nodes: pools,
        },
        objects: [...this.namespaces.values(), ...(first?.pods ?? [])],
        ...(actions.length === 0 ? {} : { actions }),
        expect,
      },
    };
    return { scenario, nodes: names, pools: pools.length, pods, notes: this.notes };
  }
}

const podName = (p: Obj): string => String((p.metadata as { name?: string }).name);

function countIn(batches: readonly PodBatch[], namespace: string): number {
  return batches.filter((b) => b.namespace === namespace).reduce((n, b) => n + b.pods.length, 0);
}

/** `prefix` itself if free, else `prefix` + the first free number (a generateName's suffix). */
function uniqueName(base: string, taken: ReadonlySet<string>): string {
  const generate = base.endsWith('-');
  if (!generate && !taken.has(base)) return base;
  for (let i = 0; ; i++) {
    const name = `${base}${generate ? '' : '-'}${i}`;
    if (!taken.has(name)) return name;
  }
}

/** Nodes of one shape (capacity, labels, taints) in one pool, each node by name. */
function nodePools(nodes: readonly Node[]): { pools: Obj[]; names: number } {
  const pools = new Map<string, { pool: Obj; names: string[] }>();
  nodes.forEach((node, i) => {
    const capacity = node.status?.capacity ?? {};
    const labels = node.metadata.labels ?? {};
    const taints = (node.spec?.taints ?? []).map((t) => ({
      key: t.key,
      ...(t.value === undefined || t.value === '' ? {} : { value: t.value }),
      effect: t.effect,
    }));
    const key = JSON.stringify([capacity, labels, taints, node.spec?.unschedulable === true]);
    let entry = pools.get(key);
    if (entry === undefined) {
      entry = {
        names: [],
        pool: {
          namePrefix: `pool-${pools.size + 1}`,
          capacity: { ...capacity },
          ...(Object.keys(labels).length === 0 ? {} : { labels: { ...labels } }),
          ...(taints.length === 0 ? {} : { taints }),
          ...(node.spec?.unschedulable === true ? { unschedulable: true } : {}),
        },
      };
      pools.set(key, entry);
    }
    // scheduler_perf names nodes by generateName; the scenario names them in creation order.
    entry.names.push(node.metadata.name ?? `node-${i + 1}`);
  });
  return {
    pools: [...pools.values()].map(({ pool, names }) => ({ ...pool, names })),
    names: nodes.length,
  };
}
