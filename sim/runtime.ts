import { createHash } from 'node:crypto';
import type { Clock, TimerId } from '../core/ports/clock.ts';
import type { ProcessPorts } from '../core/ports/process.ts';
import { parseCidr, parseIPv4 } from '../core/kubelet/pod-ip.ts';
import { chance, uid, type Random } from '../core/ports/random.ts';
import type {
  GrpcHealthAnswer,
  HttpGetAnswer,
  HttpGetRequest,
  ProbeNetwork,
  TcpConnectAnswer,
} from '../core/ports/probe-network.ts';
import type {
  AttachSession,
  ContainerConfig,
  ContainerState,
  ContainerResources,
  ContainerStats,
  ContainerStatus,
  EventSubscription,
  ExecResult,
  ExecSession,
  ExecStreams,
  ExecSyncResult,
  FilesystemUsage,
  ImageInfo,
  ImageStatus,
  LogChunk,
  Runtime,
  RuntimeConfig,
  RuntimeEvent,
  RuntimeEventHandlers,
  RuntimeResult,
  SandboxConfig,
  SandboxNetwork,
  SandboxStatus,
} from '../core/ports/runtime.ts';
import { failedAttachSession, failedExecSession, notRunning } from '../core/ports/runtime.ts';
import type { Trace } from '../core/ports/trace.ts';
import type { DebugTraceKind, TraceFieldsArgs } from '../core/trace/types.ts';
import { assert } from '../core/util/assert.ts';
import { PodIpAllocator } from './ipam.ts';
import { containerBehaviour, type ContainerBehaviour } from './runtime-behaviour.ts';
import { Usage } from './usage-model.ts';
import { ContainerLog, logModel, type LogModel } from './container-log.ts';
import { execInContainer, type ExecWorld } from './exec-commands.ts';
import { MainProcess } from './main-process.ts';
import { startExecSession } from './exec-session.ts';
import {
  execCommand,
  healthBehaviour,
  listening,
  unhealthy,
  type HealthBehaviour,
} from './container-health.ts';

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
  /**
   * Bytes each image takes on the image filesystem, by image name as pods name it; an image
   * not listed takes `defaultImageSizeBytes`. Images count against the node's disk (nodefs and
   * imagefs are one filesystem here), so image garbage collection has something to free.
   */
  readonly imageSizesBytes: Readonly<Record<string, number>>;
  readonly defaultImageSizeBytes: number;
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
  imageSizesBytes: {},
  // Zero keeps images out of the disk accounting unless a scenario sizes them.
  defaultImageSizeBytes: 0,
  faults: NO_RUNTIME_FAULTS,
};

export type RuntimeMachinePorts = Pick<ProcessPorts, 'clock' | 'random' | 'trace'>;

/** Exit code of a process killed by SIGKILL (128 + 9), as runc reports it. */
export const EXIT_CODE_SIGKILL = 137;
/** What containerd reports for a task that failed to start. */
export const EXIT_CODE_START_ERROR = 128;

/** The container that accepted a connection of service traffic, and the pod it belongs to. */
export interface ServingContainer {
  readonly containerId: string;
  /** namespace/name. */
  readonly pod: string;
  readonly podUid: string;
  readonly behaviour: ContainerBehaviour;
}

interface SandboxRecord {
  readonly id: string;
  /** The pod IP this sandbox holds from the IPAM, until the sandbox stops. */
  heldIP: string | undefined;
  status: SandboxStatus;
}

interface ContainerRecord {
  readonly id: string;
  readonly sandboxId: string;
  readonly name: string;
  readonly attempt: number;
  readonly image: string;
  readonly behaviour: ContainerBehaviour;
  readonly health: HealthBehaviour;
  readonly config: ContainerConfig;
  readonly logModel: LogModel;
  /** What it wrote, from its start on (container-log.ts). */
  log: ContainerLog | undefined;
  /** Its main process's stdio while it runs, for attached clients (main-process.ts). */
  main: MainProcess | undefined;
  readonly limits: ContainerResources;
  cpu: Usage | undefined;
  memory: Usage | undefined;
  disk: Usage | undefined;
  inodes: Usage | undefined;
  processes: Usage | undefined;
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
 * with codes, and typed faults inject failures. Pod IPs come from the pod CIDR the kubelet
 * configures, as CNI host-local allocates them; a sandbox's DNS config and hostPorts are
 * accepted but not acted on yet (hostPorts will become DNAT rules in the node's netfilter, as
 * the CNI portmap plugin writes them). Everything lives in memory, so a machine
 * crash — the node process crashing, since the runtime is built inside its factory — loses
 * every container and every cached image, and the operations pending on the process's clock
 * never complete.
 *
 * Events go to subscribers at the moment of the change. Every change happens in a timer or
 * after a latency, never synchronously inside a call, so a handler never runs inside one; and
 * a status read right after an event agrees with it. Queries (status, lists) take no time.
 */
export class SimRuntime implements Runtime, ProbeNetwork {
  private readonly options: SimRuntimeOptions;
  private readonly clock: Clock;
  private readonly trace: Trace;
  private readonly ids: Random;
  private readonly netns: Random;
  private readonly faultRandom: Random;
  private readonly timing: Random;
  /** Each container's own stream (crashes, random walks) is a fork of this by container id. */
  private readonly behaviourRandom: Random;
  /** Images on the machine by the name they were pulled as. */
  private readonly images = new Map<string, ImageInfo>();
  private readonly pulls = new Map<string, Promise<RuntimeResult<ImageStatus>>>();
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly subscribers: RuntimeEventHandlers[] = [];
  private ipam: PodIpAllocator | undefined;
  /** The list answers, rebuilt only after a change (so equal answers are the same object). */
  private containerList: RuntimeResult<readonly ContainerStatus[]> | undefined;
  private sandboxList: RuntimeResult<readonly SandboxStatus[]> | undefined;
  /** Counts the changes that dropped a list answer (Runtime.listsVersion). */
  private listChanges = 0;
  private readonly listsListeners: (() => void)[] = [];

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
    this.netns = random.fork('netns');
    this.faultRandom = random.fork('faults');
    this.timing = random.fork('timing');
    this.behaviourRandom = random.fork('behaviour');
    for (const image of o.preloadedImages) this.addImage(image);
  }

  async updateRuntimeConfig(config: RuntimeConfig): Promise<RuntimeResult<void>> {
    const cidr = parseCidr(config.podCIDR);
    if (cidr === undefined) return fail('InvalidArgument', `bad pod CIDR ${config.podCIDR}`);
    // host-local keeps its allocations when the range stays; a new range starts afresh.
    if (this.ipam?.cidr.base !== cidr.base || this.ipam.cidr.prefixLength !== cidr.prefixLength)
      this.ipam = new PodIpAllocator(cidr);
    return ok(undefined);
  }

  async imageStatus(image: string): Promise<RuntimeResult<ImageStatus | undefined>> {
    const info = this.images.get(image);
    return ok(info === undefined ? undefined : { imageRef: imageRef(image) });
  }

  async listImages(): Promise<RuntimeResult<readonly ImageInfo[]>> {
    return ok(sortById([...this.images.values()]));
  }

  /**
   * Removes the image (by id or name) after the remove latency. Containers already created
   * from it keep running, as a snapshot outlives its image; new ones fail with ImageNotFound.
   */
  async removeImage(image: string): Promise<RuntimeResult<void>> {
    const name = this.imageName(image);
    if (name === undefined) return ok(undefined);
    await this.clock.sleep(this.options.containerRemoveUs);
    this.images.delete(name);
    return ok(undefined);
  }

  async imageFsInfo(): Promise<RuntimeResult<FilesystemUsage>> {
    let usedBytes = 0;
    for (const i of this.images.values()) usedBytes += i.sizeBytes;
    return ok({ usedBytes });
  }

  pullImage(image: string): Promise<RuntimeResult<ImageStatus>> {
    const inFlight = this.pulls.get(image);
    if (inFlight !== undefined) return inFlight;
    const pull = this.doPull(image);
    this.pulls.set(image, pull);
    return pull;
  }

  /** Creates the sandbox and sets up its network: a pod IP from the IPAM and a namespace. */
  async runPodSandbox(
    config: SandboxConfig,
  ): Promise<RuntimeResult<{ readonly sandboxId: string }>> {
    await this.clock.sleep(this.options.sandboxCreateUs);
    let network: SandboxNetwork = { kind: 'host' };
    let heldIP: string | undefined;
    if (!config.hostNetwork) {
      const ipam = this.ipam;
      if (ipam === undefined)
        return fail('NetworkNotReady', 'network plugin not ready: no pod CIDR configured');
      heldIP = ipam.allocate();
      if (heldIP === undefined)
        return fail(
          'NetworkSetupFailed',
          `failed to set up sandbox network: ${ipam.exhaustedMessage()}`,
        );
      network = {
        kind: 'pod',
        ip: heldIP,
        prefixLength: ipam.cidr.prefixLength,
        gateway: ipam.gateway,
        netnsPath: `/var/run/netns/cni-${uid(this.netns)}`,
      };
    }
    const id = this.newId();
    const status: SandboxStatus = {
      id,
      podUid: config.podUid,
      name: config.name,
      namespace: config.namespace,
      attempt: config.attempt,
      state: 'ready',
      createdAtUs: this.clock.now(),
      network,
    };
    this.sandboxes.set(id, { id, heldIP, status });
    this.sandboxList = undefined;
    this.listsChanged();
    this.debug('runtime.sandbox-run', { sandbox: id, pod: `${config.namespace}/${config.name}` });
    return ok({ sandboxId: id });
  }

  async podSandboxStatus(sandboxId: string): Promise<RuntimeResult<SandboxStatus>> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (sandbox === undefined) return fail('NotFound', `sandbox ${sandboxId} not found`);
    return ok(sandbox.status);
  }

  /**
   * Forcibly stops every process of the sandbox (CRI StopPodSandbox), tears its network down
   * (the pod IP goes back to the IPAM, as CNI DEL does) and marks it not ready.
   */
  async stopPodSandbox(sandboxId: string): Promise<RuntimeResult<void>> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (sandbox === undefined) return ok(undefined);
    await this.clock.sleep(this.options.sandboxStopUs);
    this.stopSandbox(sandbox);
    return ok(undefined);
  }

  async removePodSandbox(sandboxId: string): Promise<RuntimeResult<void>> {
    const sandbox = this.sandboxes.get(sandboxId);
    if (sandbox === undefined) return ok(undefined);
    await this.clock.sleep(this.options.containerRemoveUs);
    this.stopSandbox(sandbox);
    for (const c of [...this.containers.values()]) if (c.sandboxId === sandboxId) this.remove(c);
    this.sandboxes.delete(sandboxId);
    this.sandboxList = undefined;
    this.listsChanged();
    return ok(undefined);
  }

  listsVersion(): number {
    return this.listChanges;
  }

  onListsChanged(onChange: () => void): void {
    this.listsListeners.push(onChange);
  }

  private listsChanged(): void {
    this.listChanges++;
    for (const l of this.listsListeners) l();
  }

  async listPodSandboxes(): Promise<RuntimeResult<readonly SandboxStatus[]>> {
    this.sandboxList ??= ok(sortById([...this.sandboxes.values()].map((s) => s.status)));
    return this.sandboxList;
  }

  async createContainer(
    sandboxId: string,
    config: ContainerConfig,
  ): Promise<RuntimeResult<{ readonly containerId: string }>> {
    await this.clock.sleep(this.options.containerCreateUs);
    const sandbox = this.sandboxes.get(sandboxId);
    if (sandbox === undefined || sandbox.status.state !== 'ready') {
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
      attempt: config.attempt,
      image: config.image,
      behaviour: containerBehaviour(config),
      health: healthBehaviour(config),
      config,
      logModel: logModel(config),
      log: undefined,
      main: undefined,
      limits: config.resources ?? {},
      cpu: undefined,
      memory: undefined,
      disk: undefined,
      inodes: undefined,
      processes: undefined,
      state: 'created',
      timers: [],
      waiters: [],
      status: undefined as unknown as ContainerStatus,
    };
    this.refresh(record);
    this.containers.set(id, record);
    this.publish({ kind: 'container-created', container: record.status });
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
    c.log = new ContainerLog(
      c.logModel,
      c.startedAtUs,
      this.behaviourRandom.fork(c.id).fork('log'),
    );
    this.refresh(c);
    c.main = new MainProcess(this.clock, c.config, this.execWorld(c), c.log, (code) =>
      this.exit(c, code),
    );
    this.scheduleSelfExit(c);
    this.publish({ kind: 'container-started', container: c.status });
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
    // Gone meanwhile, with its sandbox.
    if (this.containers.get(containerId) !== c) return ok(undefined);
    this.remove(c);
    return ok(undefined);
  }

  /**
   * All containers, sorted by id. The answer is rebuilt only after a change, so a caller may
   * compare it by identity to skip work when nothing happened.
   */
  async listContainers(): Promise<RuntimeResult<readonly ContainerStatus[]>> {
    this.containerList ??= ok(sortById([...this.containers.values()].map((c) => c.status)));
    return this.containerList;
  }

  /**
   * What each running container uses now (usage-model.ts); CPU is throttled at its limit.
   * Containers that declare no use report none.
   */
  async listContainerStats(): Promise<RuntimeResult<readonly ContainerStats[]>> {
    const stats: ContainerStats[] = [];
    for (const c of this.containers.values()) {
      if (c.state !== 'running') continue;
      const since = this.sinceStartUs(c);
      const cpu = Math.round(c.cpu?.at(since) ?? 0);
      const cap = c.limits.cpuLimitMillicores;
      stats.push({
        id: c.id,
        cpuMillicores: cap === undefined ? cpu : Math.min(cap, cpu),
        // Memory comes in 4 KiB pages.
        memoryWorkingSetBytes: Math.round((c.memory?.at(since) ?? 0) / PAGE_BYTES) * PAGE_BYTES,
        rootfsBytes: Math.round(c.disk?.at(since) ?? 0),
        inodesUsed: Math.round(c.inodes?.at(since) ?? 0),
        processes: Math.max(1, Math.round(c.processes?.at(since) ?? 1)),
      });
    }
    return ok(sortById(stats));
  }

  /** Runs the command as the container's behaviour model says (container-health.ts). */
  async execSync(
    containerId: string,
    command: readonly string[],
    timeoutUs: number,
  ): Promise<RuntimeResult<ExecSyncResult>> {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running') return fail('NotFound', notRunning(containerId));
    const outcome = execCommand(c.health, command, this.sinceStartUs(c));
    if (outcome.durationUs > timeoutUs) {
      await this.clock.sleep(timeoutUs);
      return fail('DeadlineExceeded', `command "${command.join(' ')}" timed out`);
    }
    await this.clock.sleep(outcome.durationUs);
    if (c.state !== 'running') return fail('Unknown', `container ${containerId} exited`);
    return ok({ exitCode: outcome.exitCode, output: outcome.output });
  }

  /** Runs a user's command as exec-commands.ts models it. */
  async exec(
    containerId: string,
    command: readonly string[],
    timeoutUs: number,
  ): Promise<RuntimeResult<ExecResult>> {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running') return fail('NotFound', notRunning(containerId));
    const sandbox = this.sandboxes.get(c.sandboxId);
    const answer = execInContainer(
      {
        config: c.config,
        health: c.health,
        hostname: sandbox?.status.name ?? '',
        sinceStartUs: this.sinceStartUs(c),
      },
      command,
    );
    await this.clock.sleep(c.health.latencyUs);
    if (answer.kind === 'not-found') return fail('ExecError', answer.message);
    if (answer.durationUs > timeoutUs) {
      await this.clock.sleep(timeoutUs);
      return fail('DeadlineExceeded', `command "${command.join(' ')}" timed out`);
    }
    await this.clock.sleep(answer.durationUs);
    if (c.state !== 'running') return fail('Unknown', `container ${containerId} exited`);
    return ok(answer.result);
  }

  /** A user's exec with stdin or a terminal, as exec-session.ts models it. */
  execStream(
    containerId: string,
    command: readonly string[],
    streams: ExecStreams,
    timeoutUs: number,
  ): ExecSession {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running') return failedExecSession('NotFound', notRunning(containerId));
    const sandbox = this.sandboxes.get(c.sandboxId);
    const world = {
      config: c.config,
      health: c.health,
      hostname: sandbox?.status.name ?? '',
      sinceStartUs: this.sinceStartUs(c),
    };
    return startExecSession(
      this.clock,
      world,
      command,
      streams,
      timeoutUs,
      () => c.state === 'running',
    );
  }

  /** A client attached to the main process (main-process.ts). */
  attach(containerId: string, streams: ExecStreams): AttachSession {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running' || c.main === undefined)
      return failedAttachSession('NotFound', notRunning(containerId));
    return c.main.attach(streams);
  }

  /** What a command in the container sees of it (its shell's files, hostname, terminal). */
  private execWorld(c: ContainerRecord): ExecWorld {
    const runtime = this;
    return {
      config: c.config,
      health: c.health,
      hostname: this.sandboxes.get(c.sandboxId)?.status.name ?? '',
      get sinceStartUs() {
        return runtime.sinceStartUs(c);
      },
      tty: c.config.tty === true,
    };
  }

  /** The lines the container wrote so far (container-log.ts); read lazily, up to now. */
  async readContainerLog(containerId: string, cursor: number): Promise<RuntimeResult<LogChunk>> {
    const c = this.containers.get(containerId);
    if (c === undefined) return fail('NotFound', `container ${containerId} not found`);
    if (c.log === undefined) return ok({ lines: [], cursor, ended: c.state === 'exited' });
    const untilUs = c.state === 'exited' ? (c.finishedAtUs ?? this.clock.now()) : this.clock.now();
    const read = c.log.read(cursor, untilUs);
    return ok({
      lines: read.lines,
      cursor: read.cursor,
      ended: c.state === 'exited' && c.log.drained(read.cursor),
    });
  }

  async httpGet(request: HttpGetRequest, timeoutUs: number): Promise<HttpGetAnswer> {
    return this.dial(request.host, request.port, timeoutUs, (c) =>
      unhealthy(c.health, request.path, this.sinceStartUs(c))
        ? { kind: 'response', statusCode: 500, body: 'unhealthy' }
        : { kind: 'response', statusCode: 200, body: 'ok' },
    );
  }

  async tcpConnect(host: string, port: number, timeoutUs: number): Promise<TcpConnectAnswer> {
    return this.dial(host, port, timeoutUs, () => ({ kind: 'connected' }));
  }

  async grpcHealthCheck(
    host: string,
    port: number,
    service: string,
    timeoutUs: number,
  ): Promise<GrpcHealthAnswer> {
    return this.dial(host, port, timeoutUs, (c) => ({
      kind: 'status',
      status: unhealthy(c.health, service, this.sinceStartUs(c)) ? 'NOT_SERVING' : 'SERVING',
    }));
  }

  subscribeEvents(handlers: RuntimeEventHandlers): EventSubscription {
    this.subscribers.push(handlers);
    return {
      close: () => {
        const i = this.subscribers.indexOf(handlers);
        if (i >= 0) this.subscribers.splice(i, 1);
      },
    };
  }

  /**
   * Who accepts a connection of service traffic (sim/traffic) to host:port now: the running
   * container that listens there, unless it got SIGTERM (a server closes its listener when told
   * to stop; a preStop hook runs before that). 'refused': the address is a sandbox's but nothing
   * listens on the port; 'unreachable': no sandbox of this machine holds the address.
   */
  accept(host: string, port: number): ServingContainer | 'refused' | 'unreachable' {
    const target = this.listener(host, port);
    if (target === 'unreachable') return 'unreachable';
    if (target === undefined || target.killAtUs !== undefined) return 'refused';
    const sandbox = this.sandboxes.get(target.sandboxId);
    assert(sandbox !== undefined, `container ${target.id} outlived its sandbox`);
    const s = sandbox.status;
    return {
      containerId: target.id,
      pod: `${s.namespace}/${s.name}`,
      podUid: s.podUid,
      behaviour: target.behaviour,
    };
  }

  /** The running containers, by sandbox and name (the invariant checkers' view). */
  runningContainers(): { readonly sandboxId: string; readonly name: string }[] {
    const running: { sandboxId: string; name: string }[] = [];
    for (const c of this.containers.values())
      if (c.state === 'running') running.push({ sandboxId: c.sandboxId, name: c.name });
    return running;
  }

  /** The container still runs: an answer it computes can go out. */
  isRunning(containerId: string): boolean {
    return this.containers.get(containerId)?.state === 'running';
  }

  /**
   * A connection from the node to host:port: the running container of a ready sandbox with
   * that IP (or of a host-network sandbox) that listens on the port answers after its latency;
   * a port nobody listens on refuses; an address that is not on this machine never answers.
   */
  private async dial<A>(
    host: string,
    port: number,
    timeoutUs: number,
    answer: (c: ContainerRecord) => A,
  ): Promise<A | { readonly kind: 'refused' } | { readonly kind: 'timeout' }> {
    const target = this.listener(host, port);
    if (target === 'unreachable') {
      await this.clock.sleep(timeoutUs);
      return { kind: 'timeout' };
    }
    if (target === undefined) return { kind: 'refused' };
    const latencyUs = target.health.latencyUs;
    if (latencyUs > timeoutUs) {
      await this.clock.sleep(timeoutUs);
      return { kind: 'timeout' };
    }
    await this.clock.sleep(latencyUs);
    if (target.state !== 'running') return { kind: 'refused' };
    return answer(target);
  }

  private listener(host: string, port: number): ContainerRecord | undefined | 'unreachable' {
    let hostNetwork = true;
    const sandboxes = new Set<string>();
    for (const s of this.sandboxes.values()) {
      if (s.status.state !== 'ready') continue;
      if (s.status.network.kind === 'pod' && s.status.network.ip === host) {
        hostNetwork = false;
        sandboxes.clear();
        sandboxes.add(s.id);
        break;
      }
      if (s.status.network.kind === 'host') sandboxes.add(s.id);
    }
    if (hostNetwork && this.ipam?.cidr !== undefined && this.inPodRange(host)) return 'unreachable';
    for (const c of this.containers.values()) {
      if (c.state === 'running' && sandboxes.has(c.sandboxId)) {
        if (listening(c.health, port, this.sinceStartUs(c))) return c;
      }
    }
    return undefined;
  }

  /** An address of this node's pod range that no sandbox holds: nothing answers there. */
  private inPodRange(host: string): boolean {
    const cidr = this.ipam?.cidr;
    const ip = parseIPv4(host);
    if (cidr === undefined || ip === undefined) return false;
    return ip >= cidr.base && ip < cidr.base + 2 ** (32 - cidr.prefixLength);
  }

  private addImage(image: string): void {
    const o = this.options;
    const ref = imageRef(image);
    this.images.set(image, {
      id: `sha256:${ref.slice(ref.lastIndexOf(':') + 1)}`,
      repoTags: image.includes('@') ? [] : [image],
      repoDigests: [ref],
      sizeBytes: o.imageSizesBytes[image] ?? o.defaultImageSizeBytes,
      pinned: false,
    });
  }

  /** The name an image id, name or digest reference was pulled as. */
  private imageName(image: string): string | undefined {
    if (this.images.has(image)) return image;
    for (const [name, info] of this.images)
      if (info.id === image || info.repoDigests.includes(image)) return name;
    return undefined;
  }

  private sinceStartUs(c: ContainerRecord): number {
    return this.clock.now() - (c.startedAtUs ?? this.clock.now());
  }

  private async doPull(image: string): Promise<RuntimeResult<ImageStatus>> {
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
    if (!this.images.has(image)) this.addImage(image);
    this.debug('runtime.image-pulled', { image, latencyUs });
    return ok({ imageRef: imageRef(image) });
  }

  /**
   * The earliest of the container's own exit, its OOM kill (declared, or its memory use
   * crossing its limit), an injected crash and a crash its behaviour draws.
   */
  private scheduleSelfExit(c: ContainerRecord): void {
    const faults = this.options.faults;
    const { exitAfterUs, exitCode } = c.behaviour;
    const own = this.behaviourRandom.fork(c.id);
    c.cpu = c.behaviour.cpu === undefined ? undefined : new Usage(c.behaviour.cpu, own.fork('cpu'));
    c.memory =
      c.behaviour.memory === undefined
        ? undefined
        : new Usage(c.behaviour.memory, own.fork('memory'));
    c.disk =
      c.behaviour.disk === undefined ? undefined : new Usage(c.behaviour.disk, own.fork('disk'));
    c.inodes =
      c.behaviour.inodes === undefined
        ? undefined
        : new Usage(c.behaviour.inodes, own.fork('inodes'));
    c.processes =
      c.behaviour.processes === undefined
        ? undefined
        : new Usage(c.behaviour.processes, own.fork('processes'));
    const oomAfterUs = earliestOf(c.behaviour.oomAfterUs, this.memoryCrossing(c));
    let crashAtUs = behaviourCrash(c.behaviour, own.fork('crash'));
    if (chance(this.faultRandom, faults.crashAfterStartProbability)) {
      crashAtUs = earliestOf(crashAtUs, this.faultRandom.int(Math.max(1, faults.crashWithinUs)));
    }
    const first = (...us: (number | undefined)[]): number =>
      Math.min(...us.map((u) => u ?? Infinity));
    const endUs = first(exitAfterUs, oomAfterUs, crashAtUs);
    if (endUs === Infinity) return;
    let end: () => void;
    if (endUs === crashAtUs && crashAtUs < first(exitAfterUs, oomAfterUs)) {
      end = () => {
        if (c.behaviour.crashProbability === 0)
          this.trace.emit('runtime.fault', { fault: 'crash', container: c.name, id: c.id });
        this.exit(c, 1);
      };
    } else if (endUs === oomAfterUs && oomAfterUs < first(exitAfterUs)) {
      end = () => this.exit(c, EXIT_CODE_SIGKILL, 'OOMKilled');
    } else {
      end = () => this.exit(c, exitCode);
    }
    c.timers.push(this.clock.setTimer(endUs, end));
  }

  /** When the container's memory use first exceeds its limit (a walk is looked at a day ahead). */
  private memoryCrossing(c: ContainerRecord): number | undefined {
    const limit = c.limits.memoryLimitBytes;
    if (limit === undefined || c.memory === undefined) return undefined;
    return c.memory.firstAbove(limit, 0, MEMORY_HORIZON_US);
  }

  private exit(c: ContainerRecord, exitCode: number, reason?: string): void {
    if (c.state === 'exited') return;
    for (const t of c.timers) this.clock.cancelTimer(t);
    c.timers = [];
    c.state = 'exited';
    c.finishedAtUs = this.clock.now();
    c.exitCode = exitCode;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    c.main?.exit();
    c.main = undefined;
    this.refresh(c);
    this.debug('runtime.container-exit', { id: c.id, exitCode });
    this.publish({ kind: 'container-exited', container: c.status });
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters) w();
  }

  private remove(c: ContainerRecord): void {
    if (c.state === 'running') this.exit(c, EXIT_CODE_SIGKILL);
    this.containers.delete(c.id);
    this.containerList = undefined;
    this.listsChanged();
    this.publish({ kind: 'container-removed', container: c.status });
  }

  /** Kills the sandbox's containers, frees its IP and marks it not ready (once). */
  private stopSandbox(sandbox: SandboxRecord): void {
    for (const c of this.containers.values()) {
      if (c.sandboxId === sandbox.id && c.state === 'running') this.exit(c, EXIT_CODE_SIGKILL);
    }
    if (sandbox.heldIP !== undefined) this.ipam?.release(sandbox.heldIP);
    sandbox.heldIP = undefined;
    if (sandbox.status.state === 'notready') return;
    sandbox.status = { ...sandbox.status, state: 'notready' };
    this.sandboxList = undefined;
    this.listsChanged();
    this.publish({ kind: 'sandbox-stopped', sandbox: sandbox.status });
  }

  private publish(event: RuntimeEvent): void {
    for (const s of this.subscribers) s.onEvent(event);
  }

  /** Rebuilds the container's immutable status snapshot and invalidates the list. */
  private refresh(c: ContainerRecord): void {
    c.status = {
      id: c.id,
      sandboxId: c.sandboxId,
      name: c.name,
      attempt: c.attempt,
      image: c.image,
      state: c.state,
      ...(c.startedAtUs === undefined ? {} : { startedAtUs: c.startedAtUs }),
      ...(c.finishedAtUs === undefined ? {} : { finishedAtUs: c.finishedAtUs }),
      ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
      ...(c.reason === undefined ? {} : { reason: c.reason }),
    };
    this.containerList = undefined;
    this.listsChanged();
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

const MEMORY_HORIZON_US = 24 * 3600 * 1_000_000;
const PAGE_BYTES = 4096;

function earliestOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/**
 * A crash with probability p in each interval: the number of intervals survived is geometric,
 * so one draw gives the crash time (at the end of the fatal interval).
 */
function behaviourCrash(b: ContainerBehaviour, random: Random): number | undefined {
  const p = b.crashProbability;
  if (p <= 0) return undefined;
  if (p >= 1) return b.crashIntervalUs;
  const intervals = Math.max(1, Math.ceil(Math.log(1 - random.float()) / Math.log(1 - p)));
  return intervals * b.crashIntervalUs;
}

function sortById<T extends { readonly id: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
