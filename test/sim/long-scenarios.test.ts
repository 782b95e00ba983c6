/**
 * Example scenarios too long for every test run (scenarios/long/), run for a prefix of their
 * duration in which each of their expectations can already be decided.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';

interface Line {
  readonly t: number;
  readonly k: string;
  readonly pod?: string;
  readonly container?: string;
}

const HOUR_US = 3_600_000_000;
const MINUTE_US = 60_000_000;

describe('scenarios/long/cronjob-day.yaml, its first three hours', () => {
  it('starts one hourly run at minute 5 of each hour and the nightly run at 03:30 Berlin', async () => {
    const path = 'scenarios/long/cronjob-day.yaml';
    const lines: Line[] = [];
    const report = await runScenario(parseScenario(readFileSync(path, 'utf8'), path), {
      seed: 1,
      durationUs: 3 * HOUR_US,
      traceSink: (line) => lines.push(JSON.parse(line) as Line),
    });
    expect(report.expectations.filter((e) => !e.passed)).toEqual([]);

    // What the kubelets ran: container starts, by container name, at their virtual times.
    const starts = (container: string): number[] =>
      lines
        .filter((l) => l.k === 'kubelet.container-start' && l.container === container)
        .map((l) => l.t);
    const hourly = starts('report');
    expect(hourly).toHaveLength(3);
    hourly.forEach((t, hour) => {
      // Activated at hh:05; started after the Job's pod is scheduled and its image pulled.
      expect(t).toBeGreaterThanOrEqual(hour * HOUR_US + 5 * MINUTE_US);
      expect(t).toBeLessThan(hour * HOUR_US + 6 * MINUTE_US);
    });
    const nightly = starts('backup');
    expect(nightly).toHaveLength(1);
    // 03:30 in Europe/Berlin is 02:30 UTC in January; the clock starts at midnight UTC.
    expect(nightly[0]).toBeGreaterThanOrEqual(2 * HOUR_US + 30 * MINUTE_US);
    expect(nightly[0]).toBeLessThan(2 * HOUR_US + 31 * MINUTE_US);
  }, 300_000);
});
