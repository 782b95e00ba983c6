import { createHash } from 'node:crypto';
import type { Clock, TimerId } from '../core/ports/clock.ts';
import type { ProcessPorts } from '../core/ports/process.ts';
import { chance, type Random } from '../core/ports/random.ts';
import type {
  ContainerConfig,
  ContainerState,
  ContainerStatus,
  Runtime,
  RuntimeResult,
  SandboxConfig,
} from '../core/ports/runtime.ts';
import type { Trace } from '../core/ports/trace.ts';
import type { DebugTraceKind, TraceFieldsArgs } from '../core/trace/types.ts';
import { assert } from '../core/util/assert.ts';
import { containerBehaviour, type ContainerBehaviour } from './runtime-behaviour.ts';

/** Faults a run can switch on; all default to off. Probabilities are per operation. */
export interface SimRuntimeFaults {
  /** A pull fails with reason ErrImagePull after its latency (the image stays absent). */
  readonly imagePullFailureProbability: number;
  /** A start fails: the container ends exited with code 128, reason StartError. */
  readonly containerStartFailureProbability: number;
  /** A started container crashes with exit code 1, uniformly within `crashWithinUs`. */
  readonly crashAfterStartProbability: number;
  readonly crashWithinUs: number;
}

export interface SimRuntimeOptions {
  /** Pull of an image not yet present: this plus a uniform jitter in [0, imagePullJitterUs]. */
  readonly imagePullUs: number;
  readonly imagePullJitterUs: number;
  /** Pull of a present image (pull policy Always): a registry round trip for the manifest. */
  readonly imageCheckUs: number;
  readonly sandboxCreateUs: number;
  readonly sandboxStopUs: number;
  readonly containerCreateUs: number;
  readonly containerStartUs: number;
  readonly containerRemoveUs: number;
  /** Time from SIGTERM to exit, uniform in [min, max], unless the container says otherwise. */
  readonly shutdownMinUs: number;
  readonly shutdownMaxUs: number;
  /** Images on the machine from the start (a node image's preloaded set). */
  readonly preloadedImages: readonly string[];
  readonly faults: SimRuntimeFaults;
}

export const NO_RUNTIME_FAULTS: SimRuntimeFaults = {
  imagePullFailureProbability: 0,
  containerStartFailureProbability: 0,
  crashAfterStartProbability: 0,
  crashWithinUs: 10_000_000,
};

export const DEFAULT_SIM_RUNTIME: SimRuntimeOptions = {
  imagePullUs: 2_000_000,
  imagePullJitterUs: 1_000_000,
  imageCheckUs: 100_000,
  sandboxCreateUs: 300_000,
  sandboxStopUs: 50_000,
  containerCreateUs: 50_000,
  containerStartUs: 100_000,
  containerRemoveUs: 20_000,
  shutdownMinUs: 0,
  shutdownMaxUs: 500_000,
  preloadedImages: [],
  faults: NO_RUNTIME_FAULTS,
};

export type RuntimeMachinePorts = Pick<ProcessPorts, 'clock' | 'random' | 'trace'>;

/** Exit code of a process killed by SIGKILL (128 + 9), as runc reports it. */
export const EXIT_CODE_SIGKILL = 137;
/** What containerd reports for a task that failed to start. */
export const EXIT_CODE_START_ERROR = 128;

interface SandboxRecord {
  readonly id: string;
  readonly config: SandboxConfig;
  ready: boolean;
}

interface ContainerRecord {
  readonly id: string;
  readonly sandboxId: string;
  readonly name: string;
  readonly image: string;
  readonly behaviour: ContainerBehaviour;
  state: ContainerState;
  startedAtUs?: number;
  finishedAtUs?: number;
  exitCode?: number;
  reason?: string;
  /** Pending self-exit, SIGTERM-exit and SIGKILL timers of a running container. */
  timers: TimerId[];
  killAtUs?: number;
  waiters: (() => void)[];
  status: ContainerStatus;
}

const ok = <T>(value: T): RuntimeResult<T> => ({ ok: true, value });
const fail = <T>(reason: string, message: string): RuntimeResult<T> => ({
  ok: false,
  reason,
  message,
});

/**
 * The container runtime of one simulated machine, on the event loop: CRI operations take the
 * configured virtual latencies, containers run their behaviour (runtime-behaviour.ts) and exit
 * with codes, and typed faults inject failures. Everything lives in memory, so a machine
 * crash — the node process crashing, since the runtime is built inside its factory — loses
 * every container and every cached image, and the operations pending on the process's clock
 * never complete.
 */
export class SimRuntime implements Runtime {
  private readonly options: SimRuntimeOptions;
  private readonly clock: Clock;
  private readonly trace: Trace;
  private readonly ids: Random;
  private readonly faultRandom: Random;
  private readonly timing: Random;
  private readonly images = new Map<string, string>();
  private readonly pulls = new Map<string, Promise<RuntimeResult<{ readonly imageRef: string }>>>();
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private sorted: readonly ContainerStatus[] | undefined = [];

  /**
   * `machine` is the node process's ports (or just their clock, random and trace): timers die
   * with the process, and the runtime draws from its own fork of the process's random stream.
   */
  constructor(machine: RuntimeMachinePorts, options: Partial<SimRuntimeOptions> = {}) {
    this.options = { ...DEFAULT_SIM_RUNTIME, ...options };
    const o = this.options;
    assert(
      o.shutdownMinUs >= 0 && o.shutdownMaxUs >= o.shutdownMinUs,
      'shutdown range must be 0 <= min <= max',
    );
    this.clock = machine.clock;
    this.trace = machine.trace;
    const random = machine.random.fork('runtime');
    this.ids = random.fork('ids');
    this.faultRandom = random.fork('faults');
    this.timing = random.fork('timing');
    for (const image of o.preloadedImages) this.images.set(image, imageRef(image));
  }

  hasImage(image: string): boolean {
    return this.images.has(image);
  }

  pullImage(image: string): Promise<RuntimeResult<{ readonly imageRef: string }>> {
    const inFlight = this.pulls.get(image);
    if (inFlight !== undefined) return inFlight;
    const pull = this.doPull(image);
    this.pulls.set(image, pull);
    return pull;
  }

  async runPodSandbox(
    config: SandboxConfig,
  ): Promise<RuntimeResult<{ readonly sandboxId: string }>> {
    await this.clock.sleep(this.options.sandboxCreateUs);
    const id = this.newId();
    this.sandboxes.set(id, { id, config, ready: true });
    this.debug('runtime.sandbox-run', { sandbox: id, pod: `${config.namespace}/${config.name}` });
    return ok({ sandboxId: id });
  }

  /** Forcibly stops every process of the sandbox (CRI StopPodSandbox), then marks it not ready. */
  async stopPodSandbox(sandboxId: string): Promise<RuntimeResult<void>> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (sandbox === undefined) return ok(undefined);
    await this.clock.sleep(this.options.sandboxStopUs);
    for (const c of this.containers.values()) {
      if (c.sandboxId === sandboxId && c.state === 'running') this.exit(c, EXIT_CODE_SIGKILL);
    }
    sandbox.ready = false;
    return ok(undefined);
  }

  async removePodSandbox(sandboxId: string): Promise<RuntimeResult<void>> {
    if (!this.sandboxes.has(sandboxId)) return ok(undefined);
    await this.clock.sleep(this.options.containerRemoveUs);
    for (const c of [...this.containers.values()]) {
      if (c.sandboxId !== sandboxId) continue;
      if (c.state === 'running') this.exit(c, EXIT_CODE_SIGKILL);
      this.containers.delete(c.id);
    }
    this.sandboxes.delete(sandboxId);
    this.sorted = undefined;
    return ok(undefined);
  }

  async createContainer(
    sandboxId: string,
    config: ContainerConfig,
  ): Promise<RuntimeResult<{ readonly containerId: string }>> {
    await this.clock.sleep(this.options.containerCreateUs);
    const sandbox = this.sandboxes.get(sandboxId);
    if (sandbox === undefined || !sandbox.ready) {
      return fail('SandboxNotReady', `sandbox ${sandboxId} is not ready`);
    }
    if (!this.images.has(config.image)) {
      return fail('ImageNotFound', `image "${config.image}" is not present on the node`);
    }
    const id = this.newId();
    const record: ContainerRecord = {
      id,
      sandboxId,
      name: config.name,
      image: config.image,
      behaviour: containerBehaviour(config),
      state: 'created',
      timers: [],
      waiters: [],
      status: undefined as unknown as ContainerStatus,
    };
    this.refresh(record);
    this.containers.set(id, record);
    return ok({ containerId: id });
  }

  async startContainer(containerId: string): Promise<RuntimeResult<void>> {
    await this.clock.sleep(this.options.containerStartUs);
    const c = this.containers.get(containerId);
    if (c === undefined) return fail('NotFound', `container ${containerId} not found`);
    if (c.state !== 'created')
      return fail('InvalidState', `container ${containerId} is ${c.state}, not created`);
    const faults = this.options.faults;
    if (chance(this.faultRandom, faults.containerStartFailureProbability)) {
      this.trace.emit('runtime.fault', { fault: 'container-start', container: c.name, id: c.id });
      c.startedAtUs = this.clock.now();
      this.exit(c, EXIT_CODE_START_ERROR, 'StartError');
      return fail('StartError', 'failed to create containerd task: injected start failure');
    }
    c.state = 'running';
    c.startedAtUs = this.clock.now();
    this.refresh(c);
    this.scheduleSelfExit(c);
    return ok(undefined);
  }

  /**
   * SIGTERM, then SIGKILL when `gracePeriodUs` runs out; resolves once the container has
   * exited. A second stop with a shorter grace brings the kill forward, never back.
   */
  async stopContainer(containerId: string, gracePeriodUs: number): Promise<RuntimeResult<void>> {
    const c = this.containers.get(containerId);
    if (c === undefined) return fail('NotFound', `container ${containerId} not found`);
    if (c.state !== 'running') return ok(undefined);
    const now = this.clock.now();
    const killAtUs = now + Math.max(0, gracePeriodUs);
    if (c.killAtUs === undefined) {
      const shutdownUs = c.behaviour.shutdownUs ?? this.drawShutdownUs();
      if (shutdownUs < gracePeriodUs) {
        c.timers.push(this.clock.setTimer(shutdownUs, () => this.exit(c, 0)));
      }
    }
    if (c.killAtUs === undefined || killAtUs < c.killAtUs) {
      c.killAtUs = killAtUs;
      c.timers.push(this.clock.setTimer(killAtUs - now, () => this.exit(c, EXIT_CODE_SIGKILL)));
    }
    await new Promise<void>((resolve) => c.waiters.push(resolve));
    return ok(undefined);
  }

  async removeContainer(containerId: string): Promise<RuntimeResult<void>> {
    const c = this.containers.get(containerId);
    if (c === undefined) return ok(undefined);
    if (c.state === 'running') return fail('InvalidState', `container ${containerId} is running`);
    await this.clock.sleep(this.options.containerRemoveUs);
    this.containers.delete(containerId);
    this.sorted = undefined;
    return ok(undefined);
  }

  /**
   * All containers, sorted by id. The array is rebuilt only after a change, so a caller may
   * compare it by identity to skip work when nothing happened.
   */
  listContainers(): readonly ContainerStatus[] {
    if (this.sorted === undefined) {
      this.sorted = [...this.containers.values()]
        .map((c) => c.status)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    return this.sorted;
  }

  private async doPull(image: string): Promise<RuntimeResult<{ readonly imageRef: string }>> {
    const o = this.options;
    const present = this.images.has(image);
    const latencyUs = present
      ? o.imageCheckUs
      : o.imagePullUs + this.timing.int(o.imagePullJitterUs + 1);
    await this.clock.sleep(latencyUs);
    this.pulls.delete(image);
    if (chance(this.faultRandom, o.faults.imagePullFailureProbability)) {
      this.trace.emit('runtime.fault', { fault: 'image-pull', image });
      return fail(
        'ErrImagePull',
        `failed to pull and unpack image "${image}": injected pull failure`,
      );
    }
    const ref = imageRef(image);
    this.images.set(image, ref);
    this.debug('runtime.image-pulled', { image, latencyUs });
    return ok({ imageRef: ref });
  }

  private scheduleSelfExit(c: ContainerRecord): void {
    const faults = this.options.faults;
    const { exitAfterUs, exitCode } = c.behaviour;
    let crashAtUs: number | undefined;
    if (chance(this.faultRandom, faults.crashAfterStartProbability)) {
      crashAtUs = this.faultRandom.int(Math.max(1, faults.crashWithinUs));
    }
    if (crashAtUs !== undefined && (exitAfterUs === undefined || crashAtUs < exitAfterUs)) {
      c.timers.push(
        this.clock.setTimer(crashAtUs, () => {
          this.trace.emit('runtime.fault', { fault: 'crash', container: c.name, id: c.id });
          this.exit(c, 1);
        }),
      );
    } else if (exitAfterUs !== undefined) {
      c.timers.push(this.clock.setTimer(exitAfterUs, () => this.exit(c, exitCode)));
    }
  }

  private exit(c: ContainerRecord, exitCode: number, reason?: string): void {
    if (c.state === 'exited') return;
    for (const t of c.timers) this.clock.cancelTimer(t);
    c.timers = [];
    c.state = 'exited';
    c.finishedAtUs = this.clock.now();
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    this.refresh(c);
    this.debug('runtime.container-exit', { id: c.id, exitCode });
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters) w();
  }

  /** Rebuilds the container's immutable status snapshot and invalidates the sorted list. */
  private refresh(c: ContainerRecord): void {
    c.status = {
      id: c.id,
      sandboxId: c.sandboxId,
      name: c.name,
      image: c.image,
      state: c.state,
      ...(c.startedAtUs === undefined ? {} : { startedAtUs: c.startedAtUs }),
      ...(c.finishedAtUs === undefined ? {} : { finishedAtUs: c.finishedAtUs }),
      ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
      ...(c.reason === undefined ? {} : { reason: c.reason }),
    };
    this.sorted = undefined;
  }

  private drawShutdownUs(): number {
    const { shutdownMinUs, shutdownMaxUs } = this.options;
    return shutdownMinUs + this.timing.int(shutdownMaxUs - shutdownMinUs + 1);
  }

  /** 64 hex digits, like containerd's ids, drawn from this machine's id stream. */
  private newId(): string {
    let id = '';
    for (let i = 0; i < 8; i++) id += this.ids.int(0x1_0000_0000).toString(16).padStart(8, '0');
    return id;
  }

  private debug<K extends DebugTraceKind>(kind: K, ...fields: TraceFieldsArgs<K>): void {
    if (this.trace.debugEnabled) this.trace.debug(kind, ...fields);
  }
}

/** A content-addressed reference for an image name: "repo@sha256:<digest of the name>". */
function imageRef(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repo = colon > slash ? image.slice(0, colon) : image;
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}
