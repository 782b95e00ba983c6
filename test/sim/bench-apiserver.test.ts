import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    }
    expect(output).toContain('CPU µs/op');
    expect(output).not.toContain('patch (json)');
  }, 120_000);

  it('names the phases it knows when given another', async () => {
    const { code, err } = await ksim('bench', 'apiserver', '--only', 'create,lists');
    expect(code).not.toBe(0);
    expect(err).toContain('create, get, update, patch, list, watch');
    expect(err).toContain('"create,lists"');
  });
});
