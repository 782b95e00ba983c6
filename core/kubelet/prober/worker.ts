/**
 * One probe of one container (pkg/kubelet/prober/worker.go): probes every period on a ticker
 * (the first tick jittered within the period while the kubelet is young, so a restarted kubelet
 * does not probe everything at once), or at once when triggered; counts equal results in a row
 * against the thresholds; holds a liveness or startup probe that failed until a new container
 * instance appears; stops when the pod is terminal, the container will not run again, or the
 * pod is being deleted (liveness and startup).
 */
import type { Container } from '../../api/pod-types.ts';
import type { Clock, TimerId } from '../../ports/clock.ts';
import type { ContainerState } from '../../ports/runtime.ts';
import type { HandlerOutcome } from './run-handler.ts';
import type { ProbeSpec, ProbeType } from './probe-spec.ts';

export type ProbeResult = 'success' | 'failure' | 'unknown';

/** What a worker needs to know about its container at probe time. */
export interface ProbeView {
  readonly podTerminal: boolean;
  readonly deleting: boolean;
  readonly restartPolicy: string;
  /** The current instance, once one was created. */
  readonly instance:
    | {
        readonly id: string;
        readonly state: ContainerState;
        readonly startedAtUs: number | undefined;
      }
    | undefined;
  /** The container passed its startup probe (or has none) and runs. */
  readonly started: boolean;
}

/** The worker's side of the manager. */
export interface WorkerHost {
  readonly clock: Clock;
  view(uid: string, container: string): ProbeView | undefined;
  /** Stores the container's result; true when it changed. */
  setResult(type: ProbeType, uid: string, containerId: string, result: ProbeResult): boolean;
  removeResult(type: ProbeType, containerId: string): void;
  probe(
    uid: string,
    container: Container,
    spec: ProbeSpec,
    containerId: string,
  ): Promise<HandlerOutcome>;
  /** A probe changed the result the kubelet holds. */
  traceResult(
    uid: string,
    container: string,
    type: ProbeType,
    result: ProbeResult,
    output: string,
  ): void;
  workerDone(worker: ProbeWorker): void;
}

const INITIAL_RESULT: Readonly<Record<ProbeType, ProbeResult>> = {
  readiness: 'failure',
  liveness: 'success',
  startup: 'unknown',
};

export class ProbeWorker {
  private containerId: string | undefined;
  private lastResult: ProbeResult = 'unknown';
  private resultRun = 0;
  private onHold = false;
  private stopped = false;
  private ticker: TimerId | undefined;
  private tickPending = false;
  private triggerPending = false;
  private wake: (() => void) | undefined;
  private sleepTimer: TimerId | undefined;

  constructor(
    private readonly host: WorkerHost,
    readonly uid: string,
    readonly container: Container,
    readonly spec: ProbeSpec,
  ) {}

  get type(): ProbeType {
    return this.spec.type;
  }

  async run(jitterUs: number): Promise<void> {
    const clock = this.host.clock;
    if (jitterUs > 0) {
      // Only stop() ends the jitter early; a trigger waits for the first probe, as in Go.
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.sleepTimer = clock.setTimer(jitterUs, resolve);
      });
      this.wake = undefined;
      this.sleepTimer = undefined;
    }
    if (!this.stopped) this.armTicker();
    while (!this.stopped && (await this.doProbe())) await this.nextTick();
    this.stop();
    if (this.containerId !== undefined) this.host.removeResult(this.type, this.containerId);
    this.host.workerDone(this);
  }

  /** Probe now (or right after the probe in progress, or the first one after the jitter). */
  trigger(): void {
    this.triggerPending = true;
    if (this.sleepTimer === undefined) this.wake?.();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const clock = this.host.clock;
    if (this.ticker !== undefined) clock.cancelTimer(this.ticker);
    if (this.sleepTimer !== undefined) clock.cancelTimer(this.sleepTimer);
    this.sleepTimer = undefined;
    this.wake?.();
  }

  /** A Go ticker: fires every period whatever the probes take; one missed tick is kept. */
  private armTicker(): void {
    this.ticker = this.host.clock.setTimer(this.spec.periodUs, () => {
      this.tickPending = true;
      this.wake?.();
      if (!this.stopped) this.armTicker();
    });
  }

  private async nextTick(): Promise<void> {
    if (!this.tickPending && !this.triggerPending)
      await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    if (this.tickPending) this.tickPending = false;
    else this.triggerPending = false;
  }

  /** worker.go doProbe; false stops the worker. */
  private async doProbe(): Promise<boolean> {
    const view = this.host.view(this.uid, this.container.name);
    if (view === undefined) return true;
    if (view.podTerminal) return false;
    const instance = view.instance;
    if (instance === undefined) return true;
    if (this.containerId !== instance.id) {
      if (this.containerId !== undefined) this.host.removeResult(this.type, this.containerId);
      this.containerId = instance.id;
      this.host.setResult(this.type, this.uid, instance.id, INITIAL_RESULT[this.type]);
      this.onHold = false;
    }
    if (this.onHold) return true;
    if (instance.state !== 'running') {
      this.host.setResult(this.type, this.uid, instance.id, 'failure');
      return instance.state !== 'exited' || view.restartPolicy !== 'Never';
    }
    if (view.deleting && this.type !== 'readiness') {
      this.host.setResult(this.type, this.uid, instance.id, 'success');
      return false;
    }
    const sinceStartS = Math.floor(
      (this.host.clock.now() - (instance.startedAtUs ?? this.host.clock.now())) / 1_000_000,
    );
    if (sinceStartS < this.spec.initialDelaySeconds) return true;
    if (view.started ? this.type === 'startup' : this.type !== 'startup') return true;
    const outcome = await this.host.probe(this.uid, this.container, this.spec, instance.id);
    // Prober error: the result is thrown away.
    if (outcome.result === 'error' || this.stopped) return !this.stopped;
    const result: ProbeResult = outcome.result;
    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    const threshold =
      result === 'failure' ? this.spec.failureThreshold : this.spec.successThreshold;
    if (this.resultRun < threshold) return true;
    if (this.host.setResult(this.type, this.uid, instance.id, result))
      this.host.traceResult(this.uid, this.container.name, this.type, result, outcome.output);
    if (this.type !== 'readiness' && result === 'failure') {
      // The container will be restarted: no more probes until a new instance runs.
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
