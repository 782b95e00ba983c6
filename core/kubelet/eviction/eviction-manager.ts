/**
 * The eviction manager (pkg/kubelet/eviction/eviction_manager.go synchronize). Every monitoring
 * period (10 s) it observes the node's signals (signals.ts) and compares them with the hard and
 * soft thresholds of the kubelet's configuration:
 * - a threshold met now, or met before and not yet cleared by its minimum reclaim, is met;
 * - a soft threshold acts only once it has been met for its grace period (first-observed times
 *   are kept per threshold, dropped when it clears);
 * - each met threshold puts its node condition (MemoryPressure, DiskPressure, PIDPressure) on,
 *   and the condition stays on for the pressure transition period (5 min) after it was last met;
 * - while a threshold acts, one pod is evicted per period: the first threshold by eviction
 *   priority (memory first) picks the ranking, with upstream's message; a hard threshold kills at
 *   once (1 s), a soft one gives min(evictionMaxPodGracePeriod, the pod's own grace period);
 * - before evicting for a disk signal, node-level resources are reclaimed first
 *   (reclaimNodeLevelResources): every unused image goes; if the signals, observed again, then
 *   meet no threshold (minimum reclaim included), no pod is evicted.
 */
import type { Pod } from '../../api/pod-types.ts';
import { formatQuantity, quantityFromNanos } from '../../api/quantity.ts';
import {
  RESOURCE_EPHEMERAL_STORAGE,
  RESOURCE_MEMORY,
  resourceAmount,
} from '../../api/resource-list.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import type { FilesystemUsage } from '../../ports/runtime.ts';
import { assertNever } from '../../util/assert.ts';
import { fsInodeCapacity, type KubeletConfig } from '../config.ts';
import type { NodeUsage, PodUsage } from '../resource-usage.ts';
import {
  rankDiskPressure,
  rankInodePressure,
  rankMemoryPressure,
  rankPidPressure,
  resourceRequest,
  type EvictionCandidate,
} from './rank.ts';
import {
  byEvictionPriority,
  mergeThresholds,
  parseThresholdValue,
  SIGNAL_CONDITION,
  SIGNAL_RESOURCE,
  SIGNALS,
  thresholdAmount,
  thresholdsMet,
  type Observation,
  type Observations,
  type PressureCondition,
  type Signal,
  type Threshold,
  type ThresholdValue,
} from './signals.ts';

/** evictionMonitoringPeriod. */
const MONITORING_PERIOD_US = 10_000_000;
/** immediateEvictionGracePeriodSeconds: what a hard eviction gives a pod. */
const IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS = 1;

export interface EvictionHost {
  usage(): Promise<NodeUsage | undefined>;
  /** What the images take (CRI ImageFsInfo); undefined when the runtime cannot say. */
  imageFs(): Promise<FilesystemUsage | undefined>;
  /** Node-level reclaim for disk signals: removes every unused image old enough. */
  reclaimDisk(): Promise<void>;
  /** The pods the kubelet runs and could evict (admitted, not terminal, not being deleted). */
  activePods(): readonly { readonly uid: string; readonly pod: Pod }[];
  evict(uid: string, message: string, gracePeriodSeconds: number): void;
}

const CONDITIONS: readonly PressureCondition[] = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

export class EvictionManager {
  private readonly thresholds: readonly Threshold[];
  /** Thresholds met at the last synchronize (kept while their minimum reclaim is not freed). */
  private met: readonly Threshold[] = [];
  private readonly firstObservedUs = new Map<Threshold, number>();
  private readonly conditionLastObservedUs = new Map<PressureCondition, number>();
  private readonly conditions = new Set<PressureCondition>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly config: KubeletConfig,
    private readonly host: EvictionHost,
  ) {
    this.thresholds = evictionThresholds(config);
  }

  /** Whether the node reports this condition now (met, or within the transition period). */
  under(condition: PressureCondition): boolean {
    return this.conditions.has(condition);
  }

  start(): void {
    this.ports.spawn(async () => {
      for (;;) {
        await this.ports.clock.sleep(MONITORING_PERIOD_US);
        await this.synchronize();
      }
    });
  }

  async synchronize(): Promise<void> {
    const seen = await this.observe();
    if (seen === undefined) return;
    const { usage, observations } = seen;
    const nowUs = this.ports.clock.now();
    const met = mergeThresholds(
      thresholdsMet(this.thresholds, observations, false),
      thresholdsMet(this.met, observations, true),
    );
    this.met = met;
    for (const t of [...this.firstObservedUs.keys()])
      if (!met.includes(t)) this.firstObservedUs.delete(t);
    for (const t of met) if (!this.firstObservedUs.has(t)) this.firstObservedUs.set(t, nowUs);
    const acting = met.filter(
      (t) => nowUs - (this.firstObservedUs.get(t) ?? nowUs) >= t.gracePeriodUs,
    );
    for (const t of acting) this.conditionLastObservedUs.set(SIGNAL_CONDITION[t.signal], nowUs);
    for (const condition of CONDITIONS) {
      const last = this.conditionLastObservedUs.get(condition);
      const on =
        last !== undefined && nowUs - last < this.config.evictionPressureTransitionPeriodUs;
      if (on === this.conditions.has(condition)) continue;
      if (on) this.conditions.add(condition);
      else this.conditions.delete(condition);
      const signal =
        acting.find((t) => SIGNAL_CONDITION[t.signal] === condition)?.signal ??
        SIGNALS.find((s) => SIGNAL_CONDITION[s] === condition && observations.has(s)) ??
        'memory.available';
      this.ports.trace.emit('kubelet.node-pressure', {
        node: this.config.nodeName,
        condition,
        status: on,
        signal,
        available: observations.get(signal)?.available ?? 0,
      });
    }
    const target = byEvictionPriority(acting)[0];
    if (target === undefined) return;
    if (SIGNAL_CONDITION[target.signal] === 'DiskPressure' && (await this.reclaimDisk())) return;
    this.evictOne(target, observations, usage);
  }

  private async observe(): Promise<
    { usage: NodeUsage; observations: Map<Signal, Observation> } | undefined
  > {
    const usage = await this.host.usage();
    if (usage === undefined) return undefined;
    const imageFs = await this.host.imageFs();
    return { usage, observations: observe(this.config, usage, imageFs) };
  }

  /**
   * reclaimNodeLevelResources for a disk signal: true when, after removing unused images, no
   * threshold (hard or soft, minimum reclaim included, grace periods ignored) is met any more.
   */
  private async reclaimDisk(): Promise<boolean> {
    await this.host.reclaimDisk();
    const seen = await this.observe();
    if (seen === undefined) return false;
    return thresholdsMet(this.thresholds, seen.observations, true).length === 0;
  }

  private evictOne(target: Threshold, observations: Observations, usage: NodeUsage): void {
    const byUid = new Map(usage.pods.map((p) => [p.uid, p]));
    const candidates: EvictionCandidate[] = this.host.activePods().map((p) => ({
      uid: p.uid,
      pod: p.pod,
      usage: byUid.get(p.uid),
    }));
    const victim = rank(target.signal, candidates)[0];
    if (victim === undefined) return;
    const observed = observations.get(target.signal);
    const message = evictionMessage(target, observed, victim.pod, victim.usage);
    let grace = IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS;
    if (!target.hard) {
      const own = victim.pod.spec.terminationGracePeriodSeconds;
      grace = Math.min(this.config.evictionMaxPodGracePeriodSeconds, own ?? Infinity);
    }
    this.host.evict(victim.uid, message, grace);
  }
}

/** The configured thresholds: hard ones, then soft ones with their grace periods. */
export function evictionThresholds(config: KubeletConfig): Threshold[] {
  const out: Threshold[] = [];
  const minReclaim = (signal: Signal): ThresholdValue | undefined => {
    const text = config.evictionMinimumReclaim[signal];
    const v = text === undefined ? undefined : parseThresholdValue(signal, text);
    return typeof v === 'string' ? undefined : v;
  };
  for (const [map, hard] of [
    [config.evictionHard, true],
    [config.evictionSoft, false],
  ] as const) {
    for (const signal of SIGNALS) {
      const text = map[signal];
      if (text === undefined) continue;
      const value = parseThresholdValue(signal, text);
      if (typeof value === 'string') continue;
      // A zero threshold ("0%") turns the signal off, as upstream's parseThresholdStatement.
      if (value.kind === 'quantity' ? value.amount === 0 : value.percent === 0) continue;
      out.push({
        signal,
        value,
        hard,
        gracePeriodUs: hard ? 0 : (config.evictionSoftGracePeriodUs[signal] ?? 0),
        minReclaim: minReclaim(signal),
      });
    }
  }
  return out;
}

/**
 * makeSignalObservations: what the node has available of each signal it can observe. There is
 * no dedicated image filesystem: imagefs is nodefs (as upstream treats a shared device), and
 * it holds the containers' writable layers and logs and the images.
 */
export function observe(
  config: KubeletConfig,
  usage: NodeUsage,
  imageFs: FilesystemUsage | undefined,
): Map<Signal, Observation> {
  const out = new Map<Signal, Observation>();
  const memory = capacityOf(config, RESOURCE_MEMORY);
  if (memory !== undefined)
    out.set('memory.available', { available: memory - usage.memoryBytes, capacity: memory });
  const disk = capacityOf(config, RESOURCE_EPHEMERAL_STORAGE);
  if (disk !== undefined && usage.reports.rootfs) {
    const used = usage.rootfsBytes + (imageFs?.usedBytes ?? 0);
    const fs = { available: disk - used, capacity: disk };
    out.set('nodefs.available', fs);
    out.set('imagefs.available', fs);
  }
  const inodes = fsInodeCapacity(config);
  if (inodes !== undefined && usage.reports.inodes) {
    const used = usage.inodesUsed + (imageFs?.inodesUsed ?? 0);
    const fs = { available: inodes - used, capacity: inodes };
    out.set('nodefs.inodesFree', fs);
    out.set('imagefs.inodesFree', fs);
  }
  if (usage.reports.processes)
    out.set('pid.available', {
      available: config.pidMax - usage.processes,
      capacity: config.pidMax,
    });
  return out;
}

function capacityOf(config: KubeletConfig, resource: string): number | undefined {
  const text = config.capacity[resource];
  return text === undefined ? undefined : resourceAmount(resource, text);
}

function rank(signal: Signal, candidates: readonly EvictionCandidate[]): EvictionCandidate[] {
  switch (signal) {
    case 'memory.available':
      return rankMemoryPressure(candidates);
    case 'nodefs.available':
    case 'imagefs.available':
      return rankDiskPressure(candidates);
    case 'nodefs.inodesFree':
    case 'imagefs.inodesFree':
      return rankInodePressure(candidates);
    case 'pid.available':
      return rankPidPressure(candidates);
    default:
      return assertNever(signal, 'eviction signal');
  }
}

/**
 * helpers.go evictionMessage, trailing spaces and all: the resource, the threshold and what was
 * available, then each container using more memory or ephemeral storage than it requests.
 */
function evictionMessage(
  threshold: Threshold,
  observed: Observation | undefined,
  pod: Pod,
  usage: PodUsage | undefined,
): string {
  const resource = SIGNAL_RESOURCE[threshold.signal];
  const bytes = resource === RESOURCE_MEMORY || resource === RESOURCE_EPHEMERAL_STORAGE;
  const show = (n: number): string => (bytes ? bytesText(n) : countText(n));
  let message = `The node was low on resource: ${resource}. `;
  if (observed !== undefined) {
    const quantity =
      threshold.value.kind === 'quantity'
        ? threshold.value.text
        : show(thresholdAmount(threshold.value, observed.capacity));
    message += `Threshold quantity: ${quantity}, available: ${show(observed.available)}. `;
  }
  if (!bytes) return message;
  for (const c of pod.spec.containers) {
    const stats = usage?.containers.find((x) => x.name === c.name);
    const used =
      resource === RESOURCE_MEMORY ? (stats?.memoryBytes ?? 0) : (stats?.rootfsBytes ?? 0);
    const request = resourceRequest(c.resources?.requests, resource);
    if (used > request)
      message += `Container ${c.name} was using ${bytesText(used)}, request is ${bytesText(request)}, has larger consumption of ${resource}. `;
  }
  return message;
}

/** Inodes and pids are DecimalSI quantities upstream: 5000 shows as 5k. */
function countText(n: number): string {
  const v = BigInt(Math.max(0, Math.round(n)));
  return formatQuantity(quantityFromNanos(v * 1_000_000_000n, 'DecimalSI'));
}

function bytesText(bytes: number): string {
  const b = BigInt(Math.max(0, Math.round(bytes)));
  return formatQuantity(quantityFromNanos(b * 1_000_000_000n, 'BinarySI'));
}
