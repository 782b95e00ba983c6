import { describe, expect, it } from 'vitest';
import type { ProcessPorts } from '../../core/ports/process.ts';
import { jsonProtocol, type CallResult } from '../../core/ports/transport.ts';
import { Simulation } from '../../sim/simulation.ts';
import { DEFAULT_NETWORK } from '../../sim/network.ts';
import { DEFAULT_EPOCH_US } from '../../sim/epoch.ts';
import { transportContract } from '../support/transport-contract.ts';

/** Virtual time as a process reads it: its clock minus the run's epoch. */
const elapsedUs = (p: ProcessPorts) => p.clock.now() - DEFAULT_EPOCH_US;

const P = jsonProtocol('test');

const constant = (us: number) => ({
  ...DEFAULT_NETWORK,
  link: { latency: { kind: 'constant' as const, us }, lossProbability: 0, duplicateProbability: 0 },
});

/** A process that records every datagram it receives as [time, from, msg]. */
transportContract('simulated', async (names, script) => {
  const sim = new Simulation({ seed: 5 });
  const ports = new Map<string, ProcessPorts>();
  for (const name of names) sim.spawnProcess(name, (p) => void ports.set(name, p));
  let outcome: { ok: true } | { ok: false; error: unknown } | undefined;
  sim.spawnProcess('contract-driver', (p) =>
    p.spawn(async () => {
      try {
        await script({
          transport: (name) => ports.get(name)!.transport,
          sleep: (us) => p.clock.sleep(us),
          crash: async (name) => sim.crash(name),
        });
        outcome = { ok: true };
      } catch (error) {
        outcome = { ok: false, error };
      }
    }),
  );
  await sim.run();
  if (outcome?.ok === false) throw outcome.error;
  expect(outcome).toEqual({ ok: true });
});

function recorder(log: unknown[][]) {
  return (ports: ProcessPorts) =>
    ports.transport.listen(P, {
      onMessage: (from, msg) => log.push([elapsedUs(ports), from, msg]),
    });
}

describe('simulated network', () => {
  it('delivers datagrams after the link latency', async () => {
    const sim = new Simulation({ seed: 1, network: constant(300) });
    const log: unknown[][] = [];
    sim.spawnProcess('b', recorder(log));
    sim.spawnProcess('a', (p) => p.transport.send(P, 'b', 'hi'));
    await sim.run();
    expect(log).toEqual([[300, 'a', 'hi']]);
  });

  it('keeps uniform latency within bounds and reorders through jitter', async () => {
    const sim = new Simulation({ seed: 5 });
    const log: unknown[][] = [];
    sim.spawnProcess('b', recorder(log));
    sim.spawnProcess('a', (p) => {
      for (let i = 0; i < 200; i++) p.transport.send(P, 'b', i);
    });
    await sim.run();
    expect(log).toHaveLength(200);
    for (const [t] of log) {
      expect(t as number).toBeGreaterThanOrEqual(200);
      expect(t as number).toBeLessThanOrEqual(800);
    }
    const order = log.map((e) => e[2] as number);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it('blocks both directions of a partition, one direction of a block, and heals', async () => {
    const sim = new Simulation({ seed: 1, network: constant(10) });
    const logA: unknown[][] = [];
    const logB: unknown[][] = [];
    sim.spawnProcess('a', recorder(logA));
    sim.spawnProcess('b', recorder(logB));
    const send = (from: string, to: string, msg: string) =>
      sim.network.sendDatagram(from, to, P, msg);
    sim.network.partition([['a'], ['b']]);
    send('a', 'b', 'x1');
    send('b', 'a', 'y1');
    sim.network.heal();
    sim.network.block('a', 'b');
    send('a', 'b', 'x2');
    send('b', 'a', 'y2');
    sim.network.heal();
    send('a', 'b', 'x3');
    await sim.run();
    expect(logB.map((e) => e[2])).toEqual(['x3']);
    expect(logA.map((e) => e[2])).toEqual(['y2']);
    expect(sim.network.stats.dropped).toBe(3);
  });

  it('names what it dropped in the trace: a request by its kind, a reply as a reply', async () => {
    const sim = new Simulation({ seed: 1, network: constant(10), traceLevel: 'debug' });
    const drops: unknown[] = [];
    sim.trace.addSink((line) => {
      const r = JSON.parse(line) as { k: string; msg?: string; reason?: string };
      if (r.k === 'net.drop') drops.push([r.msg, r.reason]);
    });
    sim.spawnProcess('server', (p) =>
      p.transport.listen(P, {
        onRequest: () => {
          sim.network.block('server', 'client');
          return { kind: 'pong' };
        },
      }),
    );
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        await p.transport.request(P, 'server', { kind: 'ping' }, 1_000);
        sim.network.block('client', 'server');
        await p.transport.request(P, 'server', { kind: 'ping' }, 1_000);
      }),
    );
    await sim.run();
    expect(drops).toEqual([
      ['reply', 'blocked'],
      ['ping', 'blocked'],
    ]);
  });

  it('drops and duplicates datagrams at the configured rates', async () => {
    const sim = new Simulation({
      seed: 2,
      network: {
        ...DEFAULT_NETWORK,
        link: { ...DEFAULT_NETWORK.link, lossProbability: 0.3, duplicateProbability: 0.2 },
      },
    });
    const log: unknown[][] = [];
    sim.spawnProcess('b', recorder(log));
    sim.spawnProcess('a', (p) => {
      for (let i = 0; i < 10_000; i++) p.transport.send(P, 'b', i);
    });
    await sim.run();
    // Expected deliveries: 10000 * (0.8 * 0.7 + 0.2 * 2 * 0.7) = 8400.
    expect(log.length).toBeGreaterThan(8100);
    expect(log.length).toBeLessThan(8700);
  });

  it('drops deliveries to a crashed process and to its earlier incarnation', async () => {
    const sim = new Simulation({ seed: 1, network: constant(100) });
    const log: unknown[][] = [];
    sim.spawnProcess('b', recorder(log));
    sim.spawnProcess('a', (p) => {
      p.transport.send(P, 'b', 'lost-in-flight');
      p.spawn(async () => {
        await p.clock.sleep(200);
        p.transport.send(P, 'b', 'after-restart');
      });
    });
    sim.at(50, () => sim.crash('b'));
    sim.at(60, () => sim.restart('b'));
    await sim.run();
    expect(log.map((e) => e[2])).toEqual(['after-restart']);
    expect(sim.process('b').incarnation).toBe(2);
  });

  it('holds clogged traffic until the clog ends', async () => {
    const sim = new Simulation({ seed: 1, network: constant(10) });
    const log: unknown[][] = [];
    sim.spawnProcess('b', recorder(log));
    sim.network.clog('b', 1_000);
    sim.spawnProcess('a', (p) => p.transport.send(P, 'b', 'late'));
    await sim.run();
    expect(log).toEqual([[1_000, 'a', 'late']]);
  });
});

describe('request/response', () => {
  async function call(
    setup: (sim: Simulation) => void,
    timeoutUs = 1_000,
  ): Promise<[number, CallResult]> {
    const sim = new Simulation({ seed: 1, network: constant(100) });
    sim.spawnProcess('server', (p) =>
      p.transport.listen(P, {
        onRequest: async (_from, req) => {
          await p.clock.sleep(50);
          return `echo:${String(req)}`;
        },
      }),
    );
    let result: [number, CallResult] | undefined;
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        const r = await p.transport.request(P, 'server', 'x', timeoutUs);
        result = [elapsedUs(p), r];
      }),
    );
    setup(sim);
    await sim.run();
    if (result === undefined) throw new Error('no result');
    return result;
  }

  it('replies after a round trip plus service time', async () => {
    expect(await call(() => {})).toEqual([250, { kind: 'reply', body: 'echo:x' }]);
  });

  it('times out when the request cannot cross a partition', async () => {
    expect(await call((sim) => sim.network.partition([['client'], ['server']]))).toEqual([
      1_000,
      { kind: 'timeout' },
    ]);
  });

  it('times out when the reply is lost (outcome unknown)', async () => {
    expect(await call((sim) => sim.at(120, () => sim.network.block('server', 'client')))).toEqual([
      1_000,
      { kind: 'timeout' },
    ]);
  });

  it('is refused one round trip after reaching a crashed server', async () => {
    expect(await call((sim) => sim.crash('server'))).toEqual([200, { kind: 'refused' }]);
  });

  it('never resolves for a client that crashed meanwhile', async () => {
    const sim = new Simulation({ seed: 1, network: constant(100) });
    sim.spawnProcess('server', (p) => p.transport.listen(P, { onRequest: () => 'ok' }));
    let resumed = false;
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        await p.transport.request(P, 'server', 'x', 1_000);
        resumed = true;
      }),
    );
    sim.at(150, () => sim.crash('client'));
    await sim.run();
    expect(resumed).toBe(false);
  });
});

describe('request timeouts', () => {
  it('times out each unanswered call at its own deadline, among thousands answered', async () => {
    // The server answers even-numbered requests and ignores odd ones; calls are issued 7 us
    // apart with two timeout lengths, so timers are cancelled in bulk around live ones.
    const sim = new Simulation({ seed: 1, network: constant(100) });
    sim.spawnProcess('server', (p) =>
      p.transport.listen(P, {
        onCall: (_from, req, reply) => {
          if ((req as number) % 2 === 0) reply(req);
        },
      }),
    );
    const outcomes = new Map<number, [number, string]>();
    const issuedAt = new Map<number, number>();
    const timeoutOf = (i: number): number => (i % 3 === 0 ? 50_000 : 20_000);
    sim.spawnProcess('client', (p) => {
      for (let i = 0; i < 5_000; i++) {
        p.clock.setTimer(7 * i, () => {
          issuedAt.set(i, elapsedUs(p));
          void p.transport.request(P, 'server', i, timeoutOf(i)).then((r) => {
            outcomes.set(i, [elapsedUs(p), r.kind]);
          });
        });
      }
    });
    await sim.run();
    expect(outcomes.size).toBe(5_000);
    for (const [i, [at, kind]] of outcomes) {
      if (i % 2 === 0) expect([i, at, kind]).toEqual([i, issuedAt.get(i)! + 200, 'reply']);
      else expect([i, at, kind]).toEqual([i, issuedAt.get(i)! + timeoutOf(i), 'timeout']);
    }
  });

  it('answers a call once even if the server replies twice', async () => {
    const run = async (replies: number): Promise<[unknown[], number]> => {
      const sim = new Simulation({ seed: 1, network: constant(100) });
      sim.spawnProcess('server', (p) =>
        p.transport.listen(P, {
          onCall: (_from, _req, reply) => {
            for (let i = 1; i <= replies; i++) reply(`reply ${i}`);
          },
        }),
      );
      const seen: unknown[] = [];
      sim.spawnProcess('client', (p) =>
        p.spawn(async () => {
          seen.push(await p.transport.request(P, 'server', 'x', 1_000));
        }),
      );
      await sim.run();
      return [seen, sim.loop.eventsProcessed];
    };
    const [once, eventsOnce] = await run(1);
    const [twice, eventsTwice] = await run(2);
    expect(twice).toEqual([{ kind: 'reply', body: 'reply 1' }]);
    expect(once).toEqual(twice);
    // The second reply is not even sent: no extra delivery event.
    expect(eventsTwice).toBe(eventsOnce);
  });

  it('drops the waiting calls of a client that restarted, and still times out the new ones', async () => {
    const sim = new Simulation({ seed: 1, network: constant(100) });
    sim.spawnProcess('server', (p) => p.transport.listen(P, { onCall: () => undefined }));
    const outcomes: [number, string][] = [];
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        const r = await p.transport.request(P, 'server', p.incarnation, 1_000);
        outcomes.push([elapsedUs(p), `${p.incarnation}:${r.kind}`]);
      }),
    );
    sim.at(500, () => {
      sim.crash('client');
      sim.restart('client');
    });
    await sim.run();
    expect(outcomes).toEqual([[1_500, '2:timeout']]);
  });

  it('refuses a timeout that is not a non-negative integer', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.spawnProcess('server', (p) => p.transport.listen(P, { onRequest: () => 'ok' }));
    const errors: string[] = [];
    sim.spawnProcess('client', (p) => {
      try {
        void p.transport.request(P, 'server', 'x', 1.5);
      } catch (e) {
        errors.push((e as Error).message);
      }
    });
    await sim.run();
    expect(errors).toEqual(['request timeout must be a non-negative integer, got 1.5']);
  });
});

describe('streams', () => {
  function setup(sim: Simulation, events: string[]) {
    sim.spawnProcess('server', (p) =>
      p.transport.listen(P, {
        onStream: (_from, _req, stream) => {
          stream.onClose((reason) => events.push(`server-close:${reason}`));
          p.spawn(async () => {
            for (let i = 0; i < 20 && stream.open; i++) {
              stream.send(i);
              await p.clock.sleep(10);
            }
            stream.close();
          });
        },
      }),
    );
    sim.spawnProcess('client', (p) =>
      p.transport.openStream(P, 'server', 'watch', {
        onMessage: (m) => events.push(String(m)),
        onClose: (reason) => events.push(`close:${reason}`),
      }),
    );
  }

  it('delivers in order, without loss, despite jitter and loss, then closes', async () => {
    const sim = new Simulation({
      seed: 9,
      network: { ...DEFAULT_NETWORK, link: { ...DEFAULT_NETWORK.link, lossProbability: 0.2 } },
    });
    const events: string[] = [];
    setup(sim, events);
    await sim.run();
    expect(events).toEqual([
      ...Array.from({ length: 20 }, (_, i) => String(i)),
      'close:closed by server',
    ]);
  });

  it('breaks on a partition and tells both ends', async () => {
    const sim = new Simulation({ seed: 1, network: constant(5) });
    const events: string[] = [];
    setup(sim, events);
    sim.at(52, () => sim.network.partition([['client'], ['server']]));
    await sim.run();
    expect(events.slice(-2).sort()).toEqual([
      'close:network partition',
      'server-close:network partition',
    ]);
    const data = events.filter((e) => /^\d+$/.test(e)).map(Number);
    expect(data).toEqual(Array.from({ length: data.length }, (_, i) => i));
    expect(data.length).toBeLessThan(20);
  });

  it('breaks when the server crashes', async () => {
    const sim = new Simulation({ seed: 1, network: constant(5) });
    const events: string[] = [];
    setup(sim, events);
    sim.at(33, () => sim.crash('server'));
    await sim.run();
    expect(events.at(-1)).toBe('close:server crashed');
  });

  it('times out a connect whose refusal is lost, so a watch can never hang', async () => {
    const sim = new Simulation({ seed: 1, network: constant(5) });
    const events: string[] = [];
    sim.spawnProcess('server', () => undefined);
    sim.crash('server');
    // The reset from the crashed server's host cannot get back to the client.
    sim.network.block('server', 'client');
    sim.spawnProcess('client', (p) =>
      p.transport.openStream(P, 'server', 'watch', {
        onMessage: () => events.push('message'),
        onClose: (reason) => events.push(`${elapsedUs(p)} ${reason}`),
      }),
    );
    await sim.run();
    expect(events).toEqual([`${DEFAULT_NETWORK.connectTimeoutUs} connect timeout`]);
  });
});

describe('listener roles', () => {
  const RAFT = jsonProtocol('raft');
  const KV = jsonProtocol('kv');

  it('delivers each message to the listener of its protocol only', async () => {
    const sim = new Simulation({ seed: 1, network: constant(10) });
    const got: string[] = [];
    sim.spawnProcess('server', (p) => {
      p.transport.listen(RAFT, { onMessage: (_f, m) => got.push(`raft:${String(m)}`) });
      p.transport.listen(KV, {
        onMessage: (_f, m) => got.push(`kv:${String(m)}`),
        onRequest: (_f, req) => `kv answers ${String(req)}`,
      });
    });
    const results: CallResult[] = [];
    let streamClosed = '';
    sim.spawnProcess('client', (p) => {
      p.transport.send(RAFT, 'server', 'vote');
      p.transport.send(KV, 'server', 'put');
      p.spawn(async () => {
        results.push(await p.transport.request(KV, 'server', 'get', 1_000));
        // Nothing answers requests on the raft protocol, and nobody streams on either.
        results.push(await p.transport.request(RAFT, 'server', 'get', 1_000));
        p.transport.openStream(KV, 'server', 'watch', {
          onMessage: () => {},
          onClose: (reason) => (streamClosed = reason),
        });
      });
    });
    await sim.run();
    expect(got).toEqual(['raft:vote', 'kv:put']);
    expect(results).toEqual([{ kind: 'reply', body: 'kv answers get' }, { kind: 'refused' }]);
    expect(streamClosed).toBe('connection refused by server');
  });

  it('forgets every role when the process crashes, until the new incarnation listens', async () => {
    const sim = new Simulation({ seed: 1, network: constant(10) });
    const got: unknown[] = [];
    sim.spawnProcess('server', (p) => {
      if (p.incarnation === 1) p.transport.listen(RAFT, { onMessage: (_f, m) => got.push(m) });
      else p.transport.listen(KV, { onMessage: (_f, m) => got.push(m) });
    });
    sim.spawnProcess('client', (p) => {
      p.clock.setTimer(100, () => {
        p.transport.send(RAFT, 'server', 'to the old role');
        p.transport.send(KV, 'server', 'to the new role');
      });
    });
    sim.at(50, () => {
      sim.crash('server');
      sim.restart('server');
    });
    await sim.run();
    expect(got).toEqual(['to the new role']);
  });
});
