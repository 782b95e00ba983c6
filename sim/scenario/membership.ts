/**
 * Store membership changes in scenario files, made as an operator makes them with etcdctl and
 * with the store fuzzer's procedure (sim/store-fuzz/fault-schedule.ts): `member-add` and then
 * the new member started with `join` (etcd's initial-cluster-state=existing), `member-promote`
 * of a learner, `member-remove`, and a replacement that adds the new voter before it removes
 * the old one, so the quorum never counts a voter that is not running yet.
 *
 * The changes are planned at load, in the order they run: each new member gets the next Raft
 * id, and a change that names a member the store will not have then is a scenario error.
 */
import {
  CLUSTER_STORE_PROGRESS_INTERVAL_US,
  storeMemberPlan,
  storePeers,
} from '../../core/cluster/assembly.ts';
import { KvClient } from '../../core/store/kv-client.ts';
import type { KvMember, KvMemberOptions, MemberPeer } from '../../core/store/member/kv-member.ts';
import type { MemberView } from '../../core/store/member/member-probe.ts';
import type { MembershipRequest } from '../../core/store/member/member-protocol.ts';
import type { ProcessPorts } from '../../core/ports/process.ts';
import type { Simulation } from '../simulation.ts';
import type { MemberAction, RawScenario } from './scenario-schema.ts';

/** A membership change with its members' Raft ids resolved. */
export type MembershipChange =
  | { readonly kind: 'add'; readonly peer: MemberPeer; readonly learner: boolean }
  | { readonly kind: 'promote'; readonly peer: MemberPeer }
  | { readonly kind: 'remove'; readonly peer: MemberPeer }
  | { readonly kind: 'replace'; readonly peer: MemberPeer; readonly by: MemberPeer };

export interface MembershipPlan {
  /** By action index. */
  readonly changes: ReadonlyMap<number, MembershipChange>;
  /** `[action index, message]` for each change that cannot be made. */
  readonly problems: readonly (readonly [number, string])[];
}

/**
 * Resolves the membership changes of `actions` (in the order they run) against the store's
 * members; `taken` are the names of the cluster's other processes.
 */
export function planMembership(
  spec: RawScenario['spec'],
  taken: readonly string[],
): MembershipPlan {
  const changes = new Map<number, MembershipChange>();
  const problems: [number, string][] = [];
  const order = (spec.actions ?? [])
    // A member action fires at its `at` (the schema refuses `when` on one): planned in time order.
    .map((a, i) => ({ member: a.member, at: a.at ?? 0, i }))
    .filter((a): a is { member: MemberAction; at: number; i: number } => a.member !== undefined)
    .sort((x, y) => x.at - y.at || x.i - y.i);
  if (order.length === 0) return { changes, problems };
  if (spec.cluster.store?.inMemory === true) {
    for (const { i } of order)
      problems.push([i, 'an in-memory store has no members to change (store.inMemory)']);
    return { changes, problems };
  }
  const initial = storePeers(spec.cluster.store?.members ?? 1);
  /** Members now, by name, and whether each is a learner. */
  const members = new Map(initial.map((p) => [p.address, { peer: p, learner: false }]));
  const used = new Set([...taken, ...initial.map((p) => p.address)]);
  let lastId = initial.length;
  const current = (name: string): string =>
    `no store member named ${JSON.stringify(name)} then (members: ${[...members.keys()].join(', ')})`;
  const fresh = (name: string): MemberPeer | string => {
    if (used.has(name)) return `${JSON.stringify(name)} is taken by another process`;
    used.add(name);
    return { id: ++lastId, address: name };
  };
  for (const { member: m, i } of order) {
    const named = m.kind === 'add' ? undefined : members.get(m.name);
    if (m.kind !== 'add' && named === undefined) {
      problems.push([i, current(m.name)]);
      continue;
    }
    switch (m.kind) {
      case 'add': {
        const peer = fresh(m.name);
        if (typeof peer === 'string') problems.push([i, peer]);
        else {
          const learner = m.learner ?? false;
          members.set(m.name, { peer, learner });
          changes.set(i, { kind: 'add', peer, learner });
        }
        break;
      }
      case 'promote':
        if (named?.learner !== true) problems.push([i, `${m.name} is not a learner then`]);
        else {
          members.set(m.name, { peer: named.peer, learner: false });
          changes.set(i, { kind: 'promote', peer: named.peer });
        }
        break;
      case 'remove':
        if (named === undefined) break;
        members.delete(m.name);
        changes.set(i, { kind: 'remove', peer: named.peer });
        break;
      case 'replace': {
        const by = fresh(m.by);
        if (named === undefined) break;
        if (typeof by === 'string') problems.push([i, by]);
        else {
          members.delete(m.name);
          members.set(m.by, { peer: by, learner: false });
          changes.set(i, { kind: 'replace', peer: named.peer, by });
        }
        break;
      }
    }
  }
  return { changes, problems };
}

/** How often the operator asks again while the store cannot make a change yet. */
const RETRY_US = 1_000_000;
/** Refusals that waiting cannot change: the change is reported, not repeated. */
const FOR_GOOD = /already exists|does not exist|is not a learner|last voter|is member \d+'s/;

/** The store's members as the scenario changes them: started processes and their Raft ids. */
export class StoreMembers {
  private readonly started: MemberPeer[];

  /**
   * `memberOptions`: what every member of the cluster's store starts with (its tuning and the
   * host's probe), so that a member joined during the run is configured and checked as the
   * first ones are.
   */
  constructor(
    private readonly sim: Simulation,
    count: number,
    private readonly memberOptions: Omit<KvMemberOptions, 'id' | 'peers' | 'join'> = {},
  ) {
    this.started = storePeers(count);
  }

  /**
   * Makes `change` through an admin client in the runner's process; returns why the store
   * refused it for good, if it did. Changes the store cannot make yet (another change in
   * progress, a learner not in sync, a quorum not active) are asked again every second.
   */
  async change(ports: ProcessPorts, change: MembershipChange): Promise<string | undefined> {
    const kv = new KvClient(
      ports.transport,
      this.started.map((p) => p.address),
      { requestTimeoutUs: 500_000, readRetries: 3 },
    );
    let joined = false;
    const join = (peer: MemberPeer): void => {
      if (!joined) this.join(peer);
      joined = true;
    };
    /** Repeats `request` until it is made; an answer `done` means it was (an unknown outcome). */
    const settle = async (
      request: MembershipRequest,
      done: string,
    ): Promise<string | undefined> => {
      for (let retried = false; ; retried = true) {
        const r = await kv.membership(request);
        if (r.kind === 'members') return undefined;
        if (r.kind === 'membership-error') {
          if (retried && r.reason === done) return undefined;
          if (FOR_GOOD.test(r.reason)) return r.reason;
        }
        // An add that may have been applied: start the new member now, as its vote may be
        // needed to confirm it.
        if (r.kind === 'unknown' && request.kind === 'member-add') join(request);
        await ports.clock.sleep(RETRY_US);
      }
    };
    const add = async (peer: MemberPeer, learner: boolean): Promise<string | undefined> => {
      const refused = await settle(
        { kind: 'member-add', ...peer, learner },
        `member ${peer.id} already exists`,
      );
      if (refused === undefined) join(peer);
      return refused;
    };
    const remove = (peer: MemberPeer): Promise<string | undefined> =>
      settle({ kind: 'member-remove', id: peer.id }, `member ${peer.id} does not exist`);
    switch (change.kind) {
      case 'add':
        return add(change.peer, change.learner);
      case 'promote':
        return settle(
          { kind: 'member-promote', id: change.peer.id },
          `member ${change.peer.id} is not a learner`,
        );
      case 'remove':
        return remove(change.peer);
      case 'replace':
        return (await add(change.by, false)) ?? remove(change.peer);
    }
  }

  /** Every member started, in id order (a removed one stays). */
  get names(): readonly string[] {
    return this.started.map((p) => p.address);
  }

  peerNamed(name: string): MemberPeer | undefined {
    return this.started.find((p) => p.address === name);
  }

  /** A scenario loses no member for good: a removed one stays started. */
  isLost(): boolean {
    return false;
  }

  /** The started member that leads in the highest term, if any. */
  leader(): MemberView | undefined {
    let best: MemberView | undefined;
    for (const { address } of this.started) {
      const p = this.sim.process(address);
      if (!p.alive) continue;
      const v = (p.instance as KvMember).inspect();
      if (v.started && v.role === 'leader' && (best === undefined || v.term > best.term)) best = v;
    }
    return best;
  }

  /** Starts `peer` as a new member of the running store, knowing every member started so far. */
  private join(peer: MemberPeer): void {
    const { id, address } = peer;
    this.started.push({ id, address });
    const plan = storeMemberPlan(
      {
        progressIntervalUs: CLUSTER_STORE_PROGRESS_INTERVAL_US,
        ...this.memberOptions,
        id,
        peers: [...this.started],
        join: true,
      },
      address,
    );
    this.sim.spawnProcess(plan.name, plan.start);
  }
}
