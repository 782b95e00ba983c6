/**
 * Figure 8 of the Raft paper as a fault shape: the history in which a leader that counts
 * replicas of an entry from an older term commits it, and a later leader overwrites it. A fault
 * schedule fixed in advance almost never lines it up (each step must come at the moment the
 * previous one has happened), so this nemesis follows the members: it watches who is elected
 * (the `store.member.role` trace records) and what followers persist (the member probe), and
 * strikes at those moments, synchronously, before the member's messages leave.
 *
 * 1. The leader L1 is cut off with some writing clients and the largest minority of members
 *    (itself alone of three, with one other of five): it replicates entries of its term to
 *    that minority only.
 * 2. The first member of the majority elected, L2, is cut off the moment it is elected,
 *    before its first append (its empty entry of the new term) leaves; the minority is let
 *    back to the rest.
 * 3. A member of the minority, L3, is elected (their logs are the longest). Catching a follower
 *    up, it sends the old entries in several appends (the run's message size is small). The
 *    moment a follower has persisted an append holding only entries older than L3's term,
 *    L3's later messages to it are dropped (one way: its acknowledgement still reaches L3). A
 *    correct leader commits nothing on those acknowledgements (the entries are not of its
 *    term); one that counts replicas of old entries commits and applies them.
 * 4. Shortly after, the minority is cut off again with its clients and L2 is let back to the
 *    others: L2's log ends in a later term than theirs, so they elect it, and it overwrites
 *    the entries L3 committed. The raft-safety checkers see a committed entry lost.
 *
 * Each step has a deadline; a history that does not unfold gives up and heals. Nothing happens
 * after `untilUs` (the end of the safety phase, whose heal it leaves alone). Every step is a
 * network fault, traced as such (fault.partition, fault.block, fault.heal).
 *
 * The store fuzzer draws it (fault-schedule.ts) over its StoreCluster; a scenario's `figure-8`
 * fault (and so `ksim fuzz cluster`'s worlds) over the cluster's store members.
 */
import type { Entry, NodeId, Term } from '../../core/raft/types.ts';
import type { MemberView } from '../../core/store/member/member-probe.ts';
import type { Simulation } from '../simulation.ts';

/** What the nemesis needs from the member probe: each follower's persisted appends. */
export interface PersistedTap {
  /** Calls `listener` with every persisted batch until it returns true. */
  onPersisted(listener: (member: NodeId, entries: readonly Entry[]) => boolean): void;
}

/** Listeners on persisted appends, each until it says it is done: feed it from the probe. */
export class PersistedListeners implements PersistedTap {
  private listeners: ((member: NodeId, entries: readonly Entry[]) => boolean)[] = [];

  onPersisted(listener: (member: NodeId, entries: readonly Entry[]) => boolean): void {
    this.listeners.push(listener);
  }

  persisted(member: NodeId, entries: readonly Entry[]): void {
    if (this.listeners.length === 0) return;
    this.listeners = this.listeners.filter((l) => !l(member, entries));
  }
}

/** The store members the nemesis follows (the store fuzzer's StoreCluster is one). */
export interface FigureEightMembers {
  /** Every member started, in id order. */
  readonly names: readonly string[];
  /** The started member that leads in the highest term, if any. */
  leader(): MemberView | undefined;
  /** A member gone for good (never started again). */
  isLost(name: string): boolean;
  peerNamed(name: string): { readonly id: number } | undefined;
}

/**
 * Message size limit (bytes) of the members of a run with the shape: Figure 8 needs a leader
 * that catches a follower up in several appends, and with the short logs of a fuzzed history
 * only small messages make it do that (one entry per append).
 */
export const FIGURE_EIGHT_MAX_MSG_BYTES = 1;

const LEADER_RETRY_US = 100_000;

/**
 * When step 1 strikes: at once (the store fuzzer's clients write all the time), or the moment
 * the leader persists its next entries, before they leave (a cluster may be quiet for seconds,
 * and a leader cut off without new entries has no log longer than the majority's).
 */
export type FigureEightStrike = 'now' | 'next-append';

/**
 * Starts the shape from the current leader (waiting for one, until `untilUs`). Step 1 is
 * recorded as `fault.isolate-leader` with the clients cut off beside the leader.
 */
export function startFigureEight(
  sim: Simulation,
  cluster: FigureEightMembers,
  tap: PersistedTap,
  clients: readonly string[],
  untilUs: number,
  strike: FigureEightStrike = 'now',
): void {
  const leader = cluster.leader();
  if (leader === undefined) {
    const at = sim.now + LEADER_RETRY_US;
    if (at < untilUs)
      sim.at(at, () => startFigureEight(sim, cluster, tap, clients, untilUs, strike));
    return;
  }
  if (strike === 'now') return figureEight(sim, cluster, leader, tap, clients, untilUs);
  tap.onPersisted((member, entries) => {
    if (sim.now >= untilUs) return true;
    if ((member as number) !== leader.id || entries.length === 0) return false;
    // Still its leader: a leader that lost its place persists nothing of its own.
    if (cluster.leader()?.name === leader.name)
      figureEight(sim, cluster, leader, tap, clients, untilUs);
    return true;
  });
}

/** How long each step waits for the cluster to get there before the nemesis gives up. */
const STEP_DEADLINE_US = 10_000_000;
/** From the first follower cut off to L1 cut off again: its acknowledgements arrive first. */
const ACK_WINDOW_US = 300_000;

type Step = 'wait-l2' | 'wait-l3' | 'wait-append' | 'done';

function figureEight(
  sim: Simulation,
  cluster: FigureEightMembers,
  l1: MemberView,
  tap: PersistedTap,
  clients: readonly string[],
  untilUs: number,
): void {
  sim.trace.record('sim', 'fault.isolate-leader', { process: l1.name, clients: [...clients] });
  const members = cluster.names.filter((n) => !cluster.isLost(n));
  const others = members.filter((n) => n !== l1.name);
  const minority = [l1.name, ...others.slice(0, Math.floor((members.length - 1) / 2) - 1)];
  const majority = members.filter((n) => !minority.includes(n));
  const rest = sim.processNames().filter((n) => !clients.includes(n) && !members.includes(n));
  let step: Step = 'wait-l2';
  let l2: string | undefined;
  let l3: string | undefined;
  let l3Term: Term = 0 as Term;
  const blocked = new Set<string>();
  const idOf = (name: string): number | undefined => cluster.peerNamed(name)?.id;

  const giveUp = (why: Step): void => {
    if (step !== why) return;
    step = 'done';
    sim.network.heal();
  };
  const deadline = (s: Step): void => {
    sim.at(Math.min(sim.now + STEP_DEADLINE_US, untilUs - 1), () => giveUp(s));
  };

  const cutOffMinority = (): void =>
    sim.network.partition([
      [...minority, ...clients],
      [...majority, ...rest],
    ]);
  cutOffMinority();
  deadline('wait-l2');

  sim.trace.observe((r) => {
    if (r.k !== 'store.member.role' || step === 'done' || sim.now >= untilUs) return;
    const f = r as unknown as { readonly role: string; readonly term: Term };
    if (f.role !== 'leader') return;
    if (step === 'wait-l2' && majority.includes(r.p)) {
      // Step 2, before L2's first append leaves.
      l2 = r.p;
      step = 'wait-l3';
      sim.network.heal();
      sim.network.isolate(l2);
      deadline('wait-l3');
    } else if (step === 'wait-l3' && minority.includes(r.p)) {
      l3 = r.p;
      l3Term = f.term;
      step = 'wait-append';
      deadline('wait-append');
      tap.onPersisted(followerPersisted);
    }
  });

  /** Step 3: a follower of the majority persisted an append of L3's of only older entries. */
  function followerPersisted(member: NodeId, entries: readonly Entry[]): boolean {
    if (step !== 'wait-append' || sim.now >= untilUs) return true;
    const last = entries[entries.length - 1];
    const name = majority.find((n) => idOf(n) === (member as number));
    if (last === undefined || name === undefined || name === l2) return false;
    if (last.term >= l3Term || blocked.has(name)) return false;
    blocked.add(name);
    sim.network.block(l3!, name);
    if (blocked.size === 1) sim.at(Math.min(sim.now + ACK_WINDOW_US, untilUs - 1), cutOffL3);
    return false;
  }

  /** Step 4: the minority away with its clients; L2 back with the others. */
  function cutOffL3(): void {
    if (step !== 'wait-append' || sim.now >= untilUs) return;
    step = 'done';
    sim.network.heal();
    cutOffMinority();
  }
}
