/**
 * Spawns a replicated store into a simulation: members `etcd-0` ... `etcd-{n-1}` with Raft ids
 * 1..n, each a KvMember process on its own simulated disk. Shared by the fuzzer, the benchmark
 * and the tests.
 */
import {
  KvMember,
  type KvMemberOptions,
  type MemberPeer,
} from '../core/store/member/kv-member.ts';
import type { MemberProbe, MemberView } from '../core/store/member/member-probe.ts';
import type { SimProcess } from './process.ts';
import type { Simulation } from './simulation.ts';

export type MemberTuning = Omit<KvMemberOptions, 'id' | 'peers' | 'probe'>;

export interface StoreClusterOptions {
  readonly members: number;
  readonly namePrefix?: string;
  readonly tuning?: MemberTuning;
  readonly probe?: MemberProbe;
}

export class StoreCluster {
  readonly names: readonly string[];
  private readonly processes: readonly SimProcess[];

  constructor(
    private readonly sim: Simulation,
    options: StoreClusterOptions,
  ) {
    const prefix = options.namePrefix ?? 'etcd';
    const peers: MemberPeer[] = Array.from({ length: options.members }, (_, i) => ({
      id: i + 1,
      address: `${prefix}-${i}`,
    }));
    this.names = peers.map((p) => p.address);
    for (const peer of peers) {
      const memberOptions: KvMemberOptions = {
        ...options.tuning,
        id: peer.id,
        peers,
        ...(options.probe === undefined ? {} : { probe: options.probe }),
      };
      sim.spawnProcess(peer.address, (ports) => new KvMember(ports, memberOptions));
    }
    this.processes = this.names.map((n) => sim.process(n));
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
