/**
 * The scheduler process (pkg/scheduler/scheduler.go Run, eventhandlers.go): informers for
 * pods and nodes feed the SchedulingEngine; one loop runs scheduling cycles back to back;
 * each binding cycle runs asynchronously through the API server's binding subresource;
 * failures become a PodScheduled=False condition and a FailedScheduling event.
 *
 * The algorithm itself (queue, cache, framework, plugins) lives in framework/ and is pure;
 * this class only connects it to the API and the clock.
 */
import { setCondition } from '../api/conditions.ts';
import type { Event } from '../api/cluster-types.ts';
import type { Pod } from '../api/pod-types.ts';
import { keyOf } from '../api/meta.ts';
import { formatMicroTime, formatTime } from '../api/time.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import {
  candidateIdentity,
  DEFAULT_LEADER_ELECTION,
  LeaderElector,
  type LeaderElectionOptions,
} from '../client/leader-election.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { nameSuffix } from '../ports/random.ts';
import { defaultConfiguration, type SchedulerConfiguration } from './config/load.ts';
import {
  ENGINE_TICK_US,
  queueOptionsFrom,
  UNSCHEDULABLE_FLUSH_US,
} from './config/engine-options.ts';
import type { AttemptExplanation, Explainer } from './framework/explain.ts';
import type { SchedulerActions } from './framework/interface.ts';
import type { ClusterListers } from './framework/listers.ts';
import { InformerListers } from './informer-listers.ts';
import type { Registry } from './framework/profile.ts';
import {
  SchedulingEngine,
  nodesTried,
  type AssumedDecision,
  type FailedDecision,
} from './engine/scheduling-engine.ts';
import { Status, type MaybeStatus } from './framework/status.ts';
import type { PendingPods } from './queue/scheduling-queue.ts';
import { IN_TREE_REGISTRY } from './plugins/registry.ts';

export interface SchedulerOptions {
  readonly config?: SchedulerConfiguration;
  readonly registry?: Registry;
  readonly listers?: ClusterListers;
  /**
   * Pods (by name, or as namespace/name) whose scheduling attempts are explained in the trace
   * (`scheduler.explain`) at any trace level. Without it, every attempt is explained when the
   * trace keeps debug records, and none otherwise.
   */
  readonly explain?: readonly string[];
  /**
   * --leader-elect (the kube-system/kube-scheduler Lease): informers run on a standby too, so its
   * cache is warm; only the leader schedules. A leader that cannot renew stops scheduling (pods
   * already assumed finish their binding) and campaigns again.
   */
  readonly leaderElection?: boolean | Partial<LeaderElectionOptions>;
}

function explainerFor(
  ports: ProcessPorts,
  pods: readonly string[] | undefined,
): { explainer?: Explainer } {
  const record = (e: AttemptExplanation): void => ports.trace.emit('scheduler.explain', e);
  if (pods !== undefined && pods.length > 0) {
    const named = new Set(pods);
    return {
      explainer: { wants: (ns, name) => named.has(name) || named.has(`${ns}/${name}`), record },
    };
  }
  return ports.trace.debugEnabled ? { explainer: { wants: () => true, record } } : {};
}

export class Scheduler {
  readonly engine: SchedulingEngine;
  private readonly pods: Informer<'Pod'>;
  private readonly nodes: Informer<'Node'>;
  private wake: (() => void) | undefined;
  private stopped = false;
  /** Whether this instance may schedule: always without leader election. */
  private leading = true;
  private wakeLeader: (() => void) | undefined;
  /** Informer-backed listers, when the caller did not bring its own. */
  private listers: InformerListers | undefined;
  /** The queue lengths last traced. */
  private lastQueue: PendingPods | undefined;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    opts: SchedulerOptions = {},
  ) {
    const registry = opts.registry ?? IN_TREE_REGISTRY;
    const config = opts.config ?? defaultConfiguration(registry);
    this.engine = new SchedulingEngine({
      profiles: config.profiles,
      registry,
      clock: ports.clock,
      random: ports.random.fork('scheduler'),
      actions: this.actions(),
      queue: queueOptionsFrom(config),
      listers:
        opts.listers ??
        (this.listers = new InformerListers(ports, api, (resource, action, o, n) =>
          this.engine.onOtherEvent(resource, action, o, n),
        )),
      ...explainerFor(ports, opts.explain),
    });
    this.engine.queue.onReady = () => this.wake?.();
    this.nodes = new Informer(ports, api, 'Node');
    this.pods = new Informer(ports, api, 'Pod');
    this.nodes.addEventHandler({
      onAdd: (n) => this.engine.onNodeAdd(n),
      onUpdate: (o, n) => this.engine.onNodeUpdate(o, n),
      onDelete: (n) => this.engine.onNodeDelete(n),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.engine.onPodAdd(p),
      onUpdate: (o, p) => this.engine.onPodUpdate(o, p),
      onDelete: (p) => this.engine.onPodDelete(p),
    });
    this.nodes.start();
    this.pods.start();
    this.tickEvery(ENGINE_TICK_US, () => {
      this.engine.tickSecond();
      this.traceQueue();
    });
    this.tickEvery(UNSCHEDULABLE_FLUSH_US, () => this.engine.tickUnschedulableFlush());
    const election = opts.leaderElection;
    if (election !== undefined && election !== false) {
      this.leading = false;
      const elector = new LeaderElector(ports, api, candidateIdentity(ports), {
        ...DEFAULT_LEADER_ELECTION,
        name: 'kube-scheduler',
        ...(election === true ? {} : election),
      });
      ports.spawn(() =>
        elector.run(
          () => {
            this.leading = true;
            this.wakeLeader?.();
          },
          () => {
            this.leading = false;
          },
        ),
      );
    }
    ports.spawn(() => this.run());
  }

  stop(): void {
    this.stopped = true;
    this.nodes.stop();
    this.pods.stop();
    this.listers?.stop();
    this.wake?.();
  }

  private tickEvery(periodUs: number, fn: () => void): void {
    const tick = (): void => {
      if (this.stopped) return;
      fn();
      this.ports.clock.setTimer(periodUs, tick);
    };
    this.ports.clock.setTimer(periodUs, tick);
  }

  /** The queue's lengths, when they changed since the last sample (once a second, cheap). */
  private traceQueue(): void {
    const p = this.engine.queue.pending();
    const last = this.lastQueue;
    if (
      last !== undefined &&
      last.active === p.active &&
      last.backoff === p.backoff &&
      last.unschedulable === p.unschedulable &&
      last.gated === p.gated
    )
      return;
    this.lastQueue = p;
    this.ports.trace.emit('scheduler.queue', {
      active: p.active,
      backoff: p.backoff,
      unschedulable: p.unschedulable,
      gated: p.gated,
    });
  }

  /** scheduleOne in a loop; sleeps until the queue has a pod. */
  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.leading) {
        await new Promise<void>((resolve) => {
          this.wakeLeader = resolve;
        });
        this.wakeLeader = undefined;
        continue;
      }
      if (!this.pods.hasSynced || !this.nodes.hasSynced || this.listers?.hasSynced === false) {
        await this.ports.clock.sleep(100_000);
        continue;
      }
      const d = this.engine.scheduleOne();
      if (d === undefined) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      // The cycle's CPU time passes before its decision acts, and the next cycle waits for it:
      // one scheduling goroutine, as upstream's.
      const spent =
        d.kind === 'skipped'
          ? undefined
          : this.ports.cpu.charge('scheduler.attempt', nodesTried(d));
      if (spent !== undefined) await spent;
      if (d.kind === 'assumed') this.ports.spawn(() => this.bindingCycle(d));
      else if (d.kind === 'failed') this.ports.spawn(() => this.reportFailure(d));
      // One cycle per event-loop turn: informer events and finished bindings run in between.
      await this.ports.clock.sleep(0);
    }
  }

  private async bindingCycle(d: AssumedDecision): Promise<void> {
    const r = await this.engine.runBindingCycle(d);
    const pod = d.qpi.podInfo.pod;
    if (r.kind === 'bound') {
      const q = d.qpi;
      this.ports.trace.emit('scheduler.bind', {
        pod: keyOf(pod),
        node: r.nodeName,
        attempts: q.attempts,
        latencyUs: this.ports.clock.now() - (q.initialAttemptTimestampUs ?? q.timestampUs),
      });
      await this.recordEvent(
        pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${keyOf(pod)} to ${r.nodeName}`,
      );
      return;
    }
    await this.reportFailure(r.failure);
  }

  /** handleSchedulingFailure's API side: event, PodScheduled condition, nominatedNodeName. */
  private async reportFailure(f: FailedDecision): Promise<void> {
    const pod = this.pods.get(keyOf(f.qpi.podInfo.pod)) ?? f.qpi.podInfo.pod;
    this.ports.trace.emit('scheduler.unschedulable', {
      pod: keyOf(pod),
      reason: f.reason,
      message: f.message,
    });
    await this.recordEvent(pod, 'Warning', 'FailedScheduling', f.message);
    if (pod.spec.nodeName) return;
    const nowIso = formatTime(this.ports.clock.now());
    const conditions = setCondition(
      pod.status?.conditions,
      { type: 'PodScheduled', status: 'False', reason: f.reason, message: f.message },
      nowIso,
    );
    const nnn = f.nominatedNodeName;
    const nnnChanged = nnn !== undefined && (pod.status?.nominatedNodeName ?? '') !== nnn;
    if (conditions === pod.status?.conditions && !nnnChanged) return;
    const status = { ...pod.status, conditions };
    if (nnnChanged) {
      if (nnn === '') delete (status as { nominatedNodeName?: string }).nominatedNodeName;
      else (status as { nominatedNodeName?: string }).nominatedNodeName = nnn;
    }
    await this.api.updateStatus<Pod>({ ...pod, status });
  }

  private async recordEvent(
    pod: Pod,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.ports.clock.now();
    const ns = pod.metadata.namespace ?? 'default';
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${pod.metadata.name ?? ''}.${nameSuffix(this.ports.random, 10)}`,
        namespace: ns,
      },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: ns,
        name: pod.metadata.name ?? '',
        uid: pod.metadata.uid ?? '',
      },
      reason,
      message,
      type,
      source: { component: 'default-scheduler' },
      firstTimestamp: formatTime(now),
      lastTimestamp: formatTime(now),
      eventTime: formatMicroTime(now),
      count: 1,
      action: reason === 'Scheduled' ? 'Binding' : 'Scheduling',
      reportingComponent: 'default-scheduler',
      reportingInstance: this.ports.name,
    };
    await this.api.create(ev);
  }

  /** The algorithm's effects, carried out through the API server. */
  private actions(): SchedulerActions {
    return {
      bind: async (pod: Pod, nodeName: string): Promise<MaybeStatus> => {
        const buggify = this.ports.buggify;
        if (buggify?.fires('scheduler.bind-slow'))
          await this.ports.clock.sleep(buggify.durationUs(500_000, 3_000_000));
        if (buggify?.fires('scheduler.bind-error'))
          return Status.error('binding rejected: 500 InternalError (buggify)');
        const r = await this.api.bind(
          pod.metadata.namespace ?? 'default',
          pod.metadata.name ?? '',
          nodeName,
        );
        return r.ok
          ? undefined
          : Status.error(
              `binding rejected: ${r.status} ${r.error.reason ?? ''} ${r.error.message ?? ''}`.trim(),
            );
      },
      preemptVictim: (preemptor: Pod, victim: Pod, nodeName: string): void => {
        this.ports.spawn(() => this.preempt(preemptor, victim, nodeName));
      },
      updateVolumeObject: async (obj): Promise<MaybeStatus> => {
        const r = await this.api.update(obj);
        return r.ok
          ? undefined
          : Status.error(
              `updating ${obj.kind} ${obj.metadata.name ?? ''}: ${r.status} ${r.error.message ?? ''}`,
            );
      },
      clearNominatedNodeName: (pod: Pod): void => {
        this.ports.spawn(async () => {
          const cur = this.pods.get(keyOf(pod)) ?? pod;
          if (!cur.status?.nominatedNodeName) return;
          const status = { ...cur.status };
          delete (status as { nominatedNodeName?: string }).nominatedNodeName;
          await this.api.updateStatus<Pod>({ ...cur, status });
        });
      },
    };
  }

  /** preemption.go PreemptPod: DisruptionTarget condition, graceful delete, Preempted event. */
  private async preempt(preemptor: Pod, victim: Pod, nodeName: string): Promise<void> {
    const cur = this.pods.get(keyOf(victim)) ?? victim;
    const conditions = setCondition(
      cur.status?.conditions,
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'PreemptionByScheduler',
        message: `${preemptor.spec.schedulerName ?? 'default-scheduler'}: preempting to accommodate a higher priority pod`,
      },
      formatTime(this.ports.clock.now()),
    );
    if (conditions !== cur.status?.conditions) {
      const s = await this.api.updateStatus<Pod>({ ...cur, status: { ...cur.status, conditions } });
      if (!s.ok && s.status === 404) return;
    }
    const d = await this.api.delete(
      'Pod',
      cur.metadata.namespace ?? 'default',
      cur.metadata.name ?? '',
      {
        preconditions: { uid: cur.metadata.uid ?? '' },
      },
    );
    if (!d.ok) return;
    this.ports.trace.emit('scheduler.preempt', {
      preemptor: keyOf(preemptor),
      victim: keyOf(victim),
      node: nodeName,
    });
    await this.recordEvent(
      cur,
      'Normal',
      'Preempted',
      `Preempted by pod ${preemptor.metadata.uid ?? ''} on node ${nodeName}`,
    );
  }
}
