/**
 * One sync of one pod (pkg/kubelet/kubelet.go SyncPod / SyncTerminatingPod and
 * kuberuntime_manager.go SyncPod, in upstream's order): a pod gone from the API server is torn
 * down; a pod being deleted has its containers stopped within its grace period, its terminal
 * status written and its deletion finished; otherwise the sandbox is created, init containers
 * run one at a time, then the containers start, with images pulled and restarts paced by
 * CrashLoopBackOff, and the resulting status handed to the status manager.
 */
import type {
  ContainerStateTerminated,
  ContainerStatus,
  Pod,
  PodPhase,
  PodStatus,
} from '../api/pod-types.ts';
import { setCondition } from '../api/conditions.ts';
import { defaultPullPolicy } from '../api/defaults.ts';
import { isPodTerminal } from '../api/pod-helpers.ts';
import { formatTime, parseTime } from '../api/time.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { RESOURCE_CPU, RESOURCE_MEMORY, resourceAmount } from '../api/resource-list.ts';
import type { ResourceList } from '../api/pod-types.ts';
import {
  CONTAINER_PORTS_ANNOTATION,
  type ContainerResources,
  type ContainerStatus as RuntimeContainer,
  type Runtime,
} from '../ports/runtime.ts';
import { backoffSinceEndsAt, backoffSinceUpdateEndsAt, nextBackoff } from './backoff.ts';
import type { KubeletConfig } from './config.ts';
import { EVENT_REASONS, type KubeletEvents } from './events.ts';
import { runHook, type HookName } from './lifecycle-hooks.ts';
import type { LifecycleHandler } from '../api/pod-types.ts';
import type { ProberManager } from './prober/prober-manager.ts';
import type { ProbeNetwork } from '../ports/probe-network.ts';
import { podDnsConfig, podHostname, podPortMappings } from './pod-network.ts';
import type { ContainerRecord, PodRecord } from './pod-record.ts';
import { generatePodStatus, terminalContainerStatus } from './pod-status.ts';
import type { PodWorkers } from './pod-workers.ts';
import type { Pleg } from './pleg.ts';
import type { StatusManager } from './status-manager.ts';

/** volumemanager podAttachAndMountTimeout: a wait longer than this is reported as FailedMount. */
const ATTACH_AND_MOUNT_TIMEOUT_US = 123_000_000;
/** How often a pod waiting for its claims looks again. */
const VOLUME_RETRY_US = 1_000_000;
/** pkg/kubelet/kuberuntime: no container is given less than this to stop. */
const MINIMUM_GRACE_PERIOD_US = 2_000_000;
/** Retry of a failed sandbox or container creation (the pod worker's backOffPeriod). */
const SYNC_ERROR_RETRY_US = 10_000_000;
/** How long ErrImagePull shows before the next sync reports ImagePullBackOff. */
const ERR_IMAGE_PULL_VISIBLE_US = 1_000_000;
const DEFAULT_GRACE_SECONDS = 30;
/** A postStart hook has no timeout upstream; this only keeps the number finite. */
const NO_HOOK_TIMEOUT_US = 24 * 3600 * 1_000_000;

export interface SyncEnv {
  readonly ports: ProcessPorts;
  readonly runtime: Runtime;
  readonly prober: ProberManager;
  readonly probeNetwork: ProbeNetwork;
  readonly events: KubeletEvents;
  readonly config: KubeletConfig;
  readonly pleg: Pleg;
  /** The status manager, or the kubelet's front of it (static pods' statuses go to mirrors). */
  readonly statusManager: Pick<StatusManager, 'setStatus' | 'deleteWhenWritten'>;
  readonly workers: PodWorkers;
  containerCreated(containerId: string, rec: PodRecord): void;
  containerRemoved(containerId: string): void;
  /** Stops counting the pod's requests against the node. */
  release(rec: PodRecord): void;
  /** Drops every trace of a pod that is gone. */
  forget(rec: PodRecord): void;
  /** The pod's PersistentVolumeClaims that are not Bound (as the API server has them now). */
  unboundClaims(pod: Pod): Promise<readonly string[]>;
}

/** A sync either finished its work or wants to run again at a virtual time. */
type WakeAt = number | undefined;

export type KillReason = 'LivenessProbe' | 'StartupProbe' | 'FailedPostStartHook';

function earliest(a: WakeAt, b: WakeAt): WakeAt {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

export class PodSync {
  constructor(private readonly env: SyncEnv) {}

  async sync(rec: PodRecord): Promise<void> {
    await this.env.pleg.refresh();
    const pod = rec.pod;
    if (rec.removed) {
      await this.stopAll(rec, this.graceUs(pod));
      await this.removeSandbox(rec);
      this.env.forget(rec);
      return;
    }
    if (pod.metadata.deletionTimestamp !== undefined) {
      const graceUs = this.graceUs(pod);
      if (!rec.finished)
        this.env.ports.trace.emit('kubelet.pod-terminating', {
          pod: rec.key,
          node: this.env.config.nodeName,
          gracePeriodUs: graceUs,
        });
      await this.stopAll(rec, graceUs);
      this.report(rec, true);
      this.env.statusManager.deleteWhenWritten(pod);
      return;
    }
    if (rec.evicted !== undefined && !rec.finished) {
      // immediateEvictionGracePeriodSeconds for a hard threshold; a soft one's grace period;
      // raised to the runtime's minimum.
      await this.stopAll(rec, this.secondsGraceUs(rec.evictionGracePeriodSeconds));
      this.report(rec, true);
      return;
    }
    if (rec.admission === 'rejected' || rec.finished) return;
    if (isPodTerminal(pod)) {
      await this.stopAll(rec, this.graceUs(pod));
      return;
    }
    await this.run(rec);
  }

  private async run(rec: PodRecord): Promise<void> {
    const env = this.env;
    rec.startTime ??= formatTime(env.ports.clock.now());
    this.report(rec, false);
    this.ignoreEphemeralContainers(rec);
    if (!(await this.volumesReady(rec))) return;
    let wakeAt: WakeAt;
    if (await this.ensureSandbox(rec)) wakeAt = await this.startContainers(rec);
    else wakeAt = env.ports.clock.now() + SYNC_ERROR_RETRY_US;
    if (this.interrupted(rec)) return;
    const phase = this.report(rec, false);
    if (phase === 'Succeeded' || phase === 'Failed') {
      const sidecars = rec.containers.some((c) => c.role === 'sidecar');
      await this.stopAll(rec, this.graceUs(rec.pod));
      // The sidecars ran on after the main containers ended: report them stopped.
      if (sidecars) this.report(rec, true);
      return;
    }
    if (wakeAt !== undefined)
      env.workers.wakeAfter(rec.uid, Math.max(0, wakeAt - env.ports.clock.now()));
    env.workers.wakeAfter(rec.uid, env.config.podResyncIntervalUs);
  }

  /**
   * The volume manager's WaitForAttachAndMount, for what ksim models of volumes: a pod with
   * claims starts once all of them are Bound. Until then it is looked at again every second,
   * and each 2m3s of waiting is reported as a FailedMount Event, as upstream's timeout is.
   */
  private async volumesReady(rec: PodRecord): Promise<boolean> {
    if (rec.volumesReady || (rec.pod.spec.volumes ?? []).every((v) => !v.persistentVolumeClaim))
      return true;
    const env = this.env;
    const unbound = await env.unboundClaims(rec.pod);
    if (this.interrupted(rec)) return false;
    const now = env.ports.clock.now();
    if (unbound.length === 0) {
      rec.volumesReady = true;
      rec.volumesWaitSinceUs = undefined;
      return true;
    }
    rec.volumesWaitSinceUs ??= now;
    if (now - rec.volumesWaitSinceUs >= ATTACH_AND_MOUNT_TIMEOUT_US) {
      rec.volumesWaitSinceUs = now;
      const names = unbound.join(' ');
      env.events.pod(
        rec.pod,
        'Warning',
        'FailedMount',
        `Unable to attach or mount volumes: unmounted volumes=[${names}], unattached volumes=[${names}]: timed out waiting for the condition`,
      );
    }
    env.workers.wakeAfter(rec.uid, VOLUME_RETRY_US);
    return false;
  }

  /**
   * Ephemeral containers (`kubectl debug`) are not run by ksim's kubelet: each one added to the
   * pod is reported once, with a Warning Event naming it, instead of being silently dropped.
   */
  private ignoreEphemeralContainers(rec: PodRecord): void {
    for (const c of rec.pod.spec.ephemeralContainers ?? []) {
      if (rec.ephemeralIgnored.has(c.name)) continue;
      rec.ephemeralIgnored.add(c.name);
      this.env.events.pod(
        rec.pod,
        'Warning',
        EVENT_REASONS.ephemeralContainerIgnored,
        `Ephemeral container ${JSON.stringify(c.name)} is not started: ksim's kubelet does not run ephemeral containers`,
      );
    }
  }

  /** Deletion or removal arrived while a step was in progress: the next sync handles it. */
  private interrupted(rec: PodRecord): boolean {
    return rec.removed || rec.pod.metadata.deletionTimestamp !== undefined;
  }

  /**
   * A ready sandbox, or a new one with its network (kuberuntime createPodSandbox): the runtime
   * allocates the pod IP and reports it, with the network namespace, in the sandbox status.
   */
  private async ensureSandbox(rec: PodRecord): Promise<boolean> {
    if (rec.sandbox !== undefined && rec.sandboxReady) return true;
    const env = this.env;
    const pod = rec.pod;
    const r = await env.runtime.runPodSandbox({
      podUid: rec.uid,
      name: pod.metadata.name ?? '',
      namespace: pod.metadata.namespace ?? '',
      attempt: rec.sandboxAttempts,
      hostname: podHostname(pod),
      hostNetwork: pod.spec.hostNetwork === true,
      dns: podDnsConfig(pod, env.config),
      portMappings: podPortMappings(pod),
    });
    if (!r.ok) {
      env.ports.trace.emit('kubelet.sandbox-failed', { pod: rec.key, reason: r.reason });
      return false;
    }
    rec.sandboxAttempts++;
    const status = await env.runtime.podSandboxStatus(r.value.sandboxId);
    if (!status.ok || rec.removed) {
      await env.runtime.removePodSandbox(r.value.sandboxId);
      if (!status.ok)
        env.ports.trace.emit('kubelet.sandbox-failed', { pod: rec.key, reason: status.reason });
      return false;
    }
    const network = status.value.network;
    rec.sandbox = status.value;
    rec.sandboxReady = true;
    rec.podIP = network.kind === 'pod' ? network.ip : env.config.internalIP;
    // A new sandbox restarts the pod from its first init container (computePodActions).
    for (const c of rec.containers) if (c.role !== 'regular') c.containerId = undefined;
    return true;
  }

  /**
   * Init containers in order, each to completion (sidecars only to running) before the next;
   * then every regular container that should run, the earliest backoff end decides the wake-up.
   */
  private async startContainers(rec: PodRecord): Promise<WakeAt> {
    const policy = rec.pod.spec.restartPolicy ?? 'Always';
    // Once the regular containers have been started, a sidecar restarts beside them.
    const initialized = rec.containers.some((c) => c.role === 'regular' && c.hadInstance);
    let wakeAt: WakeAt;
    for (const c of rec.containers) {
      if (c.role === 'regular') continue;
      if (this.interrupted(rec)) return undefined;
      let rt = this.current(c);
      if (c.role === 'sidecar') {
        if (rt?.state === 'running') {
          if (!(await this.killOnFailedProbe(rec, c, rt))) {
            // Each sidecar must be started (its startup probe passed) before the next container.
            if (!initialized && !this.isStarted(rec, c, rt)) return undefined;
            continue;
          }
          rt = this.current(c);
        }
        if (rt?.state === 'created') return undefined;
        const wake = await this.startWithBackoff(rec, c, rt);
        if (!initialized) return wake;
        wakeAt = earliest(wakeAt, wake);
        continue;
      }
      if (rt?.state === 'exited' && rt.exitCode === 0) continue;
      if (rt?.state === 'running' || rt?.state === 'created') return undefined;
      if (rt?.state === 'exited' && policy === 'Never') return undefined;
      return this.startWithBackoff(rec, c, rt);
    }
    for (const c of rec.containers) {
      if (c.role !== 'regular') continue;
      if (this.interrupted(rec)) return undefined;
      let rt = this.current(c);
      if (rt?.state === 'created') continue;
      if (rt?.state === 'running') {
        if (!(await this.killOnFailedProbe(rec, c, rt))) continue;
        // computePodActions: a container killed for a probe restarts unless the policy is Never.
        if (policy === 'Never') continue;
        rt = this.current(c);
      } else {
        const exitCode = rt?.state === 'exited' ? (rt.exitCode ?? 0) : this.lostExitCode(c);
        if (exitCode !== undefined && !shouldRestart(policy, exitCode)) continue;
      }
      wakeAt = earliest(wakeAt, await this.startWithBackoff(rec, c, rt));
    }
    return wakeAt;
  }

  /**
   * Kills a running instance that failed its liveness or startup probe (kuberuntime
   * computePodActions, killContainer), with the probe's terminationGracePeriodSeconds if it
   * sets one; true when it was killed.
   */
  private async killOnFailedProbe(
    rec: PodRecord,
    c: ContainerRecord,
    rt: RuntimeContainer,
  ): Promise<boolean> {
    const failed = this.env.prober.failedProbe(rt.id);
    if (failed === undefined) return false;
    const probeGrace = this.env.prober.spec(
      rec.uid,
      c.spec.name,
      failed,
    )?.terminationGracePeriodSeconds;
    const restarts = (rec.pod.spec.restartPolicy ?? 'Always') !== 'Never' || c.role === 'sidecar';
    const message = `Container ${c.spec.name} failed ${failed} probe${restarts ? ', will be restarted' : ''}`;
    const reason: KillReason = failed === 'liveness' ? 'LivenessProbe' : 'StartupProbe';
    const graceUs =
      probeGrace === undefined ? this.graceUs(rec.pod) : this.secondsGraceUs(probeGrace);
    await this.killContainer(rec, c, rt, graceUs, reason, message);
    return true;
  }

  /** killContainer of a live pod: the Killing Event, then SIGTERM and SIGKILL after the grace. */
  private async killContainer(
    rec: PodRecord,
    c: ContainerRecord,
    rt: RuntimeContainer,
    graceUs: number,
    reason: KillReason,
    message: string,
  ): Promise<void> {
    const env = this.env;
    env.events.container(rec.pod, c.spec.name, c.role !== 'regular', 'Normal', 'Killing', message);
    env.ports.trace.emit('kubelet.container-kill', {
      pod: rec.key,
      container: c.spec.name,
      reason,
      gracePeriodUs: graceUs,
      node: env.config.nodeName,
    });
    await this.stopContainer(rec, c, rt, graceUs);
    await env.pleg.refresh();
  }

  /**
   * killContainer's stop: the preStop hook first, given the grace period as its timeout; what it
   * took (in whole seconds, as upstream counts) comes out of the grace period SIGTERM then gets,
   * never below the 2 s minimum.
   */
  private async stopContainer(
    rec: PodRecord,
    c: ContainerRecord,
    rt: RuntimeContainer,
    graceUs: number,
  ): Promise<void> {
    const env = this.env;
    const preStop = c.spec.lifecycle?.preStop;
    let leftUs = graceUs;
    if (preStop !== undefined && graceUs > 0) {
      const startUs = env.ports.clock.now();
      const ok = await this.runHook(rec, c, rt, 'preStop', preStop, graceUs);
      if (!ok.ok)
        env.events.container(
          rec.pod,
          c.spec.name,
          c.role !== 'regular',
          'Warning',
          'FailedPreStopHook',
          ok.message,
        );
      const elapsedS = Math.floor((env.ports.clock.now() - startUs) / 1_000_000);
      leftUs = Math.max(MINIMUM_GRACE_PERIOD_US, graceUs - elapsedS * 1_000_000);
    }
    await env.runtime.stopContainer(rt.id, leftUs);
  }

  private async runHook(
    rec: PodRecord,
    c: ContainerRecord,
    rt: RuntimeContainer,
    hook: HookName,
    handler: LifecycleHandler,
    timeoutUs: number,
  ): Promise<{ ok: true } | { ok: false; message: string }> {
    const env = this.env;
    const startUs = env.ports.clock.now();
    const target = { pod: rec.pod, container: c.spec, containerId: rt.id, podIP: rec.podIP };
    const network = { runtime: env.runtime, network: env.probeNetwork };
    const outcome = await runHook(network, env.ports.clock, target, handler, timeoutUs);
    env.ports.trace.emit('kubelet.hook', {
      pod: rec.key,
      container: c.spec.name,
      hook,
      ok: outcome.ok,
      durationUs: env.ports.clock.now() - startUs,
      message: outcome.ok ? '' : outcome.message,
      node: env.config.nodeName,
    });
    return outcome;
  }

  private isStarted(rec: PodRecord, c: ContainerRecord, rt: RuntimeContainer | undefined): boolean {
    return (
      rt !== undefined &&
      this.env.prober.isStarted(rec.uid, c.spec.name, rt.id, rt.state === 'running')
    );
  }

  /**
   * The exit code of an instance that ran before a kubelet restart and is gone from the
   * runtime: it counts as that instance's end, so Never and OnFailure do not rerun it blindly.
   */
  private lostExitCode(c: ContainerRecord): number | undefined {
    return c.containerId === undefined && c.hadInstance ? c.lastTerminated?.exitCode : undefined;
  }

  /** kuberuntime doBackOff: the first restart is immediate, then 10 s, 20 s, ... 5 min. */
  private async startWithBackoff(
    rec: PodRecord,
    c: ContainerRecord,
    rt: RuntimeContainer | undefined,
  ): Promise<WakeAt> {
    const env = this.env;
    if (rt?.state === 'exited') {
      const finishedUs = rt.finishedAtUs ?? env.ports.clock.now();
      const policy = env.config.crashLoopBackoff;
      const endUs = backoffSinceEndsAt(c.crashBackoff, finishedUs, env.ports.clock.now(), policy);
      if (endUs !== undefined) {
        const delay = formatGoDuration(c.crashBackoff?.delayUs ?? 0);
        c.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${delay} restarting failed container=${c.spec.name} pod=${rec.pod.metadata.name}_${rec.pod.metadata.namespace}(${rec.uid})`,
        };
        return endUs;
      }
      c.crashBackoff = nextBackoff(c.crashBackoff, finishedUs, policy);
    }
    return this.startContainer(rec, c, rt);
  }

  private async startContainer(
    rec: PodRecord,
    c: ContainerRecord,
    previous: RuntimeContainer | undefined,
  ): Promise<WakeAt> {
    const env = this.env;
    const pulled = await this.ensureImage(rec, c);
    if (pulled !== true) return pulled;
    const sandboxId = rec.sandbox?.id;
    if (sandboxId === undefined || this.interrupted(rec)) return undefined;
    const spec = c.spec;
    const created = await env.runtime.createContainer(sandboxId, {
      name: spec.name,
      attempt: c.hadInstance ? c.restartCount + 1 : c.restartCount,
      image: spec.image ?? '',
      ...(spec.command === undefined ? {} : { command: spec.command }),
      ...(spec.args === undefined ? {} : { args: spec.args }),
      env: Object.fromEntries(
        (spec.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']),
      ),
      ...((spec.ports?.length ?? 0) === 0
        ? {}
        : { annotations: { [CONTAINER_PORTS_ANNOTATION]: JSON.stringify(spec.ports) } }),
      ...containerResources(spec.resources?.limits),
      ...(spec.stdin === true ? { stdin: true } : {}),
      ...(spec.stdinOnce === true ? { stdinOnce: true } : {}),
      ...(spec.tty === true ? { tty: true } : {}),
    });
    if (!created.ok) {
      c.waiting = { reason: 'CreateContainerError', message: created.message };
      return env.ports.clock.now() + SYNC_ERROR_RETRY_US;
    }
    const oldId = c.containerId;
    if (c.hadInstance) c.restartCount++;
    if (previous?.state === 'exited') c.lastTerminated = terminatedState(previous);
    c.hadInstance = true;
    c.containerId = created.value.containerId;
    env.containerCreated(created.value.containerId, rec);
    // The latest dead instance stays for `logs --previous`; older ones go, as GC would.
    const staleId = c.previousId;
    c.previousId = oldId;
    if (staleId !== undefined) {
      await env.runtime.removeContainer(staleId);
      env.containerRemoved(staleId);
    }
    const started = await env.runtime.startContainer(created.value.containerId);
    if (!started.ok) {
      c.waiting = { reason: 'RunContainerError', message: started.message };
      return undefined;
    }
    c.waiting = undefined;
    env.ports.trace.emit('kubelet.container-start', {
      pod: rec.key,
      container: spec.name,
      restartCount: c.restartCount,
      node: env.config.nodeName,
    });
    const postStart = spec.lifecycle?.postStart;
    if (postStart !== undefined) await this.postStart(rec, c, postStart);
    return undefined;
  }

  /**
   * startContainer's postStart: the pod's sync waits for it; if it fails the container is
   * killed (FailedPostStartHook) and the restart policy decides what follows.
   */
  private async postStart(
    rec: PodRecord,
    c: ContainerRecord,
    handler: LifecycleHandler,
  ): Promise<void> {
    await this.env.pleg.refresh();
    const rt = this.current(c);
    if (rt?.state !== 'running') return;
    const outcome = await this.runHook(rec, c, rt, 'postStart', handler, NO_HOOK_TIMEOUT_US);
    if (outcome.ok || this.interrupted(rec)) return;
    this.env.events.container(
      rec.pod,
      c.spec.name,
      c.role !== 'regular',
      'Warning',
      'FailedPostStartHook',
      outcome.message,
    );
    const now = this.current(c);
    if (now?.state === 'running')
      await this.killContainer(
        rec,
        c,
        now,
        this.graceUs(rec.pod),
        'FailedPostStartHook',
        'FailedPostStartHook',
      );
  }

  /** True when the image is there; otherwise the container waits (maybe until a time). */
  private async ensureImage(rec: PodRecord, c: ContainerRecord): Promise<true | WakeAt> {
    const env = this.env;
    const image = c.spec.image ?? '';
    const pullPolicy = c.spec.imagePullPolicy ?? defaultPullPolicy(image);
    const status = await env.runtime.imageStatus(image);
    const present = status.ok ? status.value : undefined;
    if (pullPolicy === 'Never' && present === undefined) {
      c.waiting = {
        reason: 'ErrImageNeverPull',
        message: `Container image "${image}" is not present with pull policy of Never`,
      };
      return undefined;
    }
    if (present !== undefined && pullPolicy !== 'Always') {
      c.imageRef = present.imageRef;
      return true;
    }
    const nowUs = env.ports.clock.now();
    const policy = env.config.imagePullBackoff;
    const endUs = backoffSinceUpdateEndsAt(c.pullBackoff, nowUs, policy);
    if (endUs !== undefined) {
      c.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
      return endUs;
    }
    c.waiting ??= { reason: 'ContainerCreating' };
    rec.pullStartedUs ??= nowUs;
    const r = await env.runtime.pullImage(image);
    rec.pullEndedUs = env.ports.clock.now();
    if (!r.ok) {
      c.pullBackoff = nextBackoff(c.pullBackoff, env.ports.clock.now(), policy);
      c.waiting = { reason: 'ErrImagePull', message: r.message };
      env.ports.trace.emit('kubelet.image-pull-failed', {
        pod: rec.key,
        container: c.spec.name,
        image,
      });
      return env.ports.clock.now() + ERR_IMAGE_PULL_VISIBLE_US;
    }
    c.imageRef = r.value.imageRef;
    return true;
  }

  /**
   * Stops every running container and the sandbox; the pod is done. The regular containers stop
   * together first, then the sidecars one by one in reverse order (killContainersWithSyncResult
   * with sidecars), all within the one grace period.
   */
  private async stopAll(rec: PodRecord, graceUs: number): Promise<void> {
    const env = this.env;
    const deadlineUs = env.ports.clock.now() + graceUs;
    const stops: Promise<unknown>[] = [];
    for (const c of rec.containers) {
      const rt = this.current(c);
      if (c.role === 'regular' && rt?.state === 'running')
        stops.push(this.stopContainer(rec, c, rt, graceUs));
    }
    await Promise.all(stops);
    let stopped = stops.length > 0;
    for (const c of [...rec.containers].reverse()) {
      const rt = this.current(c);
      if (c.role !== 'sidecar' || rt?.state !== 'running') continue;
      const leftUs = Math.max(MINIMUM_GRACE_PERIOD_US, deadlineUs - env.ports.clock.now());
      await this.stopContainer(rec, c, rt, leftUs);
      stopped = true;
    }
    if (stopped) await env.pleg.refresh();
    env.prober.removePod(rec.uid);
    if (rec.sandbox !== undefined && rec.sandboxReady) {
      // Not ready from now on, so the sandbox-stopped event that follows is known to be ours.
      rec.sandboxReady = false;
      // The runtime tears the network down with the sandbox: the pod IP goes back to its IPAM.
      await env.runtime.stopPodSandbox(rec.sandbox.id);
    }
    rec.finished = true;
    env.release(rec);
  }

  private async removeSandbox(rec: PodRecord): Promise<void> {
    if (rec.sandbox === undefined) return;
    for (const c of rec.containers) {
      if (c.containerId !== undefined) this.env.containerRemoved(c.containerId);
      if (c.previousId !== undefined) this.env.containerRemoved(c.previousId);
      c.previousId = undefined;
    }
    await this.env.runtime.removePodSandbox(rec.sandbox.id);
    rec.sandbox = undefined;
  }

  private graceUs(pod: Pod): number {
    return this.secondsGraceUs(
      pod.metadata.deletionGracePeriodSeconds ??
        pod.spec.terminationGracePeriodSeconds ??
        DEFAULT_GRACE_SECONDS,
    );
  }

  private secondsGraceUs(seconds: number): number {
    return Math.max(MINIMUM_GRACE_PERIOD_US, seconds * 1_000_000);
  }

  private current(c: ContainerRecord): RuntimeContainer | undefined {
    return c.containerId === undefined ? undefined : this.env.pleg.get(c.containerId);
  }

  /** Builds the API status from the records and the runtime, hands it over, traces the phase. */
  private report(rec: PodRecord, terminal: boolean): PodPhase {
    const env = this.env;
    const init: ContainerStatus[] = [];
    const regular: ContainerStatus[] = [];
    for (const c of rec.containers) {
      const s = this.containerStatus(rec, c);
      (c.role === 'regular' ? regular : init).push(terminal ? terminalContainerStatus(s) : s);
    }
    const status = generatePodStatus(
      rec.pod,
      {
        hostIP: env.config.internalIP,
        podIP: rec.podIP,
        startTime: rec.startTime,
        sandboxReady: rec.sandboxReady,
        initContainerStatuses: init,
        containerStatuses: regular,
        terminal,
      },
      formatTime(env.ports.clock.now()),
    );
    const final = rec.evicted === undefined ? status : evictedStatus(status, rec.evicted, env);
    env.statusManager.setStatus(rec.pod, final);
    const phase = final.phase ?? 'Pending';
    if (phase !== rec.phase) {
      rec.phase = phase;
      env.ports.trace.emit('kubelet.pod-phase', { pod: rec.key, phase, node: env.config.nodeName });
    }
    if (phase === 'Running' && !rec.startupTraced && regular.every((s) => s.started === true))
      this.traceStartup(rec);
    return phase;
  }

  /**
   * pod_startup_latency_tracker.go: creation to all containers started, and the time spent
   * pulling images, which the startup SLI leaves out.
   */
  private traceStartup(rec: PodRecord): void {
    const env = this.env;
    rec.startupTraced = true;
    const nowUs = env.ports.clock.now();
    const created = rec.pod.metadata.creationTimestamp;
    const createdUs = created === undefined ? nowUs : (parseTime(created) ?? nowUs);
    const { pullStartedUs, pullEndedUs } = rec;
    env.ports.trace.emit('kubelet.pod-started', {
      pod: rec.key,
      node: env.config.nodeName,
      e2eUs: nowUs - createdUs,
      imagePullUs:
        pullStartedUs === undefined || pullEndedUs === undefined ? 0 : pullEndedUs - pullStartedUs,
    });
  }

  private containerStatus(rec: PodRecord, c: ContainerRecord): ContainerStatus {
    const rt = this.current(c);
    const base = {
      name: c.spec.name,
      image: c.spec.image ?? '',
      imageID: c.imageRef ?? '',
      restartCount: c.restartCount,
      ...(rt === undefined ? {} : { containerID: `containerd://${rt.id}` }),
    };
    const last = c.lastTerminated === undefined ? {} : { terminated: c.lastTerminated };
    if (rt?.state === 'running') {
      const started = this.isStarted(rec, c, rt);
      return {
        ...base,
        state: { running: { startedAt: formatTime(rt.startedAtUs ?? 0) } },
        lastState: last,
        ready: this.env.prober.isReady(rec.uid, c.spec.name, rt.id, started),
        started,
      };
    }
    if (rt?.state === 'exited') {
      const terminated = terminatedState(rt);
      if (c.waiting !== undefined) {
        return {
          ...base,
          state: { waiting: c.waiting },
          lastState: { terminated },
          ready: false,
          started: false,
        };
      }
      const ready = c.role === 'init' && terminated.exitCode === 0;
      return { ...base, state: { terminated }, lastState: last, ready, started: false };
    }
    return {
      ...base,
      state: { waiting: c.waiting ?? { reason: 'ContainerCreating' } },
      lastState: last,
      ready: false,
      started: false,
    };
  }
}

/**
 * An evicted pod's status (eviction_manager.go evictPod): Failed with reason Evicted, and the
 * DisruptionTarget condition saying the kubelet ended it.
 */
function evictedStatus(status: PodStatus, message: string, env: SyncEnv): PodStatus {
  const nowIso = formatTime(env.ports.clock.now());
  return {
    ...status,
    phase: 'Failed',
    reason: 'Evicted',
    message,
    conditions: setCondition(
      status.conditions ?? [],
      { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message },
      nowIso,
    ),
  };
}

/** The limits the runtime enforces (cgroup CPU quota, memory limit), when there are any. */
function containerResources(
  limits: ResourceList | undefined,
): { resources: ContainerResources } | Record<string, never> {
  const cpu = limits?.[RESOURCE_CPU];
  const memory = limits?.[RESOURCE_MEMORY];
  if (cpu === undefined && memory === undefined) return {};
  return {
    resources: {
      ...(cpu === undefined ? {} : { cpuLimitMillicores: resourceAmount(RESOURCE_CPU, cpu) }),
      ...(memory === undefined
        ? {}
        : { memoryLimitBytes: resourceAmount(RESOURCE_MEMORY, memory) }),
    },
  };
}

/** Always restarts; OnFailure restarts a non-zero exit; Never never. */
function shouldRestart(policy: string, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

function terminatedState(rt: RuntimeContainer): ContainerStateTerminated {
  return {
    exitCode: rt.exitCode ?? 0,
    reason: rt.reason ?? (rt.exitCode === 0 ? 'Completed' : 'Error'),
    ...(rt.startedAtUs === undefined ? {} : { startedAt: formatTime(rt.startedAtUs) }),
    ...(rt.finishedAtUs === undefined ? {} : { finishedAt: formatTime(rt.finishedAtUs) }),
    containerID: `containerd://${rt.id}`,
  };
}

/** Go's time.Duration.String() for whole seconds: "10s", "1m20s", "5m0s". */
export function formatGoDuration(us: number): string {
  const totalS = Math.round(us / 1_000_000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
