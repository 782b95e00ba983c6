/**
 * The fuzzer's clients: processes that issue puts, gets, transactions and deletes over a few
 * keys through KvClient and record every call and outcome in one history, and watchers that
 * follow the key range across reconnections and record what they receive.
 *
 * History times are the simulation's virtual clock (no clock faults are injected, so every
 * process's clock reads the same). A write whose outcome the client does not learn is recorded
 * as unknown; so is an operation still in flight at the end.
 */
import type { ProcessPorts } from '../../core/ports/process.ts';
import { KvClient } from '../../core/store/kv-client.ts';
import {
  leaseId,
  revision,
  type LeaseId,
  type Op,
  type Result,
  type Revision,
} from '../../core/store/types.ts';
import type { LeaseDeadlines } from '../check/lease-deadlines.ts';
import { History } from '../check/history.ts';
import type { ReceivedResponse, WatchSpec } from '../check/watch-history.ts';
import type { Simulation } from '../simulation.ts';
import {
  ClientView,
  KEY_PREFIX,
  KEY_RANGE_END,
  isReader,
  nextOp,
  thinkUsOf,
  type WorkloadMix,
} from './op-mix.ts';

export { KEY_PREFIX, KEY_RANGE_END } from './op-mix.ts';

const US_PER_SECOND = 1_000_000;
/** The client number history gives the leaders' lessors (their expiry revokes). */
const LESSOR_CLIENT = -1;

export interface WorkloadOptions {
  /** Keys the clients touch; all start with KEY_PREFIX so one range covers them. */
  readonly keys: readonly string[];
  /** Upper bound of the pause before each op. */
  readonly thinkUs: number;
  readonly requestTimeoutUs: number;
  /** Pause after an op whose outcome was unknown (an election is probably under way). */
  readonly backoffUs: number;
  readonly watchReconnectUs: number;
  /** Which ops the clients draw (op-mix.ts). */
  readonly mix: WorkloadMix;
}

export interface WatchRecord {
  readonly name: string;
  readonly spec: WatchSpec;
  readonly received: ReceivedResponse[];
  /** Highest revision a progress notification vouched for (0: none). */
  throughRevision: number;
  /** The revision the watcher asks for next (it reconnects from here). */
  next: Revision;
  readonly errors: string[];
}

interface InFlight {
  readonly client: number;
  readonly op: Op;
  readonly callUs: number;
}

export class Workload {
  private readonly history = new History<Op, Result>();
  private readonly inFlight = new Set<InFlight>();
  /** Reads without a result, and writes known not to have been applied: not in the history. */
  readonly counts = { notApplied: 0 };
  /** History ids of grants whose lease id the server chose (recorded with that id). */
  readonly serverChosenGrants = new Set<number>();
  readonly watches: WatchRecord[] = [];
  private stopped = false;
  private clients = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly members: readonly string[],
    private readonly options: WorkloadOptions,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  /** Clients finish their current op and issue no more. */
  stop(): void {
    this.stopped = true;
  }

  spawnClient(name: string): void {
    const client = this.clients++;
    this.sim.spawnProcess(name, (p) =>
      p.spawn(async () => {
        const kv = this.client(p);
        const random = p.random.fork('ops');
        const view = new ClientView();
        const readOnly = isReader(this.options.mix, client);
        const thinkUs = thinkUsOf(this.options.mix, readOnly, this.options.thinkUs);
        const compactFloor = (): number => this.compactFloor();
        let seq = 0;
        while (!this.stopped) {
          // A burst of large values goes out back to back.
          if (view.burstLeft === 0) await p.clock.sleep(1 + random.int(thinkUs));
          if (this.stopped) break;
          const value = `c${client}.${p.incarnation}.${seq++}`;
          const op = nextOp(this.options.mix, random, view, {
            keys: this.options.keys,
            value,
            readOnly,
            compactFloor,
          });
          if ((await this.call(kv, client, op, view)) === undefined) {
            view.burstLeft = 0;
            await p.clock.sleep(this.options.backoffUs);
          }
        }
      }),
    );
  }

  /**
   * A client that writes `key` until one write succeeds, then reports the time. Its writes go
   * into the history like everyone else's (the checkers must see every write).
   */
  spawnProber(name: string, key: string, onSuccess: (atUs: number) => void): void {
    const client = this.clients++;
    this.sim.spawnProcess(name, (p) =>
      p.spawn(async () => {
        const kv = this.client(p);
        for (let attempt = 0; ; attempt++) {
          const op: Op = { kind: 'put', key, value: `probe.${attempt}` };
          if ((await this.call(kv, client, op)) !== undefined) {
            onSuccess(this.sim.now);
            return;
          }
          await p.clock.sleep(this.options.backoffUs);
        }
      }),
    );
  }

  /** A watcher of every workload key from revision 1, reconnecting where it left off. */
  spawnWatcher(name: string, prevKv: boolean): WatchRecord {
    const record: WatchRecord = {
      name,
      spec: { key: KEY_PREFIX, rangeEnd: KEY_RANGE_END, startRevision: revision(1), prevKv },
      received: [],
      throughRevision: 0,
      next: revision(1),
      errors: [],
    };
    this.watches.push(record);
    this.sim.spawnProcess(name, (p) => {
      const kv = this.client(p);
      record.next = record.spec.startRevision;
      const open = (): void => {
        kv.watch(
          {
            key: KEY_PREFIX,
            rangeEnd: KEY_RANGE_END,
            startRevision: record.next,
            prevKv,
            progressNotify: true,
          },
          {
            onEvents: (response) => {
              record.received.push({ revision: response.revision, events: response.events });
              record.next = revision(response.revision + 1);
            },
            onProgress: (rev) => {
              if (rev > record.throughRevision) record.throughRevision = rev;
            },
            onClose: (reason, error) => {
              if (error !== undefined)
                record.errors.push(`watch from ${record.next} refused: ${reason}`);
              p.clock.setTimer(this.options.watchReconnectUs, open);
            },
          },
        );
      };
      open();
    });
    return record;
  }

  private client(p: ProcessPorts): KvClient {
    return new KvClient(p.transport, this.members, {
      requestTimeoutUs: this.options.requestTimeoutUs,
      readRetries: 2,
    });
  }

  /**
   * A client that holds a short lease the way a Kubernetes component holds its lock: it grants
   * one (the server chooses the id), puts `key` under it and keeps it alive every
   * `keepAliveUs`. Now and then it stops renewing for two TTLs, so the lease expires; a lease
   * found gone starts the cycle again. Every grant and renewal goes to `deadlines`.
   */
  spawnLeaseHolder(
    name: string,
    key: string,
    deadlines: LeaseDeadlines,
    ttlSeconds: number,
    keepAliveUs: number,
  ): void {
    const client = this.clients++;
    this.sim.spawnProcess(name, (p) =>
      p.spawn(async () => {
        const kv = this.client(p);
        const random = p.random.fork('lease-holder');
        let seq = 0;
        while (!this.stopped) {
          const grantUs = this.sim.now;
          const grant: Op = { kind: 'lease-grant', id: leaseId(0), ttlSeconds };
          const granted = await this.call(kv, client, grant);
          if (granted?.kind !== 'lease-grant') {
            await p.clock.sleep(this.options.backoffUs);
            continue;
          }
          const id = granted.id;
          deadlines.renewed(id, grantUs, this.sim.now, granted.ttlSeconds);
          const value = `${name}.${p.incarnation}.${seq++}`;
          await this.call(kv, client, { kind: 'put', key, value, lease: id });
          for (let held = true; held && !this.stopped;) {
            const lapse = random.int(20) === 0;
            await p.clock.sleep(lapse ? 2 * ttlSeconds * US_PER_SECOND : keepAliveUs);
            if (this.stopped) break;
            const callUs = this.sim.now;
            const renewed = await kv.lease({ kind: 'lease-keep-alive', id });
            if (renewed.kind === 'lease-keep-alive')
              deadlines.renewed(id, callUs, this.sim.now, renewed.ttlSeconds);
            else if (renewed.kind === 'error') held = false;
            else await p.clock.sleep(this.options.backoffUs);
          }
        }
      }),
    );
  }

  /**
   * A leader proposed to revoke an expired lease: a write no client made, entered as an op of
   * unknown outcome from its proposal on (it commits later, or never if that leader is deposed;
   * several leaders may propose it, and all but the first then find no lease).
   */
  leaseExpiring(id: LeaseId): void {
    this.history.unknown(
      this.history.invoke(LESSOR_CLIENT, { kind: 'lease-revoke', id }, this.sim.now),
    );
  }

  /**
   * Records one call; its result when known. The call is entered into the history
   * when its outcome is known (with its original call time), so that outcomes known to be
   * "not applied" can be left out: every attempt was refused or answered not-leader, which
   * a member only says of an op it did not and never will apply. Dropping them keeps the
   * linearizability search small; ops whose outcome is truly unknown stay in as unknown.
   */
  private async call(
    kv: KvClient,
    client: number,
    op: Op,
    view?: ClientView,
  ): Promise<Result | undefined> {
    const call: InFlight = { client, op, callUs: this.sim.now };
    this.inFlight.add(call);
    const outcome = await kv.do(op);
    this.inFlight.delete(call);
    if (outcome.kind === 'not-applied') {
      this.counts.notApplied++;
      return undefined;
    }
    if (outcome.kind === 'unknown') {
      // A grant whose id the server chooses, outcome unknown: nobody can name that lease, so
      // whether it exists is invisible to every later op (up to an id collision, ~2^-46).
      if (op.kind === 'range' || serverChosenGrant(op)) this.counts.notApplied++;
      else this.history.unknown(this.history.invoke(client, op, call.callUs));
      return undefined;
    }
    view?.observe(op, outcome);
    // The server's choice of id enters the history as if the client had asked for it: the
    // model then checks that the id was free when the grant took effect.
    const recorded =
      serverChosenGrant(op) && outcome.kind === 'lease-grant' ? { ...op, id: outcome.id } : op;
    const id = this.history.invoke(client, recorded, call.callUs);
    if (recorded !== op) this.serverChosenGrants.add(id);
    this.history.complete(id, outcome, this.sim.now);
    return outcome;
  }

  /** The history with every call still in flight as unknown: what the checkers get. */
  finalHistory(): History<Op, Result> {
    for (const call of this.inFlight) this.history.invoke(call.client, call.op, call.callUs);
    this.inFlight.clear();
    return this.history;
  }

  /**
   * The highest revision the store may be compacted to: below every watcher's next revision (a
   * watch from at or below the compaction point is refused).
   */
  private compactFloor(): number {
    let floor = Number.MAX_SAFE_INTEGER;
    for (const w of this.watches) floor = Math.min(floor, w.next - 1);
    return floor;
  }
}

function serverChosenGrant(op: Op): boolean {
  return op.kind === 'lease-grant' && op.id === 0;
}
