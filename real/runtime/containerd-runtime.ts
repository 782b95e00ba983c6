/**
 * The Runtime port on containerd, for one node. A sandbox is a network namespace on the node's
 * bridge (real/network), not a pause container: nothing in ksim needs the sandbox to be a
 * process, and a namespace is what the pause container exists to hold open. Containers are
 * containerd containers whose tasks join that namespace, with the container's limits as cgroup
 * limits; their output goes through containerd's binary log driver (cri-log-driver.mjs, run by
 * the shim) into CRI-format log files under `dir`, so no client holds their output pipes and
 * the kubelet reads stdout and stderr lines with their times (readContainerLog).
 *
 * Container state comes from containerd's event stream (one `ctr events`): a task's exit event
 * carries its exit status, an OOM event before it makes the reason OOMKilled, as containerd's
 * own CRI plugin decides. The stream is subscribed before the runtime is handed out, so no
 * event of a container it made is missed; when it breaks, the runtime subscribes again and
 * settles what it missed from containerd's task list. Sandboxes and containers are saved
 * beside their files (runtime-state.ts), so a runtime restarted on the same directory finds
 * its pods, as the port promises ("what it reports survives a kubelet restart").
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type {
  AttachSession,
  ContainerConfig,
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
  SandboxStatus,
} from '../../core/ports/runtime.ts';
import { failedAttachSession, failedExecSession, notRunning } from '../../core/ports/runtime.ts';
import { attachToLog } from './log-attach.ts';
import { ctrError, isNotFound, type Ctr } from '../containerd/ctr.ts';
import { parseEventLine, type ContainerdEvent } from '../containerd/events.ts';
import type { PodAttachment, PodNetwork } from '../network/pod-network.ts';
import { parseImageList, parseSnapshotUsage, upperDirOf } from '../containerd/images.ts';
import { readCgroupSample } from './cgroup-stats.ts';
import { diskUsage } from './disk-usage.ts';
import { readCriLog } from './cri-log.ts';
import { startCtrExec } from './exec-session.ts';
import { HeldStdio } from './held-stdio.ts';
import {
  forgetContainer,
  loadPods,
  saveContainer,
  saveSandbox,
  type SavedContainer,
  type SavedSandbox,
} from './runtime-state.ts';

export interface ContainerdRuntimeOptions {
  readonly ctr: Ctr;
  readonly network: PodNetwork;
  /** Sandbox files: saved state, container logs, resolv.conf. Removed with each sandbox. */
  readonly dir: string;
  /** Unix microseconds; the wall clock unless a test gives another. */
  readonly nowUs?: () => number;
}

/** CFS period runc uses by default; a CPU limit is a quota per period. */
const CPU_PERIOD_US = 100_000;
/** containerd's CRI plugin reports a container whose task vanished as exit 255, "Unknown". */
const UNKNOWN_EXIT_CODE = 255;
/** How long a SIGKILLed container may take to be reported exited before stop gives up. */
const KILL_WAIT_MS = 10_000;
const CTR_TIMEOUT_MS = 30_000;
const RESUBSCRIBE_DELAY_MS = 500;

type SandboxRecord = SavedSandbox;

interface ContainerRecord extends SavedContainer {
  pid: number | undefined;
  exitWaiters: (() => void)[];
  cpuSample: { readonly usageNs: number; readonly atUs: number } | undefined;
  /** The writable layer's directory (its snapshot's overlay upperdir), once looked up. */
  upperDir: string | undefined;
  /** Called at containerd's task start event (a held-stdio start waits for it). */
  startWaiters: (() => void)[];
  /** The stdio of a container with stdin or a terminal, held by this runtime (held-stdio.ts). */
  stdio: HeldStdio | undefined;
}

const ok = <T>(value: T): RuntimeResult<T> => ({ ok: true, value });
const fail = <T>(reason: string, message: string): RuntimeResult<T> => ({
  ok: false,
  reason,
  message,
});

export class ContainerdRuntime implements Runtime {
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly subscribers = new Set<RuntimeEventHandlers>();
  private readonly nowUs: () => number;
  private events: ChildProcessWithoutNullStreams | undefined;
  private closed = false;
  private resubscribing = false;

  private constructor(private readonly options: ContainerdRuntimeOptions) {
    this.nowUs = options.nowUs ?? (() => Date.now() * 1000);
  }

  /** A runtime whose event stream is already subscribed. */
  static async start(options: ContainerdRuntimeOptions): Promise<ContainerdRuntime> {
    const runtime = new ContainerdRuntime(options);
    mkdirSync(options.dir, { recursive: true });
    await runtime.subscribeContainerd();
    await runtime.recover();
    return runtime;
  }

  /**
   * Reloads the sandboxes and containers an earlier runtime on the same directory saved, and
   * settles what happened while no runtime watched, as containerd's CRI plugin does on restart
   * (pkg/cri/server/restart.go): a task that stopped is deleted for its exit status; a task
   * that vanished is exit 255, reason Unknown. Called after subscribing, so nothing is missed.
   */
  private async recover(): Promise<void> {
    const pods = loadPods(this.options.dir);
    if (pods.length === 0) return;
    const tasks = await this.taskTable();
    for (const { sandbox, containers } of pods) {
      this.sandboxes.set(sandbox.id, sandbox);
      for (const saved of containers) {
        const c: ContainerRecord = {
          ...saved,
          pid: undefined,
          exitWaiters: [],
          cpuSample: undefined,
          upperDir: undefined,
          startWaiters: [],
          // Held by the runtime that started it: gone with it (README, real mode's "Not yet").
          stdio: undefined,
        };
        this.containers.set(c.id, c);
        await this.settleFromTask(c, tasks.get(c.id));
      }
    }
  }

  /**
   * Brings a container's state in line with its task as containerd lists it, for times the
   * event stream was not there to say (a restart, a broken stream).
   */
  private async settleFromTask(
    c: ContainerRecord,
    task: { readonly pid: number; readonly status: string } | undefined,
  ): Promise<void> {
    if (c.state === 'exited') return;
    if (task?.status === 'RUNNING') {
      c.state = 'running';
      c.pid = task.pid;
      this.save(c);
    } else if (task?.status === 'STOPPED') {
      const deleted = await this.options.ctr.run(['tasks', 'delete', c.id]);
      const exitCode = deletedExitCode(deleted.stderr, c.id);
      this.markExited(c, exitCode, exitReason(exitCode));
    } else if (c.state === 'running') {
      this.markExited(c, UNKNOWN_EXIT_CODE, 'Unknown');
    }
  }

  private markExited(c: ContainerRecord, exitCode: number, reason: string): void {
    if (c.state === 'exited') return;
    c.state = 'exited';
    c.exitCode = exitCode;
    c.reason = reason;
    // The runtime's clock, not containerd's timestamp: every time it reports is on one clock.
    c.finishedAtUs = this.nowUs();
    this.save(c);
    for (const w of c.exitWaiters.splice(0)) w();
    this.emit({ kind: 'container-exited', container: this.status(c) });
  }

  /** `ctr tasks ls`: id -> pid and status (RUNNING, STOPPED, CREATED ...). */
  private async taskTable(): Promise<Map<string, { pid: number; status: string }>> {
    const r = await this.options.ctr.run(['tasks', 'ls'], { timeoutMs: CTR_TIMEOUT_MS });
    const table = new Map<string, { pid: number; status: string }>();
    for (const line of r.stdout.split('\n').slice(1)) {
      const [id, pid, status] = line.trim().split(/\s+/);
      if (id !== undefined && id !== '' && status !== undefined) {
        table.set(id, { pid: Number(pid), status });
      }
    }
    return table;
  }

  /**
   * `ctr events` prints nothing when its subscription starts, so the runtime labels its own
   * namespace (an event on the same stream) and waits to see that event come back.
   */
  private subscribeContainerd(): Promise<void> {
    const { ctr } = this.options;
    const marker = `ksim.io/subscribed=${randomBytes(6).toString('hex')}`;
    const child = ctr.spawn(['events']);
    this.events = child;
    return new Promise((resolve, reject) => {
      let ready = false;
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (
          !ready &&
          line.includes('/namespaces/update') &&
          line.includes(marker.split('=')[1] ?? '')
        ) {
          ready = true;
          resolve();
          return;
        }
        const event = parseEventLine(line, ctr.namespace);
        if (event !== undefined) this.onContainerdEvent(event);
      });
      child.once('exit', () => {
        if (!ready) reject(new Error('ctr events exited before subscribing'));
        else this.onStreamLost();
      });
      const labelWhenListening = async (): Promise<void> => {
        while (!ready && !this.closed && child.exitCode === null && child.signalCode === null) {
          await ctr.run(['namespaces', 'label', ctr.namespace, marker]);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      void labelWhenListening();
    });
  }

  /**
   * The stream broke (containerd restarted, ctr died): subscribers hear so and relist, and the
   * runtime subscribes again, then settles the containers whose exit it may have missed.
   */
  private onStreamLost(): void {
    if (this.closed || this.resubscribing) return;
    for (const s of [...this.subscribers]) s.onClose('containerd event stream ended');
    this.subscribers.clear();
    this.resubscribing = true;
    void this.resubscribe();
  }

  private async resubscribe(): Promise<void> {
    while (!this.closed) {
      try {
        await this.subscribeContainerd();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, RESUBSCRIBE_DELAY_MS));
      }
    }
    this.resubscribing = false;
    if (this.closed) return;
    const tasks = await this.taskTable();
    for (const c of [...this.containers.values()]) {
      if (c.state === 'running') await this.settleFromTask(c, tasks.get(c.id));
    }
  }

  /** The `ctr events` process's id, while it runs. */
  get eventStreamPid(): number | undefined {
    return this.events?.exitCode === null ? this.events.pid : undefined;
  }

  /** Stops the event stream (the runtime's containers keep running). */
  close(): void {
    this.closed = true;
    this.events?.kill('SIGTERM');
  }

  private onContainerdEvent(event: ContainerdEvent): void {
    switch (event.kind) {
      case 'task-start': {
        const c = this.containers.get(event.containerId);
        // (An exec'd process starting is /tasks/exec-started, not this.)
        if (c !== undefined) {
          c.pid = event.pid;
          for (const w of c.startWaiters.splice(0)) w();
        }
        return;
      }
      case 'task-oom': {
        const c = this.containers.get(event.containerId);
        if (c !== undefined) c.oomKilled = true;
        return;
      }
      case 'task-exit': {
        const c = this.containers.get(event.containerId);
        // An exec'd process ending is not the container ending.
        if (c === undefined || event.processId !== event.containerId) return;
        const reason = c.oomKilled ? 'OOMKilled' : exitReason(event.exitStatus);
        this.markExited(c, event.exitStatus, reason);
        return;
      }
      case 'other':
        return;
    }
  }

  private emit(event: RuntimeEvent): void {
    // Handlers run on the loop, never inside the runtime call that caused the event.
    setImmediate(() => {
      for (const s of this.subscribers) s.onEvent(event);
    });
  }

  subscribeEvents(handlers: RuntimeEventHandlers): EventSubscription {
    this.subscribers.add(handlers);
    return { close: () => void this.subscribers.delete(handlers) };
  }

  async updateRuntimeConfig(config: RuntimeConfig): Promise<RuntimeResult<void>> {
    const r = await this.options.network.configure(config.podCIDR);
    if (!r.ok) return fail('InvalidArgument', r.message);
    // Sandboxes an earlier runtime made keep their addresses.
    for (const s of this.sandboxes.values()) {
      if (s.attachment !== undefined) this.options.network.reserve(s.attachment.ip);
    }
    return ok(undefined);
  }

  async pullImage(image: string): Promise<RuntimeResult<ImageStatus>> {
    const present = await this.imageStatus(image);
    if (!present.ok) return present;
    if (present.value !== undefined) return ok(present.value);
    return fail(
      'ErrImagePull',
      `image "${image}" is not on this node and real mode reaches no registry: ` +
        'run `ksim real image build` and name ksim.local/busybox:1',
    );
  }

  async imageStatus(image: string): Promise<RuntimeResult<ImageStatus | undefined>> {
    const r = await this.options.ctr.run(['images', 'ls'], { timeoutMs: CTR_TIMEOUT_MS });
    if (r.code !== 0) return fail('Unknown', ctrError(r));
    for (const line of r.stdout.split('\n').slice(1)) {
      const [ref, , digest] = line.split(/\s+/);
      if (ref === image && digest !== undefined) return ok({ imageRef: digest });
    }
    return ok(undefined);
  }

  async listImages(): Promise<RuntimeResult<readonly ImageInfo[]>> {
    const r = await this.options.ctr.run(['images', 'ls'], { timeoutMs: CTR_TIMEOUT_MS });
    if (r.code !== 0) return fail('Unknown', ctrError(r));
    return ok(parseImageList(r.stdout));
  }

  /**
   * Removes every name of the image (by id, tag or digest name) and waits for containerd's
   * garbage collection to free its content and snapshots (`ctr images rm --sync`).
   */
  async removeImage(image: string): Promise<RuntimeResult<void>> {
    const images = await this.listImages();
    if (!images.ok) return images;
    const target = images.value.find(
      (i) => i.id === image || i.repoTags.includes(image) || i.repoDigests.includes(image),
    );
    if (target === undefined) return ok(undefined);
    const refs = await this.options.ctr.run(['images', 'ls', '-q'], { timeoutMs: CTR_TIMEOUT_MS });
    if (refs.code !== 0) return fail('Unknown', ctrError(refs));
    const names = refs.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((n) => target.repoTags.includes(n) || target.repoDigests.includes(n));
    if (names.length === 0) return ok(undefined);
    const r = await this.options.ctr.run(['images', 'rm', '--sync', ...names], {
      timeoutMs: CTR_TIMEOUT_MS,
    });
    if (r.code !== 0 && !isNotFound(r)) return fail('Unknown', ctrError(r));
    return ok(undefined);
  }

  /**
   * The images' content (their sizes as `ctr images ls` counts them) and their unpacked,
   * committed snapshots; the containers' active snapshots are their writable layers, counted
   * in their stats instead.
   */
  async imageFsInfo(): Promise<RuntimeResult<FilesystemUsage>> {
    const images = await this.listImages();
    if (!images.ok) return images;
    const r = await this.options.ctr.run(['snapshots', 'usage'], { timeoutMs: CTR_TIMEOUT_MS });
    if (r.code !== 0) return fail('Unknown', ctrError(r));
    const active = new Set(this.containers.keys());
    let usedBytes = images.value.reduce((n, i) => n + i.sizeBytes, 0);
    let inodesUsed = 0;
    for (const s of parseSnapshotUsage(r.stdout)) {
      if (active.has(s.key)) continue;
      usedBytes += s.sizeBytes;
      inodesUsed += s.inodes;
    }
    return ok({ usedBytes, inodesUsed });
  }

  async runPodSandbox(
    config: SandboxConfig,
  ): Promise<RuntimeResult<{ readonly sandboxId: string }>> {
    const id = randomBytes(8).toString('hex');
    const dir = join(this.options.dir, id);
    let attachment: PodAttachment | undefined;
    let network: SandboxStatus['network'] = { kind: 'host' };
    if (!config.hostNetwork) {
      if (!this.options.network.configured) {
        return fail('NetworkNotReady', 'network plugin not ready: no pod CIDR configured');
      }
      const r = await this.options.network.attach(id);
      if (!r.ok) return fail('NetworkSetupFailed', r.message);
      attachment = r.attachment;
      network = {
        kind: 'pod',
        ip: attachment.ip,
        prefixLength: attachment.prefixLength,
        gateway: attachment.gateway,
        netnsPath: attachment.netnsPath,
      };
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'resolv.conf'), resolvConf(config));
    const sandbox: SandboxRecord = {
      id,
      config,
      createdAtUs: this.nowUs(),
      dir,
      state: 'ready',
      attachment,
      network,
    };
    saveSandbox(sandbox);
    this.sandboxes.set(id, sandbox);
    return ok({ sandboxId: id });
  }

  async podSandboxStatus(sandboxId: string): Promise<RuntimeResult<SandboxStatus>> {
    const s = this.sandboxes.get(sandboxId);
    if (s === undefined) return fail('NotFound', `sandbox ${sandboxId} not found`);
    return ok(sandboxStatus(s));
  }

  async stopPodSandbox(sandboxId: string): Promise<RuntimeResult<void>> {
    const s = this.sandboxes.get(sandboxId);
    if (s === undefined) return fail('NotFound', `sandbox ${sandboxId} not found`);
    for (const c of this.containersOf(sandboxId)) {
      if (c.state === 'running') await this.stopContainer(c.id, 0);
    }
    if (s.attachment !== undefined) await this.options.network.detach(s.attachment);
    s.attachment = undefined;
    if (s.state === 'ready') {
      s.state = 'notready';
      this.emit({ kind: 'sandbox-stopped', sandbox: sandboxStatus(s) });
    }
    saveSandbox(s);
    return ok(undefined);
  }

  async removePodSandbox(sandboxId: string): Promise<RuntimeResult<void>> {
    const s = this.sandboxes.get(sandboxId);
    if (s === undefined) return ok(undefined);
    const stopped = await this.stopPodSandbox(sandboxId);
    if (!stopped.ok) return stopped;
    for (const c of this.containersOf(sandboxId)) {
      const r = await this.removeContainer(c.id);
      if (!r.ok) return r;
    }
    rmSync(s.dir, { recursive: true, force: true });
    this.sandboxes.delete(sandboxId);
    return ok(undefined);
  }

  async listPodSandboxes(): Promise<RuntimeResult<readonly SandboxStatus[]>> {
    return ok(sortedById([...this.sandboxes.values()].map(sandboxStatus)));
  }

  private containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  async createContainer(
    sandboxId: string,
    config: ContainerConfig,
  ): Promise<RuntimeResult<{ readonly containerId: string }>> {
    const s = this.sandboxes.get(sandboxId);
    if (s === undefined) return fail('NotFound', `sandbox ${sandboxId} not found`);
    if (s.state !== 'ready') return fail('SandboxNotReady', `sandbox ${sandboxId} is not ready`);
    const image = await this.imageStatus(config.image);
    if (!image.ok) return image;
    if (image.value === undefined) {
      return fail('ImageNotFound', `image "${config.image}" is not present on the node`);
    }
    const id = randomBytes(8).toString('hex');
    const args = createArgs(s, config, id);
    const r = await this.options.ctr.run(args, { timeoutMs: CTR_TIMEOUT_MS });
    if (r.code !== 0) return fail('CreateContainerError', ctrError(r));
    const c: ContainerRecord = {
      id,
      sandboxId,
      config,
      logPath: join(s.dir, `${config.name}_${config.attempt}.log`),
      state: 'created',
      pid: undefined,
      startedAtUs: undefined,
      finishedAtUs: undefined,
      exitCode: undefined,
      oomKilled: false,
      reason: undefined,
      exitWaiters: [],
      cpuSample: undefined,
      upperDir: undefined,
      startWaiters: [],
      stdio: undefined,
    };
    this.containers.set(id, c);
    this.save(c);
    this.emit({ kind: 'container-created', container: this.status(c) });
    return ok({ containerId: id });
  }

  async startContainer(containerId: string): Promise<RuntimeResult<void>> {
    const c = this.containers.get(containerId);
    if (c === undefined) return fail('NotFound', `container ${containerId} not found`);
    if (c.state !== 'created') {
      return fail('InvalidState', `container ${containerId} is ${c.state}, not created`);
    }
    const startedAtUs = this.nowUs();
    const failure = holdsStdio(c.config) ? await this.startHeld(c) : await this.startLogged(c);
    if (failure !== undefined) {
      // As CRI reports a failed start: the container is exited, code 128, StartError.
      c.state = 'exited';
      c.exitCode = 128;
      c.reason = 'StartError';
      c.finishedAtUs = this.nowUs();
      this.save(c);
      await this.options.ctr.run(['tasks', 'delete', '--force', containerId]);
      this.emit({ kind: 'container-exited', container: this.status(c) });
      return fail('StartError', failure);
    }
    c.startedAtUs = startedAtUs;
    // The exit event may already have come (a command that ends at once).
    if (c.state === 'created') c.state = 'running';
    this.save(c);
    this.emit({ kind: 'container-started', container: this.status(c) });
    return ok(undefined);
  }

  /** A task whose output goes to the binary log driver; undefined once started, or why not. */
  private async startLogged(c: ContainerRecord): Promise<string | undefined> {
    const r = await this.options.ctr.run(
      ['tasks', 'start', '--detach', '--log-uri', logDriverUri(c.logPath), c.id],
      { timeoutMs: CTR_TIMEOUT_MS },
    );
    return r.code === 0 ? undefined : ctrError(r);
  }

  /** A task whose stdio this runtime holds (held-stdio.ts); undefined once started, or why not. */
  private async startHeld(c: ContainerRecord): Promise<string | undefined> {
    const started = new Promise<void>((resolve) => c.startWaiters.push(resolve));
    const stdio = new HeldStdio(
      this.options.ctr,
      c.id,
      {
        stdin: c.config.stdin === true,
        stdinOnce: c.config.stdinOnce === true,
        tty: c.config.tty === true,
      },
      c.logPath,
    );
    const r = await stdio.started(started, CTR_TIMEOUT_MS);
    c.startWaiters.length = 0;
    if (!r.ok) return r.message;
    c.stdio = stdio;
    return undefined;
  }

  async stopContainer(containerId: string, gracePeriodUs: number): Promise<RuntimeResult<void>> {
    const c = this.containers.get(containerId);
    if (c === undefined) return fail('NotFound', `container ${containerId} not found`);
    if (c.state !== 'running') return ok(undefined);
    const graceMs = Math.max(0, Math.floor(gracePeriodUs / 1000));
    if (graceMs > 0) {
      await this.signal(c, 'SIGTERM');
      if (await this.waitExit(c, graceMs)) return ok(undefined);
    }
    await this.signal(c, 'SIGKILL');
    if (await this.waitExit(c, KILL_WAIT_MS)) return ok(undefined);
    return fail('DeadlineExceeded', `container ${containerId} did not exit after SIGKILL`);
  }

  private async signal(c: ContainerRecord, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    // A task that already exited answers "not found" or "process already finished": both fine.
    await this.options.ctr.run(['tasks', 'kill', '--signal', signal, c.id], {
      timeoutMs: CTR_TIMEOUT_MS,
    });
  }

  /** True once the container has exited, false if `ms` passed first. */
  private waitExit(c: ContainerRecord, ms: number): Promise<boolean> {
    if (c.state === 'exited') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      c.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async removeContainer(containerId: string): Promise<RuntimeResult<void>> {
    const c = this.containers.get(containerId);
    if (c === undefined) return ok(undefined);
    if (c.state === 'running') return fail('InvalidState', `container ${containerId} is running`);
    // The ctr holding its stdio deletes the task as it ends: wait for it, briefly.
    await c.stdio?.closedWithin(KILL_WAIT_MS);
    const ctr = this.options.ctr;
    const task = await ctr.run(['tasks', 'delete', containerId], { timeoutMs: CTR_TIMEOUT_MS });
    if (task.code !== 0 && !isNotFound(task)) {
      return fail('Unknown', ctrError(task));
    }
    const container = await ctr.run(['containers', 'delete', containerId], {
      timeoutMs: CTR_TIMEOUT_MS,
    });
    if (container.code !== 0 && !isNotFound(container)) return fail('Unknown', ctrError(container));
    rmSync(c.logPath, { force: true });
    const sandbox = this.sandboxes.get(c.sandboxId);
    if (sandbox !== undefined) forgetContainer(sandbox.dir, c.id);
    this.containers.delete(containerId);
    this.emit({ kind: 'container-removed', container: this.status(c) });
    return ok(undefined);
  }

  async listContainers(): Promise<RuntimeResult<readonly ContainerStatus[]>> {
    return ok(sortedById([...this.containers.values()].map((c) => this.status(c))));
  }

  async listContainerStats(): Promise<RuntimeResult<readonly ContainerStats[]>> {
    const out: ContainerStats[] = [];
    for (const c of this.containers.values()) {
      if (c.state !== 'running' || c.pid === undefined) continue;
      const sample = readCgroupSample(c.pid);
      if (sample === undefined) continue;
      const atUs = this.nowUs();
      const previous = c.cpuSample;
      c.cpuSample = { usageNs: sample.cpuUsageNs, atUs };
      const elapsedUs = previous === undefined ? 0 : atUs - previous.atUs;
      const cpuMillicores =
        previous === undefined || elapsedUs <= 0
          ? 0
          : Math.round(((sample.cpuUsageNs - previous.usageNs) / 1000 / elapsedUs) * 1000);
      const disk = await this.writableLayerUsage(c);
      out.push({
        id: c.id,
        cpuMillicores: Math.max(0, cpuMillicores),
        memoryWorkingSetBytes: sample.memoryWorkingSetBytes,
        ...(disk === undefined ? {} : { rootfsBytes: disk.bytes, inodesUsed: disk.inodes }),
        ...(sample.processes === undefined ? {} : { processes: sample.processes }),
      });
    }
    return ok(sortedById(out));
  }

  /**
   * The container's writable layer (its snapshot's upperdir, walked as containerd's
   * fs.DiskUsage does) plus its log file: what the kubelet counts as its ephemeral storage.
   */
  private async writableLayerUsage(
    c: ContainerRecord,
  ): Promise<{ bytes: number; inodes: number } | undefined> {
    if (c.upperDir === undefined) {
      // The snapshot key is the container id (ctr containers create).
      const r = await this.options.ctr.run(['snapshots', 'mounts', '/', c.id], {
        timeoutMs: CTR_TIMEOUT_MS,
      });
      c.upperDir = r.code === 0 ? upperDirOf(r.stdout) : undefined;
      if (c.upperDir === undefined) return undefined;
    }
    const layer = diskUsage(c.upperDir);
    if (layer === undefined) return undefined;
    let logBytes = 0;
    try {
      logBytes = statSync(c.logPath).blocks * 512;
    } catch {
      // No output yet: no log file.
    }
    return { bytes: layer.bytes + logBytes, inodes: layer.inodes + (logBytes > 0 ? 1 : 0) };
  }

  async execSync(
    containerId: string,
    command: readonly string[],
    timeoutUs: number,
  ): Promise<RuntimeResult<ExecSyncResult>> {
    const r = await this.taskExec(containerId, command, timeoutUs);
    if (!r.ok) return r;
    const { code, stdout, stderr } = r.value;
    // ctr's own failures (no such task, no such binary) print `ctr: ...`; the command's don't.
    if (code !== 0 && stderr.startsWith('ctr: ')) {
      return fail('Unknown', ctrError({ code, stdout, stderr, timedOut: false }));
    }
    return ok({ exitCode: code, output: stdout + stderr });
  }

  /** `ctr tasks exec` of `command` in a running container, killed after `timeoutUs`. */
  private async taskExec(
    containerId: string,
    command: readonly string[],
    timeoutUs: number,
  ): Promise<RuntimeResult<{ code: number; stdout: string; stderr: string }>> {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running') return fail('NotFound', notRunning(containerId));
    assert(command.length > 0, 'exec needs a command');
    const execId = `exec-${randomBytes(6).toString('hex')}`;
    const timeoutMs = Math.max(1, Math.ceil(timeoutUs / 1000));
    const ctr = this.options.ctr;
    // `tasks exec` stops reading flags at the container id (unlike `containers create`).
    // The stdio FIFOs live under the runtime's directory: a killed ctr leaves them behind.
    const fifoDir = join(this.options.dir, 'fifo');
    const r = await ctr.run(
      ['tasks', 'exec', '--fifo-dir', fifoDir, '--exec-id', execId, containerId, ...command],
      {
        timeoutMs,
      },
    );
    if (r.timedOut) {
      await ctr.run(['tasks', 'kill', '--exec-id', execId, '--signal', 'SIGKILL', containerId]);
      return fail('DeadlineExceeded', `command "${command.join(' ')}" timed out`);
    }
    return ok({ code: r.code, stdout: r.stdout, stderr: r.stderr });
  }

  async exec(
    containerId: string,
    command: readonly string[],
    timeoutUs: number,
  ): Promise<RuntimeResult<ExecResult>> {
    const r = await this.taskExec(containerId, command, timeoutUs);
    if (!r.ok) return r;
    const { code, stdout, stderr } = r.value;
    // runc's failure to start the program (not found, not executable): no exit code of its own.
    if (code !== 0 && stderr.startsWith('ctr: ')) {
      return fail('ExecError', ctrError({ code, stdout, stderr, timedOut: false }));
    }
    return ok({ exitCode: code, stdout, stderr });
  }

  /** `ctr tasks exec` with its streams attached (exec-session.ts). */
  execStream(
    containerId: string,
    command: readonly string[],
    streams: ExecStreams,
    timeoutUs: number,
  ): ExecSession {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running' || command.length === 0)
      return failedExecSession('NotFound', notRunning(containerId));
    const fifoDir = join(this.options.dir, 'fifo');
    return startCtrExec(this.options.ctr, containerId, command, streams, timeoutUs, fifoDir);
  }

  /**
   * kubectl attach. A container with stdin or a terminal has its stdio held by this runtime
   * (held-stdio.ts): the client reads what the process writes and writes to its stdin. Any other
   * container's output is followed in its log file (log-attach.ts); it has no stdin, so what the
   * client sends is dropped, as containerd drops it.
   */
  attach(containerId: string, streams: ExecStreams): AttachSession {
    const c = this.containers.get(containerId);
    if (c?.state !== 'running') return failedAttachSession('NotFound', notRunning(containerId));
    if (c.stdio !== undefined) return c.stdio.attach(streams);
    if (holdsStdio(c.config)) {
      return failedAttachSession(
        'Unavailable',
        `the stdio of container ${containerId} was held by the node agent that started it, ` +
          'which has since restarted: real mode cannot attach to it again',
      );
    }
    return attachToLog(c.logPath, streams, () => c.state === 'exited');
  }

  async readContainerLog(containerId: string, cursor: number): Promise<RuntimeResult<LogChunk>> {
    const c = this.containers.get(containerId);
    if (c === undefined) return fail('NotFound', `container ${containerId} not found`);
    const read = readCriLog(c.logPath, cursor);
    const ended = c.state === 'exited' && read.lines.length === 0;
    return ok({ lines: read.lines, cursor: read.offset, ended });
  }

  private save(c: ContainerRecord): void {
    const sandbox = this.sandboxes.get(c.sandboxId);
    if (sandbox !== undefined) saveContainer(sandbox.dir, c);
  }

  private status(c: ContainerRecord): ContainerStatus {
    return {
      id: c.id,
      sandboxId: c.sandboxId,
      name: c.config.name,
      attempt: c.config.attempt,
      image: c.config.image,
      state: c.state,
      ...(c.startedAtUs === undefined ? {} : { startedAtUs: c.startedAtUs }),
      ...(c.finishedAtUs === undefined ? {} : { finishedAtUs: c.finishedAtUs }),
      ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
      ...(c.reason === undefined ? {} : { reason: c.reason }),
    };
  }

  /** Where a container's output goes (the CRI log file `kubectl logs` reads). */
  logPath(containerId: string): string | undefined {
    return this.containers.get(containerId)?.logPath;
  }
}

/** A container with stdin or a terminal: the runtime holds its stdio instead of the log driver. */
function holdsStdio(config: ContainerConfig): boolean {
  return config.stdin === true || config.tty === true;
}

/** The driver that writes a task's output as a CRI log file (cri-log-driver.mjs). */
const LOG_DRIVER = new URL('./cri-log-driver.mjs', import.meta.url).pathname;

/**
 * The log URI of a task: containerd's binary logging, with the CRI log driver run by this
 * node binary (`binary://<node>?<driver>=<log path>`: the shim passes the query's key and
 * value as its arguments).
 */
export function logDriverUri(logPath: string): string {
  return `binary://${process.execPath}?${encodeURIComponent(LOG_DRIVER)}=${encodeURIComponent(logPath)}`;
}

/**
 * The exit status `ctr tasks delete` learned. ctr exits 0 either way and logs a non-zero
 * status as a warning, `task <id> exit with non-zero exit code <n>` (cmd/ctr/commands/tasks/
 * delete.go); no warning means 0. (The gRPC Delete call returns it as a field.)
 */
export function deletedExitCode(stderr: string, id: string): number {
  const m = new RegExp(`task ${id} exit with non-zero exit code (\\d+)`).exec(stderr);
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

function exitReason(exitCode: number): string {
  return exitCode === 0 ? 'Completed' : 'Error';
}

function sandboxStatus(s: SandboxRecord): SandboxStatus {
  return {
    id: s.id,
    podUid: s.config.podUid,
    name: s.config.name,
    namespace: s.config.namespace,
    attempt: s.config.attempt,
    state: s.state,
    createdAtUs: s.createdAtUs,
    network: s.network,
  };
}

function sortedById<T extends { readonly id: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function resolvConf(config: SandboxConfig): string {
  const lines = [
    ...config.dns.servers.map((s) => `nameserver ${s}`),
    ...(config.dns.searches.length > 0 ? [`search ${config.dns.searches.join(' ')}`] : []),
    ...(config.dns.options.length > 0 ? [`options ${config.dns.options.join(' ')}`] : []),
  ];
  return lines.map((l) => `${l}\n`).join('');
}

/** `ctr containers create` arguments for a container of sandbox `s`. */
export function createArgs(s: SandboxRecord, config: ContainerConfig, id: string): string[] {
  const args = ['containers', 'create'];
  const network = s.network;
  if (network.kind === 'pod') args.push('--with-ns', `network:${network.netnsPath}`);
  else args.push('--net-host');
  args.push(
    '--mount',
    `type=bind,src=${join(s.dir, 'resolv.conf')},dst=/etc/resolv.conf,options=rbind:ro`,
  );
  // A terminal is in the container's spec (process.terminal); its task gets a pty.
  if (config.tty === true) args.push('--tty');
  for (const [name, value] of Object.entries(config.env ?? {}))
    args.push('--env', `${name}=${value}`);
  args.push('--label', `io.kubernetes.sandbox.id=${s.id}`);
  args.push('--label', `io.kubernetes.container.name=${config.name}`);
  args.push('--label', `io.kubernetes.container.attempt=${config.attempt}`);
  const limits = config.resources;
  if (limits?.memoryLimitBytes !== undefined) {
    args.push('--memory-limit', String(limits.memoryLimitBytes));
  }
  if (limits?.cpuLimitMillicores !== undefined) {
    const quotaUs = Math.max(1000, Math.round((limits.cpuLimitMillicores * CPU_PERIOD_US) / 1000));
    args.push('--cpu-period', String(CPU_PERIOD_US), '--cpu-quota', String(quotaUs));
  }
  args.push(config.image, id);
  const argv = [...(config.command ?? []), ...(config.args ?? [])];
  // `--` ends ctr's flags, so the container's own flags (`sh -c`) reach the container.
  if (argv.length > 0) args.push('--', ...argv);
  return args;
}
