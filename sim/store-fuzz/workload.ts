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
import type { Random } from '../../core/ports/random.ts';
import { KvClient } from '../../core/store/kv-client.ts';
import {
  leaseId,
  revision,
  type Compare,
  type Op,
  type Result,
  type Revision,
} from '../../core/store/types.ts';
import { History } from '../check/history.ts';
import type { ReceivedResponse, WatchSpec } from '../check/watch-history.ts';
import type { Simulation } from '../simulation.ts';

export interface WorkloadOptions {
  /** Keys the clients touch; all start with KEY_PREFIX so one range covers them. */
  readonly keys: readonly string[];
  /** Upper bound of the pause before each op. */
  readonly thinkUs: number;
  readonly requestTimeoutUs: number;
  /** Pause after an op whose outcome was unknown (an election is probably under way). */
  readonly backoffUs: number;
  readonly watchReconnectUs: number;
}

export const KEY_PREFIX = 'k';
/** A day: leases granted by the workload never expire during a run. */
const LONG_LEASE_TTL_SECONDS = 86_400;
export const KEY_RANGE_END = 'l';

export interface WatchRecord {
  readonly name: string;
  readonly spec: WatchSpec;
  readonly received: ReceivedResponse[];
  /** Highest revision a progress notification vouched for (0: none). */
  throughRevision: number;
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
        // Every third client only reads: one cut off with a deposed leader keeps asking it
        // (a write would time out there and move the client on).
        const readOnly = client % 3 === 1;
        let seq = 0;
        while (!this.stopped) {
          await p.clock.sleep(1 + random.int(this.options.thinkUs));
          if (this.stopped) break;
          const op = this.randomOp(random, `c${client}.${p.incarnation}.${seq++}`, readOnly);
          if (!(await this.call(kv, client, op))) await p.clock.sleep(this.options.backoffUs);
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
          if (await this.call(kv, client, op)) {
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
      errors: [],
    };
    this.watches.push(record);
    this.sim.spawnProcess(name, (p) => {
      const kv = this.client(p);
      let next: Revision = record.spec.startRevision;
      const open = (): void => {
        kv.watch(
          {
            key: KEY_PREFIX,
            rangeEnd: KEY_RANGE_END,
            startRevision: next,
            prevKv,
            progressNotify: true,
          },
          {
            onEvents: (response) => {
              record.received.push({ revision: response.revision, events: response.events });
              next = revision(response.revision + 1);
            },
            onProgress: (rev) => {
              if (rev > record.throughRevision) record.throughRevision = rev;
            },
            onClose: (reason, error) => {
              if (error !== undefined) record.errors.push(`watch from ${next} refused: ${reason}`);
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
   * Records one call; true when its result is known. The call is entered into the history
   * when its outcome is known (with its original call time), so that outcomes known to be
   * "not applied" can be left out: every attempt was refused or answered not-leader, which
   * a member only says of an op it did not and never will apply. Dropping them keeps the
   * linearizability search small; ops whose outcome is truly unknown stay in as unknown.
   */
  private async call(kv: KvClient, client: number, op: Op): Promise<boolean> {
    const call: InFlight = { client, op, callUs: this.sim.now };
    this.inFlight.add(call);
    const outcome = await kv.do(op);
    this.inFlight.delete(call);
    if (outcome.kind === 'not-applied') {
      this.counts.notApplied++;
      return false;
    }
    if (outcome.kind === 'unknown') {
      if (op.kind === 'range') this.counts.notApplied++;
      else this.history.unknown(this.history.invoke(client, op, call.callUs));
      return false;
    }
    this.history.complete(this.history.invoke(client, op, call.callUs), outcome, this.sim.now);
    return true;
  }

  /** The history with every call still in flight as unknown: what the checkers get. */
  finalHistory(): History<Op, Result> {
    for (const call of this.inFlight) this.history.invoke(call.client, call.op, call.callUs);
    this.inFlight.clear();
    return this.history;
  }

  /**
   * Lease traffic whose outcome the history can explain: ids chosen by the client (a small
   * shared pool, so grants collide and revokes miss), TTLs far beyond the run so the leader
   * never expires one behind the checker's back, keys attached and deleted by revoke.
   */
  private leaseOp(random: Random, key: string, value: string): Op {
    const id = leaseId(1 + random.int(3));
    switch (random.int(3)) {
      case 0:
        return { kind: 'lease-grant', id, ttlSeconds: LONG_LEASE_TTL_SECONDS };
      case 1:
        return { kind: 'put', key, value, lease: id };
      default:
        return { kind: 'lease-revoke', id };
    }
  }

  private randomOp(random: Random, value: string, readOnly: boolean): Op {
    const keys = this.options.keys;
    const key = keys[random.int(keys.length)]!;
    const other = keys[random.int(keys.length)]!;
    if (readOnly)
      return random.int(4) === 0
        ? { kind: 'range', key: KEY_PREFIX, rangeEnd: KEY_RANGE_END }
        : { kind: 'range', key };
    const r = random.int(100);
    if (r < 6) return this.leaseOp(random, key, value);
    if (r < 30)
      return { kind: 'put', key, value, ...(random.int(2) === 0 ? { prevKv: true } : {}) };
    if (r < 52) return { kind: 'range', key };
    if (r < 60) return { kind: 'range', key: KEY_PREFIX, rangeEnd: KEY_RANGE_END };
    if (r < 70)
      return { kind: 'delete-range', key, ...(random.int(2) === 0 ? { prevKv: true } : {}) };
    const compare: Compare =
      random.int(2) === 0
        ? { target: 'version', key, result: random.int(2) === 0 ? '=' : '>', value: random.int(3) }
        : { target: 'value', key, result: '!=', value: 'none' };
    return {
      kind: 'txn',
      compare: [compare],
      success:
        other === key
          ? [{ kind: 'put', key, value }]
          : [
              { kind: 'put', key: other, value },
              { kind: 'range', key },
            ],
      failure: [{ kind: 'range', key }],
    };
  }
}
