import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../core/api/http.ts';
import { API_SERVER } from '../../core/cluster/identities.ts';
import type { ClientStream, Transport } from '../../core/ports/transport.ts';
import { OutsideRequests } from '../../sim/outside-requests.ts';
import { runPaced, type WallClock } from '../../sim/paced-run.ts';
import {
  parseSession,
  replaySession,
  SessionWriter,
  type SessionAdmission,
} from '../../sim/served-session.ts';
import type { Simulation } from '../../sim/simulation.ts';
import { controlPlane } from '../support/cluster.ts';

/** Something a client outside does at a wall time. */
type Step =
  | { readonly atMs: number; readonly create: string }
  | { readonly atMs: number; readonly remove: string }
  | { readonly atMs: number; readonly watch: string }
  | { readonly atMs: number; readonly unwatch: string };

const configMaps = '/api/v1/namespaces/default/configmaps';

function world(): { sim: Simulation; outside: OutsideRequests } {
  const sim = controlPlane({ seed: 11 });
  let transport: Transport | undefined;
  sim.spawnProcess('outside', (ports) => {
    transport = ports.transport;
  });
  return { sim, outside: new OutsideRequests(sim, transport as Transport, API_SERVER) };
}

const create = (name: string): ApiRequest => ({
  kind: 'http',
  method: 'POST',
  path: configMaps,
  body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } },
});

/**
 * A paced run (the wall clock is the test's, jumping to each sleep's end or the next step)
 * with the session recorded: the session's text and the served run's trace digest.
 */
async function served(steps: readonly Step[], endMs = 2500) {
  const { sim, outside } = world();
  const lines: string[] = [];
  const writer = new SessionWriter({ scenario: 'control-plane', seed: 11 }, (l) => lines.push(l));
  outside.record((at, batch, a) => writer.admitted(at, batch, a));
  const watches = new Map<string, ClientStream>();
  let wallMs = 0;
  let pending = [...steps];
  const act = (s: Step): void => {
    if ('create' in s) void outside.request(create(s.create));
    else if ('remove' in s)
      void outside.request({ kind: 'http', method: 'DELETE', path: `${configMaps}/${s.remove}` });
    else if ('watch' in s)
      watches.set(
        s.watch,
        outside.watch(
          { kind: 'http', method: 'GET', path: configMaps, query: { watch: 'true' } },
          { onMessage: () => {}, onClose: () => {} },
        ),
      );
    else watches.get(s.unwatch)?.close();
  };
  const wall: WallClock = {
    nowMs: () => wallMs,
    sleep: async (ms) => {
      // A real wall clock moves on while the pacer sleeps, even for 0 ms.
      wallMs = Math.min(wallMs + Math.max(ms, 1), pending[0]?.atMs ?? Infinity);
      while (pending[0] !== undefined && pending[0].atMs <= wallMs) {
        act(pending[0]);
        pending = pending.slice(1);
      }
    },
  };
  await runPaced(sim, outside, wall, { speed: 1, stop: () => wallMs >= endMs });
  writer.end(sim.now);
  return { text: lines.join('\n'), hash: sim.trace.digest(), endUs: sim.now };
}

async function replayed(text: string): Promise<string> {
  const { sim, outside } = world();
  await replaySession(sim, outside, parseSession(text));
  return sim.trace.digest();
}

const STEPS: readonly Step[] = [
  { atMs: 100, watch: 'w1' },
  { atMs: 400, create: 'a' },
  { atMs: 400, create: 'b' },
  { atMs: 900, watch: 'w2' },
  { atMs: 900, unwatch: 'w2' },
  { atMs: 1200, remove: 'a' },
  { atMs: 1700, unwatch: 'w1' },
  { atMs: 2000, create: 'c' },
];

describe('a served session, recorded and replayed', () => {
  it('replays to the served trace: every request, watch open and close at its virtual time', async () => {
    const run = await served(STEPS);
    const session = parseSession(run.text);
    const ops = session.admissions.map((a) => a.op);
    expect(ops.filter((o) => o === 'request')).toHaveLength(4);
    expect(ops.filter((o) => o === 'watch')).toHaveLength(2);
    expect(ops.filter((o) => o === 'close')).toHaveLength(2);
    // Two creates arriving at the same wall time are admitted together, in arrival order.
    const [a, b] = session.admissions.filter((x) => x.op === 'request');
    expect(a?.batch).toBe(b?.batch);
    expect(a?.atUs).toBe(b?.atUs);
    expect(session.endUs).toBe(run.endUs);
    expect(await replayed(run.text)).toBe(run.hash);
  });

  it('gives another trace when a recorded body changes', async () => {
    const run = await served(STEPS);
    // The delete of `a` now finds nothing: the create made `z` instead.
    const changed = run.text.replace('"metadata":{"name":"a"}', '"metadata":{"name":"z"}');
    expect(changed).not.toBe(run.text);
    expect(await replayed(changed)).not.toBe(run.hash);
  });

  it('tells what is wrong with a session file', async () => {
    const run = await served(STEPS.slice(0, 3), 600);
    const lines = run.text.split('\n');
    expect(() => parseSession('')).toThrow('line 1: not a session header');
    expect(() => parseSession(lines.slice(0, -1).join('\n'))).toThrow(/no session.end line/);
    expect(() => parseSession([lines[0], 'nope'].join('\n'))).toThrow('line 2: not JSON');
    const admission = JSON.parse(lines[1] as string) as SessionAdmission;
    const bad = (l: object): string => [lines[0], JSON.stringify(l), ...lines.slice(2)].join('\n');
    expect(() => parseSession(bad({ ...admission, op: 'poke' }))).toThrow(
      'line 2: unknown op "poke"',
    );
    expect(() => parseSession(bad({ ...admission, atUs: -1 }))).toThrow(/line 2: atUs must be/);
    expect(() =>
      parseSession(bad({ k: 'session.admit', atUs: 1, batch: 0, op: 'close', id: 99 })),
    ).not.toThrow();
    await expect(
      replayed(bad({ k: 'session.admit', atUs: 1, batch: 0, op: 'close', id: 99 })),
    ).rejects.toThrow('the session closes stream 99, never opened');
  });
});
