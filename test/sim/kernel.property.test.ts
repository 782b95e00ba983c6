import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { ProcessPorts } from '../../core/ports/process.ts';
import { jsonProtocol } from '../../core/ports/transport.ts';
import { applyFault, type Fault } from '../../sim/faults.ts';
import { DEFAULT_NETWORK } from '../../sim/network.ts';
import { Simulation } from '../../sim/simulation.ts';

const P = jsonProtocol('test');

const NAMES = ['a', 'b', 'c', 'd'];
const HORIZON_US = 200_000;

const name = fc.constantFrom(...NAMES);
const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), process: name }),
  fc.record({ kind: fc.constant('restart' as const), process: name }),
  fc.record({ kind: fc.constant('isolate' as const), process: name }),
  fc.record({ kind: fc.constant('block' as const), from: name, to: name }),
  fc.record({ kind: fc.constant('heal' as const) }),
  fc.record({
    kind: fc.constant('clog' as const),
    process: name,
    durationUs: fc.integer({ min: 1, max: 20_000 }),
  }),
  fc.shuffledSubarray(NAMES, { minLength: 1 }).map((g) => ({
    kind: 'partition' as const,
    groups: [g, NAMES.filter((n) => !g.includes(n))],
  })),
);
const schedule = fc.array(fc.record({ atUs: fc.integer({ min: 0, max: HORIZON_US }), fault }), {
  maxLength: 12,
});

interface Observations {
  violations: string[];
  streamData: Map<string, number[]>;
  pongs: number;
}

/** Every process pings every other, serves streams of counters, and watches one peer. */
function world(seed: number, faults: { atUs: number; fault: Fault }[], loss: number) {
  const sim = new Simulation({
    seed,
    traceLevel: 'debug',
    network: {
      ...DEFAULT_NETWORK,
      link: { ...DEFAULT_NETWORK.link, lossProbability: loss, duplicateProbability: loss },
    },
  });
  const obs: Observations = { violations: [], streamData: new Map(), pongs: 0 };
  const factory = (ports: ProcessPorts) => {
    const me = ports.name;
    ports.transport.listen(P, {
      onMessage: (from, msg) => {
        const m = msg as { destIncarnation: number; blockedAtSend: boolean };
        if (m.destIncarnation !== ports.incarnation)
          obs.violations.push(`${me} got a message for another incarnation`);
        if (m.blockedAtSend) obs.violations.push(`${from}->${me} delivered across a block`);
      },
      onRequest: () => 'pong',
      onStream: (_from, _req, stream) =>
        ports.spawn(async () => {
          for (let i = 0; stream.open; i++) {
            stream.send(i);
            await ports.clock.sleep(1_000);
          }
        }),
    });
    const peer = NAMES[(NAMES.indexOf(me) + 1) % NAMES.length] as string;
    const key = `${me}#${ports.incarnation}->${peer}`;
    const watch = (attempt: number): void => {
      const got: number[] = [];
      obs.streamData.set(`${key}/${attempt}`, got);
      ports.transport.openStream(P, peer, 'watch', {
        onMessage: (m) => got.push(m as number),
        onClose: () => ports.clock.setTimer(5_000, () => watch(attempt + 1)),
      });
    };
    watch(0);
    ports.spawn(async () => {
      while (true) {
        await ports.clock.sleep(2_000 + ports.random.int(2_000));
        for (const other of NAMES) {
          if (other === me) continue;
          ports.transport.send(P, other, {
            destIncarnation: sim.process(other).incarnation,
            blockedAtSend: sim.network.isBlocked(me, other),
          });
        }
        const r = await ports.transport.request(P, peer, 'ping', 5_000);
        if (r.kind === 'reply' && sim.now > HORIZON_US) obs.pongs++;
      }
    });
  };
  for (const n of NAMES) sim.spawnProcess(n, factory);
  for (const { atUs, fault: f } of faults) sim.at(atUs, () => applyFault(sim, f));
  // Liveness phase: heal everything, restart everyone, and require traffic to flow again.
  sim.at(HORIZON_US, () => {
    sim.network.heal();
    for (const n of NAMES) sim.restart(n);
  });
  return { sim, obs };
}

test.prop([fc.integer({ min: 1, max: 1_000_000 }), schedule, fc.constantFrom(0, 0.05)], {
  numRuns: 60,
})(
  'random fault schedules keep the kernel invariants and the run deterministic',
  async (seed, faults, loss) => {
    const first = world(seed, faults, loss);
    await first.sim.run({ untilUs: HORIZON_US + 100_000 });
    expect(first.obs.violations).toEqual([]);
    for (const [stream, data] of first.obs.streamData) {
      expect(data, `stream ${stream} must be gap-free and ordered`).toEqual(data.map((_, i) => i));
    }
    // Four processes, each pinging every ~3 ms for 100 ms after healing: about 130 round trips
    // without loss; a lost request or reply costs a 5 ms timeout.
    expect(first.obs.pongs).toBeGreaterThan(40);

    const second = world(seed, faults, loss);
    await second.sim.run({ untilUs: HORIZON_US + 100_000 });
    expect(second.sim.trace.digest()).toBe(first.sim.trace.digest());
  },
);
