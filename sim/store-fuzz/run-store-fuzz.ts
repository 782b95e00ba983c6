/**
 * One randomized faulty history of the replicated store (issue 3), built from one seed:
 *
 * 1. safety phase (`durationUs`): clients run a workload while the fault schedule fires; the
 *    Raft invariant checkers run after every event and stop the run at the first violation;
 * 2. liveness phase: heal the network, clear link and disk faults, restart every member; a new
 *    leader must be elected and a write committed within `livenessBoundUs`;
 * 3. settle (`settleUs`): every member must have applied the same entries (equal state hashes)
 *    and every watcher must be caught up;
 * 4. the client history must be linearizable and every watch stream must equal the committed
 *    history from its start revision (gap-free, ordered, exactly once).
 */
import type { KvMember } from '../../core/store/member/kv-member.ts';
import type { MemberProbe, MemberView } from '../../core/store/member/member-probe.ts';
import { revision, type LeaseId } from '../../core/store/types.ts';
import type { Term } from '../../core/raft/types.ts';
import { LeaseDeadlines } from '../check/lease-deadlines.ts';
import { SeededRandom } from '../random.ts';
import { checkKvHistory } from '../check/kv-linearizability.ts';
import { RaftInvariants } from '../check/raft-invariants.ts';
import { checkWatchStream } from '../check/watch-history.ts';
import { Simulation } from '../simulation.ts';
import type { TraceLevel, TraceSink } from '../trace.ts';
import {
  applyStoreFault,
  describeFault,
  generateSchedule,
  hasFigureEight,
  healAll,
  type ScheduledFault,
} from './fault-schedule.ts';
import { FIGURE_EIGHT_MAX_MSG_BYTES, PersistedListeners } from './figure-eight.ts';
import { storeMemberName } from '../../core/cluster/identities.ts';
import { StoreCluster, type MemberTuning } from '../store-cluster.ts';
import { coverageOf, type Coverage } from './coverage.ts';
import { DEFAULT_WORKLOAD_MIX, isReader, type WorkloadMix } from './op-mix.ts';
import { ReferenceReplica } from './reference-replica.ts';
import { KEY_PREFIX, Workload } from './workload.ts';

export interface StoreFuzzOptions {
  readonly seed: number;
  readonly members: 3 | 5;
  /** The linearizability checker's budget of model steps (default DEFAULT_MAX_STEPS). */
  readonly checkerMaxSteps?: number;
  /**
   * Its budget for shrinking a violation to a small illustration (DEFAULT_MINIMIZE_MAX_STEPS);
   * with past reads in the history each step is costly, so campaigns that expect violations
   * (planted bugs) lower it.
   */
  readonly illustrationMaxSteps?: number;
  /** Length of the safety phase (virtual time). */
  readonly durationUs: number;
  readonly clients: number;
  /** The ops clients draw (op-mix.ts); default 'full'. */
  readonly mix?: WorkloadMix;
  readonly watchers?: number;
  /** Default: drawn from the seed. */
  readonly faultSchedule?: readonly ScheduledFault[];
  readonly maxFaults?: number;
  /** Draw the Figure 8 shape in a third of the schedules (default true). */
  readonly figureEight?: boolean;
  /** After healing, a leader and a committed write within this much virtual time. */
  readonly livenessBoundUs?: number;
  readonly settleUs?: number;
  readonly keys?: number;
  readonly thinkUs?: number;
  /** Client request timeout; short, so clients cut off from a stale leader move on quickly. */
  readonly requestTimeoutUs?: number;
  /** Default: small snapshot intervals drawn from the seed, so snapshots and installs happen. */
  readonly tuning?: MemberTuning;
  readonly traceLevel?: TraceLevel;
  /** Receives every trace line of the run (tests check them against the trace schema). */
  readonly traceSink?: TraceSink;
  /** Check mode (SimulationOptions.checkImmutability), on unless turned off. */
  readonly checkImmutability?: boolean;
}

export type StoreFuzzViolationKind =
  'raft' | 'crash' | 'liveness' | 'convergence' | 'linearizability' | 'watch' | 'lease';

export interface StoreFuzzViolation {
  readonly kind: StoreFuzzViolationKind;
  readonly message: string;
}

export interface StoreFuzzStats {
  readonly operations: number;
  readonly completed: number;
  readonly unknown: number;
  /** Reads without a result and writes known not applied: left out of the history. */
  readonly notApplied: number;
  readonly events: number;
  readonly watchEvents: number;
  /** Virtual time from healing to the first committed write. */
  readonly livenessUs: number | undefined;
  /** Steps the linearizability search took; `linearizability` says how it ended. */
  readonly checkerSteps: number;
  readonly linearizability: 'ok' | 'violation' | 'inconclusive';
}

export interface StoreFuzzReport {
  readonly seed: number;
  readonly members: 3 | 5;
  readonly schedule: readonly ScheduledFault[];
  readonly violations: readonly StoreFuzzViolation[];
  readonly stats: StoreFuzzStats;
  /** The store paths the completed operations went through. */
  readonly coverage: Coverage;
}

/** Stated bound of the liveness phase: two election timeouts for the lease and a vote, with room. */
export const DEFAULT_LIVENESS_BOUND_US = 10_000_000;
export const DEFAULT_SETTLE_US = 3_000_000;
/** The lease holder's lease: short, so partitions and lapses make it expire within a run. */
const HOLDER_TTL_SECONDS = 2;
const HOLDER_KEEP_ALIVE_US = 400_000;

export async function runStoreFuzz(options: StoreFuzzOptions): Promise<StoreFuzzReport> {
  const seed = options.seed;
  const sim = new Simulation({
    seed,
    traceLevel: options.traceLevel ?? 'info',
    checkImmutability: options.checkImmutability ?? true,
  });
  if (options.traceSink !== undefined) sim.trace.addSink(options.traceSink);
  const plan = SeededRandom.root(seed).fork('store-fuzz');
  const invariants = new RaftInvariants(() => sim.now);
  const reference = new ReferenceReplica();
  const deadlines = new LeaseDeadlines();
  // The workload exists only once the cluster does; expiries before that cannot happen.
  let workloadRef: Workload | undefined;
  const mix = options.mix ?? DEFAULT_WORKLOAD_MIX;
  const clientNames = Array.from({ length: options.clients }, (_, i) => `client-${i}`);
  // The full mix adds a lease holder, which the fault schedule may cut off like any client.
  const holderNames = mix === 'full' ? ['holder-0'] : [];
  const schedule =
    options.faultSchedule ??
    generateSchedule(plan.fork('faults'), {
      members: Array.from({ length: options.members }, (_, i) => storeMemberName(i)),
      clients: [...clientNames, ...holderNames],
      profile: mix,
      readers: clientNames.filter((_, i) => isReader(mix, i)),
      writers: clientNames.filter((_, i) => !isReader(mix, i)),
      durationUs: options.durationUs,
      maxFaults: options.maxFaults ?? 8,
      ...(options.figureEight === undefined ? {} : { figureEight: options.figureEight }),
    });
  const tap = new PersistedListeners();
  const cluster = new StoreCluster(sim, {
    members: options.members,
    probe: withReference(invariants, tap, reference, (id, term) => {
      deadlines.expiring(id, term, sim.now);
      workloadRef?.leaseExpiring(id);
    }),
    tuning: {
      ...(options.tuning ?? defaultTuning(plan.fork('tuning'))),
      ...(hasFigureEight(schedule) ? { maxSizePerMsgBytes: FIGURE_EIGHT_MAX_MSG_BYTES } : {}),
    },
  });
  const keyCount = options.keys ?? 4;
  const workload = new Workload(sim, cluster.names, {
    keys: Array.from({ length: keyCount }, (_, i) => `${KEY_PREFIX}${i}`),
    thinkUs: options.thinkUs ?? 40_000,
    // The full mix's clients give up on an unreachable leader sooner and come back sooner, so
    // writes land on a new leader while an isolated old one may still be serving.
    requestTimeoutUs: options.requestTimeoutUs ?? (mix === 'kv' ? 500_000 : 200_000),
    backoffUs: mix === 'kv' ? 200_000 : 50_000,
    watchReconnectUs: 100_000,
    mix,
  });
  workloadRef = workload;
  for (const name of clientNames) workload.spawnClient(name);
  for (const name of holderNames)
    workload.spawnLeaseHolder(
      name,
      `${KEY_PREFIX}-${name}`,
      deadlines,
      HOLDER_TTL_SECONDS,
      HOLDER_KEEP_ALIVE_US,
    );
  for (let i = 0; i < (options.watchers ?? 2); i++)
    workload.spawnWatcher(`watcher-${i}`, i % 2 === 1);

  for (const f of schedule)
    sim.at(f.atUs, () =>
      applyStoreFault(sim, cluster, f.fault, { persisted: tap, untilUs: options.durationUs }),
    );

  const violations: StoreFuzzViolation[] = [];
  const raftViolations = (): void => {
    for (const v of invariants.violations)
      violations.push({ kind: 'raft', message: `${v.kind} at ${v.atUs}us: ${v.message}` });
  };
  const checkEvent = (): boolean => {
    invariants.afterEvent(cluster.views());
    return !invariants.ok;
  };
  const run = async (untilUs: number, done?: () => boolean): Promise<boolean> => {
    try {
      await sim.run({ untilUs, stopWhen: () => checkEvent() || (done?.() ?? false) });
      return invariants.ok;
    } catch (e) {
      violations.push({
        kind: 'crash',
        message: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
      return false;
    }
  };

  let livenessUs: number | undefined;
  let healthy = await run(options.durationUs);
  if (healthy) {
    const healedAt = sim.now;
    workload.stop();
    healAll(sim, cluster);
    const bound = options.livenessBoundUs ?? DEFAULT_LIVENESS_BOUND_US;
    workload.spawnProber('liveness', `${KEY_PREFIX}-live`, (at) => {
      livenessUs = at - healedAt;
    });
    healthy = await run(healedAt + bound, () => livenessUs !== undefined);
    if (healthy && livenessUs === undefined) {
      violations.push({
        kind: 'liveness',
        message: `no write committed within ${bound}us of healing: ${describeViews(cluster.views())}`,
      });
    }
  }
  if (healthy && livenessUs !== undefined) {
    // A lease holder stops renewing with the workload: let its lease run out (and the revoke
    // reach the watchers) before the members and streams are compared.
    const holderLeaseUs = holderNames.length > 0 ? (HOLDER_TTL_SECONDS + 1) * 1_000_000 : 0;
    healthy = await run(sim.now + (options.settleUs ?? DEFAULT_SETTLE_US) + holderLeaseUs);
  }
  raftViolations();

  const history = workload.finalHistory();
  let checkerSteps = 0;
  let linearizability: StoreFuzzStats['linearizability'] = 'inconclusive';
  if (healthy && livenessUs !== undefined) {
    checkConvergence(cluster, violations);
    const result = checkKvHistory(history.operations(), {
      ...(options.checkerMaxSteps === undefined ? {} : { maxSteps: options.checkerMaxSteps }),
      ...(options.illustrationMaxSteps === undefined
        ? {}
        : { minimizeMaxSteps: options.illustrationMaxSteps }),
    });
    checkerSteps = result.steps;
    if (result.ok === true) linearizability = 'ok';
    else if (result.ok === false) {
      linearizability = 'violation';
      violations.push({
        kind: 'linearizability',
        message: describeLinearizabilityViolation(result),
      });
    }
    checkWatches(cluster, reference, workload, violations);
    for (const v of deadlines.violations(reference.committedRevokes()))
      violations.push({ kind: 'lease', message: v.message });
  }
  const ops = history.operations();
  const completed = ops.filter((o) => o.result !== undefined).length;
  return {
    seed,
    members: options.members,
    schedule,
    violations,
    coverage: {
      ...coverageOf(ops, workload.serverChosenGrants),
      'lease.keep-alive': deadlines.renewalCount,
      'lease.expired': deadlines.expiryCount,
    },
    stats: {
      operations: ops.length,
      completed,
      unknown: ops.length - completed,
      notApplied: workload.counts.notApplied,
      events: sim.loop.eventsProcessed,
      watchEvents: workload.watches.reduce(
        (n, w) => n + w.received.reduce((m, r) => m + r.events.length, 0),
        0,
      ),
      livenessUs,
      checkerSteps,
      linearizability,
    },
  };
}

/** Snapshots every 50-400 entries with a short catch-up tail, so installs happen under faults. */
function defaultTuning(random: SeededRandom): MemberTuning {
  return { snapshotEntries: 50 + random.int(350), catchUpEntries: random.int(40) };
}

/**
 * The members of the newest configuration (as applied by the member that applied most) must
 * all have started and applied the same entries, with equal states. Members removed by a
 * membership change are left out.
 */
function checkConvergence(cluster: StoreCluster, violations: StoreFuzzViolation[]): void {
  const ids = configurationOf(cluster);
  const current = currentMembers(cluster, ids);
  const views = current.map((m) => m.inspect());
  const applied = new Set(views.map((v) => v.applied));
  if (views.length !== ids.length || views.some((v) => !v.started) || applied.size !== 1) {
    const all = cluster.running().map((m) => m.inspect());
    violations.push({
      kind: 'convergence',
      message: `members did not converge after settling: ${describeViews(all)}`,
    });
    return;
  }
  const hashes = new Set(current.map((m) => m.stateHash()));
  if (hashes.size !== 1) {
    violations.push({
      kind: 'convergence',
      message: `members applied index ${views[0]!.applied} with different states`,
    });
  }
}

/** Ids in the configuration applied by the running member that applied the most. */
function configurationOf(cluster: StoreCluster): number[] {
  const views = cluster.running().map((m) => m.inspect());
  if (views.length === 0) return [];
  const newest = views.reduce((a, b) => (b.applied > a.applied ? b : a));
  return [...newest.voters, ...newest.learners];
}

/** The running members that belong to the newest configuration. */
function currentMembers(cluster: StoreCluster, ids = configurationOf(cluster)): KvMember[] {
  return cluster.running().filter((m) => ids.includes(m.inspect().id));
}

/**
 * The checkers' probe, also feeding the reference replica every applied entry and telling the
 * workload of every expiry revoke a leader proposes.
 */
function withReference(
  probe: MemberProbe,
  tap: PersistedListeners,
  reference: ReferenceReplica,
  onLeaseExpiring: (id: LeaseId, term: Term) => void,
): MemberProbe {
  return {
    persisted: (m, entries, prevTerm) => {
      probe.persisted(m, entries, prevTerm);
      tap.persisted(m, entries);
    },
    leaderPersisted: (m, term, termAt, snapshotIndex) =>
      probe.leaderPersisted(m, term, termAt, snapshotIndex),
    applied: (m, entry, rev, nodeTerm) => {
      reference.applied(entry);
      probe.applied(m, entry, rev, nodeTerm);
    },
    restored: (m, index, rev) => probe.restored(m, index, rev),
    readStarted: (m, ctx) => probe.readStarted(m, ctx),
    readServed: (m, ctx, readIndex, applied) => probe.readServed(m, ctx, readIndex, applied),
    leaseExpiring: (m, id, term) => {
      onLeaseExpiring(id, term);
      probe.leaseExpiring(m, id, term);
    },
  };
}

function checkWatches(
  cluster: StoreCluster,
  reference: ReferenceReplica,
  workload: Workload,
  violations: StoreFuzzViolation[],
): void {
  const members = currentMembers(cluster);
  const source = members.reduce((a, b) => (b.inspect().applied > a.inspect().applied ? b : a));
  // The members' own history starts at their compaction point; the reference never compacts.
  const committed = reference.committedHistory();
  const finalRevision = source.inspect().revision;
  const referenceRevision = committed.at(-1)?.revision ?? 1;
  if (referenceRevision !== finalRevision) {
    violations.push({
      kind: 'convergence',
      message: `the committed log replayed ends at revision ${referenceRevision}, the members at ${finalRevision}`,
    });
  }
  for (const w of workload.watches) {
    for (const e of w.errors) violations.push({ kind: 'watch', message: `${w.name}: ${e}` });
    const through = w.throughRevision > 0 ? { throughRevision: revision(w.throughRevision) } : {};
    const result = checkWatchStream(committed, w.spec, w.received, through);
    for (const v of result.violations.slice(0, 5))
      violations.push({ kind: 'watch', message: `${w.name}: ${v.kind}: ${v.detail}` });
    if (w.throughRevision < finalRevision) {
      violations.push({
        kind: 'watch',
        message: `${w.name} is not caught up after settling: vouched through ${w.throughRevision}, store at ${finalRevision}`,
      });
    }
  }
}

function describeViews(views: readonly MemberView[]): string {
  return views
    .map(
      (v) =>
        `${v.name}: ${v.started ? v.role : 'starting'} term=${v.term} lead=${v.lead} commit=${v.commit} applied=${v.applied} last=${v.lastIndex} rev=${v.revision}`,
    )
    .join('; ');
}

function describeLinearizabilityViolation(result: {
  reason: string;
  illustration?: readonly unknown[];
}): string {
  const illustration =
    result.illustration === undefined
      ? ''
      : `\n  illustration: ${result.illustration.map((o) => JSON.stringify(o)).join('\n    ')}`;
  return `${result.reason}${illustration}`;
}

export function describeReport(report: StoreFuzzReport): string {
  const lines = [
    `seed ${report.seed}: ${report.members} members, ${report.violations.length === 0 ? 'ok' : `${report.violations.length} violation(s)`}`,
    `  stats: ${JSON.stringify(report.stats)}`,
    `  schedule:`,
    ...report.schedule.map((f) => `    ${describeFault(f)}`),
  ];
  for (const v of report.violations) lines.push(`  ${v.kind}: ${v.message}`);
  return lines.join('\n');
}
