import { describe, expect, it } from 'vitest';
import type { ApiResponse, WatchFrame } from '../../core/api/http.ts';
import { API_SERVER } from '../../core/cluster/identities.ts';
import type { CallResult, Transport } from '../../core/ports/transport.ts';
import { OutsideRequests } from '../../sim/outside-requests.ts';
import { runPaced, type WallClock } from '../../sim/paced-run.ts';
import { controlPlane } from '../support/cluster.ts';

interface Arrival {
  readonly atMs: number;
  readonly name: string;
}

/**
 * A control plane served to outside requests that arrive at the given wall times, under a
 * wall clock the test moves (it jumps to each sleep's end or the next arrival). Returns the
 * answers by name, the virtual times of the checks, and the trace hash.
 */
async function paced(speed: number, arrivals: readonly Arrival[]) {
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
  let aheadOfWall = 0;
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
  const wall: WallClock = {
    nowMs: () => wallMs,
    sleep: async (ms) => {
      const next = pending[0];
      wallMs = next !== undefined && next.atMs < wallMs + ms ? next.atMs : wallMs + ms;
      while (pending[0] !== undefined && pending[0].atMs <= wallMs) {
        arrive(pending[0]);
        pending = pending.slice(1);
      }
      if (sim.now > wallMs * 1000 * speed) aheadOfWall++;
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
  await runPaced(sim, outside, wall, {
    speed,
    stop: () => wallMs >= 3000 && pending.length === 0 && answers.size === arrivals.length,
  });
  return { answers, frames, aheadOfWall, endUs: sim.now, hash: sim.trace.digest() };
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
});
