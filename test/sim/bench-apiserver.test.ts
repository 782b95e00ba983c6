import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scavenges, settledGc } from '../../sim/cli/bench/apiserver.ts';
import { main } from '../../sim/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'ksim-bench-apiserver-'));

async function ksim(...args: string[]): Promise<{ code: number; output: string; err: string }> {
  const lines: string[] = [];
  const errs: string[] = [];
  const code = await main(['node', 'ksim', ...args], (s) => lines.push(s), {
    err: (s) => errs.push(s),
  });
  return { code, output: lines.join('\n'), err: errs.join('\n') };
}

interface Row {
  readonly name: string;
  readonly ops: number;
  readonly cpuUsPerOp: number;
  readonly scavengesPer1kOps: number;
  readonly virtualSeconds: number;
}

describe('ksim bench apiserver --only', () => {
  it('runs and reports only the chosen phases, each with its requests and CPU time', async () => {
    const out = join(dir, 'apiserver.json');
    const { output } = await ksim(
      'bench',
      'apiserver',
      '--members',
      '0',
      '--clients',
      '4',
      '--requests',
      '40',
      '--only',
      'get,update',
      '--out',
      out,
    );
    const json = JSON.parse(readFileSync(out, 'utf8')) as { rows: Row[] };
    // get reads what create made, so create runs, but only the chosen phases are reported.
    expect(json.rows.map((r) => r.name)).toEqual(['get', 'update']);
    for (const r of json.rows) {
      expect(r.ops).toBe(40);
      expect(r.virtualSeconds).toBeGreaterThan(0);
      expect(r.cpuUsPerOp).toBeGreaterThan(0);
      expect(r.scavengesPer1kOps).toBeGreaterThanOrEqual(0);
    }
    expect(output).toContain('CPU µs/op');
    expect(output).toContain('scavenges/1k');
    expect(output).not.toContain('patch (json)');
  }, 120_000);

  it('counts the scavenges of a span of wall-clock time, and none outside it', async () => {
    const scavenges = new Scavenges();
    const before = performance.now();
    await settledGc();
    const from = performance.now();
    // Some hundred megabytes of short-lived objects fill the young generation many times.
    let kept: object[] = [];
    let made = 0;
    for (let i = 0; i < 2_000_000; i++) {
      kept.push({ i, name: `object-${i}` });
      made++;
      if (kept.length === 1_000) kept = [];
    }
    const to = performance.now();
    await settledGc();
    scavenges.stop();
    expect(made).toBe(2_000_000);
    expect(scavenges.between(from, to)).toBeGreaterThan(0);
    expect(scavenges.between(to + 1e6, to + 2e6)).toBe(0);
    expect(scavenges.between(before, to)).toBeGreaterThanOrEqual(scavenges.between(from, to));
  });

  it('names the phases it knows when given another', async () => {
    const { code, err } = await ksim('bench', 'apiserver', '--only', 'create,lists');
    expect(code).not.toBe(0);
    expect(err).toContain('create, get, update, patch, list, watch');
    expect(err).toContain('"create,lists"');
  });
});
