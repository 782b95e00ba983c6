/**
 * Node registration and status (pkg/kubelet/kubelet_node_status.go): register the Node with
 * retry and backoff — on a restart the Node exists, and its status is updated instead — then
 * recompute the status every nodeStatusUpdateFrequency and write it when it changed or when
 * nodeStatusReportFrequency passed since the last write (with node leases, liveness comes
 * from the lease, so an unchanged status is only re-posted every 5 min).
 */
import type { PressureCondition } from './eviction/signals.ts';
import { setCondition } from '../api/conditions.ts';
import type { ContainerImage, Node, NodeCondition, NodeStatus } from '../api/node-types.ts';
import { deepEqual } from '../api/meta-validation.ts';
import { formatTime } from '../api/time.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { uid as randomUid } from '../ports/random.ts';
import { fnv1a64Hex } from '../util/fnv-hash.ts';
import { KUBELET_PORT, nodeAllocatable, type KubeletConfig } from './config.ts';

/** Upstream's registration backoff: 100 ms doubling to 7 s. */
const REGISTER_BACKOFF_INITIAL_US = 100_000;
const REGISTER_BACKOFF_MAX_US = 7_000_000;
/** nodeStatusUpdateRetry. */
const STATUS_UPDATE_RETRIES = 5;
/** client-go's util.FromApiserverCache: any version, from the API server's watch cache. */
const FROM_API_SERVER_CACHE = { resourceVersion: '0' } as const;

const CONDITIONS: readonly Omit<NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>[] = [
  {
    type: 'MemoryPressure',
    status: 'False',
    reason: 'KubeletHasSufficientMemory',
    message: 'kubelet has sufficient memory available',
  },
  {
    type: 'DiskPressure',
    status: 'False',
    reason: 'KubeletHasNoDiskPressure',
    message: 'kubelet has no disk pressure',
  },
  {
    type: 'PIDPressure',
    status: 'False',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
  },
  {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'kubelet is posting ready status',
  },
];

/** The conditions the eviction manager turns on (setNodeMemory/Disk/PIDPressureCondition). */
const PRESSURE: Readonly<Partial<Record<PressureCondition, (typeof CONDITIONS)[number]>>> = {
  MemoryPressure: {
    type: 'MemoryPressure',
    status: 'True',
    reason: 'KubeletHasInsufficientMemory',
    message: 'kubelet has insufficient memory available',
  },
  DiskPressure: {
    type: 'DiskPressure',
    status: 'True',
    reason: 'KubeletHasDiskPressure',
    message: 'kubelet has disk pressure',
  },
  PIDPressure: {
    type: 'PIDPressure',
    status: 'True',
    reason: 'KubeletHasInsufficientPID',
    message: 'kubelet has insufficient PID available',
  },
};

/**
 * What a status check found unchanged: the stored Node's resourceVersion and the kubelet's own
 * inputs to the status (pressure conditions, the image list as last refreshed).
 */
interface UnchangedCheck {
  readonly resourceVersion: string;
  readonly pressure: number;
  readonly images: readonly ContainerImage[];
}

export class NodeStatusReporter {
  private node: Node | undefined;
  private lastReportUs = 0;
  private readonly bootID: string;
  private readonly machineID: string;
  /** The parts of the status that only the kubelet's configuration decides, made once. */
  private readonly fixed: Pick<
    NodeStatus,
    'capacity' | 'allocatable' | 'addresses' | 'daemonEndpoints' | 'nodeInfo'
  >;
  /**
   * The last check that found nothing to write. The status is a function of the stored Node
   * and these inputs (heartbeat times aside, which the comparison ignores), so the same
   * resourceVersion with the same inputs gives the same answer without building a status
   * again: every kubelet checks every 10 s and an idle node's status is unchanged for hours.
   */
  private unchanged: UnchangedCheck | undefined;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly config: KubeletConfig,
    /** The eviction manager's pressure conditions. */
    private readonly pressure: (condition: PressureCondition) => boolean = () => false,
    /** The node's images as status.images lists them (nodeStatusImages). */
    private readonly images: () => readonly ContainerImage[] = () => [],
  ) {
    // The machine id is stable per node name; the boot id is new at every (re)start.
    const name = new TextEncoder().encode(config.nodeName);
    this.machineID =
      fnv1a64Hex(name) + fnv1a64Hex(new TextEncoder().encode(`machine/${config.nodeName}`));
    this.bootID = randomUid(ports.random.fork('boot'));
    this.fixed = this.fixedStatus();
  }

  /** The Node's spec.podCIDR as last read (node IPAM's, when the kubelet has none of its own). */
  get assignedPodCIDR(): string | undefined {
    const cidr = this.node?.spec?.podCIDR;
    return cidr === undefined || cidr === '' ? undefined : cidr;
  }

  /** Reads the Node again (updateStatus writes only when something changed or is due). */
  refresh(): Promise<boolean> {
    return this.updateStatus(false);
  }

  /** The registered Node's uid (for the lease's owner reference), once known. */
  get nodeUid(): string | undefined {
    return this.node?.metadata.uid;
  }

  start(): void {
    this.ports.spawn(async () => {
      await this.register();
      for (;;) {
        await this.ports.clock.sleep(this.config.nodeStatusUpdateFrequencyUs);
        await this.updateStatus(false);
      }
    });
  }

  private async register(): Promise<void> {
    let backoffUs = REGISTER_BACKOFF_INITIAL_US;
    for (;;) {
      const created = await this.api.create(this.initialNode());
      if (created.ok) {
        this.reported(created.value);
        this.ports.trace.emit('kubelet.node-registered', {
          node: this.config.nodeName,
          existing: false,
        });
        return;
      }
      if (created.status === 409 && (await this.updateStatus(true))) {
        this.ports.trace.emit('kubelet.node-registered', {
          node: this.config.nodeName,
          existing: true,
        });
        return;
      }
      await this.ports.clock.sleep(backoffUs);
      backoffUs = Math.min(backoffUs * 2, REGISTER_BACKOFF_MAX_US);
    }
  }

  /**
   * Writes the status if it differs from the Node the API server has, or if the report period
   * passed (or `force`); true once the API server has it. Comparing with the stored Node, not
   * with what this kubelet last wrote, is what upstream's tryUpdateNodeStatus does: another
   * writer (the node lifecycle controller setting Ready=Unknown) is corrected at the next update.
   * The first read asks for any version, which the API server answers from its watch cache
   * without a store round (upstream's tryUpdateNodeStatus: the Node GETs of every kubelet are
   * most of a large cluster's reads); a conflict means that copy was stale, and the retries
   * read the newest through the store.
   */
  private async updateStatus(force: boolean): Promise<boolean> {
    const nowUs = this.ports.clock.now();
    for (let attempt = 0; attempt < STATUS_UPDATE_RETRIES; attempt++) {
      const got = await this.api.get(
        'Node',
        undefined,
        this.config.nodeName,
        attempt === 0 ? FROM_API_SERVER_CACHE : {},
      );
      if (!got.ok) return false;
      this.node = got.value;
      const due = nowUs - this.lastReportUs >= this.config.nodeStatusReportFrequencyUs;
      const check = this.inputs(this.node);
      if (!force && !due && sameCheck(this.unchanged, check)) return true;
      const status = this.status(this.node.status, nowUs);
      const unchanged = !nodeStatusHasChanged(this.node.status ?? {}, status);
      this.unchanged = unchanged ? check : undefined;
      if (!force && !due && unchanged) return true;
      const r = await this.api.updateStatus<Node>({ ...this.node, status });
      if (r.ok) {
        this.reported(r.value);
        return true;
      }
      if (r.status !== 409) return false;
    }
    return false;
  }

  private inputs(node: Node): UnchangedCheck {
    let pressure = 0;
    for (let i = 0; i < PRESSURE_TYPES.length; i++)
      if (this.pressure(PRESSURE_TYPES[i]!)) pressure |= 1 << i;
    return {
      resourceVersion: node.metadata.resourceVersion ?? '',
      pressure,
      images: this.images(),
    };
  }

  private reported(node: Node): void {
    this.node = node;
    this.lastReportUs = this.ports.clock.now();
  }

  private initialNode(): Node {
    const c = this.config;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: c.nodeName,
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': c.nodeName,
          'kubernetes.io/os': 'linux',
          ...c.labels,
        },
      },
      spec: {
        ...(c.podCIDR === '' ? {} : { podCIDR: c.podCIDR, podCIDRs: [c.podCIDR] }),
        ...(c.taints.length > 0 ? { taints: c.taints } : {}),
        ...(c.registerSchedulable ? {} : { unschedulable: true }),
      },
      status: this.status(undefined, this.ports.clock.now()),
    };
  }

  private status(old: NodeStatus | undefined, nowUs: number): NodeStatus {
    const nowIso = formatTime(nowUs);
    let conditions: readonly NodeCondition[] = old?.conditions ?? [];
    for (const cond of CONDITIONS) {
      const pressed = PRESSURE[cond.type as PressureCondition];
      const actual =
        pressed !== undefined && this.pressure(cond.type as PressureCondition) ? pressed : cond;
      conditions = setCondition(conditions, { ...actual, lastHeartbeatTime: nowIso }, nowIso);
    }
    const { images: _, ...kept } = old ?? {};
    const images = this.images();
    const f = this.fixed;
    return {
      ...kept,
      ...(images.length === 0 ? {} : { images }),
      capacity: f.capacity,
      allocatable: f.allocatable,
      conditions,
      addresses: f.addresses,
      daemonEndpoints: f.daemonEndpoints,
      nodeInfo: f.nodeInfo,
    };
  }

  private fixedStatus(): typeof this.fixed {
    const c = this.config;
    return {
      capacity: c.capacity,
      allocatable: nodeAllocatable(c),
      addresses: [
        { type: 'InternalIP', address: c.internalIP },
        { type: 'Hostname', address: c.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
      nodeInfo: {
        machineID: this.machineID,
        systemUUID: this.machineID,
        bootID: this.bootID,
        kernelVersion: '6.1.0-ksim',
        osImage: 'ksim simulated node',
        containerRuntimeVersion: c.containerRuntimeVersion,
        kubeletVersion: c.kubeletVersion,
        kubeProxyVersion: c.kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
  }
}

const PRESSURE_TYPES: readonly PressureCondition[] = [
  'MemoryPressure',
  'DiskPressure',
  'PIDPressure',
];

function sameCheck(a: UnchangedCheck | undefined, b: UnchangedCheck): boolean {
  return (
    a !== undefined &&
    b.resourceVersion !== '' &&
    a.resourceVersion === b.resourceVersion &&
    a.pressure === b.pressure &&
    a.images === b.images
  );
}

/**
 * Whether anything but heartbeat times differs: what must change for an early write
 * (kubelet_node_status.go nodeStatusHasChanged, compared in place instead of through copies
 * or JSON: every kubelet asks every 10 s).
 */
function nodeStatusHasChanged(original: NodeStatus, status: NodeStatus): boolean {
  if (conditionsHaveChanged(original.conditions ?? [], status.conditions ?? [])) return true;
  const a = original as Record<string, unknown>;
  const b = status as Record<string, unknown>;
  for (const k in a) if (k !== 'conditions' && !deepEqual(a[k], b[k])) return true;
  for (const k in b) if (k !== 'conditions' && !(k in a) && b[k] !== undefined) return true;
  return false;
}

/** nodeConditionsHaveChanged: the same conditions by type, heartbeat times aside. */
function conditionsHaveChanged(
  original: readonly NodeCondition[],
  conditions: readonly NodeCondition[],
): boolean {
  if (original.length !== conditions.length) return true;
  for (const c of conditions) {
    const o = original.find((x) => x.type === c.type);
    if (
      o === undefined ||
      o.status !== c.status ||
      o.reason !== c.reason ||
      o.message !== c.message ||
      o.lastTransitionTime !== c.lastTransitionTime
    )
      return true;
  }
  return false;
}
