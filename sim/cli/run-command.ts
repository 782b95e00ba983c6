import { closeSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import type { NodeProcess } from '../../core/cluster/assembly.ts';
import { parseScenario, ScenarioError, type Scenario } from '../scenario/scenario.ts';
import {
  runScenario,
  type NodeSummary,
  type RunReport,
  type ScenarioWorld,
} from '../scenario/run.ts';
import type { TraceSink } from '../trace.ts';
import { CliError, EXIT_OK, EXIT_VERDICT, fsReason, openForWriting } from './errors.ts';
import { seconds, table } from './format.ts';
import { RunProgress } from './progress.ts';
import { ReportSink } from './report-command.ts';
import { SloCollector, type SloResult, type SloThresholds } from '../../viz/model/slo.ts';
import type { Slos } from '../scenario/scenario.ts';

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
  /** A terminal to draw the run's progress on (none: no progress display). */
  readonly terminal?: NodeJS.WritableStream;
  /** List every pod in the summary (phase, node, restarts). */
  readonly pods?: boolean;
  /** Plain manifest files or directories to create after spec.objects. */
  readonly objects?: readonly string[];
  /** Pods whose scheduling attempts the trace explains, at any trace level. */
  readonly explain?: readonly string[];
  /** Write this node's last rendered kube-proxy ruleset (iptables-restore text) to a file. */
  readonly dumpRules?: { readonly node: string; readonly file: string };
}

/**
 * Buffered JSONL writer: one write per 64 KiB instead of one per record. The file is opened
 * (and truncated) at once, so that a path that cannot be written fails before the run.
 */
export function fileSink(path: string, what = 'trace'): { sink: TraceSink; close: () => void } {
  const fd = openForWriting(path, what);
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

/** Reads and checks a scenario file (and plain manifest files); a CliError says why it cannot be used. */
export function loadScenario(file: string, objectFiles: readonly string[] = []): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read scenario ${file}: ${fsReason(e)}`);
  }
  try {
    return parseScenario(text, file, { objectFiles });
  } catch (e) {
    if (e instanceof ScenarioError) throw new CliError(e.message);
    throw e;
  }
}

/** --dump-rules: the node's kube-proxy's last full ruleset, as iptables-restore text. */
function dumpRules(world: ScenarioWorld, dump: { readonly node: string; readonly file: string }) {
  if (!world.layout.nodes.includes(dump.node)) {
    throw new CliError(
      `--dump-rules: no node ${dump.node} in this cluster (nodes: ${world.layout.nodes.join(', ')})`,
    );
  }
  const node = world.sim.process(dump.node).instance as NodeProcess | undefined;
  const rules = node?.proxy?.lastRenderedRules;
  if (rules === undefined) {
    throw new CliError(
      `--dump-rules: ${dump.node} has no kube-proxy rules (no kube-proxy, or none synced by the end of the run)`,
    );
  }
  try {
    writeFileSync(dump.file, rules);
  } catch (e) {
    throw new CliError(`cannot write rules dump ${dump.file}: ${fsReason(e)}`);
  }
}

/** `ksim run <scenario>`: returns the process exit code (0 = every expectation met). */
export async function runCommand(
  file: string,
  opts: RunCommandOptions,
  out: (s: string) => void,
): Promise<number> {
  const scenario = loadScenario(file, opts.objects);
  const seed = opts.seed ?? scenario.spec.seed ?? 1;
  // The report is written at the end: find out now, not after the run, that it cannot be.
  if (opts.report !== undefined) closeSync(openForWriting(opts.report, 'report'));
  if (opts.dumpRules !== undefined) closeSync(openForWriting(opts.dumpRules.file, 'rules dump'));
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
  const durationUs = opts.duration ?? scenario.spec.duration;
  const progress =
    opts.terminal === undefined ? undefined : new RunProgress(opts.terminal, durationUs);
  const slo = new SloCollector(scenario.spec.slos?.from ?? 0);
  let result: RunReport;
  try {
    result = await runScenario(scenario, {
      seed,
      traceObserver: (r) => slo.add(r),
      ...(opts.traceLevel === undefined ? {} : { traceLevel: opts.traceLevel }),
      ...(traceSink === undefined ? {} : { traceSink }),
      ...(opts.checkTrace === true ? { checkTrace: true } : {}),
      ...(opts.duration === undefined ? {} : { durationUs: opts.duration }),
      ...(progress === undefined
        ? {}
        : { onProgress: (us: number, events: number) => progress.update(us, events) }),
      checkImmutability: opts.checkImmutability ?? false,
      ...(opts.explain === undefined ? {} : { explain: opts.explain }),
      ...(opts.dumpRules === undefined
        ? {}
        : { atEnd: (world: ScenarioWorld) => dumpRules(world, opts.dumpRules!) }),
    });
  } catch (e) {
    // A scenario that parses but cannot be built (a fault naming a process the cluster lacks).
    if (e instanceof ScenarioError) throw new CliError(e.message);
    throw e;
  } finally {
    progress?.stop();
    trace?.close();
  }
  const wallMs = performance.now() - started;
  const slos = sloVerdict(slo, scenario.spec.slos);
  const passed = result.passed && slos.passed;
  const reportFile =
    report === undefined || opts.report === undefined
      ? undefined
      : {
          path: opts.report,
          bytes: await report.write(
            opts.report,
            `${result.scenario} (seed ${seed})`,
            result.virtualTimeUs,
          ),
        };
  const reproduce = passed
    ? undefined
    : `ksim run ${file} --seed ${seed}${(opts.objects ?? []).map((f) => ` --objects ${f}`).join('')}${opts.checkImmutability ? ' --check-immutability' : ''}`;
  if (opts.json) {
    out(
      JSON.stringify(
        {
          ...result,
          passed,
          slos,
          wallMs: Math.round(wallMs),
          ...(opts.trace === undefined ? {} : { traceFile: opts.trace }),
          ...(reportFile === undefined ? {} : { reportFile }),
          ...(reproduce === undefined ? {} : { reproduce }),
        },
        null,
        2,
      ),
    );
  } else {
    out(summary(result, wallMs, opts.trace, opts.checkTrace === true, opts.pods === true));
    out(sloTable(slos));
    out(
      opts.trace === undefined
        ? 'trace: not written (--trace FILE writes it)'
        : `trace: ${opts.trace}`,
    );
    if (reportFile !== undefined)
      out(`report ${reportFile.path} (${(reportFile.bytes / 1_048_576).toFixed(1)} MiB)`);
    if (reproduce !== undefined) out(`reproduce: ${reproduce}`);
  }
  return passed ? EXIT_OK : EXIT_VERDICT;
}

/** The run's SLOs against the scenario's thresholds; they fail the run only when enforced. */
export interface SloVerdict {
  readonly enforced: boolean;
  /** Records before this virtual time are left out (spec.slos.from). */
  readonly fromUs: number;
  /** False only when enforced and an SLO is missed. */
  readonly passed: boolean;
  readonly results: readonly SloResult[];
}

export function sloVerdict(collector: SloCollector, spec: Slos | undefined): SloVerdict {
  const results = collector.results(thresholdsOf(spec));
  const enforced = spec?.enforce === true;
  return {
    enforced,
    fromUs: spec?.from ?? 0,
    passed: !enforced || results.every((r) => r.passed),
    results,
  };
}

function thresholdsOf(spec: Slos | undefined): SloThresholds {
  const api = spec?.apiCallLatency;
  const opt = <K extends string>(k: K, v: number | undefined) =>
    v === undefined ? {} : ({ [k]: v } as Record<K, number>);
  return {
    apiCallLatency: {
      ...opt('mutatingUs', api?.mutating),
      ...opt('getUs', api?.get),
      ...opt('listNamespaceUs', api?.listNamespace),
      ...opt('listClusterUs', api?.listCluster),
    },
    ...opt('podStartupUs', spec?.podStartup),
    ...opt('schedulingThroughput', spec?.schedulingThroughput),
    ...opt('watchLatencyUs', spec?.watchLatency),
  };
}

function sloValue(r: SloResult, v: number | undefined): string {
  if (v === undefined) return '-';
  if (r.unit === 'pods/s') return `${v.toFixed(1)} pods/s`;
  return v < 1_000_000 ? ms(v) : seconds(v);
}

export function sloTable(v: SloVerdict): string {
  const rows = v.results.map((r) => [
    r.name,
    r.measure,
    r.samples.toLocaleString('en-US'),
    sloValue(r, r.value),
    r.threshold === undefined ? '-' : `${r.comparison} ${sloValue(r, r.threshold)}`,
    r.value === undefined
      ? 'no samples'
      : r.threshold === undefined
        ? ''
        : r.passed
          ? 'ok'
          : 'MISSED',
    r.note ?? '',
  ]);
  const since = v.fromUs > 0 ? `, measured from ${seconds(v.fromUs)}` : '';
  const heading = v.enforced
    ? `SLOs (enforced: a missed SLO fails the run${since})`
    : `SLOs (reported; spec.slos.enforce makes a missed one fail the run${since})`;
  return [
    heading,
    table(['slo', 'measure', 'samples', 'value', 'threshold', 'verdict', 'note'], rows),
    '',
  ].join('\n');
}

export function summary(
  r: RunReport,
  wallMs: number,
  tracePath: string | undefined,
  checked: boolean,
  listPods = false,
): string {
  const lines = [
    `scenario ${r.scenario}  seed ${r.seed}`,
    `virtual time ${seconds(r.virtualTimeUs)}  events ${r.events.toLocaleString('en-US')}  wall ${(wallMs / 1000).toFixed(2)}s  (${Math.round(r.virtualTimeUs / 1000 / Math.max(wallMs, 1))}x real time)`,
    `trace ${r.traceRecords.toLocaleString('en-US')} records${checked ? ' (checked against the schema)' : ''}  sha256 ${r.traceHash}${tracePath ? `  -> ${tracePath}` : ''}`,
    '',
  ];
  const phases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', 'Terminating'];
  const byNode = new Map<string, Map<string, number>>();
  for (const node of [...r.nodes.map((n) => n.name), '<unscheduled>']) byNode.set(node, new Map());
  for (const p of r.pods) {
    const node = p.node === '' ? '<unscheduled>' : p.node;
    const m = byNode.get(node) ?? new Map<string, number>();
    byNode.set(node, m);
    const phase = p.terminating ? 'Terminating' : p.phase;
    m.set(phase, (m.get(phase) ?? 0) + 1);
  }
  const nodes = new Map(r.nodes.map((n) => [n.name, n]));
  const rows = [...byNode]
    .filter(([node, m]) => node !== '<unscheduled>' || m.size > 0)
    .map(([node, m]) => {
      const n = nodes.get(node);
      return [
        node,
        ...phases.map((ph) => m.get(ph) ?? 0),
        n === undefined ? '' : nodeStatus(n),
        n === undefined || n.taints.length === 0 ? '' : n.taints.join(','),
      ];
    });
  lines.push(
    'pods per node and phase, node status',
    table(['node', ...phases, 'status', 'taints'], rows),
    '',
  );
  if (listPods) {
    const pods = [...r.pods]
      .sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))
      .map((p) => [
        `${p.namespace}/${p.name}`,
        p.terminating ? 'Terminating' : p.phase,
        p.node === '' ? '<none>' : p.node,
        p.restarts,
      ]);
    lines.push('pods', table(['pod', 'phase', 'node', 'restarts'], pods), '');
  }
  if (r.rejections.length > 0) {
    lines.push('refused by the API server');
    for (const x of r.rejections) {
      lines.push(
        `  ${seconds(x.atUs)}  ${x.action} ${x.target} (${x.source}): ${x.status} ${x.message}`,
      );
    }
    lines.push('');
  }
  if (r.traffic.length > 0) {
    const rows = r.traffic.map((t) => [
      t.name,
      t.service,
      String(t.requests),
      String(t.ok),
      t.ok > 0 ? `${ms(t.latencyP50Us)} / ${ms(t.latencyP99Us)}` : '-',
      Object.entries(t.errors)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || '-',
      Object.entries(t.backends)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([pod, n]) => `${pod.split('/')[1]} ${n}`)
        .join(', ') || '-',
    ]);
    lines.push(
      'service traffic',
      table(['traffic', 'service', 'requests', 'ok', 'p50 / p99', 'errors', 'per backend'], rows),
      '',
    );
  }
  if (r.drawnFaults.length > 0) {
    lines.push(
      `faults drawn from spec.faultRates (${r.drawnFaults.length}; as actions, they replay this seed's faults without the rates)`,
      ...r.drawnFaults.map((a) => `  - ${a}`),
      '',
    );
  }
  const broken = r.invariants.filter((v) => v.violations > 0);
  const off = r.invariants.filter((v) => !v.enabled).map((v) => v.name);
  lines.push(
    `invariants: ${broken.length === 0 ? 'all held' : `${broken.length} broken`}${off.length > 0 ? ` (off: ${off.join(', ')})` : ''}`,
  );
  for (const v of broken)
    lines.push(`  FAIL  ${v.name} (${v.violations} violation(s)): ${v.first ?? ''}`);
  if (r.expectations.length > 0) {
    lines.push('expectations');
    for (const e of r.expectations) lines.push(`  ${verdictLine(e)}`);
    lines.push('');
  }
  if (r.conditionalActions.length > 0) {
    lines.push('conditional actions');
    for (const a of r.conditionalActions) {
      lines.push(
        a.firedAtUs === undefined
          ? `  NEVER FIRED  ${a.source}  when ${a.condition}${a.detail ? `  (last seen: ${a.detail})` : ''}`
          : `  fired at ${seconds(a.firedAtUs)}  ${a.source}  when ${a.condition}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
function verdictLine(e: RunReport['expectations'][number]): string {
  const label = e.disabled === true ? 'OFF ' : e.passed ? 'PASS' : 'FAIL';
  const when =
    e.metAtUs !== undefined
      ? ` (met at ${seconds(e.metAtUs)})`
      : e.violatedAtUs !== undefined
        ? ` (violated at ${seconds(e.violatedAtUs)} by ${(e.objects ?? []).join(', ')})`
        : '';
  return `${label}  ${e.name}${when}  ${e.detail}`;
}

/** kubectl get nodes' STATUS: Ready or NotReady, and SchedulingDisabled when cordoned. */
function nodeStatus(n: NodeSummary): string {
  const ready = n.ready === 'True' ? 'Ready' : n.ready === 'False' ? 'NotReady' : 'Unknown';
  return n.unschedulable ? `${ready},SchedulingDisabled` : ready;
}

function ms(us: number): string {
  return `${(us / 1_000).toFixed(1)}ms`;
}
