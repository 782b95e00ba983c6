/**
 * The cluster fuzzer's framework: worlds drawn from seeds are scenarios that load, campaigns
 * split into shards and merge back, a clean world passes twice with one trace hash, and a
 * failing world (a planted bug) is shrunk by fast-check into a scenario file whose `ksim run`
 * reproduces the failure with the reported trace hash.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fuzzCluster,
  mergeResults,
  parseShard,
  shardSeeds,
  type FuzzClusterResult,
} from '../../../sim/cluster-fuzz/fuzz-cluster.ts';
import { runWorld, worldOf, worldYaml } from '../../../sim/cluster-fuzz/run-world.ts';
import { worldBuggify } from '../../../sim/cluster-fuzz/world.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';
import { main } from '../../../sim/cli/main.ts';
import { BUGGIFY_SITE_NAMES } from '../../../core/ports/buggify.ts';
import { plantClusterBug, TEST_BOUNDS } from './planted-bugs.ts';

describe('cluster fuzz worlds', () => {
  it('a seed draws one world; seeds draw different worlds; every world is a valid scenario', () => {
    expect(worldOf(5)).toEqual(worldOf(5));
    const worlds = Array.from({ length: 30 }, (_, i) => worldOf(i + 1));
    expect(new Set(worlds.map((w) => JSON.stringify(w))).size).toBe(30);
    worlds.forEach((w, i) => {
      const scenario = parseScenario(worldYaml(w, i + 1), `world-${i + 1}`);
      expect(scenario.spec.duration).toBe((w.safetyS + w.livenessS) * 1_000_000);
      const workloads =
        (w.deployments?.length ?? 0) + (w.statefulSets?.length ?? 0) + (w.jobs?.length ?? 0);
      const burst = w.burst === undefined ? 0 : 1;
      expect(scenario.spec.expect).toHaveLength(w.replicaSets.length + workloads + burst);
      expect(scenario.spec.buggify).toEqual(worldBuggify(w));
    });
    // The draw covers the shapes and faults it claims to.
    expect(new Set(worlds.map((w) => w.storeMembers))).toEqual(new Set([1, 3]));
    const kinds = new Set(worlds.flatMap((w) => w.faults.map((f) => f.kind)));
    expect(kinds).toEqual(new Set(['crash', 'isolate', 'clog', 'loss']));
    expect(worlds.some((w) => w.quota !== undefined)).toBe(true);
    // Figure 8, only where there are 3 members to line it up on.
    const figureEight = worlds.filter((w) => w.figureEightAtS !== undefined);
    expect(figureEight.length).toBeGreaterThan(0);
    expect(figureEight.every((w) => w.storeMembers === 3)).toBe(true);
    // Issue 17's second round: every workload kind, buggify sites, two owners, crashes.
    expect(worlds.some((w) => (w.deployments ?? []).some((d) => d.rolloutAtS !== undefined))).toBe(
      true,
    );
    expect(worlds.some((w) => w.statefulSets !== undefined)).toBe(true);
    expect(worlds.some((w) => w.jobs !== undefined)).toBe(true);
    expect(worlds.some((w) => w.sharedConfigMap === true)).toBe(true);
    expect(worlds.some((w) => w.replicaSets.some((r) => r.crashing === true))).toBe(true);
    const sites = new Set(worlds.flatMap((w) => Object.keys(w.buggify ?? {})));
    expect([...sites].sort()).toEqual([...BUGGIFY_SITE_NAMES].sort());
    expect(worlds.some((w) => w.buggify === undefined)).toBe(true);
    // Scheduler pressure: a burst beyond the nodes' room, its bindings slow and failing.
    const bursts = worlds.filter((w) => w.burst !== undefined);
    expect(bursts.length).toBeGreaterThan(0);
    for (const w of bursts) {
      expect(worldBuggify(w)?.['scheduler.bind-slow']).toBe(w.burst!.bindSlow);
      expect(worldBuggify(w)?.['scheduler.bind-error']).toBe(w.burst!.bindError);
    }
  });

  it('shards split a campaign deterministically, disjoint and complete', () => {
    const all = [0, 1, 2].flatMap((k) => shardSeeds(10, 8, { index: k, count: 3 }));
    expect(all.sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    expect(shardSeeds(10, 8, { index: 1, count: 3 })).toEqual([11, 14, 17]);
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('4/4')).toMatch(/K must be from 0 to N-1/);
    expect(parseShard('x')).toMatch(/expected K\/N/);
  });

  it('merge combines the shards of one campaign and refuses others', () => {
    const shard = (index: number, seed = 1): FuzzClusterResult => ({
      format: 'ksim-fuzz-cluster/v1',
      seed,
      runs: 4,
      shard: { index, count: 2 },
      reports: shardSeeds(seed, 4, { index, count: 2 }).map((s) => ({
        seed: s,
        verdict: 'ok',
        failures: [],
        invariants: [],
        traceHash: `h${s}`,
        events: 10,
        virtualUs: 1,
        nodes: 1,
        pods: 1,
        faults: 0,
      })),
      failures: [],
    });
    const merged = mergeResults([shard(1), shard(0)]);
    expect(typeof merged).not.toBe('string');
    if (typeof merged === 'string') return;
    expect(merged.merged.reports.map((r) => r.seed)).toEqual([1, 2, 3, 4]);
    expect(merged.missingShards).toEqual([]);
    expect((mergeResults([shard(0)]) as { missingShards: number[] }).missingShards).toEqual([1]);
    expect(mergeResults([shard(0), shard(0)])).toBe('shard 0/2 is given twice');
    expect(mergeResults([shard(0), shard(1, 9)])).toMatch(/from another campaign/);
  });

  it('a clean world passes, run twice with one trace hash', async () => {
    const report = await runWorld(worldOf(2, TEST_BOUNDS), 2, { bounds: TEST_BOUNDS });
    expect(report.failures).toEqual([]);
    expect(report.verdict).toBe('ok');
    expect(report.traceHash).toMatch(/^[0-9a-f]{64}$/);
  }, 300_000);
});

describe('a failing world', () => {
  let undo: (() => void) | undefined;
  afterEach(() => {
    undo?.();
    undo = undefined;
  });

  it('is shrunk to a scenario file that ksim run reproduces, trace hash included', async () => {
    undo = plantClusterBug('proxy-keeps-removed-endpoint');
    const out = mkdtempSync(join(tmpdir(), 'ksim-fuzz-'));
    const result = await fuzzCluster({
      runs: 1,
      seed: 1,
      bounds: TEST_BOUNDS,
      twice: false,
      shrinkBudget: 8,
      outDir: out,
    });
    const failure = result.failures[0]!;
    expect(failure.verdict).toBe('safety');
    expect(failure.failures[0]).toMatch(/^invariant service-live-endpoints: /);
    const shrunk = failure.shrunk!;
    expect(shrunk.runs).toBeGreaterThan(1);
    expect(shrunk.runs).toBeLessThanOrEqual(8);
    expect(shrunk.reproduce).toBe(`ksim run ${join(out, 'world-1-shrunk.yaml')} --seed 1`);
    // The file is a scenario; running it fails the same way with the same trace.
    const file = join(out, 'world-1-shrunk.yaml');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const report = await runScenario(scenario, { seed: 1 });
    expect(report.traceHash).toBe(shrunk.traceHash);
    expect(report.passed).toBe(false);
    expect(
      report.invariants.find((i) => i.name === 'service-live-endpoints')?.violations,
    ).toBeGreaterThan(0);
    // ksim run says so, names the invariant and exits 1.
    const lines: string[] = [];
    const code = await main(['node', 'ksim', 'run', file, '--seed', '1'], (s) => lines.push(s));
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/FAIL {2}service-live-endpoints/);
  }, 600_000);
});

describe('ksim fuzz cluster and ksim fuzz merge', () => {
  it('shards of a campaign, as --json, merge into the whole campaign', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-shards-'));
    const files: string[] = [];
    for (const k of [0, 1]) {
      const lines: string[] = [];
      const code = await main(
        [
          'node',
          'ksim',
          'fuzz',
          'cluster',
          '--runs',
          '2',
          '--seed',
          '4',
          '--shard',
          `${k}/2`,
          '--json',
        ],
        (s) => lines.push(s),
      );
      expect(code).toBe(0);
      const result = JSON.parse(lines.join('\n')) as FuzzClusterResult;
      expect(result.shard).toEqual({ index: k, count: 2 });
      expect(result.reports.map((r) => r.seed)).toEqual([4 + k]);
      const file = join(dir, `shard-${k}.json`);
      writeFileSync(file, lines.join('\n'));
      files.push(file);
    }
    const lines: string[] = [];
    expect(await main(['node', 'ksim', 'fuzz', 'merge', ...files], (s) => lines.push(s))).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('ksim fuzz cluster: seeds 4..5');
    expect(text).toMatch(/^ +2 +2 +0 +0 +0 +0 /m);
    const bad: string[] = [];
    const errs: string[] = [];
    expect(
      await main(['node', 'ksim', 'fuzz', 'merge', files[0]!, files[0]!], (s) => bad.push(s), {
        err: (s) => errs.push(s),
      }),
    ).toBe(2);
    expect(errs.join('\n')).toContain('shard 0/2 is given twice');
  }, 600_000);
});
