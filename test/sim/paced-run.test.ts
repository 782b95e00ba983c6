import { describe, expect, it } from 'vitest';
import type { ApiResponse, WatchFrame } from '../../core/api/http.ts';
import { API_SERVER } from '../../core/cluster/identities.ts';
import type { CallResult, Transport } from '../../core/ports/transport.ts';
import { OutsideRequests } from '../../sim/outside-requests.ts';
import { Pacing, runPaced, type WallClock } from '../../sim/paced-run.ts';
import { controlPlane } from '../support/cluster.ts';

interface Arrival {
  readonly atMs: number;
  readonly name: string;
}

/** A change of pacing at a wall time (as the live view's controls make them). */
interface Control {
  readonly atMs: number;
  readonly apply: (pacing: Pacing) => void;
}

/**
 * A control plane served to outside requests that arrive at the given wall times, under a
 * wall clock the test moves (it jumps to each sleep's end or the next arrival). Returns the
 * answers by name, the virtual times of the checks, the trace hash, and the virtual time reached
 * at each wall time the pacer woke at. Controls apply at their wall times, between steps.
 */
async function paced(
  speed: number,
  arrivals: readonly Arrival[],
  controls: readonly Control[] = [],
  endMs = 3000,
) {
  const sim = controlPlane({ seed: 7 });
  let transport: Transport | undefined;
  sim.spawnProcess('outside', (ports) => {
    transport = ports.transport;
  });
  const outside = new OutsideRequests(sim, transport as Transport, API_SERVER);
  const answers = new Map<string, { status: number; atUs: number }>();
  const frames: WatchFrame[] = [];
  let wallMs = 0;
  let pending = [...arrivals];
  let pendingControls = [...controls];
  let aheadOfWall = 0;
  const samples: { wallMs: number; us: number }[] = [];
  const arrive = (a: Arrival): void => {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: a.name, namespace: 'default' },
    };
    void outside
      .request({
        kind: 'http',
        method: 'POST',
        path: '/api/v1/namespaces/default/configmaps',
        body,
      })
      .then((r: CallResult<ApiResponse>) => {
        answers.set(a.name, { status: r.kind === 'reply' ? r.body.status : 0, atUs: sim.now });
      });
  };
  let pacing: Pacing | undefined;
  const wall: WallClock = {
    nowMs: () => wallMs,
    sleep: async (ms) => {
      // The virtual time the pacer reached by this wall time, before the wall clock moves on.
      samples.push({ wallMs, us: sim.now });
      const wakeAt = Math.min(
        wallMs + ms,
        pending[0]?.atMs ?? Infinity,
        pendingControls[0]?.atMs ?? Infinity,
      );
      wallMs = Math.max(wallMs, wakeAt);
      while (pending[0] !== undefined && pending[0].atMs <= wallMs) {
        arrive(pending[0]);
        pending = pending.slice(1);
      }
      while (pendingControls[0] !== undefined && pendingControls[0].atMs <= wallMs) {
        pendingControls[0].apply(pacing!);
        pendingControls = pendingControls.slice(1);
      }
      if (controls.length === 0 && sim.now > wallMs * 1000 * speed) aheadOfWall++;
    },
  };
  outside.watch(
    {
      kind: 'http',
      method: 'GET',
      path: '/api/v1/namespaces/default/configmaps',
      query: { watch: 'true' },
    },
    { onMessage: (f) => frames.push(f), onClose: () => {} },
  );
  pacing = new Pacing(wall, () => sim.now, speed);
  await runPaced(sim, outside, wall, {
    pacing,
    stop: () => wallMs >= endMs && pending.length === 0 && answers.size === arrivals.length,
  });
  return { answers, frames, aheadOfWall, samples, endUs: sim.now, hash: sim.trace.digest() };
}

const ARRIVALS: readonly Arrival[] = [
  { atMs: 1000, name: 'a' },
  { atMs: 1000, name: 'b' },
  { atMs: 1500, name: 'c' },
];

describe('a simulation paced to the wall clock', () => {
  it('never runs ahead of wall time x speed, and answers outside requests after they arrive', async () => {
    for (const speed of [1, 10]) {
      const r = await paced(speed, ARRIVALS);
      expect(r.aheadOfWall).toBe(0);
      expect([...r.answers.keys()].sort()).toEqual(['a', 'b', 'c']);
      for (const a of ARRIVALS) {
        const answer = r.answers.get(a.name);
        expect(answer?.status).toBe(201);
        // Requests enter at the virtual time the wall clock has reached when they arrive.
        expect(answer?.atUs).toBeGreaterThan(a.atMs * 1000 * speed);
      }
      expect(r.endUs).toBeLessThanOrEqual(3000 * 1000 * speed);
      // The watch opened before the creations sees each of them.
      const added = r.frames
        .filter((f) => f.type === 'ADDED')
        .map((f) => (f.object as { metadata: { name: string } }).metadata.name);
      expect(added).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    }
  });

  it('gives the same trace for the same arrival times, and another for other times', async () => {
    const first = await paced(1, ARRIVALS);
    const again = await paced(1, ARRIVALS);
    expect(again.hash).toBe(first.hash);
    const later = await paced(
      1,
      ARRIVALS.map((a) => ({ ...a, atMs: a.atMs + 200 })),
    );
    expect(later.hash).not.toBe(first.hash);
  });

  it('pauses, resumes and changes speed with the virtual clock continuous across changes', async () => {
    // 0-1 s at 1x, 1-2 s at 10x, paused 2-3 s, 3-4 s at 10x, then 4-5 s at 0.5x.
    const controls: Control[] = [
      { atMs: 1000, apply: (p) => p.setSpeed(10) },
      { atMs: 2000, apply: (p) => p.pause() },
      { atMs: 3000, apply: (p) => p.resume() },
      { atMs: 4000, apply: (p) => p.setSpeed(0.5) },
    ];
    const r = await paced(1, [], controls, 5000);
    const at = (ms: number) => r.samples.filter((s) => s.wallMs === ms).map((s) => s.us);
    // The speed in force from a wall time on (controls apply as the wall clock reaches them).
    const speedAt = (ms: number) =>
      ms < 1000 ? 1 : ms < 2000 ? 10 : ms < 3000 ? 0 : ms < 4000 ? 10 : 0.5;
    let previous = { wallMs: 0, us: 0 };
    for (const s of r.samples) {
      expect(s.us).toBeGreaterThanOrEqual(previous.us);
      expect(s.us - previous.us).toBeLessThanOrEqual(
        // 1 µs for rounding: wall times are fractional milliseconds.
        (s.wallMs - previous.wallMs) * 1000 * speedAt(previous.wallMs) + 1,
      );
      previous = s;
    }
    // Paused: the clock stands still for the wall second, at the time reached at the pause.
    const paused = r.samples.filter((s) => s.wallMs >= 2000 && s.wallMs <= 3000).map((s) => s.us);
    expect(paused.length).toBeGreaterThan(10);
    expect(new Set(paused).size).toBe(1);
    // Each wall second ran at its speed; a change re-anchors at the virtual time reached, which
    // may trail the pace by one sleep (50 ms of wall time) at the speed before it.
    const reached = [...[1000, 2000, 3000, 4000].map((ms) => Math.max(...at(ms))), r.endUs];
    const expected = [1, 11, 11, 21, 21.5].map((s) => s * 1_000_000);
    reached.forEach((us, i) => {
      expect(us).toBeLessThanOrEqual(expected[i]!);
      expect(us).toBeGreaterThanOrEqual(expected[i]! - 50_000 * 10 * (i + 1));
    });
  });

  it('refuses speeds that are not positive and finite', () => {
    const wall: WallClock = { nowMs: () => 0, sleep: async () => {} };
    const pacing = new Pacing(wall, () => 0, 1);
    for (const bad of [0, -1, Number.NaN, Infinity]) {
      expect(() => pacing.setSpeed(bad)).toThrow(RangeError);
      expect(() => new Pacing(wall, () => 0, bad)).toThrow(RangeError);
    }
    expect(pacing.state).toEqual({ speed: 1, paused: false });
  });
});
