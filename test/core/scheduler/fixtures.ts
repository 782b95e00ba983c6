/** Builders for scheduler tests: nodes, pods, a manual clock, recording actions, an engine. */
import type { Node, Taint } from '../../../core/api/node-types.ts';
import type { Pod, PodSpec, Toleration } from '../../../core/api/pod-types.ts';
import type { Clock, TimerId } from '../../../core/ports/clock.ts';
import { IN_TREE_REGISTRY } from '../../../core/scheduler/plugins/registry.ts';
import { loadSchedulerConfiguration } from '../../../core/scheduler/config/load.ts';
import {
  SchedulingEngine,
  type Decision,
} from '../../../core/scheduler/engine/scheduling-engine.ts';
import type { SchedulerActions } from '../../../core/scheduler/framework/interface.ts';
import type { ClusterListers } from '../../../core/scheduler/framework/listers.ts';
import type { Registry } from '../../../core/scheduler/framework/profile.ts';
import { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { SeededRandom } from '../../../sim/random.ts';
import { Status, type MaybeStatus } from '../../../core/scheduler/framework/status.ts';

export class ManualClock implements Clock {
  nowUs = 0;
  private timers: { at: number; fn: () => void; id: TimerId; seq: number }[] = [];
  private seq = 0;

  now(): number {
    return this.nowUs;
  }

  /** Never jumps: the same reading as now(). */

  monotonicNow(): number {
    return this.now();
  }

  setTimer(delayUs: number, fn: () => void): TimerId {
    const id = { seq: this.seq } as unknown as TimerId;
    this.timers.push({ at: this.nowUs + delayUs, fn, id, seq: this.seq++ });
    return id;
  }

  cancelTimer(id: TimerId): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  sleep(delayUs: number): Promise<void> {
    return new Promise((r) => this.setTimer(delayUs, r));
  }

  advance(us: number): void {
    const until = this.nowUs + us;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = this.timers[0];
      if (t === undefined || t.at > until) break;
      this.timers.shift();
      this.nowUs = t.at;
      t.fn();
    }
    this.nowUs = until;
  }
}

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeral?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

export function node(name: string, o: NodeOpts = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: {
      ...(o.taints ? { taints: o.taints } : {}),
      ...(o.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      allocatable: {
        cpu: o.cpu ?? '4',
        memory: o.memory ?? '8Gi',
        pods: o.pods ?? '110',
        ...(o.ephemeral ? { 'ephemeral-storage': o.ephemeral } : {}),
        ...(o.extra ?? {}),
      },
      ...(o.images ? { images: o.images } : {}),
    },
  };
}

export interface PodOpts {
  ns?: string;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  labels?: Record<string, string>;
  priority?: number;
  nodeName?: string;
  tolerations?: Toleration[];
  spec?: Partial<PodSpec>;
  image?: string;
  uid?: string;
  hostPort?: number;
  startTime?: string;
  status?: Pod['status'];
}

export function pod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = { ...(o.requests ?? {}) };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      uid: o.uid ?? `uid-${o.ns ?? 'default'}-${name}`,
      ...(o.labels ? { labels: o.labels } : {}),
    },
    spec: {
      containers: [
        {
          name: 'c',
          image: o.image ?? 'busybox',
          ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
          ...(o.hostPort ? { ports: [{ containerPort: 80, hostPort: o.hostPort }] } : {}),
        },
      ],
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.spec ?? {}),
    },
    ...(o.status || o.startTime
      ? { status: { ...(o.status ?? {}), ...(o.startTime ? { startTime: o.startTime } : {}) } }
      : {}),
  };
}

/** A NodeInfo with the given bound pods, for plugin-level tests. */
export function nodeInfo(n: Node, pods: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(n.metadata.name ?? '');
  ni.setNode(n);
  for (const p of pods) ni.addPod(podInfoOf(p));
  return ni;
}

export class RecordingActions implements SchedulerActions {
  readonly binds: { pod: Pod; node: string }[] = [];
  readonly preempted: { preemptor: Pod; victim: Pod; node: string }[] = [];
  readonly cleared: Pod[] = [];
  failBinds = false;

  bind(pod: Pod, nodeName: string): Promise<MaybeStatus> {
    this.binds.push({ pod, node: nodeName });
    return Promise.resolve(this.failBinds ? Status.error('binding rejected') : undefined);
  }

  preemptVictim(preemptor: Pod, victim: Pod, nodeName: string): void {
    this.preempted.push({ preemptor, victim, node: nodeName });
  }

  clearNominatedNodeName(pod: Pod): void {
    this.cleared.push(pod);
  }
}

export interface TestEngine {
  engine: SchedulingEngine;
  clock: ManualClock;
  actions: RecordingActions;
}

export function makeEngine(
  config: unknown = undefined,
  seed = 1,
  listers?: ClusterListers,
  registry: Registry = IN_TREE_REGISTRY,
): TestEngine {
  const r = loadSchedulerConfiguration(
    config ?? { apiVersion: 'kubescheduler.config.k8s.io/v1', kind: 'KubeSchedulerConfiguration' },
    registry,
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const clock = new ManualClock();
  const actions = new RecordingActions();
  const engine = new SchedulingEngine({
    profiles: r.config.profiles,
    registry,
    clock,
    random: SeededRandom.root(seed).fork('scheduler'),
    actions,
    ...(listers ? { listers } : {}),
  });
  return { engine, clock, actions };
}

/**
 * Runs scheduling cycles until the active queue is empty, completing bindings synchronously
 * as an API server would: the bound pod is fed back as an informer update.
 */
export async function drain(t: TestEngine, max = 10_000): Promise<Decision[]> {
  const out: Decision[] = [];
  for (let i = 0; i < max; i++) {
    const d = t.engine.scheduleOne();
    if (d === undefined) break;
    out.push(d);
    if (d.kind === 'assumed') {
      const r = await t.engine.runBindingCycle(d);
      if (r.kind === 'bound') {
        const p = d.qpi.podInfo.pod;
        t.engine.onPodUpdate(p, { ...p, spec: { ...p.spec, nodeName: r.nodeName } });
      }
    }
  }
  return out;
}
