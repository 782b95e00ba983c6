/**
 * Fault schedules for the store fuzzer: the kernel's faults (sim/faults.ts), two that target
 * whoever leads when they fire, which a schedule fixed in advance cannot name, and membership
 * changes as an operator makes them (a member replaced by a new one; a member whose disk is
 * lost removed and replaced). Every fault stays within what Raft promises to tolerate: messages
 * lost, duplicated, reordered, delayed or cut in any direction; members stopped and restarted;
 * unsynced disk writes lost or torn on a crash; a member lost for good (at most one per
 * history). A wiped disk under a member that restarts with its old id, and clock faults, are
 * left out: a member that forgets its vote, or whose ticks stop, is outside the protocol's
 * fault model.
 */
import type { Random } from '../../core/ports/random.ts';
import { assert, assertNever } from '../../core/util/assert.ts';
import { startFigureEight, type PersistedTap } from './figure-eight.ts';
import { applyFault, type ProcessFault } from '../faults.ts';
import { DEFAULT_LINK, type LinkOptions } from '../network.ts';
import type { Simulation } from '../simulation.ts';
import type { StoreCluster } from '../store-cluster.ts';
import { KvClient } from '../../core/store/kv-client.ts';
import type { MembershipRequest } from '../../core/store/member/member-protocol.ts';

export type StoreFault =
  | ProcessFault
  /**
   * Cuts the current leader off from every other member, both ways; the listed clients stay
   * on its side (they can reach only the old leader, the rest only the majority).
   */
  | { readonly kind: 'isolate-leader'; readonly clients?: readonly string[] }
  /** Crashes the current leader and restarts it `restartAfterUs` later. */
  | { readonly kind: 'crash-leader'; readonly restartAfterUs: number }
  /**
   * A membership change, as an operator makes it: an admin client adds a new voter, starts it
   * once the add is applied, then removes `process` (retrying each step until it is answered).
   */
  | { readonly kind: 'replace-member'; readonly process: string }
  /**
   * `process`'s machine is gone with its disk (crashed, wiped, never restarted; later faults
   * aimed at it do nothing). An admin client removes it, then adds a new voter in its place
   * and starts it: etcd's procedure for replacing a failed member.
   */
  | { readonly kind: 'lose-member'; readonly process: string }
  /**
   * Figure 8 of the Raft paper (figure-eight.ts): the leader cut off with these clients, the next
   * leader cut off as it is elected, the first re-elected and cut off from its followers as it
   * catches them up, the second let back to them.
   */
  | { readonly kind: 'figure-8'; readonly clients: readonly string[] };

export interface ScheduledFault {
  readonly atUs: number;
  readonly fault: StoreFault;
}

export interface ScheduleShape {
  readonly members: readonly string[];
  readonly clients: readonly string[];
  /**
   * 'kv': the first fault mix, draw for draw (its counterexamples replay unchanged). 'full':
   * isolated leaders twice as often, nearly always with the reading clients still attached,
   * which is when a leader serving reads it should not would be caught.
   */
  readonly profile: 'kv' | 'full';
  /** Clients that only read (kept on an isolated leader's side in the full profile). */
  readonly readers: readonly string[];
  /** Clients of the general workload that write (one stays with the majority). */
  readonly writers: readonly string[];
  readonly durationUs: number;
  readonly maxFaults: number;
  /** Draw the Figure 8 shape (in one schedule of FIGURE_EIGHT_ONE_IN); default true. */
  readonly figureEight?: boolean;
}

/** One schedule in this many has the Figure 8 shape. */
export const FIGURE_EIGHT_ONE_IN = 4;

/** Whether a schedule has the Figure 8 shape (its runs send small appends). */
export function hasFigureEight(schedule: readonly ScheduledFault[]): boolean {
  return schedule.some((f) => f.fault.kind === 'figure-8');
}

/**
 * A schedule drawn from `random`: 1..maxFaults faults in the first 90% of the safety phase.
 * Most network faults are episodes that end in a heal (or a reset of the link) a while later,
 * so histories alternate between degraded and healthy periods instead of staying down.
 */
export function generateSchedule(random: Random, shape: ScheduleShape): ScheduledFault[] {
  const count = 1 + random.int(shape.maxFaults);
  const out: ScheduledFault[] = [];
  const latestUs = Math.floor(shape.durationUs * 0.9);
  for (let i = 0; i < count; i++) {
    const atUs = random.int(latestUs);
    for (const f of randomFault(random, shape, atUs)) out.push(f);
  }
  // One lost member at most: two lost before the first is replaced is a lost quorum for three.
  if (random.int(8) === 0) {
    const process = shape.members[random.int(shape.members.length)]!;
    out.push({ atUs: random.int(latestUs), fault: { kind: 'lose-member', process } });
  }
  // Drawn last, so the faults above are what they were before it existed. Its steps take a few
  // election timeouts, so it starts in the first half.
  if (shape.figureEight !== false && random.int(FIGURE_EIGHT_ONE_IN) === 0) {
    // The readers too, as an isolated leader's (a stale read shows against the majority's
    // writes); one writer stays with the majority.
    const writers = shape.writers.length > 1 ? shape.writers.slice(1) : shape.writers;
    out.push({
      atUs: random.int(Math.floor(latestUs / 2)),
      fault: { kind: 'figure-8', clients: [...shape.readers, ...writers] },
    });
  }
  return out.sort((a, b) => a.atUs - b.atUs);
}

/** Most network faults end: a heal (or the default link back) `minUs` to 3 s after that. */
function episode(
  random: Random,
  atUs: number,
  fault: StoreFault,
  minUs = 200_000,
): ScheduledFault[] {
  const start: ScheduledFault = { atUs, fault };
  if (random.int(10) < 3) return [start];
  const endUs = atUs + minUs + random.int(3_000_000);
  const end: StoreFault =
    fault.kind === 'link' ? { kind: 'link', link: DEFAULT_LINK } : { kind: 'heal' };
  return [start, { atUs: endUs, fault: end }];
}

const ISOLATION_MIN_US = 2_000_000;

/** Upper bounds of each fault's slice of 100 draws, per profile. */
const FAULT_WEIGHTS = {
  kv: {
    partition: 14,
    block: 24,
    isolate: 34,
    crash: 52,
    crashLeader: 60,
    link: 74,
    clog: 82,
    replace: 86,
    disk: 94,
  },
  full: {
    partition: 10,
    block: 18,
    isolate: 38,
    crash: 52,
    crashLeader: 60,
    link: 72,
    clog: 80,
    replace: 84,
    disk: 94,
  },
} as const;

function randomFault(random: Random, shape: ScheduleShape, atUs: number): ScheduledFault[] {
  const members = shape.members;
  const member = (): string => members[random.int(members.length)]!;
  const w = FAULT_WEIGHTS[shape.profile];
  const r = random.int(100);
  if (r < w.partition)
    return episode(random, atUs, {
      kind: 'partition',
      groups: split(random, members, shape.clients),
    });
  if (r < w.block) {
    const from = member();
    const to = members.filter((m) => m !== from)[random.int(members.length - 1)]!;
    return episode(random, atUs, { kind: 'block', from, to });
  }
  if (r < w.isolate) {
    const clients = isolatedClients(random, shape);
    return episode(
      random,
      atUs,
      clients.length === 0 ? { kind: 'isolate-leader' } : { kind: 'isolate-leader', clients },
      // Long enough for the majority to elect a leader (two election timeouts) while the old
      // one may still think it leads.
      shape.profile === 'full' ? ISOLATION_MIN_US : undefined,
    );
  }
  if (r < w.crash) {
    const process = member();
    const downUs = 100_000 + random.int(3_000_000);
    return [
      { atUs, fault: { kind: 'crash', process } },
      { atUs: atUs + downUs, fault: { kind: 'restart', process } },
    ];
  }
  if (r < w.crashLeader)
    return [
      { atUs, fault: { kind: 'crash-leader', restartAfterUs: 100_000 + random.int(3_000_000) } },
    ];
  if (r < w.link) return episode(random, atUs, { kind: 'link', link: randomLink(random) });
  if (r < w.clog)
    return [
      {
        atUs,
        fault: { kind: 'clog', process: member(), durationUs: 50_000 + random.int(2_000_000) },
      },
    ];
  if (r < w.replace) return [{ atUs, fault: { kind: 'replace-member', process: member() } }];
  if (r < w.disk) {
    return [
      {
        atUs,
        fault: {
          kind: 'disk-faults',
          process: member(),
          tornWriteProbability: 0.5 + random.float() / 2,
          readErrorProbability: random.int(3) === 0 ? 0.2 : 0,
        },
      },
    ];
  }
  return [{ atUs, fault: { kind: 'heal' } }];
}

/** The clients left on an isolated leader's side. */
function isolatedClients(random: Random, shape: ScheduleShape): string[] {
  if (shape.profile === 'kv')
    return random.int(2) === 0 ? [] : shape.clients.filter(() => random.int(2) === 0);
  if (random.int(5) === 0) return [];
  // Some writer stays with the majority: a stale read shows only against a newer write.
  const majorityWriter = shape.writers[random.int(shape.writers.length)];
  const others = shape.clients.filter((c) => !shape.readers.includes(c) && c !== majorityWriter);
  return [...shape.readers, ...others.filter(() => random.int(2) === 0)];
}

/** Two sides; each client lands on a random side (so some reach only a minority). */
function split(random: Random, members: readonly string[], clients: readonly string[]): string[][] {
  const sides: string[][] = [[], []];
  for (const m of members) sides[random.int(2)]!.push(m);
  if (sides[0]!.length === 0 || sides[1]!.length === 0) {
    sides[0] = members.slice(0, 1);
    sides[1] = members.slice(1);
  }
  for (const c of clients) if (random.int(2) === 0) sides[random.int(2)]!.push(c);
  return sides;
}

/** Loss, duplication and reordering (latency jitter wider than the gaps between messages). */
function randomLink(random: Random): LinkOptions {
  const maxUs = 1_000 + random.int(20_000);
  return {
    latency: { kind: 'uniform', minUs: 100, maxUs },
    lossProbability: random.int(4) === 0 ? 0 : random.float() * 0.3,
    duplicateProbability: random.float() * 0.2,
  };
}

const ADMIN_RETRY_US = 200_000;

/**
 * Starts an admin client that puts the cluster's next member in place of `process`: a live
 * member is replaced by adding the new one first and removing the old one after; a lost one is
 * removed first (so that the quorum never counts a dead voter and one not yet started). Each
 * step is retried until a member answers it: a change whose outcome was unknown is sent again
 * and then refused as already made, which is as good as done. The new member is started as
 * soon as its add may have been applied, without waiting for the confirmation.
 */
function replaceMember(
  sim: Simulation,
  cluster: StoreCluster,
  process: string,
  removeFirst: boolean,
): void {
  const peer = cluster.nextPeer();
  const victim = cluster.peerNamed(process);
  sim.trace.record('sim', removeFirst ? 'fault.lose-member' : 'fault.replace-member', {
    process,
    by: peer.address,
  });
  sim.spawnProcess(`admin-${peer.id}`, (ports) =>
    ports.spawn(async () => {
      const kv = new KvClient(ports.transport, cluster.names, {
        requestTimeoutUs: 500_000,
        readRetries: 3,
      });
      let joined = false;
      const join = (): void => {
        if (!joined) cluster.join(peer);
        joined = true;
      };
      const settle = async (request: MembershipRequest, done: string): Promise<void> => {
        for (;;) {
          const r = await kv.membership(request);
          if (r.kind === 'members' || (r.kind === 'membership-error' && r.reason === done)) return;
          // An add that may have been applied: start the new member now. If it was, the
          // cluster may need its vote to elect the leader that would confirm the add.
          if (r.kind === 'unknown' && request.kind === 'member-add') join();
          await ports.clock.sleep(ADMIN_RETRY_US);
        }
      };
      const remove = async (): Promise<void> => {
        if (victim === undefined) return;
        await settle(
          { kind: 'member-remove', id: victim.id },
          `member ${victim.id} does not exist`,
        );
      };
      if (removeFirst) await remove();
      await settle(
        { kind: 'member-add', ...peer, learner: false },
        `member ${peer.id} already exists`,
      );
      join();
      if (!removeFirst) await remove();
    }),
  );
}

/** The process a fault acts on, if it names one. */
function targetOf(fault: StoreFault): string | undefined {
  return 'process' in fault ? fault.process : undefined;
}

/** What some faults watch as they unfold. */
export interface StoreFaultContext {
  readonly persisted?: PersistedTap;
  /** The end of the safety phase: a fault that unfolds over time stops there. */
  readonly untilUs?: number;
}

/** Applies one fault now (a crash-leader also schedules its victim's restart). */
export function applyStoreFault(
  sim: Simulation,
  cluster: StoreCluster,
  fault: StoreFault,
  context: StoreFaultContext = {},
): void {
  const target = targetOf(fault);
  if (
    target !== undefined &&
    cluster.isLost(target) &&
    fault.kind !== 'replace-member' &&
    fault.kind !== 'figure-8'
  ) {
    sim.trace.record('sim', 'fault.skipped', { kind: fault.kind, process: target, why: 'lost' });
    return;
  }
  switch (fault.kind) {
    case 'isolate-leader': {
      const leader = cluster.leader();
      if (leader === undefined) return;
      const withLeader = fault.clients ?? [];
      sim.trace.record('sim', 'fault.isolate-leader', {
        process: leader.name,
        clients: [...withLeader],
      });
      const others = cluster.names.filter((n) => n !== leader.name);
      if (withLeader.length === 0) return sim.network.partition([[leader.name], others]);
      const rest = sim
        .processNames()
        .filter((n) => n !== leader.name && !withLeader.includes(n) && !others.includes(n));
      return sim.network.partition([
        [leader.name, ...withLeader],
        [...others, ...rest],
      ]);
    }
    case 'crash-leader': {
      const leader = cluster.leader();
      if (leader === undefined) return;
      sim.trace.record('sim', 'fault.crash-leader', { process: leader.name });
      sim.crash(leader.name);
      sim.at(sim.now + fault.restartAfterUs, () =>
        applyStoreFault(sim, cluster, { kind: 'restart', process: leader.name }),
      );
      return;
    }
    case 'replace-member':
      return replaceMember(sim, cluster, fault.process, false);
    case 'lose-member':
      cluster.lose(fault.process);
      return replaceMember(sim, cluster, fault.process, true);
    case 'figure-8': {
      assert(context.persisted !== undefined, 'a figure-8 fault needs the persisted tap');
      return startFigureEight(
        sim,
        cluster,
        context.persisted,
        fault.clients,
        context.untilUs ?? Number.MAX_SAFE_INTEGER,
      );
    }
    case 'link':
      // Per-link overrides cannot be cleared; the fuzzer only changes the default link.
      return applyFault(sim, { kind: 'link', link: fault.link });
    default:
      return applyFault(sim, fault);
  }
}

/** The liveness phase's starting point: no partitions, clogs, link or disk faults; all up. */
export function healAll(sim: Simulation, cluster: StoreCluster): void {
  sim.network.heal();
  sim.network.setDefaultLink(DEFAULT_LINK);
  for (const name of cluster.names) {
    if (cluster.isLost(name)) continue;
    sim.process(name).disk.setFaults({ tornWriteProbability: 0, readErrorProbability: 0 });
    sim.restart(name);
  }
}

export function describeFault(f: ScheduledFault): string {
  const fault = f.fault;
  const at = `${(f.atUs / 1000).toFixed(1)}ms`;
  switch (fault.kind) {
    case 'partition':
      return `${at} partition ${fault.groups.map((g) => `[${g.join(',')}]`).join(' | ')}`;
    case 'block':
      return `${at} block ${fault.from} -> ${fault.to}`;
    case 'isolate':
    case 'crash':
    case 'restart':
    case 'wipe-disk':
      return `${at} ${fault.kind} ${fault.process}`;
    case 'heal':
      return `${at} ${fault.kind}`;
    case 'isolate-leader':
      return `${at} isolate-leader${fault.clients === undefined ? '' : ` with ${fault.clients.join(',')}`}`;
    case 'crash-leader':
      return `${at} crash-leader (restart after ${fault.restartAfterUs}us)`;
    case 'replace-member':
    case 'lose-member':
      return `${at} ${fault.kind} ${fault.process}`;
    case 'clog':
      return `${at} clog ${fault.process} for ${fault.durationUs}us`;
    case 'link':
      return `${at} link ${JSON.stringify(fault.link)}`;
    case 'disk-faults':
      return `${at} disk-faults ${fault.process} torn=${fault.tornWriteProbability.toFixed(2)} readErrors=${fault.readErrorProbability}`;
    case 'clock-jump':
    case 'clock-rate':
      return `${at} ${fault.kind} ${fault.process}`;
    case 'figure-8':
      return `${at} figure-8 with ${fault.clients.join(',')}`;
    default:
      return assertNever(fault, 'store fault');
  }
}
