/**
 * The always-on invariants of a simulated cluster (names.ts), checked as the run goes: from the
 * store members' probe (Raft safety, and the committed objects: committed-objects.ts) and from
 * the trace records as they are written (leader elections, crashes, the garbage collector's
 * deletes). A violation is written to the trace at the moment it is found
 * (`invariant.violation`) and the run fails naming it.
 *
 * Each check costs O(1) or O(objects touched) per change; nothing is rescanned per event. The
 * checkers only read: a run with them has the same events and trace as one without, until a
 * violation is recorded.
 */
import type { Pod } from '../../core/api/pod-types.ts';
import { API_PROTOCOL } from '../../core/api/http-codec.ts';
import type { NodeProcess } from '../../core/cluster/assembly.ts';
import type { ProcessPorts } from '../../core/ports/process.ts';
import { defaultStoreClient } from '../../core/apiserver/server.ts';
import type { StoreClient } from '../../core/store/kv-client.ts';
import { podRequestsMillis } from '../../core/api/pod-helpers.ts';
import { resourceListToMillis } from '../../core/api/resource-list.ts';
import type { Entry, Index, NodeId, Term } from '../../core/raft/types.ts';
import type { MemberProbe } from '../../core/store/member/member-probe.ts';
import type { LeaseId, Revision } from '../../core/store/types.ts';
import { RaftInvariants } from '../check/raft-invariants.ts';
import { MAX_REPLICAS_ANNOTATION } from '../../core/controllers/deployment/annotations.ts';
import type { SimMachine } from '../cluster.ts';
import type { Simulation } from '../simulation.ts';
import { CommittedObjects, type CommittedObject, type ObjectChange } from './committed-objects.ts';
import { INVARIANT_NAMES, type InvariantName } from './names.ts';
import { StoreHistory } from './store-history.ts';
import { WatchStreamChecker } from './watch-streams.ts';

export interface InvariantViolation {
  readonly invariant: InvariantName;
  readonly atUs: number;
  readonly message: string;
}

export interface InvariantResult {
  readonly name: InvariantName;
  readonly enabled: boolean;
  readonly violations: number;
  /** The first violation's message. */
  readonly first?: string;
}

export interface ClusterInvariantsOptions {
  /** `{name: false}` turns one off; every invariant is on by default. */
  readonly enabled?: Readonly<Partial<Record<string, boolean>>>;
  /** How long a dependent may outlive its last owner (default 60 s). */
  readonly ownerBoundUs?: number;
  /** The cluster's node processes, whose kube-proxy rules are checked at the end. */
  readonly nodes?: readonly string[];
  /** `store-linearizable` checks the first this many store operations (DEFAULT_HISTORY_OPS). */
  readonly historyOps?: number;
  /**
   * Whether the store reports its commits through the probe (Raft members do; the in-memory
   * store does not). Without them the invariants that read the committed objects have nothing
   * to read, and watch-gap-free would take every delivered change for one never committed: they
   * are off.
   */
  readonly storeReportsCommits?: boolean;
}

export const DEFAULT_OWNER_BOUND_US = 60_000_000;
/** The invariants that read the committed objects. */
const OBJECT_INVARIANTS: readonly InvariantName[] = [
  'pod-bound-once',
  'node-overcommit',
  'owner-outlived',
  'service-live-endpoints',
  'gc-live-owner',
  'watch-gap-free',
  'rolling-update-bounds',
];
const NO_PROBE: MemberProbe = {
  persisted: () => {},
  leaderPersisted: () => {},
  applied: () => {},
  restored: () => {},
  readStarted: () => {},
  readServed: () => {},
  leaseExpiring: () => {},
};
/** How long a node's rules may still route to a pod that is gone. */
export const ENDPOINT_BOUND_US = 30_000_000;
const DNAT_TARGET = /--to-destination (\d+\.\d+\.\d+\.\d+):\d+/g;
/** Recorded per invariant; the rest are only counted. */
const MAX_RECORDED = 10;

interface Binding {
  readonly node: string;
  /** namespace/name */
  readonly pod: string;
  readonly requests: Readonly<Record<string, number>>;
}

export class ClusterInvariants {
  readonly probe: MemberProbe;
  private readonly on: ReadonlySet<InvariantName>;
  private readonly counts = new Map<InvariantName, number>();
  private readonly firsts = new Map<InvariantName, string>();
  private readonly raft: RaftInvariants;
  private raftSeen = 0;
  private readonly objects = new CommittedObjects();
  /** Non-terminal bound pods by uid, and the node each is bound to. */
  private readonly bound = new Map<string, Binding>();
  /**
   * Pods (namespace/name) whose binding the scheduler saw fail: a binding that timed out may
   * still commit later, after the scheduler forgot the pod and gave its room away (as
   * upstream's does), so an overcommit on a node that holds one is not the scheduler's fault.
   */
  private readonly bindingGivenUp = new Set<string>();
  /** The node each pod uid was first bound to (kept after the pod is gone). */
  private readonly boundTo = new Map<string, string>();
  /** Every object uid that exists now, and when each deleted one went. */
  private readonly live = new Map<string, CommittedObject>();
  private readonly goneAtUs = new Map<string, number>();
  /** Objects with owners, by uid, with the time they first had one. */
  private readonly dependents = new Map<string, { key: string; createdAtUs: number }>();
  /** Last committed state of objects by uid, kept after deletion for the GC check. */
  private readonly lastState = new Map<string, CommittedObject>();
  private readonly leaders = new Map<string, Map<string, string>>();
  private readonly ownerBoundUs: number;
  private readonly nodes: readonly string[];
  /** Pod IPs in use now (by pod uid), and when each pod of a released IP went. */
  private readonly podIPs = new Map<string, string>();
  private readonly ipGoneAtUs = new Map<string, number>();
  private readonly storeHistory: StoreHistory | undefined;

  constructor(
    private readonly sim: Simulation,
    options: ClusterInvariantsOptions = {},
  ) {
    const enabled = options.enabled ?? {};
    const blind = options.storeReportsCommits === false ? OBJECT_INVARIANTS : [];
    this.on = new Set(INVARIANT_NAMES.filter((n) => enabled[n] !== false && !blind.includes(n)));
    this.ownerBoundUs = options.ownerBoundUs ?? DEFAULT_OWNER_BOUND_US;
    this.nodes = options.nodes ?? [];
    this.raft = new RaftInvariants(() => sim.now);
    this.probe = this.makeProbe();
    this.objects.onChange((c) => this.objectChanged(c));
    if (this.on.has('watch-gap-free')) this.checkWatchStreams();
    this.storeHistory = this.on.has('store-linearizable')
      ? new StoreHistory(() => sim.now, options.historyOps)
      : undefined;
    sim.trace.observe((r) =>
      this.traced(r.p, r.k, r as unknown as Readonly<Record<string, unknown>>),
    );
  }

  /**
   * The API servers' store client, recording their history for `store-linearizable`; undefined
   * (the default client) when that invariant is off.
   */
  get storeClient():
    ((ports: ProcessPorts, members: readonly string[]) => StoreClient) | undefined {
    const history = this.storeHistory;
    if (history === undefined) return undefined;
    return (ports, members) => history.wrap(defaultStoreClient(ports, members));
  }

  private checkWatchStreams(): void {
    const checker = new WatchStreamChecker((m) => this.flag('watch-gap-free', m));
    this.objects.onChange((c) => checker.committed(c));
    this.sim.network.observeStreams({
      protocol: API_PROTOCOL.name,
      opened: (id, client, _server, request) => checker.opened(id, client, request),
      delivered: (id, message) => checker.delivered(id, message),
    });
  }

  get ok(): boolean {
    return this.counts.size === 0;
  }

  /** End-of-run checks; then every invariant's verdict. */
  finish(): InvariantResult[] {
    this.checkOwnersOutlived();
    this.checkProxyEndpoints();
    const history = this.storeHistory?.check();
    if (history !== undefined) this.flag('store-linearizable', history);
    return INVARIANT_NAMES.map((name) => {
      const first = this.firsts.get(name);
      return {
        name,
        enabled: this.on.has(name),
        violations: this.counts.get(name) ?? 0,
        ...(first === undefined ? {} : { first }),
      };
    });
  }

  private flag(invariant: InvariantName, message: string): void {
    if (!this.on.has(invariant)) return;
    const n = (this.counts.get(invariant) ?? 0) + 1;
    this.counts.set(invariant, n);
    if (n === 1) this.firsts.set(invariant, message);
    if (n <= MAX_RECORDED)
      this.sim.trace.record('sim', 'invariant.violation', { invariant, message });
  }

  private makeProbe(): MemberProbe {
    // Off invariants cost nothing: the Raft checker and the object replay run only for those on.
    const raft = this.on.has('raft-safety') ? this.raft : NO_PROBE;
    const objects = OBJECT_INVARIANTS.some((n) => this.on.has(n)) ? this.objects : undefined;
    const check = (): void => this.raftViolations();
    return {
      persisted: (m: NodeId, entries: readonly Entry[], prevTerm: Term | undefined) => {
        raft.persisted(m, entries, prevTerm);
        check();
      },
      leaderPersisted: (
        m: NodeId,
        term: Term,
        termAt: (i: Index) => Term | undefined,
        s: Index,
      ) => {
        raft.leaderPersisted(m, term, termAt, s);
        check();
      },
      applied: (m: NodeId, entry: Entry, rev: Revision, nodeTerm: Term) => {
        raft.applied(m, entry, rev, nodeTerm);
        check();
        objects?.applied(entry);
      },
      restored: (m: NodeId, index: Index, rev: Revision) => {
        raft.restored(m, index, rev);
        check();
      },
      readStarted: (m: NodeId, ctx: string) => raft.readStarted(m, ctx),
      readServed: (m: NodeId, ctx: string, readIndex: Index, applied: Index) => {
        raft.readServed(m, ctx, readIndex, applied);
        check();
      },
      leaseExpiring: (m: NodeId, id: LeaseId, term: Term) => raft.leaseExpiring(m, id, term),
    };
  }

  private raftViolations(): void {
    const all = this.raft.violations;
    while (this.raftSeen < all.length) {
      const v = all[this.raftSeen++]!;
      this.flag('raft-safety', `${v.kind}: ${v.message}`);
    }
  }

  private objectChanged(c: ObjectChange): void {
    const uid = (c.after ?? c.before)?.metadata.uid;
    if (uid === undefined) return;
    if (c.after !== undefined) {
      this.live.set(uid, c.after);
      this.lastState.set(uid, c.after);
      // Owners may come with the object or later (a controller adopting an orphan).
      if (!this.dependents.has(uid) && (c.after.metadata.ownerReferences ?? []).length > 0)
        this.dependents.set(uid, { key: c.key, createdAtUs: this.sim.now });
    } else {
      this.live.delete(uid);
      this.goneAtUs.set(uid, this.sim.now);
      this.dependents.delete(uid);
    }
    if (c.resource === 'pods') this.podChanged(uid, c);
    else if (c.resource === 'replicasets') this.replicaSetChanged(c);
  }

  /**
   * A Deployment's ReplicaSet scaled up: together its Deployment's ReplicaSets ask for at most
   * replicas + maxSurge, as the controller computed them for this write (the max-replicas
   * annotation it writes with every scale, upstream's SetReplicasAnnotations).
   */
  private replicaSetChanged(c: ObjectChange): void {
    const after = c.after as ReplicaSetLike | undefined;
    if (after === undefined || !this.on.has('rolling-update-bounds')) return;
    const replicas = after.spec?.replicas ?? 1;
    const before = (c.before as ReplicaSetLike | undefined)?.spec?.replicas ?? 0;
    if (replicas <= before) return;
    const owner = (after.metadata.ownerReferences ?? []).find(
      (r) => r.kind === 'Deployment' && (r as { controller?: boolean }).controller === true,
    );
    const max = Number(after.metadata.annotations?.[MAX_REPLICAS_ANNOTATION]);
    if (owner === undefined || !Number.isInteger(max)) return;
    let total = 0;
    for (const rs of this.replicaSetsOf(owner.uid)) total += rs.spec?.replicas ?? 1;
    if (total > max)
      this.flag(
        'rolling-update-bounds',
        `scaling ReplicaSet ${after.metadata.namespace ?? ''}/${after.metadata.name ?? ''} to ${replicas} makes Deployment ${owner.name}'s ReplicaSets ask for ${total} pods, above replicas + maxSurge = ${max}`,
      );
  }

  /** The live ReplicaSets a Deployment (by uid) controls. */
  private replicaSetsOf(deploymentUid: string): ReplicaSetLike[] {
    const found: ReplicaSetLike[] = [];
    // Only ReplicaSets name a Deployment as their owner.
    for (const obj of this.live.values())
      if ((obj.metadata.ownerReferences ?? []).some((r) => r.uid === deploymentUid))
        found.push(obj as ReplicaSetLike);
    return found;
  }

  private podChanged(uid: string, c: ObjectChange): void {
    const before = c.before as Pod | undefined;
    const after = c.after as Pod | undefined;
    const node = after?.spec?.nodeName ?? '';
    const first = this.boundTo.get(uid);
    if (after !== undefined && first !== undefined && node !== first) {
      this.flag(
        'pod-bound-once',
        `pod ${podName(after)} (uid ${uid}) bound to ${first} now has nodeName ${JSON.stringify(node)}`,
      );
    }
    if (node !== '' && first === undefined) {
      this.boundTo.set(uid, node);
      const requests = podRequestsMillis(after!);
      this.bound.set(uid, { node, pod: podName(after!), requests });
      // Pods created already bound did not go through a scheduler: counted, not blamed.
      if (before !== undefined) this.checkNodeFits(node, after!);
    }
    const ip = after?.status?.podIP;
    if (ip !== undefined && ip !== '') this.podIPs.set(ip, uid);
    const oldIP = before?.status?.podIP;
    if (oldIP !== undefined && oldIP !== ip && this.podIPs.get(oldIP) === uid) {
      this.podIPs.delete(oldIP);
      this.ipGoneAtUs.set(oldIP, this.sim.now);
    }
    const phase = after?.status?.phase;
    if (after === undefined || phase === 'Succeeded' || phase === 'Failed') this.bound.delete(uid);
  }

  private checkNodeFits(node: string, pod: Pod): void {
    const nodeObject = this.objects.get(`/registry/nodes/${node}`) as
      | { status?: { allocatable?: Record<string, string>; capacity?: Record<string, string> } }
      | undefined;
    const list = nodeObject?.status?.allocatable ?? nodeObject?.status?.capacity;
    if (list === undefined) return;
    const allocatable = resourceListToMillis(list);
    const used: Record<string, number> = { pods: 0 };
    let excused = false;
    for (const b of this.bound.values()) {
      if (b.node !== node) continue;
      if (this.bindingGivenUp.has(b.pod)) excused = true;
      used.pods!++;
      for (const [r, v] of Object.entries(b.requests)) used[r] = (used[r] ?? 0) + v;
    }
    if (excused) return;
    for (const r of ['cpu', 'memory', 'pods']) {
      const limit = allocatable[r];
      const total = used[r] ?? 0;
      if (limit !== undefined && total > limit) {
        this.flag(
          'node-overcommit',
          `binding ${podName(pod)} to ${node} makes its ${r} requests ${total} of ${limit} allocatable`,
        );
        return;
      }
    }
  }

  private traced(
    process: string,
    kind: string,
    fields: Readonly<Record<string, unknown>> | undefined,
  ): void {
    switch (kind) {
      case 'leader-election.acquired':
        return this.acquired(process, String(fields?.lease), String(fields?.identity));
      case 'leader-election.lost':
        this.leaders.get(String(fields?.lease))?.delete(process);
        return;
      case 'process.crash':
        for (const holders of this.leaders.values()) holders.delete(process);
        return;
      case 'gc.delete':
        return this.gcDeleted(String(fields?.object), String(fields?.uid));
      case 'kubelet.container-start':
        return this.containerStarted(process, String(fields?.pod), String(fields?.container));
      case 'scheduler.unschedulable':
        if (fields?.reason === 'SchedulerError') this.bindingGivenUp.add(String(fields.pod));
        return;
    }
  }

  private acquired(process: string, lease: string, identity: string): void {
    let holders = this.leaders.get(lease);
    if (holders === undefined) this.leaders.set(lease, (holders = new Map()));
    for (const [other, id] of holders) {
      if (other !== process)
        this.flag(
          'one-leader-per-lease',
          `${identity} acquired ${lease} while ${id} still leads it`,
        );
    }
    holders.set(process, identity);
  }

  /** No sandbox on the node runs two instances of one container. */
  private containerStarted(node: string, pod: string, container: string): void {
    if (!this.on.has('container-runs-once') || !this.sim.hasProcess(node)) return;
    const machine = this.sim.process(node).instance as Partial<SimMachine> | undefined;
    const running = machine?.runtime?.runningContainers() ?? [];
    const seen = new Set<string>();
    for (const c of running) {
      const id = `${c.sandboxId}\u0000${c.name}`;
      if (!seen.has(id)) {
        seen.add(id);
        continue;
      }
      this.flag(
        'container-runs-once',
        `${node} runs container ${c.name} twice in one sandbox (after starting ${pod}'s ${container})`,
      );
      return;
    }
  }

  private gcDeleted(object: string, uid: string): void {
    const state = this.live.get(uid) ?? this.lastState.get(uid);
    for (const ref of state?.metadata.ownerReferences ?? []) {
      const owner = this.live.get(ref.uid);
      if (owner !== undefined && owner.metadata.deletionTimestamp === undefined) {
        this.flag(
          'gc-live-owner',
          `the garbage collector deleted ${object} while its owner ${ref.kind} ${ref.name} (uid ${ref.uid}) is live`,
        );
        return;
      }
    }
  }

  /** Every DNAT target of a live node's last rules is a pod's IP, or was until recently. */
  private checkProxyEndpoints(): void {
    if (!this.on.has('service-live-endpoints')) return;
    const now = this.sim.now;
    for (const node of this.nodes) {
      if (!this.sim.hasProcess(node)) continue;
      const process = this.sim.process(node);
      if (!process.alive) continue;
      const rules = (process.instance as NodeProcess | undefined)?.proxy?.lastRenderedRules;
      if (rules === undefined) continue;
      for (const m of rules.matchAll(DNAT_TARGET)) {
        const ip = m[1]!;
        if (this.podIPs.has(ip)) continue;
        const goneAt = this.ipGoneAtUs.get(ip);
        if (goneAt !== undefined && now - goneAt <= ENDPOINT_BOUND_US) continue;
        this.flag(
          'service-live-endpoints',
          `${node}'s kube-proxy routes to ${m[0].slice('--to-destination '.length)}, the IP of no pod${goneAt === undefined ? '' : ` since ${Math.round((now - goneAt) / 1e6)}s`}`,
        );
      }
    }
  }

  private checkOwnersOutlived(): void {
    const now = this.sim.now;
    for (const [uid, d] of this.dependents) {
      const obj = this.live.get(uid);
      const refs = obj?.metadata.ownerReferences ?? [];
      if (obj === undefined || refs.length === 0) continue;
      // An owner never seen in the store is absent since before the dependent was created.
      const gone = refs.map((r) =>
        this.live.has(r.uid) ? undefined : (this.goneAtUs.get(r.uid) ?? d.createdAtUs),
      );
      if (gone.some((t) => t === undefined)) continue;
      const lastGoneUs = Math.max(...(gone as number[]));
      if (now - lastGoneUs > this.ownerBoundUs) {
        this.flag(
          'owner-outlived',
          `${d.key} outlived its last owner by ${Math.round((now - lastGoneUs) / 1e6)}s (bound ${this.ownerBoundUs / 1e6}s)`,
        );
      }
    }
  }
}

interface ReplicaSetLike extends CommittedObject {
  readonly metadata: CommittedObject['metadata'] & {
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: { readonly replicas?: number };
}

function podName(p: Pod): string {
  return `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
}
