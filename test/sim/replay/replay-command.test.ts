/** `ksim replay alibaba-gpu` and `ksim import` through the CLI's composition root. */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKsim as ksim } from '../../support/ksim-cli.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';

const DIR = new URL('../../fixtures/alibaba-gpu/', import.meta.url).pathname;
const KUBECTL = new URL('../../fixtures/import/kubectl-get-all.yaml', import.meta.url).pathname;

describe('ksim replay alibaba-gpu', () => {
  it('prints the summary as JSON: outcome, reasons, pending times, samples', async () => {
    const r = await ksim(
      'replay',
      'alibaba-gpu',
      DIR,
      '--rate',
      '2',
      '--full-after',
      '3',
      '--json',
    );
    expect(r.code).toBe(0);
    const s = JSON.parse(r.output);
    expect(s).toMatchObject({ stop: 'full', nodes: 3, tasks: 6, scheduled: 3, unschedulable: 3 });
    expect(s.samples.length).toBeGreaterThan(0);
    expect(Object.keys(s.pendingSeconds)).toEqual(['p50', 'p90', 'p99']);
  });

  it('writes the scenario with --emit-scenario, and ksim run accepts it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ksim-replay-')), 'trace.yaml');
    const r = await ksim(
      'replay',
      'alibaba-gpu',
      DIR,
      '--time-scale',
      '100',
      '--nodes',
      '2',
      '--limit',
      '3',
      '--emit-scenario',
      file,
    );
    expect(r).toMatchObject({ code: 0, errors: '' });
    expect(r.output).toContain('2 nodes, 3 tasks');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    expect(scenario.spec.cluster.nodes.flatMap((p) => p.names ?? [])).toEqual([
      'openb-node-0000',
      'openb-node-0001',
    ]);
  });

  it('refuses bad input with exit code 2 and says where', async () => {
    const both = await ksim('replay', 'alibaba-gpu', DIR, '--rate', '2', '--time-scale', '10');
    expect(both.code).toBe(2);
    expect(both.errors).toContain('--time-scale and --rate exclude each other');
    const dir = mkdtempSync(join(tmpdir(), 'ksim-replay-'));
    copyFileSync(
      join(DIR, 'openb_node_list_all_node.csv'),
      join(dir, 'openb_node_list_all_node.csv'),
    );
    writeFileSync(
      join(dir, 'openb_pod_list_default.csv'),
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0000,1000,x,0,0\n',
    );
    const bad = await ksim('replay', 'alibaba-gpu', dir, '--emit-scenario', join(dir, 'o.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.errors).toContain(
      `${join(dir, 'openb_pod_list_default.csv')}:2: memory_mib: expected a whole number`,
    );
    const sample = await ksim('replay', 'alibaba-gpu', DIR, '--pods', 'gpu');
    expect(sample.code).toBe(2);
    expect(sample.errors).toContain(
      'expected one of default, cpu050, gpushare100, gpuspec33, multigpu50',
    );
  });
});

describe('ksim import', () => {
  it('writes a scenario that ksim run accepts and lists what it skipped', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ksim-import-')), 'cluster.yaml');
    const r = await ksim('import', KUBECTL, '-o', file, '--duration', '30s');
    expect(r.code).toBe(0);
    expect(r.output).toContain(`imported 3 nodes in 2 pools, 9 objects; skipped 9 -> ${file}`);
    expect(r.output).toContain('skipped Event shop/');
    expect(parseScenario(readFileSync(file, 'utf8'), file).spec.duration).toBe(30_000_000);
  });

  it('prints the scenario on stdout and the notes on stderr without -o', async () => {
    const r = await ksim('import', KUBECTL);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/^# Imported by ksim import/);
    expect(r.errors).toContain('imported 3 nodes');
    expect(r.errors).toContain('  skipped Event shop/');
    expect(r.output).not.toContain('  skipped ');
    const missing = await ksim('import', '/nonexistent/x.yaml');
    expect(missing).toMatchObject({
      code: 2,
      errors: 'ksim: cannot read /nonexistent/x.yaml: no such file or directory',
    });
  });

  it('scheduler-perf: one workload of a scheduler_perf file as a scenario', async () => {
    const config = 'test/sim/scheduler-perf/fixtures/upstream/misc/performance-config.yaml';
    const file = join(mkdtempSync(join(tmpdir(), 'ksim-import-')), 'basic.yaml');
    const args = ['import', 'scheduler-perf', config, '--case', 'SchedulingBasic'];
    const r = await ksim(...args, '--workload', '5Nodes_QueueingHintsEnabled', '-o', file);
    expect(r.code).toBe(0);
    expect(r.output).toContain(`imported 5 nodes in 1 pools, 15 pods -> ${file}`);
    expect(parseScenario(readFileSync(file, 'utf8'), file).spec.actions).toHaveLength(10);
    expect(await ksim(...args)).toMatchObject({
      code: 2,
      errors: 'ksim: ksim import scheduler-perf needs --case NAME and --workload NAME',
    });
  });
});
