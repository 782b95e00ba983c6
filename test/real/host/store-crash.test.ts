import { afterEach, describe, expect, it } from 'vitest';
import { STORE_CLIENT_PROTOCOL } from '../../../core/store/client-protocol.ts';
import { KvClient } from '../../../core/store/kv-client.ts';
import type { KeyValue } from '../../../core/store/types.ts';
import { parseAddressBook, type AddressBook } from '../../../real/host/address-book.ts';
import { HostRandom } from '../../../real/host/host-random.ts';
import { TcpTransport } from '../../../real/host/tcp-transport.ts';
import { WallClock } from '../../../real/host/wall-clock.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { freePort, StoreProcesses } from '../../../sim/cli/real-store-processes.ts';

const clock = new WallClock();
/** KSIM_SEED=N reproduces a failing run's kill moments. */
const SEED = Number(process.env.KSIM_SEED ?? 1);
const ROUNDS = 3;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Acked {
  readonly value: string;
  readonly revision: number;
}

/** The member that serves a linearizable read itself (followers answer not-leader). */
async function leaderOf(transport: TcpTransport, names: readonly string[]): Promise<string> {
  for (;;) {
    for (const name of names) {
      const r = await transport.request(
        STORE_CLIENT_PROTOCOL,
        name,
        { kind: 'kv', op: { kind: 'range', key: 'leader?' } },
        1_000_000,
      );
      if (r.kind === 'reply' && r.body.kind === 'result') return name;
    }
    await clock.sleep(50_000);
  }
}

/** Every key the test wrote, by a linearizable read that retries until a leader answers. */
async function fullRange(client: KvClient): Promise<Map<string, KeyValue>> {
  for (;;) {
    const r = await client.do({ kind: 'range', key: 'key/', rangeEnd: 'key0' });
    if (r.kind === 'range') return new Map(r.kvs.map((kv) => [kv.key, kv]));
    await clock.sleep(50_000);
  }
}

function expectContains(
  after: ReadonlyMap<string, KeyValue>,
  before: ReadonlyMap<string, KeyValue>,
  what: string,
): void {
  const missing: string[] = [];
  for (const [key, kv] of before) {
    const now = after.get(key);
    if (now?.value !== kv.value || now.modRevision !== kv.modRevision)
      missing.push(`${key}: ${kv.value}@${kv.modRevision} -> ${JSON.stringify(now)}`);
  }
  expect(missing, `${what} (KSIM_SEED=${SEED})`).toEqual([]);
}

describe(`ksim real store processes (KSIM_SEED=${SEED})`, () => {
  it('loses no acknowledged write when the leader is SIGKILLed at random moments and restarted', async () => {
    const random = HostRandom.root(SEED).fork('kills');
    const dir = tempDir('real-store');
    cleanups.push(() => dir.remove());
    const ports = [await freePort(), await freePort(), await freePort()];
    const procs = new StoreProcesses(dir.path, ports, ['--tick', '50ms']);
    cleanups.push(() => procs.killAll());
    await Promise.all(procs.names.map((name, i) => procs.start(name, SEED * 100 + i)));

    const book = parseAddressBook(procs.peers) as AddressBook;
    const transport = new TcpTransport('test-client', book);
    cleanups.push(() => transport.close());
    const client = new KvClient(transport, procs.names, {
      requestTimeoutUs: 2_000_000,
      readRetries: 5,
      clock,
      leaderWaitUs: 10_000_000,
    });

    // Four writers, each writing fresh keys one after another: an acknowledged key must keep
    // its value and revision; a write whose outcome is unknown may or may not be there.
    const acked = new Map<string, Acked>();
    const order: number[][] = [[], [], [], []];
    let stop = false;
    let failure: string | undefined;
    const writers = order.map(async (revisions, w) => {
      for (let n = 0; !stop; n++) {
        const key = `key/${w}/${String(n).padStart(6, '0')}`;
        const value = `value ${w}.${n}`;
        const r = await client.do({ kind: 'put', key, value });
        if (r.kind === 'put') {
          acked.set(key, { value, revision: r.header.revision });
          revisions.push(r.header.revision);
        } else if (r.kind === 'not-applied' || r.kind === 'unknown') await clock.sleep(20_000);
        else failure ??= `put ${key}: ${JSON.stringify(r)}`;
      }
    });

    try {
      for (let round = 0; round < ROUNDS; round++) {
        const ackedBefore = acked.size;
        await clock.sleep(300_000 + random.int(700_000));
        const leader = await leaderOf(transport, procs.names);
        const before = await fullRange(client);
        await procs.kill(leader);
        await clock.sleep(random.int(500_000));
        await procs.start(leader, SEED * 100 + 10 * (round + 1));
        expectContains(await fullRange(client), before, `round ${round}: ${leader} restarted`);
        expect(acked.size, `writes go on in round ${round}`).toBeGreaterThan(ackedBefore);
      }
      const ackedAfterKills = acked.size;
      const deadline = clock.now() + 15_000_000;
      while (acked.size < ackedAfterKills + 20 && clock.now() < deadline) await clock.sleep(50_000);
      expect(acked.size, 'the cluster keeps serving').toBeGreaterThanOrEqual(ackedAfterKills + 20);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(failure).toBeUndefined();

    const final = await fullRange(client);
    const expected = new Map(
      [...acked].map(([key, a]) => [key, { value: a.value, modRevision: a.revision }]),
    );
    expectContains(final, expected as unknown as Map<string, KeyValue>, 'every acknowledged write');
    // Each writer's acknowledged writes committed in the order it made them, all distinct.
    for (const revisions of order) {
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    }
    expect(new Set([...acked.values()].map((a) => a.revision)).size).toBe(acked.size);
  }, 90_000);
});
