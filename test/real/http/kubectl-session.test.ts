/**
 * A kubectl session against `ksim serve --record`, replayed with `ksim replay-session`: the
 * replay's trace is the served run's, byte for byte; a session whose recorded body was changed
 * replays to another trace, in which the change shows.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { replaySessionCommand } from '../../../sim/cli/replay-session-command.ts';
import { parseSession } from '../../../sim/served-session.ts';
import { serve, type ServedCluster } from './serve-process.ts';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);
const SCENARIO = 'scenarios/quickstart.yaml';

const sha256 = (file: string): string =>
  createHash('sha256').update(readFileSync(file)).digest('hex');

function kubectl(cluster: ServedCluster, args: string[], timeoutMs = 60_000) {
  return run(KUBECTL, args, {
    env: { PATH: process.env.PATH ?? '', HOME: cluster.home, KUBECONFIG: cluster.kubeconfig },
    timeout: timeoutMs,
  });
}

async function replay(session: string, trace: string): Promise<string> {
  const lines: string[] = [];
  expect(await replaySessionCommand(SCENARIO, session, { trace }, (s) => lines.push(s))).toBe(0);
  return lines.join('\n');
}

interface TraceRecord {
  readonly k: string;
  readonly verb?: string;
  readonly path?: string;
  readonly code?: number;
}

const records = (file: string): TraceRecord[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TraceRecord);

describe.skipIf(!existsSync(KUBECTL))('a kubectl session, recorded and replayed', () => {
  it('replays to the served trace; a changed body to another', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-session-'));
    const served = join(dir, 'served.jsonl');
    const session = join(dir, 'session.jsonl');
    const cluster = await serve(SCENARIO, [
      '--speed',
      '10',
      '--trace',
      served,
      '--record',
      session,
    ]);
    try {
      // A watch that kubectl holds open while the others run, ended by its request timeout.
      const watching = kubectl(cluster, ['get', 'configmaps', '-w', '--request-timeout=15s']).catch(
        (e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }),
      );
      await kubectl(cluster, ['create', 'configmap', 'c1', '--from-literal=a=1']);
      await kubectl(cluster, ['patch', 'configmap', 'c1', '-p', '{"data":{"b":"2"}}']);
      await kubectl(cluster, ['create', 'deployment', 'd1', '--image=busybox']);
      await kubectl(cluster, ['delete', 'configmap', 'c1']);
      const { stdout } = await kubectl(cluster, ['get', 'configmap', 'c1', '--ignore-not-found']);
      expect(stdout).toBe('');
      expect((await watching).stdout).toContain('c1');
    } finally {
      expect(await cluster.stop()).toBe(0);
    }

    // The session: kubectl's writes and the watch, opened and closed.
    const recorded = parseSession(readFileSync(session, 'utf8'));
    const requests = recorded.admissions.flatMap((a) =>
      a.op === 'close' || a.op === 'input' ? [] : [`${a.op} ${a.req.method} ${a.req.path}`],
    );
    expect(requests).toEqual(
      expect.arrayContaining([
        'watch GET /api/v1/namespaces/default/configmaps',
        'request POST /api/v1/namespaces/default/configmaps',
        'request PATCH /api/v1/namespaces/default/configmaps/c1',
        'request POST /apis/apps/v1/namespaces/default/deployments',
        'request DELETE /api/v1/namespaces/default/configmaps/c1',
      ]),
    );
    expect(recorded.admissions.some((a) => a.op === 'close')).toBe(true);

    const replayedTrace = join(dir, 'replayed.jsonl');
    const summary = await replay(session, replayedTrace);
    expect(sha256(replayedTrace)).toBe(sha256(served));
    expect(summary).toContain(`sha256 ${sha256(served)}`);
    const patched = (file: string) =>
      records(file).find(
        (r) =>
          r.k === 'api.request' &&
          r.verb === 'PATCH' &&
          r.path === '/api/v1/namespaces/default/configmaps/c1',
      );
    expect(patched(replayedTrace)?.code).toBe(200);

    // The configmap created under another name: the patch and the delete find no c1.
    const text = readFileSync(session, 'utf8');
    // In the body and in the raw text beside it (a JSON string in the JSON line).
    const changed = text
      .replace(/"metadata":\{"name":"c1"/, '"metadata":{"name":"c9"')
      .replace(/\\"metadata\\":\{\\"name\\":\\"c1\\"/, '\\"metadata\\":{\\"name\\":\\"c9\\"');
    expect(changed).not.toBe(text);
    const changedSession = join(dir, 'changed.jsonl');
    writeFileSync(changedSession, changed);
    const changedTrace = join(dir, 'changed-trace.jsonl');
    await replay(changedSession, changedTrace);
    expect(sha256(changedTrace)).not.toBe(sha256(served));
    expect(patched(changedTrace)?.code).toBe(404);

    // A session is replayed only into the scenario it was served from.
    await expect(
      replaySessionCommand('scenarios/node-crash.yaml', session, {}, () => {}),
    ).rejects.toThrow(`${session} was recorded serving scenario quickstart, not node-crash`);
  });
});
