/**
 * Kubelet configuration with upstream's defaults (pkg/kubelet/apis/config/v1beta1/defaults.go)
 * and the allocatable computation of the container manager
 * (pkg/kubelet/cm/node_container_manager_linux.go GetNodeAllocatableReservation).
 */
import type { Signal } from './eviction/signals.ts';
import type { Taint } from '../api/node-types.ts';
import type { Pod, ResourceList } from '../api/pod-types.ts';
import {
  formatQuantity,
  mustParseQuantity,
  quantityFromNanos,
  sign,
  sub,
  ZERO_QUANTITY,
  type Quantity,
} from '../api/quantity.ts';
import { RESOURCE_EPHEMERAL_STORAGE, RESOURCE_MEMORY } from '../api/resource-list.ts';
import { assert } from '../util/assert.ts';
import { parseCidr } from './pod-ip.ts';

export interface BackoffPolicy {
  readonly initialUs: number;
  readonly maxUs: number;
}

/** Eviction thresholds by signal, as a KubeletConfiguration map: "100Mi", "10%". */
export type EvictionThresholds = Readonly<Partial<Record<Signal, string>>>;

/** evictionHard's default on Linux (1.32). */
export const DEFAULT_EVICTION_HARD: EvictionThresholds = {
  'memory.available': '100Mi',
  'nodefs.available': '10%',
  'nodefs.inodesFree': '5%',
  'imagefs.available': '15%',
  'imagefs.inodesFree': '5%',
};

export interface KubeletConfig {
  readonly nodeName: string;
  /** Machine capacity: cpu, memory, pods, ephemeral-storage. */
  readonly capacity: ResourceList;
  /** --system-reserved / --kube-reserved; upstream reserves nothing by default. */
  readonly systemReserved: ResourceList;
  readonly kubeReserved: ResourceList;
  /** --eviction-hard (setting it replaces the whole default map, as upstream). */
  readonly evictionHard: EvictionThresholds;
  /** --eviction-soft; each needs a grace period. Upstream sets none by default. */
  readonly evictionSoft: EvictionThresholds;
  /** --eviction-soft-grace-period, by signal. */
  readonly evictionSoftGracePeriodUs: Readonly<Partial<Record<Signal, number>>>;
  /** --eviction-minimum-reclaim, by signal. */
  readonly evictionMinimumReclaim: EvictionThresholds;
  /** --eviction-max-pod-grace-period: the most a soft eviction waits for a pod (default 0). */
  readonly evictionMaxPodGracePeriodSeconds: number;
  /** --eviction-pressure-transition-period (5 min). */
  readonly evictionPressureTransitionPeriodUs: number;
  /** How many process ids the node has (kernel.pid_max): pid.available's capacity. */
  readonly pidMax: number;
  /**
   * Inodes of the node's filesystem (nodefs.inodesFree's capacity); undefined: one per 16 KiB
   * of ephemeral-storage capacity, mkfs.ext4's default inode ratio.
   */
  readonly fsInodes: number | undefined;
  /** imageGCHighThresholdPercent (85): image GC starts at this image filesystem usage; 100 turns it off. */
  readonly imageGCHighThresholdPercent: number;
  /** imageGCLowThresholdPercent (80): image GC frees down to this usage. */
  readonly imageGCLowThresholdPercent: number;
  /** imageMinimumGCAge (2 min): images younger than this are never collected. */
  readonly imageMinimumGCAgeUs: number;
  /** imageMaximumGCAge (0, off): images unused for longer are collected whatever the usage. */
  readonly imageMaximumGCAgeUs: number;
  /** Static pod manifests (staticPodPath's pods): run without the API server, mirrored there. */
  readonly staticPods: readonly Pod[];
  /** Added to kubernetes.io/hostname, kubernetes.io/os and kubernetes.io/arch. */
  readonly labels: Readonly<Record<string, string>>;
  /** --register-with-taints. */
  readonly taints: readonly Taint[];
  /** --register-schedulable (deprecated upstream, still served): false registers it cordoned. */
  readonly registerSchedulable: boolean;
  /**
   * --pod-cidr: the node's pod network, e.g. "10.244.3.0/24"; pod IPs come from it. "" takes
   * it from the Node's spec.podCIDR once the controller manager's node IPAM has set it (then
   * internalIP must be given).
   */
  readonly podCIDR: string;
  /** The node's InternalIP (hostIP of its pods); derived from podCIDR when not given. */
  readonly internalIP: string;
  readonly nodeLeaseDurationSeconds: number;
  readonly nodeLeaseRenewIntervalUs: number;
  /** Jitter factor on each renewal (upstream wait.JitterUntil with 0.04). */
  readonly nodeLeaseRenewJitter: number;
  /** How often the kubelet computes node status. */
  readonly nodeStatusUpdateFrequencyUs: number;
  /** How often an unchanged node status is still written (upstream 5 min with leases). */
  readonly nodeStatusReportFrequencyUs: number;
  /** --sync-frequency: each pod is synced at least this often. */
  readonly podResyncIntervalUs: number;
  /**
   * The EventedPLEG feature gate (alpha upstream, off by default): follow the runtime's event
   * stream instead of relisting every plegRelistPeriodUs.
   */
  readonly eventedPLEG: boolean;
  /** PLEG relist period (generic PLEG), and with EventedPLEG while the event stream is down. */
  readonly plegRelistPeriodUs: number;
  /** PLEG relist period while events flow: the relist is only a safety net then. */
  readonly plegEventedRelistPeriodUs: number;
  /** --cluster-dns: nameservers of pods with DNS policy ClusterFirst. */
  readonly clusterDNS: readonly string[];
  /** --cluster-domain: the DNS domain of services, in pods' search paths. */
  readonly clusterDomain: string;
  /** CrashLoopBackOff: 10 s doubling to 5 min (pkg/kubelet/kubelet.go backOffPeriod, MaxContainerBackOff). */
  readonly crashLoopBackoff: BackoffPolicy;
  /** ImagePullBackOff: the same flowcontrol.Backoff parameters. */
  readonly imagePullBackoff: BackoffPolicy;
  readonly kubeletVersion: string;
  readonly containerRuntimeVersion: string;
}

export type KubeletOptions = Pick<KubeletConfig, 'nodeName' | 'podCIDR'> &
  Partial<Omit<KubeletConfig, 'nodeName' | 'podCIDR'>>;

/** A node's machine when nothing says otherwise (every cluster default is this one). */
export const DEFAULT_CAPACITY: ResourceList = {
  cpu: '4',
  memory: '8Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
};

const US_PER_SECOND = 1_000_000;

export function resolveKubeletConfig(options: KubeletOptions): KubeletConfig {
  assert(options.nodeName.length > 0, 'kubelet needs a node name');
  const fromNode = options.podCIDR === '';
  assert(
    fromNode || parseCidr(options.podCIDR) !== undefined,
    `podCIDR is not an IPv4 CIDR: ${options.podCIDR}`,
  );
  assert(
    !fromNode || options.internalIP !== undefined,
    'a kubelet that takes its podCIDR from its Node needs an internalIP',
  );
  const config = {
    systemReserved: {},
    kubeReserved: {},
    evictionHard: DEFAULT_EVICTION_HARD,
    evictionSoft: {},
    evictionSoftGracePeriodUs: {},
    evictionMinimumReclaim: {},
    evictionMaxPodGracePeriodSeconds: 0,
    evictionPressureTransitionPeriodUs: 300 * US_PER_SECOND,
    pidMax: 4_194_304,
    staticPods: [],
    fsInodes: undefined,
    imageGCHighThresholdPercent: 85,
    imageGCLowThresholdPercent: 80,
    imageMinimumGCAgeUs: 120 * US_PER_SECOND,
    imageMaximumGCAgeUs: 0,
    labels: {},
    taints: [],
    registerSchedulable: true,
    internalIP: fromNode ? '' : defaultInternalIP(options.podCIDR),
    nodeLeaseDurationSeconds: 40,
    nodeLeaseRenewIntervalUs: 10 * US_PER_SECOND,
    nodeLeaseRenewJitter: 0.04,
    nodeStatusUpdateFrequencyUs: 10 * US_PER_SECOND,
    nodeStatusReportFrequencyUs: 300 * US_PER_SECOND,
    podResyncIntervalUs: 60 * US_PER_SECOND,
    eventedPLEG: false,
    plegRelistPeriodUs: US_PER_SECOND,
    plegEventedRelistPeriodUs: 300 * US_PER_SECOND,
    // Upstream defaults both to empty; these are what kubeadm configures.
    clusterDNS: ['10.96.0.10'],
    clusterDomain: 'cluster.local',
    crashLoopBackoff: { initialUs: 10 * US_PER_SECOND, maxUs: 300 * US_PER_SECOND },
    imagePullBackoff: { initialUs: 10 * US_PER_SECOND, maxUs: 300 * US_PER_SECOND },
    kubeletVersion: 'v1.31.0',
    containerRuntimeVersion: 'ksim://0.1.0',
    ...withoutUndefined(options),
    capacity: { ...DEFAULT_CAPACITY, ...options.capacity },
    nodeName: options.nodeName,
    podCIDR: options.podCIDR,
  } as KubeletConfig;
  const problem = imageGCProblem(config);
  assert(problem === undefined, problem ?? '');
  return config;
}

/** What upstream's validation refuses in the image GC settings (validation.go). */
export function imageGCProblem(
  c: Pick<KubeletConfig, 'imageGCHighThresholdPercent' | 'imageGCLowThresholdPercent'>,
): string | undefined {
  const high = c.imageGCHighThresholdPercent;
  const low = c.imageGCLowThresholdPercent;
  if (!(high >= 0 && high <= 100))
    return `imageGCHighThresholdPercent (--image-gc-high-threshold) ${high} must be between 0 and 100, inclusive`;
  if (!(low >= 0 && low <= 100))
    return `imageGCLowThresholdPercent (--image-gc-low-threshold) ${low} must be between 0 and 100, inclusive`;
  if (low >= high)
    return `imageGCLowThresholdPercent (--image-gc-low-threshold) ${low} must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) ${high}`;
  return undefined;
}

/** mkfs.ext4's default bytes-per-inode ratio. */
const BYTES_PER_INODE = 16_384;

/** nodefs.inodesFree's capacity: fsInodes, or one inode per 16 KiB of ephemeral storage. */
export function fsInodeCapacity(config: KubeletConfig): number | undefined {
  if (config.fsInodes !== undefined) return config.fsInodes;
  const text = config.capacity[RESOURCE_EPHEMERAL_STORAGE];
  if (text === undefined) return undefined;
  return Math.floor(Number(mustParseQuantity(text).nanos / 1_000_000_000n) / BYTES_PER_INODE);
}

/** The port the kubelet serves its API on (upstream's --port default), in Node status. */
export const KUBELET_PORT = 10250;

/**
 * allocatable = capacity − kube-reserved − system-reserved − the hard eviction threshold of
 * memory.available (memory) and nodefs.available (ephemeral storage), each absolute or a share
 * of capacity, floored at zero.
 */
export function nodeAllocatable(config: KubeletConfig): ResourceList {
  const out: Record<string, string> = {};
  for (const [name, capText] of Object.entries(config.capacity)) {
    let q: Quantity = mustParseQuantity(capText);
    for (const reserved of [config.kubeReserved[name], config.systemReserved[name]]) {
      if (reserved !== undefined) q = sub(q, mustParseQuantity(reserved));
    }
    const signal =
      name === RESOURCE_MEMORY
        ? 'memory.available'
        : name === RESOURCE_EPHEMERAL_STORAGE
          ? 'nodefs.available'
          : undefined;
    const threshold = signal === undefined ? undefined : config.evictionHard[signal];
    if (threshold !== undefined) {
      const capNanos = mustParseQuantity(capText).nanos;
      const percent = /^(\d+(?:\.\d+)?)%$/.exec(threshold.trim());
      const nanos =
        percent === null
          ? mustParseQuantity(threshold).nanos
          : (capNanos * BigInt(Math.round(Number(percent[1]) * 1000))) / 100_000n;
      q = sub(q, quantityFromNanos(nanos, q.format));
    }
    out[name] = formatQuantity(sign(q) < 0 ? ZERO_QUANTITY : q);
  }
  return out;
}

/**
 * A node address that differs per pod CIDR: A.B.N.0/24 -> 172.(16 + B mod 16).N.2. Cluster
 * wiring that knows better passes internalIP explicitly.
 */
export function defaultInternalIP(podCIDR: string): string {
  const cidr = parseCidr(podCIDR);
  assert(cidr !== undefined, `podCIDR is not an IPv4 CIDR: ${podCIDR}`);
  const b = (cidr.base >>> 16) & 0xff;
  const n = (cidr.base >>> 8) & 0xff;
  return `172.${16 + (b & 15)}.${n}.2`;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
