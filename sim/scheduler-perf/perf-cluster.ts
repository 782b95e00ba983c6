/**
 * The benchmark's cluster: the SchedulingEngine driven in-process, with this class playing the
 * API server and the informers around it, as scheduler_perf's in-process kube-apiserver does
 * (nodes are API objects only, no kubelets):
 *
 * - objects get names (generateName + a seeded 5-character suffix, retried on collision as a
 *   client retries AlreadyExists), UIDs and resourceVersions deterministically, and the API
 *   server's defaulting (pods, node allocatable);
 * - a binding is applied at once (spec.nodeName, PodScheduled=True) and observed by the engine
 *   as the informer update right after its binding cycle;
 * - failures are written back as upstream's scheduler does (PodScheduled=False with the reason,
 *   status.nominatedNodeName);
 * - preemption marks each victim DisruptionTarget and deletes it: at once when it has no grace
 *   period (or is unbound), else after its grace period in virtual time, as a kubelet would
 *   confirm it; a pod with finalizers keeps its deletionTimestamp and stays, as nothing here
 *   removes finalizers;
 * - a pod created with scheduling gates gets PodScheduled=False/SchedulingGated, as the API
 *   server's pod strategy sets it (so a barrier on attempted pods counts it);
 * - Services are held for PodTopologySpread's default constraints (helper.DefaultSelector).
 *
 * Effects the engine requests while inside scheduleOne are queued and applied after it returns,
 * so engine calls never nest.
 */
import type { Namespace } from '../../core/api/cluster-types.ts';
import { setCondition } from '../../core/api/conditions.ts';
import { defaultService, type Service } from '../../core/api/kinds/service.ts';
import { defaultNamespace, defaultNode, defaultPod } from '../../core/api/defaults.ts';
import type { LabelSelector } from '../../core/api/meta-types.ts';
import type { Node } from '../../core/api/node-types.ts';
import type { Pod, PodCondition } from '../../core/api/pod-types.ts';
import { selectorFromSet, type Labels } from '../../core/api/selectors.ts';
import { formatTime } from '../../core/api/time.ts';
import { nameSuffix, uid, type Random } from '../../core/ports/random.ts';
import type { SchedulerConfiguration } from '../../core/scheduler/config/load.ts';
import {
  ENGINE_TICK_US,
  queueOptionsFrom,
  UNSCHEDULABLE_FLUSH_US,
} from '../../core/scheduler/config/engine-options.ts';
import { ActionType } from '../../core/scheduler/framework/cluster-event.ts';
import type { SchedulerActions } from '../../core/scheduler/framework/interface.ts';
import {
  EMPTY_CLUSTER_LISTERS,
  type ClusterListers,
} from '../../core/scheduler/framework/listers.ts';
import type { Registry } from '../../core/scheduler/framework/profile.ts';
import {
  nodesTried,
  SchedulingEngine,
  type Decision,
  type FailedDecision,
} from '../../core/scheduler/engine/scheduling-engine.ts';
import { Status, type MaybeStatus } from '../../core/scheduler/framework/status.ts';
import { VirtualClock } from './virtual-clock.ts';

const SECOND_US = 1_000_000;
/** Upstream's apiserver retries generateName collisions only a few times; we need a bound. */
const NAME_ATTEMPTS = 100;

/** What an attempt did, for the runner's bookkeeping. */
export type AttemptOutcome = 'idle' | 'bound' | 'failed' | 'skipped';

/** Per-namespace counts scheduler_perf's barriers and waits read. */
export interface NamespaceCounts {
  /** Pods currently bound (deleted ones no longer count). */
  bound: number;
  /** Pods currently bound or with PodScheduled=False (waitUntilPodsAttempted). */
  attempted: number;
  /** Bindings ever made in the namespace (for metrics windows). */
  bindings: number;
}

export interface PerfClusterOptions {
  readonly config: SchedulerConfiguration;
  readonly registry: Registry;
  /** Forked per purpose: `scheduler` for the engine, `apiserver` for names and UIDs. */
  readonly random: Random;
}

export class PerfCluster {
  readonly clock = new VirtualClock();
  /** The nodes the last attempt filtered plus those it scored (its work, for the cost model). */
  lastAttemptNodes = 0;
  readonly engine: SchedulingEngine;
  private readonly random: Random;
  private readonly nodes = new Map<string, Node>();
  /** namespace -> name -> pod. */
  private readonly pods = new Map<string, Map<string, Pod>>();
  private readonly namespaces = new Map<string, Namespace>();
  /** namespace -> name -> service. */
  private readonly services = new Map<string, Map<string, Service>>();
  private readonly counts = new Map<string, NamespaceCounts>();
  /** Pod UIDs that have had at least one attempt end (bound or PodScheduled=False). */
  private readonly attemptedUids = new Set<string>();
  private readonly effects: (() => void)[] = [];
  /** Template spec -> its defaulted spec (createPod). */
  private readonly defaultedSpecs = new WeakMap<Pod['spec'], Pod['spec']>();
  private resourceVersion = 0;
  /** Listeners the runner uses for its waits. */
  onBound: ((pod: Pod) => void) | undefined = undefined;
  onPodGone: ((pod: Pod) => void) | undefined = undefined;

  readonly stats = { bindings: 0, failures: 0, preemptions: 0, attempts: 0 };
  /** Two FNV-1a lanes over "namespace/name@node;" in binding order. */
  private digestA = 0x811c9dc5;
  private digestB = 0x01000193 ^ 0x5bd1e995;

  constructor(opts: PerfClusterOptions) {
    this.random = opts.random.fork('apiserver');
    this.engine = new SchedulingEngine({
      profiles: opts.config.profiles,
      registry: opts.registry,
      clock: this.clock,
      random: opts.random.fork('scheduler'),
      actions: this.actions(),
      listers: this.listers(),
      queue: queueOptionsFrom(opts.config),
    });
    this.every(ENGINE_TICK_US, () => this.engine.tickSecond());
    this.every(UNSCHEDULABLE_FLUSH_US, () => this.engine.tickUnschedulableFlush());
  }

  /** Repeats `fn` every `periodUs` of virtual time until the returned function is called. */
  every(periodUs: number, fn: () => void): () => void {
    let stopped = false;
    const tick = (): void => {
      if (stopped) return;
      fn();
      this.drainEffects();
      if (!stopped) this.clock.setTimer(periodUs, tick);
    };
    this.clock.setTimer(periodUs, tick);
    return () => {
      stopped = true;
    };
  }

  // ---- the API server's side ---------------------------------------------------------------

  createNamespace(template: Namespace | undefined, name: string): Namespace {
    const existing = this.namespaces.get(name);
    if (existing !== undefined) return existing;
    const ns = defaultNamespace({
      apiVersion: 'v1',
      kind: 'Namespace',
      ...(template ?? {}),
      metadata: { ...(template?.metadata ?? {}), name, ...this.newMeta() },
    } as Namespace);
    this.namespaces.set(name, ns);
    return ns;
  }

  createNode(
    template: Node,
    labels: Labels = {},
    allocatable?: Readonly<Record<string, string>>,
  ): Node {
    const name = this.pickName(template.metadata, (n) => this.nodes.has(n));
    const base = defaultNode(template);
    const node: Node = {
      ...base,
      metadata: {
        ...base.metadata,
        name,
        labels: { 'kubernetes.io/hostname': name, ...base.metadata.labels, ...labels },
        ...this.newMeta(),
      },
      ...(allocatable === undefined
        ? {}
        : {
            status: {
              ...base.status,
              allocatable: { ...base.status?.allocatable, ...allocatable },
            },
          }),
    };
    delete (node.metadata as { generateName?: string }).generateName;
    this.nodes.set(name, node);
    this.engine.onNodeAdd(node);
    return node;
  }

  deleteNode(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    this.nodes.delete(name);
    this.engine.onNodeDelete(node);
  }

  /** PUT of a node, then of its status (updateAny): the template replaces both. */
  updateNode(update: Node): void {
    const name = update.metadata.name ?? '';
    const cur = this.nodes.get(name);
    if (cur === undefined) throw new Error(`update: 404 NotFound nodes "${name}" not found`);
    const base = defaultNode(update);
    const next: Node = {
      ...base,
      metadata: {
        ...base.metadata,
        uid: cur.metadata.uid,
        creationTimestamp: cur.metadata.creationTimestamp,
        resourceVersion: this.nextResourceVersion(),
      },
    };
    this.nodes.set(name, next);
    this.engine.onNodeUpdate(cur, next);
  }

  updateNamespace(update: Namespace): void {
    const name = update.metadata.name ?? '';
    const cur = this.namespaces.get(name);
    if (cur === undefined) throw new Error(`update: 404 NotFound namespaces "${name}" not found`);
    const next = defaultNamespace({
      ...update,
      metadata: {
        ...update.metadata,
        uid: cur.metadata.uid,
        resourceVersion: this.nextResourceVersion(),
      },
    } as Namespace);
    this.namespaces.set(name, next);
    this.engine.onOtherEvent('Namespace', ActionType.UpdateOther, cur, next);
  }

  createService(template: Service, namespace: string): Service {
    this.createNamespace(undefined, namespace);
    let byName = this.services.get(namespace);
    if (byName === undefined) {
      byName = new Map();
      this.services.set(namespace, byName);
    }
    const names = byName;
    const name = this.pickName(template.metadata, (n) => names.has(n));
    const svc = defaultService({
      ...template,
      metadata: { ...template.metadata, name, namespace, ...this.newMeta() },
    } as Service);
    delete (svc.metadata as { generateName?: string }).generateName;
    names.set(name, svc);
    return svc;
  }

  updateService(update: Service, namespace: string): void {
    const name = update.metadata.name ?? '';
    const cur = this.services.get(namespace)?.get(name);
    if (cur === undefined)
      throw new Error(
        `update: 404 NotFound services "${name}" not found in namespace ${namespace}`,
      );
    this.services.get(namespace)?.set(
      name,
      defaultService({
        ...update,
        metadata: {
          ...update.metadata,
          namespace,
          uid: cur.metadata.uid,
          resourceVersion: this.nextResourceVersion(),
        },
      } as Service),
    );
  }

  deleteService(namespace: string, name: string): void {
    this.services.get(namespace)?.delete(name);
  }

  createPod(template: Pod, namespace: string): Pod {
    let byName = this.pods.get(namespace);
    if (byName === undefined) {
      byName = new Map();
      this.pods.set(namespace, byName);
      this.createNamespace(undefined, namespace);
    }
    const names = byName;
    const name = this.pickName(template.metadata, (n) => names.has(n));
    const pod = withSchedulingGatedCondition(
      {
        ...template,
        metadata: { ...template.metadata, name, namespace, ...this.newMeta() },
        spec: this.defaultedSpec(template),
      },
      formatTime(this.clock.now()),
    );
    delete (pod.metadata as { generateName?: string }).generateName;
    names.set(name, pod);
    if (pod.spec.nodeName) this.countBinding(pod);
    else if (pod.spec.schedulingGates?.length) this.markAttempted(pod);
    this.engine.onPodAdd(pod);
    return pod;
  }

  /**
   * The API server's defaulting of the template's spec, done once per template object: a
   * workload's pods mostly come from one rendered template, and objects are never changed in
   * place, so its pods share one defaulted spec (and what the scheduler derives from it).
   */
  private defaultedSpec(template: Pod): Pod['spec'] {
    const spec = template.spec as Pod['spec'] | undefined;
    if (spec === undefined) return defaultPod(template).spec;
    let d = this.defaultedSpecs.get(spec);
    if (d === undefined) {
      d = defaultPod(template).spec;
      this.defaultedSpecs.set(spec, d);
    }
    return d;
  }

  /**
   * PUT of a pod, then of its status (updateAny). Of the spec, what a pod update may change is
   * taken from the template (scheduling gates, tolerations, and labels / annotations of the
   * metadata); the status is the template's, as UpdateStatus with the template's object sets it.
   */
  updatePod(update: Pod, namespace: string): void {
    const name = update.metadata.name ?? '';
    const cur = this.getPod(namespace, name);
    if (cur === undefined)
      throw new Error(`update: 404 NotFound pods "${name}" not found in namespace ${namespace}`);
    const spec = { ...cur.spec };
    const mutable = spec as { schedulingGates?: unknown; tolerations?: unknown };
    mutable.schedulingGates = update.spec?.schedulingGates;
    mutable.tolerations = update.spec?.tolerations ?? cur.spec.tolerations;
    if (mutable.schedulingGates === undefined) delete mutable.schedulingGates;
    const next: Pod = {
      ...cur,
      metadata: {
        ...cur.metadata,
        labels: update.metadata.labels,
        annotations: update.metadata.annotations,
        resourceVersion: this.nextResourceVersion(),
      },
      spec,
      status: update.status ?? {},
    };
    this.replacePod(cur, next);
  }

  /** Pods of a namespace in creation order, optionally filtered by labels. */
  listPods(namespace: string, selector?: Readonly<Record<string, string>>): Pod[] {
    const all = [...(this.pods.get(namespace)?.values() ?? [])];
    if (selector === undefined) return all;
    return all.filter((p) => matchesSet(p.metadata.labels, selector));
  }

  /** Every pod, namespace by namespace in creation order. */
  allPods(): Pod[] {
    const out: Pod[] = [];
    for (const m of this.pods.values()) out.push(...m.values());
    return out;
  }

  allNodes(): Node[] {
    return [...this.nodes.values()];
  }

  getPod(namespace: string, name: string): Pod | undefined {
    return this.pods.get(namespace)?.get(name);
  }

  countsOf(namespace: string): NamespaceCounts {
    let c = this.counts.get(namespace);
    if (c === undefined) {
      c = { bound: 0, attempted: 0, bindings: 0 };
      this.counts.set(namespace, c);
    }
    return c;
  }

  /**
   * DELETE of a pod (the API server's graceful deletion): immediate for unbound pods and a zero
   * grace period; otherwise deletionTimestamp now and removal after the grace period.
   */
  deletePod(namespace: string, name: string, expectedUid?: string): void {
    const cur = this.getPod(namespace, name);
    if (cur === undefined || (expectedUid !== undefined && cur.metadata.uid !== expectedUid))
      return;
    if (cur.metadata.deletionTimestamp !== undefined) return;
    const grace = cur.spec.terminationGracePeriodSeconds ?? 30;
    const finalizers = (cur.metadata.finalizers?.length ?? 0) > 0;
    if ((!cur.spec.nodeName || grace === 0) && !finalizers) {
      this.removePod(cur);
      return;
    }
    const marked: Pod = {
      ...cur,
      metadata: {
        ...cur.metadata,
        deletionTimestamp: formatTime(this.clock.now() + grace * SECOND_US),
        deletionGracePeriodSeconds: grace,
        resourceVersion: this.nextResourceVersion(),
      },
    };
    this.replacePod(cur, marked);
    // The object goes once the kubelet confirms the deletion and no finalizer is left.
    if (finalizers) return;
    this.clock.setTimer(grace * SECOND_US, () => {
      const now = this.getPod(namespace, name);
      if (now !== undefined && now.metadata.uid === cur.metadata.uid) this.removePod(now);
      this.drainEffects();
    });
  }

  private removePod(pod: Pod): void {
    const ns = pod.metadata.namespace ?? 'default';
    this.pods.get(ns)?.delete(pod.metadata.name ?? '');
    const c = this.countsOf(ns);
    if (pod.spec.nodeName) c.bound--;
    if (this.attemptedUids.delete(pod.metadata.uid ?? '')) c.attempted--;
    this.engine.onPodDelete(pod);
    this.onPodGone?.(pod);
  }

  /** Stores a new version of a pod and tells the engine, as the pod informer would. */
  private replacePod(old: Pod, next: Pod): void {
    this.pods.get(next.metadata.namespace ?? 'default')?.set(next.metadata.name ?? '', next);
    this.engine.onPodUpdate(old, next);
  }

  private newMeta(): { uid: string; resourceVersion: string; creationTimestamp: string } {
    return {
      uid: uid(this.random),
      resourceVersion: this.nextResourceVersion(),
      creationTimestamp: formatTime(this.clock.now()),
    };
  }

  private nextResourceVersion(): string {
    this.resourceVersion++;
    return String(this.resourceVersion);
  }

  private pickName(
    meta: { readonly name?: string; readonly generateName?: string },
    taken: (name: string) => boolean,
  ): string {
    if (meta.name) {
      if (taken(meta.name))
        throw new Error(
          `object ${meta.name} already exists (a template with a fixed name used twice?)`,
        );
      return meta.name;
    }
    const prefix = meta.generateName ?? '';
    for (let i = 0; i < NAME_ATTEMPTS; i++) {
      const name = prefix + nameSuffix(this.random);
      if (!taken(name)) return name;
    }
    throw new Error(
      `could not generate a free name with prefix ${prefix} after ${NAME_ATTEMPTS} attempts`,
    );
  }

  // ---- the scheduler's loop ----------------------------------------------------------------

  /**
   * One scheduling attempt: the scheduling cycle, then the binding cycle or the failure
   * handling. 'idle' when activeQ is empty. The informer events and effects it caused wait
   * for drainEffects(), so the caller can time the attempt alone.
   */
  async attempt(): Promise<AttemptOutcome> {
    const d = this.engine.scheduleOne();
    if (d === undefined) return 'idle';
    this.stats.attempts++;
    this.lastAttemptNodes = d.kind === 'skipped' ? 0 : nodesTried(d);
    return this.finish(d);
  }

  private async finish(d: Decision): Promise<AttemptOutcome> {
    switch (d.kind) {
      case 'skipped':
        return 'skipped';
      case 'failed':
        this.reportFailure(d);
        return 'failed';
      case 'assumed': {
        const r = await this.engine.runBindingCycle(d);
        if (r.kind === 'bound') return 'bound';
        this.reportFailure(r.failure);
        return 'failed';
      }
    }
  }

  /** Applies queued effects (informer events, preemptions) until none is left. */
  drainEffects(): void {
    for (let i = 0; i < this.effects.length; i++) (this.effects[i] as () => void)();
    this.effects.length = 0;
  }

  /** handleSchedulingFailure's API side: PodScheduled=False and status.nominatedNodeName. */
  private reportFailure(f: FailedDecision): void {
    this.stats.failures++;
    const pod = f.qpi.podInfo.pod;
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    this.effects.push(() => {
      const cur = this.getPod(ns, name);
      if (cur === undefined || cur.metadata.uid !== pod.metadata.uid || cur.spec.nodeName) return;
      const conditions = setCondition<PodCondition>(
        cur.status?.conditions,
        { type: 'PodScheduled', status: 'False', reason: f.reason, message: f.message },
        formatTime(this.clock.now()),
      );
      const nnn = f.nominatedNodeName;
      const nnnChanged = nnn !== undefined && (cur.status?.nominatedNodeName ?? '') !== nnn;
      this.markAttempted(cur);
      if (conditions === cur.status?.conditions && !nnnChanged) return;
      const status: Record<string, unknown> = { ...cur.status, conditions };
      if (nnnChanged) {
        if (nnn === '') delete status.nominatedNodeName;
        else status.nominatedNodeName = nnn;
      }
      this.replacePod(cur, {
        ...cur,
        metadata: { ...cur.metadata, resourceVersion: this.nextResourceVersion() },
        status: status as Pod['status'],
      });
    });
  }

  private markAttempted(pod: Pod): void {
    const id = pod.metadata.uid ?? '';
    if (this.attemptedUids.has(id)) return;
    this.attemptedUids.add(id);
    this.countsOf(pod.metadata.namespace ?? 'default').attempted++;
  }

  private countBinding(pod: Pod): void {
    const ns = pod.metadata.namespace ?? 'default';
    const c = this.countsOf(ns);
    c.bound++;
    c.bindings++;
    this.markAttempted(pod);
    this.stats.bindings++;
    this.digest(`${ns}/${pod.metadata.name ?? ''}@${pod.spec.nodeName ?? ''};`);
  }

  /** Hex digest of every binding in order: same seed and workload, same digest. */
  placementDigest(): string {
    const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
    return hex(this.digestA) + hex(this.digestB);
  }

  private digest(s: string): void {
    let a = this.digestA;
    let b = this.digestB;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    this.digestA = a;
    this.digestB = b;
  }

  /** POST pods/{name}/binding, applied at once; the engine observes it after its cycle. */
  private bind(pod: Pod, nodeName: string): MaybeStatus {
    const ns = pod.metadata.namespace ?? 'default';
    const cur = this.getPod(ns, pod.metadata.name ?? '');
    if (cur === undefined || cur.metadata.uid !== pod.metadata.uid)
      return Status.error(
        `binding rejected: 404 NotFound pods "${pod.metadata.name ?? ''}" not found`,
      );
    if (cur.spec.nodeName)
      return Status.error(
        `binding rejected: 409 Conflict pod ${pod.metadata.name ?? ''} is already assigned to node "${cur.spec.nodeName}"`,
      );
    if (!this.nodes.has(nodeName))
      return Status.error(`binding rejected: 404 NotFound nodes "${nodeName}" not found`);
    const bound: Pod = {
      ...cur,
      metadata: { ...cur.metadata, resourceVersion: this.nextResourceVersion() },
      spec: { ...cur.spec, nodeName },
      status: {
        ...cur.status,
        conditions: setCondition<PodCondition>(
          cur.status?.conditions,
          { type: 'PodScheduled', status: 'True' },
          formatTime(this.clock.now()),
        ),
      },
    };
    this.pods.get(ns)?.set(bound.metadata.name ?? '', bound);
    this.countBinding(bound);
    this.effects.push(() => {
      this.engine.onPodUpdate(cur, bound);
      this.onBound?.(bound);
    });
    return undefined;
  }

  private actions(): SchedulerActions {
    return {
      bind: (pod, nodeName) => Promise.resolve(this.bind(pod, nodeName)),
      preemptVictim: (preemptor, victim, nodeName) => {
        this.stats.preemptions++;
        this.effects.push(() => this.preempt(preemptor, victim, nodeName));
      },
      clearNominatedNodeName: (pod) => {
        this.effects.push(() => {
          const cur = this.getPod(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '');
          if (cur === undefined || !cur.status?.nominatedNodeName) return;
          const status: Record<string, unknown> = { ...cur.status };
          delete status.nominatedNodeName;
          this.replacePod(cur, {
            ...cur,
            metadata: { ...cur.metadata, resourceVersion: this.nextResourceVersion() },
            status: status as Pod['status'],
          });
        });
      },
    };
  }

  /** preemption.go PreemptPod: DisruptionTarget condition, then the graceful delete. */
  private preempt(preemptor: Pod, victim: Pod, nodeName: string): void {
    const ns = victim.metadata.namespace ?? 'default';
    const name = victim.metadata.name ?? '';
    const cur = this.getPod(ns, name);
    if (cur === undefined || cur.metadata.uid !== victim.metadata.uid) return;
    const conditions = setCondition<PodCondition>(
      cur.status?.conditions,
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'PreemptionByScheduler',
        message: `${preemptor.spec.schedulerName ?? 'default-scheduler'}: preempting to accommodate a higher priority pod on ${nodeName}`,
      },
      formatTime(this.clock.now()),
    );
    if (conditions !== cur.status?.conditions)
      this.replacePod(cur, {
        ...cur,
        metadata: { ...cur.metadata, resourceVersion: this.nextResourceVersion() },
        status: { ...cur.status, conditions },
      });
    this.deletePod(ns, name, cur.metadata.uid);
  }

  private listers(): ClusterListers {
    return {
      ...EMPTY_CLUSTER_LISTERS,
      namespaceLabels: (ns) =>
        this.namespaces.get(ns)?.metadata.labels ?? EMPTY_CLUSTER_LISTERS.namespaceLabels(ns),
      defaultSelectors: (pod) => this.serviceSelectors(pod),
    };
  }

  /** GetPodServices: selectors of the pod's namespace's Services that select it. */
  private serviceSelectors(pod: Pod): LabelSelector[] {
    const out: LabelSelector[] = [];
    for (const svc of this.services.get(pod.metadata.namespace ?? '')?.values() ?? []) {
      const selector = svc.spec?.selector;
      // A Service without a selector selects nothing, not everything.
      if (selector === undefined || selector === null) continue;
      if (selectorFromSet(selector).matches(pod.metadata.labels))
        out.push({ matchLabels: selector });
    }
    return out;
  }
}

/**
 * The pod strategy's PrepareForCreate (pkg/registry/core/pod/strategy.go
 * applySchedulingGatedCondition): a pod created with scheduling gates starts with
 * PodScheduled=False, reason SchedulingGated.
 */
function withSchedulingGatedCondition(pod: Pod, now: string): Pod {
  if (!pod.spec.schedulingGates?.length || pod.spec.nodeName) return pod;
  return {
    ...pod,
    status: {
      ...pod.status,
      conditions: setCondition<PodCondition>(
        pod.status?.conditions,
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'SchedulingGated',
          message: 'Scheduling is blocked due to non-empty scheduling gates',
        },
        now,
      ),
    },
  };
}

function matchesSet(labels: Labels | undefined, want: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(want)) if (labels?.[k] !== v) return false;
  return true;
}
