import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parseScenario, ScenarioError, type Scenario } from '../scenario/scenario.ts';
import { runScenario, type RunReport } from '../scenario/run.ts';
import type { TraceSink } from '../trace.ts';
import { seconds, table } from './format.ts';
import { ReportSink } from './report-command.ts';

export interface RunCommandOptions {
  readonly seed?: number;
  readonly trace?: string;
  readonly traceLevel?: 'info' | 'debug';
  readonly checkTrace?: boolean;
  readonly duration?: number;
  readonly json?: boolean;
  /** Write an HTML report of the run to this file. */
  readonly report?: string;
  /** Check mode: freeze every message and shared object, round-trip a sample through codecs. */
  readonly checkImmutability?: boolean;
  /** Pods whose scheduling attempts the trace explains, at any trace level. */
  readonly explain?: readonly string[];
}

/** Buffered JSONL writer: one write per 64 KiB instead of one per record. */
export function fileSink(path: string): { sink: TraceSink; close: () => void } {
  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (buffer.length > 0) writeSync(fd, buffer.join(''));
    buffer = [];
    size = 0;
  };
  return {
    sink: (line) => {
      buffer.push(line, '\n');
      size += line.length + 1;
      if (size > 65_536) flush();
    },
    close: () => {
      flush();
      closeSync(fd);
    },
  };
}

/** Reads and checks a scenario file; undefined (after saying why) when it cannot be used. */
export function loadScenario(file: string, out: (s: string) => void): Scenario | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    out(`ksim: cannot read scenario ${file}: ${(e as Error).message}`);
    return undefined;
  }
  try {
    return parseScenario(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) {
      out(e.message);
      return undefined;
    }
    throw e;
  }
}

/** `ksim run <scenario>`: returns the process exit code (0 = every expectation met). */
export async function runCommand(
  file: string,
  opts: RunCommandOptions,
  out: (s: string) => void,
): Promise<number> {
  const scenario = loadScenario(file, out);
  if (scenario === undefined) return 2;
  const seed = opts.seed ?? scenario.spec.seed ?? 1;
  const trace = opts.trace === undefined ? undefined : fileSink(opts.trace);
  const report = opts.report === undefined ? undefined : new ReportSink();
  const sinks = [trace?.sink, report?.sink].filter((s): s is TraceSink => s !== undefined);
  const traceSink: TraceSink | undefined =
    sinks.length === 0
      ? undefined
      : sinks.length === 1
        ? sinks[0]
        : (line) => sinks.forEach((s) => s(line));
  // Wall time is read here, in the CLI, for the summary only; it never enters the simulation.
  const started = performance.now();
  let result: RunReport;
  try {
    result = await runScenario(scenario, {
      seed,
      ...(opts.traceLevel === undefined ? {} : { traceLevel: opts.traceLevel }),
      ...(traceSink === undefined ? {} : { traceSink }),
      ...(opts.checkTrace === true ? { checkTrace: true } : {}),
      ...(opts.duration === undefined ? {} : { durationUs: opts.duration }),
      checkImmutability: opts.checkImmutability ?? false,
      ...(opts.explain === undefined ? {} : { explain: opts.explain }),
    });
  } catch (e) {
    out(`ksim: ${(e as Error).message}`);
    return 2;
  } finally {
    trace?.close();
  }
  const wallMs = performance.now() - started;
  if (opts.json) out(JSON.stringify({ ...result, wallMs: Math.round(wallMs) }, null, 2));
  else out(summary(result, wallMs, opts.trace, opts.checkTrace === true));
  if (report !== undefined && opts.report !== undefined) {
    const bytes = await report.write(
      opts.report,
      `${result.scenario} (seed ${seed})`,
      result.virtualTimeUs,
    );
    if (!opts.json) out(`report ${opts.report} (${(bytes / 1_048_576).toFixed(1)} MiB)`);
  }
  if (!result.passed)
    out(
      `reproduce: ksim run ${file} --seed ${seed}${opts.checkImmutability ? ' --check-immutability' : ''}`,
    );
  return result.passed ? 0 : 1;
}

export function summary(
  r: RunReport,
  wallMs: number,
  tracePath: string | undefined,
  checked: boolean,
): string {
  const lines = [
    `scenario ${r.scenario}  seed ${r.seed}`,
    `virtual time ${seconds(r.virtualTimeUs)}  events ${r.events.toLocaleString('en-US')}  wall ${(wallMs / 1000).toFixed(2)}s  (${Math.round(r.virtualTimeUs / 1000 / Math.max(wallMs, 1))}x real time)`,
    `trace ${r.traceRecords.toLocaleString('en-US')} records${checked ? ' (checked against the schema)' : ''}  sha256 ${r.traceHash}${tracePath ? `  -> ${tracePath}` : ''}`,
    '',
  ];
  const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', 'Terminating'];
  const byNode = new Map<string, Map<string, number>>();
  for (const node of [...r.nodes, '<unscheduled>']) byNode.set(node, new Map());
  for (const p of r.pods) {
    const node = p.node === '' ? '<unscheduled>' : p.node;
    const m = byNode.get(node) ?? new Map<string, number>();
    byNode.set(node, m);
    const phase = p.terminating ? 'Terminating' : p.phase;
    m.set(phase, (m.get(phase) ?? 0) + 1);
  }
  const rows = [...byNode]
    .filter(([node, m]) => node !== '<unscheduled>' || m.size > 0)
    .map(([node, m]) => [node, ...phases.map((ph) => m.get(ph) ?? 0)]);
  lines.push('pods per node and phase', table(['node', ...phases], rows), '');
  if (r.expectations.length > 0) {
    lines.push('expectations');
    for (const e of r.expectations) {
      lines.push(
        `  ${e.passed ? 'PASS' : 'FAIL'}  ${e.name}${e.metAtUs !== undefined ? ` (met at ${seconds(e.metAtUs)})` : ''}  ${e.detail}`,
      );
    }
  }
  return lines.join('\n');
}

export function parseSeed(v: string): number {
  if (!/^\d+$/.test(v))
    throw new Error(`--seed must be a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
}
