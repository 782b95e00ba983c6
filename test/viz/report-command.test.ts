/** `ksim report` and `ksim run --report` through the CLI: the HTML file and refusals. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRACE_SCHEMA_VERSION } from '../../core/trace/version.ts';
import { runKsim as ksim } from '../support/ksim-cli.ts';
import type { ReportData } from '../../viz/model/report-data.ts';

/** Runs the CLI: `output` is what it wrote to stdout, `errors` what it wrote to stderr. */
const dir = mkdtempSync(join(tmpdir(), 'ksim-report-'));

/** The data a report file inlines. */
function dataOf(html: string): ReportData {
  const m = /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1] as string) as ReportData;
}

describe('ksim report', () => {
  it('renders the trace of a run as the same report ksim run --report writes', async () => {
    const trace = join(dir, 'run.jsonl');
    const fromRun = join(dir, 'run.html');
    const fromTrace = join(dir, 'trace.html');
    const run = await ksim(
      'run',
      'scenarios/quickstart.yaml',
      '--trace',
      trace,
      '--report',
      fromRun,
    );
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/report .*run\.html \([\d.]+ MiB\)/);
    const rep = await ksim('report', trace, '-o', fromTrace, '--title', 'quickstart');
    expect(rep.code).toBe(0);
    const html = readFileSync(fromTrace, 'utf8');
    // Self-contained: no external script, stylesheet or image.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/);
    const a = dataOf(readFileSync(fromRun, 'utf8'));
    const b = dataOf(html);
    expect(b.meta.title).toBe('quickstart');
    // The same trace gives the same aggregates; only what depends on where the time axis ends
    // differs (the run ends after its last record, a trace file at it).
    for (const view of [
      'nodes',
      'store',
      'api',
      'scheduling',
      'workload',
      'verdicts',
      'slos',
      'events',
    ] as const)
      expect(b[view], view).toEqual(a[view]);
    expect(b.pods.kind).toBe('bars');
    expect(b.nodes).toEqual(['node-1', 'node-2', 'node-3']);
    // Same trace, same file: the report holds no time of its own making.
    const again = join(dir, 'again.html');
    expect((await ksim('report', trace, '-o', again, '--title', 'quickstart')).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(html);
    expect(b.verdicts.map((v) => v.passed)).toEqual([true]);
  });

  it('refuses a trace of another schema version, and a missing file, with exit code 2', async () => {
    const old = join(dir, 'old.jsonl');
    const header = {
      t: 0,
      p: 'sim',
      k: 'trace.header',
      schemaVersion: TRACE_SCHEMA_VERSION - 1,
      ksimVersion: '0',
      seed: 1,
      level: 'info',
    };
    writeFileSync(old, `${JSON.stringify(header)}\n`);
    const r = await ksim('report', old, '-o', join(dir, 'old.html'));
    expect(r.code).toBe(2);
    expect(r.errors).toContain(`the trace has schema version ${TRACE_SCHEMA_VERSION - 1}`);
    const missing = await ksim('report', join(dir, 'nope.jsonl'), '-o', join(dir, 'nope.html'));
    expect(missing.code).toBe(2);
    expect(missing.errors).toBe(
      `ksim: cannot read trace ${join(dir, 'nope.jsonl')}: no such file or directory`,
    );
  });
});
