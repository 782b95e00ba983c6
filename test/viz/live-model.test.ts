/**
 * The live view's model: a report builder fed record by record from a running simulation and
 * read as snapshots. A snapshot must be the report of the records so far (the same as a fresh
 * builder fed those records), and must not change when more records come.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../core/trace/types.ts';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';
import { MAX_EVENT_ROWS } from '../../viz/model/events.ts';
import { ReportBuilder } from '../../viz/model/report-builder.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('snapshots of a report while its trace grows', () => {
  let records: TraceRecord[];

  beforeAll(async () => {
    const file = join(ROOT, 'scenarios', 'report-demo.yaml');
    const lines: string[] = [];
    await runScenario(parseScenario(readFileSync(file, 'utf8'), file), {
      seed: 1,
      traceSink: (l) => lines.push(l),
    });
    records = lines.map((l) => JSON.parse(l) as TraceRecord);
  });

  it('equal the report of the records so far, and stay as they were', () => {
    const live = new ReportBuilder();
    // Snapshot points through the run: before the leader partition, during it, after the
    // crash, at the end; the axis runs to a virtual time past the last record, as it does live.
    const cuts = [0.05, 0.2, 0.45, 0.7, 1].map((f) => Math.floor(records.length * f));
    const taken: { json: string; snapshot: unknown }[] = [];
    let fed = 0;
    for (const cut of cuts) {
      while (fed < cut) live.add(records[fed++]!);
      const endUs = (records[cut - 1]?.t ?? 0) + 250_000;
      const snapshot = live.finish('live', endUs);
      const batch = new ReportBuilder();
      for (const r of records.slice(0, cut)) batch.add(r);
      expect(JSON.stringify(snapshot)).toBe(JSON.stringify(batch.finish('live', endUs)));
      taken.push({ json: JSON.stringify(snapshot), snapshot });
    }
    // Later records changed none of the earlier snapshots.
    for (const t of taken) expect(JSON.stringify(t.snapshot)).toBe(t.json);
    // And the snapshots grew as the run went on.
    const placed = taken.map(
      (t) => (JSON.parse(t.json) as { podTotals: { placed: number } }).podTotals.placed,
    );
    expect(placed[0]).toBeLessThan(placed[placed.length - 1]!);
  });
});

describe('the event log of the live view', () => {
  const phase = (i: number): TraceRecord => ({
    t: i * 1_000,
    p: 'node-1',
    k: 'kubelet.pod-phase',
    pod: `default/pod-${i}`,
    phase: 'Running',
    node: 'node-1',
  });

  it('keeps the latest rows, where a report keeps the first', () => {
    const total = 2 * MAX_EVENT_ROWS + 1_234;
    const latest = new ReportBuilder({ events: 'latest' });
    const first = new ReportBuilder();
    for (let i = 0; i < total; i++) {
      latest.add(phase(i));
      first.add(phase(i));
      if (i === MAX_EVENT_ROWS + 10) {
        const e = latest.finish('live').events;
        expect(e.rows.length).toBe(MAX_EVENT_ROWS);
        expect(e.rows[0]![3]).toBe('default/pod-11');
        expect(e.omitted).toBe(11);
      }
    }
    const l = latest.finish('live').events;
    expect(l.keeps).toBe('latest');
    expect(l.rows.length).toBe(MAX_EVENT_ROWS);
    expect(l.rows.map((r) => r[3])).toEqual(
      Array.from({ length: MAX_EVENT_ROWS }, (_, j) => `default/pod-${total - MAX_EVENT_ROWS + j}`),
    );
    expect(l.omitted).toBe(total - MAX_EVENT_ROWS);
    const f = first.finish('report').events;
    expect(f.keeps).toBe('first');
    expect(f.rows[0]![3]).toBe('default/pod-0');
    expect(f.rows[f.rows.length - 1]![3]).toBe(`default/pod-${MAX_EVENT_ROWS - 1}`);
    expect(f.omitted).toBe(total - MAX_EVENT_ROWS);
  });
});
