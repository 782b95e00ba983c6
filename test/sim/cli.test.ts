import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRACE_SCHEMA_VERSION, TraceChecker } from '../../core/trace/index.ts';
import { runKsim as ksim } from '../support/ksim-cli.ts';

/** Runs the CLI: `output` is what it wrote to stdout, `errors` what it wrote to stderr. */
const dir = mkdtempSync(join(tmpdir(), 'ksim-cli-'));

describe('ksim CLI', () => {
  it('runs the quickstart, prints the summary and writes the trace as JSON lines', async () => {
    const trace = join(dir, 'out.jsonl');
    const { code, output } = await ksim(
      'run',
      'scenarios/quickstart.yaml',
      '--seed',
      '1',
      '--trace',
      trace,
    );
    expect(code).toBe(0);
    expect(output).toMatch(/virtual time 120\.000s {2}events [\d,]+ {2}wall [\d.]+s/);
    expect(output).toMatch(/node-1 +0 +\d/);
    expect(output).toContain('PASS  five web pods Running');
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    const checker = new TraceChecker();
    const records = lines.map((l) => checker.line(l));
    expect(records.filter((r) => !r.ok)).toEqual([]);
    expect(records.length).toBeGreaterThan(100);
    expect(records[0]).toMatchObject({
      record: { k: 'trace.header', seed: 1, level: 'info', schemaVersion: TRACE_SCHEMA_VERSION },
    });
    expect(checker.kinds.get('kubelet.pod-phase')).toBeGreaterThan(0);
  });

  it('checks the trace against its schema on request, without changing it', async () => {
    const hash = (output: string): string | undefined => /sha256 ([0-9a-f]{64})/.exec(output)?.[1];
    const plain = await ksim('run', 'scenarios/quickstart.yaml', '--seed', '3');
    const checked = await ksim('run', 'scenarios/quickstart.yaml', '--seed', '3', '--check-trace');
    expect(checked.code).toBe(0);
    expect(checked.output).toContain('records (checked against the schema)');
    expect(hash(checked.output)).toBe(hash(plain.output));
    expect(hash(plain.output)).toBeDefined();
  });

  it('reports a bad scenario with its path and line, and exits 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      readFileSync('scenarios/quickstart.yaml', 'utf8').replace('count: 3', 'count: -1'),
    );
    const { code, output, errors } = await ksim('run', bad);
    expect(code).toBe(2);
    expect(output).toBe('');
    expect(errors).toMatch(/bad\.yaml:\d+: spec\.cluster\.nodes\[0\]\.count: must be >= 1, got -1/);
    expect((await ksim('run', join(dir, 'missing.yaml'))).errors).toBe(
      `ksim: cannot read scenario ${join(dir, 'missing.yaml')}: no such file or directory`,
    );
  });

  it('rejects a bad seed and a fault naming an unknown process', async () => {
    const seed = await ksim('run', 'scenarios/quickstart.yaml', '--seed', 'abc');
    expect(seed.code).toBe(2);
    expect(seed.errors).toContain(
      `ksim: option '--seed <n>' argument 'abc' is invalid. expected a non-negative integer, got "abc"`,
    );
    const bad = join(dir, 'unknown-process.yaml');
    writeFileSync(
      bad,
      readFileSync('scenarios/quickstart.yaml', 'utf8').replace(
        '  objects:',
        '  actions:\n    - at: 5s\n      fault: { kind: crash, process: node-9 }\n  objects:',
      ),
    );
    const { code, errors } = await ksim('run', bad);
    expect(code).toBe(2);
    expect(errors).toContain('no process named "node-9"');
  });

  it('exits 1 and prints the reproducing command when an expectation fails', async () => {
    const strict = join(dir, 'strict.yaml');
    writeFileSync(
      strict,
      readFileSync('scenarios/quickstart.yaml', 'utf8').replace(
        'count: 5, minNodes: 2',
        'count: 6, minNodes: 2',
      ),
    );
    const { code, output } = await ksim('run', strict, '--seed', '7');
    expect(code).toBe(1);
    expect(output).toContain('FAIL');
    expect(output).toContain(`reproduce: ksim run ${strict} --seed 7`);
  });

  it('benchmarks the kernel, prints a table and writes JSON', async () => {
    const out = join(dir, 'kernel.json');
    const { output } = await ksim('bench', 'kernel', '--events', '20000', '--out', out);
    expect(output).toMatch(/timer events +20,000 .* events\/s/);
    expect(output).toMatch(/network messages +\d[\d,]* .* events\/s/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      rows: { name: string; events: number }[];
    };
    expect(json.rows.map((r) => r.name)).toEqual(['timer events', 'network messages']);
    expect(json.rows[0]?.events).toBe(20_000);
  });

  it('runs in check mode on request, with the same trace as the fast mode', async () => {
    const sha = (output: string): string | undefined => /sha256 ([0-9a-f]{64})/.exec(output)?.[1];
    const fast = await ksim('run', 'scenarios/quickstart.yaml', '--seed', '3');
    const checked = await ksim(
      'run',
      'scenarios/quickstart.yaml',
      '--seed',
      '3',
      '--check-immutability',
    );
    expect(checked.code).toBe(0);
    expect(sha(checked.output)).toBeDefined();
    expect(sha(checked.output)).toBe(sha(fast.output));
    const out = join(dir, 'kernel-checked.json');
    await ksim('bench', 'kernel', '--events', '2000', '--out', out, '--check-immutability');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ checkImmutability: true });
  });

  it('fuzzes the store and reports each run', async () => {
    const { code, output } = await ksim('fuzz', 'store', '--runs', '2', '--seed', '40');
    expect(code).toBe(0);
    expect(output).toMatch(/seed 40 \(\d members\): ok ops=\d+/);
    expect(output).toContain('2 runs, no violations');
    expect((await ksim('fuzz', 'store', '--runs', '1', '--members', '4')).errors).toContain(
      `option '--members <n>' argument '4' is invalid. expected one of 3, 5, got "4"`,
    );
  });

  it('benchmarks the store, prints writes/s and reads/s and writes JSON', async () => {
    const out = join(dir, 'store.json');
    const { output } = await ksim(
      'bench',
      'store',
      '--clients',
      '50',
      '--writes',
      '2000',
      '--reads',
      '2000',
      '--out',
      out,
    );
    expect(output).toMatch(/^\d+ writes\/s \(2000 ops/m);
    expect(output).toMatch(/^\d+ linearizable reads\/s \(2000 ops/m);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { rows: { name: string; ops: number }[] };
    expect(json.rows.map((r) => [r.name, r.ops])).toEqual([
      ['writes', 2000],
      ['linearizable reads', 2000],
    ]);
  });

  it('benchmarks the API server by verb, list size and watch fan-out, and writes JSON', async () => {
    const out = join(dir, 'apiserver.json');
    const { output } = await ksim(
      'bench',
      'apiserver',
      '--members',
      '0',
      '--clients',
      '10',
      '--requests',
      '200',
      '--watchers',
      '20',
      '--list-sizes',
      '50',
      '--out',
      out,
    );
    expect(output).toMatch(/^create\s+200\s/m);
    expect(output).toMatch(/^watch fan-out \(20 watchers\)\s+4,000\s/m);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { rows: { name: string; ops: number }[] };
    expect(json.rows.map((r) => [r.name, r.ops])).toEqual([
      ['create', 200],
      ['get', 200],
      ['update', 200],
      ['patch (json)', 200],
      ['patch (merge)', 200],
      ['patch (strategic)', 200],
      ['patch (apply)', 200],
      ['list 50', 40],
      ['list 50 (pages of 500)', 40],
      ['watch fan-out (20 watchers)', 4000],
    ]);
    const bad = await ksim('bench', 'apiserver', '--clients', '0', '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.errors).toContain(
      `option '--clients <n>' argument '0' is invalid. expected a positive integer, got "0"`,
    );
  });

  it('repeats the store benchmark and reports the median run with every run listed', async () => {
    const out = join(dir, 'store-repeat.json');
    const args = [
      'bench',
      'store',
      '--clients',
      '20',
      '--writes',
      '500',
      '--reads',
      '500',
      '--out',
      out,
    ];
    const { output } = await ksim(...args, '--repeat', '3');
    expect(output).toMatch(/^\d+ writes\/s \(500 ops.*\(runs: [\d,]+, [\d,]+, [\d,]+\)$/m);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      repeat: number;
      rows: { name: string; opsPerSecond: number }[];
      runs: { name: string; opsPerSecond: number }[][];
    };
    expect(json.repeat).toBe(3);
    expect(json.runs).toHaveLength(3);
    const writes = json.runs.map((run) => run[0]!.opsPerSecond).sort((a, b) => a - b);
    expect(json.rows[0]!.opsPerSecond).toBe(writes[1]);
    expect((await ksim(...args, '--repeat', '0')).errors).toContain(
      `option '--repeat <n>' argument '0' is invalid. expected a positive integer, got "0"`,
    );
  });

  it('benchmarks scheduler_perf workloads at a reduced size', async () => {
    const out = join(dir, 'scheduler.json');
    const { code, output } = await ksim(
      'bench',
      'scheduler',
      'scenarios/bench/scheduler/misc/performance-config.yaml',
      '--workload',
      'SchedulingBasic/5000Nodes_10000Pods',
      '--param',
      'initNodes=50',
      '--param',
      'initPods=20',
      '--param',
      'measurePods=100',
      '--out',
      out,
    );
    expect(output).toMatch(/SchedulingBasic\/5000Nodes_10000Pods +100 .* pods\/s/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      rows: { name: string; measuredPods: number }[];
    };
    expect(json.rows.map((r) => [r.name, r.measuredPods])).toEqual([
      ['SchedulingBasic/5000Nodes_10000Pods', 100],
    ]);
    expect([0, 1]).toContain(code);
    expect(
      (
        await ksim(
          'bench',
          'scheduler',
          'scenarios/bench/scheduler/misc/performance-config.yaml',
          '--param',
          'bad',
        )
      ).errors,
    ).toBe('ksim: --param must look like name=integer, got "bad"');
  });
});
