/**
 * `kubectl top` (kubectl 1.32) against `ksim serve scenarios/hpa.yaml`: discovery finds
 * metrics.k8s.io, which the API server proxies to metrics-server; the numbers are the usage
 * model's, as the kubelets report them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServedCluster } from './serve-process.ts';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

let cluster: ServedCluster;

async function kubectl(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(KUBECTL, args, {
      env: { PATH: process.env.PATH ?? '', HOME: cluster.home, KUBECONFIG: cluster.kubeconfig },
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** Retries until kubectl succeeds with at least `rows` rows (metrics come with the scrapes). */
async function rowsOf(rows: number, ...args: string[]): Promise<string[][]> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const r = await kubectl(...args);
    last = `${r.code} ${r.stdout} ${r.stderr}`;
    const lines = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '');
    if (r.code === 0 && lines.length > rows) return lines.map((l) => l.trim().split(/\s+/));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`kubectl ${args.join(' ')} never listed ${rows} rows: ${last}`);
}

describe.skipIf(!existsSync(KUBECTL))('kubectl top against ksim serve', () => {
  beforeAll(async () => {
    // Twenty times real time: the first scrape after the pods start is a few seconds away.
    cluster = await serve('scenarios/hpa.yaml', ['--speed', '20']);
  });

  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('kubectl top nodes lists every node with its use and share of allocatable', async () => {
    const rows = await rowsOf(3, 'top', 'nodes');
    expect(rows[0]).toEqual(['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(['node-1', 'node-2', 'node-3']);
    for (const r of rows.slice(1)) {
      expect(r[1]).toMatch(/^\d+m$/);
      expect(r[2]).toMatch(/^\d+%$/);
    }
  });

  it('kubectl top pods lists the selected pods with their CPU use from the usage model', async () => {
    const rows = await rowsOf(2, 'top', 'pods', '-l', 'app=web', '-n', 'default');
    expect(rows[0]).toEqual(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    for (const r of rows.slice(1)) {
      expect(r[0]).toMatch(/^web-/);
      // Each pod's use ramps from 400m down to 20m.
      const milli = Number(/^(\d+)m$/.exec(r[1] ?? '')?.[1]);
      expect(milli).toBeGreaterThanOrEqual(20);
      expect(milli).toBeLessThanOrEqual(400);
    }
    const containers = await rowsOf(2, 'top', 'pods', '-l', 'app=web', '--containers');
    expect(containers[0]).toEqual(['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(containers[1]?.[1]).toBe('app');
  });

  it('kubectl top pod for a pod without metrics says so', async () => {
    const r = await kubectl('top', 'pod', 'nope', '-n', 'default');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not found|metrics not available/);
  });
});
