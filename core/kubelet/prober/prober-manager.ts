/**
 * The probe manager (pkg/kubelet/prober/prober_manager.go): one worker per probe of each
 * container and sidecar of an admitted pod; the results (startup, liveness, readiness) per
 * container instance; and what they mean for the status: `started` (startup probe passed, or
 * none), `ready` (readiness probe passed, or none, once started), and which running instance
 * failed a liveness or startup probe and must be killed. Every change of a result asks the
 * kubelet to sync the pod.
 */
import type { Container, Pod } from '../../api/pod-types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import { isSidecar } from '../pod-status.ts';
import { runHandler, type HandlerOutcome, type HandlerPorts } from './run-handler.ts';
import {
  containerProbe,
  PROBE_TYPES,
  resolveProbe,
  type ProbeSpec,
  type ProbeType,
} from './probe-spec.ts';
import { ProbeWorker, type ProbeResult, type ProbeView, type WorkerHost } from './worker.ts';

export interface ProberHost {
  readonly clock: Clock;
  view(uid: string, container: string): ProbeView | undefined;
  podIP(uid: string): string | undefined;
  /** A result changed: sync the pod. */
  resultChanged(uid: string): void;
  /** A probe changed a result (for the trace). */
  resultTraced(
    uid: string,
    container: string,
    type: ProbeType,
    result: ProbeResult,
    output: string,
  ): void;
  /** Every failed probe (upstream's Unhealthy Event), below the threshold too. */
  probeFailed(
    uid: string,
    container: Container,
    type: ProbeType,
    output: string,
    errored: boolean,
  ): void;
}

export class ProberManager {
  private readonly workers = new Map<string, Map<string, ProbeWorker>>();
  private readonly results: Record<ProbeType, Map<string, ProbeResult>> = {
    startup: new Map(),
    liveness: new Map(),
    readiness: new Map(),
  };
  private readonly startUs: number;
  private readonly workerHost: WorkerHost;

  constructor(
    private readonly host: ProberHost,
    private readonly handlers: HandlerPorts,
    private readonly random: Random,
    private readonly spawn: (task: () => Promise<unknown>) => void,
  ) {
    this.startUs = host.clock.now();
    this.workerHost = {
      clock: host.clock,
      view: (uid, name) => host.view(uid, name),
      setResult: (type, uid, id, result) => this.setResult(type, uid, id, result),
      removeResult: (type, id) => this.results[type].delete(id),
      probe: (uid, c, spec, id) => this.probe(uid, c, spec, id),
      traceResult: (uid, name, type, result, output) =>
        host.resultTraced(uid, name, type, result, output),
      workerDone: (w) => this.workerDone(w),
    };
  }

  /** Starts the workers of the pod's probes (sidecars and regular containers). */
  addPod(uid: string, pod: Pod): void {
    if (this.workers.has(uid)) return;
    const mine = new Map<string, ProbeWorker>();
    this.workers.set(uid, mine);
    const containers = [
      ...(pod.spec.initContainers ?? []).filter(isSidecar),
      ...pod.spec.containers,
    ];
    for (const c of containers) {
      for (const type of PROBE_TYPES) {
        const probe = containerProbe(c, type);
        const spec = probe === undefined ? undefined : resolveProbe(type, probe);
        if (spec === undefined) continue;
        const w = new ProbeWorker(this.workerHost, uid, c, spec);
        mine.set(key(c.name, type), w);
        // Only while the kubelet is young (a restart): spread the first probes over a period.
        const young = spec.periodUs > this.host.clock.now() - this.startUs;
        const jitterUs = young ? Math.floor(this.random.float() * spec.periodUs) : 0;
        this.spawn(() => w.run(jitterUs));
      }
    }
  }

  removePod(uid: string): void {
    const mine = this.workers.get(uid);
    if (mine === undefined) return;
    this.workers.delete(uid);
    for (const w of mine.values()) w.stop();
  }

  /** prober_manager.go isContainerStarted: running, and the startup probe passed or none. */
  isStarted(uid: string, name: string, containerId: string, running: boolean): boolean {
    if (!running) return false;
    const r = this.results.startup.get(containerId);
    if (r !== undefined) return r === 'success';
    return this.worker(uid, name, 'startup') === undefined;
  }

  /**
   * UpdatePodStatus's readiness: a started, running container with a passed readiness probe or
   * none. A container waiting on its first readiness result gets probed at once.
   */
  isReady(uid: string, name: string, containerId: string, started: boolean): boolean {
    if (!started) return false;
    if (this.results.readiness.get(containerId) === 'success') return true;
    const w = this.worker(uid, name, 'readiness');
    w?.trigger();
    return w === undefined;
  }

  /** The probe a running instance failed, for which it must be killed and restarted. */
  failedProbe(containerId: string): 'liveness' | 'startup' | undefined {
    if (this.results.liveness.get(containerId) === 'failure') return 'liveness';
    if (this.results.startup.get(containerId) === 'failure') return 'startup';
    return undefined;
  }

  /** The probe spec a container's worker runs (for the probe-level grace period). */
  spec(uid: string, name: string, type: ProbeType): ProbeSpec | undefined {
    return this.worker(uid, name, type)?.spec;
  }

  private worker(uid: string, name: string, type: ProbeType): ProbeWorker | undefined {
    return this.workers.get(uid)?.get(key(name, type));
  }

  private setResult(
    type: ProbeType,
    uid: string,
    containerId: string,
    result: ProbeResult,
  ): boolean {
    const results = this.results[type];
    if (results.get(containerId) === result) return false;
    results.set(containerId, result);
    this.host.resultChanged(uid);
    return true;
  }

  private async probe(
    uid: string,
    container: Container,
    spec: ProbeSpec,
    containerId: string,
  ): Promise<HandlerOutcome> {
    const target = { container, containerId, podIP: this.host.podIP(uid) };
    const outcome = await runHandler(this.handlers, target, spec.handler, spec.timeoutUs);
    if (outcome.result !== 'success')
      this.host.probeFailed(uid, container, spec.type, outcome.output, outcome.result === 'error');
    return outcome;
  }

  private workerDone(w: ProbeWorker): void {
    const mine = this.workers.get(w.uid);
    const k = key(w.container.name, w.type);
    if (mine?.get(k) === w) mine.delete(k);
  }
}

function key(container: string, type: ProbeType): string {
  return `${container}\u0000${type}`;
}
