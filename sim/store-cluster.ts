/**
 * Spawns a replicated store into a simulation: members `etcd-0` ... `etcd-{n-1}` with Raft ids
 * 1..n, each a KvMember process on its own simulated disk. Shared by the fuzzer, the benchmark
 * and the tests.
 */
import { storeMemberPlan } from '../core/cluster/assembly.ts';
import { STORE_MEMBER_PREFIX, storeMemberName } from '../core/cluster/identities.ts';
import type { KvMember, KvMemberOptions, MemberPeer } from '../core/store/member/kv-member.ts';
import type { MemberProbe, MemberView } from '../core/store/member/member-probe.ts';
import type { SimProcess } from './process.ts';
import type { Simulation } from './simulation.ts';

export type MemberTuning = Omit<KvMemberOptions, 'id' | 'peers' | 'probe' | 'join'>;

export interface StoreClusterOptions {
  readonly members: number;
  readonly namePrefix?: string;
  readonly tuning?: MemberTuning;
  readonly probe?: MemberProbe;
}

export class StoreCluster {
  private readonly prefix: string;
  /** Every member process ever started here (a removed member's stays, stopped or not). */
  private readonly peers: MemberPeer[];
  private readonly processes: SimProcess[];
  private lastId: number;
  /** Members whose machine is gone with its disk: never started again. */
  private readonly lost = new Set<string>();

  constructor(
    private readonly sim: Simulation,
    private readonly options: StoreClusterOptions,
  ) {
    this.prefix = options.namePrefix ?? STORE_MEMBER_PREFIX;
    this.peers = Array.from({ length: options.members }, (_, i) => this.peer(i + 1));
    this.lastId = options.members;
    for (const peer of this.peers) this.spawn(peer, false);
    this.processes = this.peers.map((p) => sim.process(p.address));
  }

  /** Addresses of every member started here, in id order. */
  get names(): readonly string[] {
    return this.peers.map((p) => p.address);
  }

  /** The member started here under `address`, if any. */
  peerNamed(address: string): MemberPeer | undefined {
    return this.peers.find((p) => p.address === address);
  }

  /**
   * Reserves the id and address of a new member (each call a new one): add it with
   * 'member-add', then start it with `join`.
   */
  nextPeer(): MemberPeer {
    return this.peer(++this.lastId);
  }

  /**
   * Starts member `peer` as a new member of the running cluster (etcd's "initial-cluster-state
   * existing"): add it with a 'member-add' request first; it then waits for the leader's
   * snapshot.
   */
  join(peer: MemberPeer): void {
    if (this.peers.some((p) => p.id === peer.id || p.address === peer.address)) {
      throw new Error(`store cluster: member ${peer.id} (${peer.address}) already started`);
    }
    this.peers.push(peer);
    this.spawn(peer, true);
    this.processes.push(this.sim.process(peer.address));
  }

  /**
   * Member `name`'s machine is gone with its disk: it crashes, its disk is wiped, and it is
   * never started again here. (Restarted under its old id, a member that forgot its vote and
   * its log could help elect a leader that lacks committed entries.) Remove it from the
   * cluster and add a new member in its place, as etcd's operators replace a failed member.
   */
  lose(name: string): void {
    this.sim.crash(name);
    this.sim.process(name).disk.wipe();
    this.lost.add(name);
  }

  isLost(name: string): boolean {
    return this.lost.has(name);
  }

  private peer(id: number): MemberPeer {
    return { id, address: storeMemberName(id - 1, this.prefix) };
  }

  /** Starts `peer`, telling it about every member started so far. */
  private spawn(peer: MemberPeer, join: boolean): void {
    const memberOptions: KvMemberOptions = {
      ...this.options.tuning,
      id: peer.id,
      peers: [...this.peers],
      ...(join ? { join } : {}),
      ...(this.options.probe === undefined ? {} : { probe: this.options.probe }),
    };
    const plan = storeMemberPlan(memberOptions, peer.address);
    this.sim.spawnProcess(plan.name, plan.start);
  }

  /** The running incarnation of a member, or undefined while it is down. */
  member(name: string): KvMember | undefined {
    const proc = this.sim.process(name);
    return proc.alive ? (proc.instance as KvMember) : undefined;
  }

  running(): KvMember[] {
    const out: KvMember[] = [];
    for (const p of this.processes) if (p.alive) out.push(p.instance as KvMember);
    return out;
  }

  /** Called after every event by the checkers: kept allocation-light. */
  views(): MemberView[] {
    const out: MemberView[] = [];
    for (const p of this.processes) if (p.alive) out.push((p.instance as KvMember).inspect());
    return out;
  }

  /** The started member that leads in the highest term, if any. */
  leader(): MemberView | undefined {
    let best: MemberView | undefined;
    for (const v of this.views()) {
      if (v.started && v.role === 'leader' && (best === undefined || v.term > best.term)) best = v;
    }
    return best;
  }
}
