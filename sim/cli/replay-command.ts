/**
 * `ksim replay alibaba-gpu <dir>`: Alibaba's GPU cluster trace (cluster-trace-gpu-v2023)
 * replayed as a scenario, with a summary of what the scheduler made of it.
 */
import { closeSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { TraceCsvError } from '../replay/alibaba-csv.ts';
import {
  planReplay,
  POD_SAMPLES,
  runReplay,
  type PodSample,
  type ReplayPlan,
  type ReplaySummary,
} from '../replay/replay.ts';
import type { TimeMapping } from '../replay/time-mapping.ts';
import { ScenarioError } from '../scenario/scenario.ts';
import type { TraceSink } from '../trace.ts';
import { CliError, EXIT_OK, fsReason, openForWriting } from './errors.ts';
import { seconds, table } from './format.ts';
import { RunProgress } from './progress.ts';
import { ReportSink } from './report-command.ts';
import { fileSink } from './run-command.ts';

export interface ReplayCommandOptions {
  readonly pods: PodSample;
  readonly nodes?: number;
  readonly limit?: number;
  readonly timeScale?: number;
  readonly rate?: number;
  readonly seed: number;
  readonly fullAfter?: number;
  readonly sample?: number;
  readonly trace?: string;
  readonly report?: string;
  readonly json?: boolean;
  readonly emitScenario?: string;
  readonly terminal?: NodeJS.WritableStream;
}

export const DEFAULT_RATE = 20;
/** Tasks in a row the scheduler refused at first sight before a rate replay calls the cluster full. */
export const DEFAULT_FULL_AFTER = 100;

function mappingOf(opts: ReplayCommandOptions): TimeMapping {
  if (opts.timeScale !== undefined && opts.rate !== undefined)
    throw new CliError('--time-scale and --rate exclude each other: pick one');
  if (opts.timeScale !== undefined) return { kind: 'time-scale', factor: opts.timeScale };
  return { kind: 'rate', perSecond: opts.rate ?? DEFAULT_RATE };
}

/** The trace's files read and checked, as a scenario; bad input is a CliError. */
function plan(dir: string, opts: ReplayCommandOptions): ReplayPlan {
  try {
    return planReplay({
      dir,
      sample: opts.pods,
      ...(opts.nodes === undefined ? {} : { nodes: opts.nodes }),
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      mapping: mappingOf(opts),
      seed: opts.seed,
    });
  } catch (e) {
    if (e instanceof TraceCsvError || e instanceof ScenarioError) throw new CliError(e.message);
    if (e instanceof CliError) throw e;
    throw new CliError((e as Error).message);
  }
}

export async function replayAlibabaCommand(
  dir: string,
  opts: ReplayCommandOptions,
  out: (s: string) => void,
): Promise<number> {
  const replay = plan(dir, opts);
  if (opts.emitScenario !== undefined) {
    try {
      writeFileSync(opts.emitScenario, replay.text);
    } catch (e) {
      throw new CliError(`cannot write scenario ${opts.emitScenario}: ${fsReason(e)}`);
    }
    out(
      `scenario ${opts.emitScenario}: ${replay.nodes.length} nodes, ${replay.pods.length} tasks (run it with ksim run ${opts.emitScenario})`,
    );
    return EXIT_OK;
  }
  if (opts.report !== undefined) closeSync(openForWriting(opts.report, 'report'));
  const trace = opts.trace === undefined ? undefined : fileSink(opts.trace);
  const report = opts.report === undefined ? undefined : new ReportSink();
  const sinks = [trace?.sink, report?.sink].filter((s): s is TraceSink => s !== undefined);
  const progress =
    opts.terminal === undefined ? undefined : new RunProgress(opts.terminal, replay.durationUs);
  // Wall time is read here, in the CLI, for the summary only; it never enters the simulation.
  const started = performance.now();
  let summary: ReplaySummary;
  try {
    summary = await runReplay(replay, {
      seed: opts.seed,
      fullAfter: opts.fullAfter ?? (opts.timeScale === undefined ? DEFAULT_FULL_AFTER : 0),
      ...(opts.sample === undefined ? {} : { sampleUs: opts.sample }),
      ...(sinks.length === 0 ? {} : { traceSink: (line) => sinks.forEach((s) => s(line)) }),
      ...(progress === undefined
        ? {}
        : { onProgress: (us: number, events: number) => progress.update(us, events) }),
    });
  } finally {
    progress?.stop();
    trace?.close();
  }
  const wallMs = performance.now() - started;
  const reportFile =
    report === undefined || opts.report === undefined
      ? undefined
      : {
          path: opts.report,
          bytes: await report.write(
            opts.report,
            `${summary.scenario} (seed ${opts.seed})`,
            summary.virtualTimeUs,
          ),
        };
  if (opts.json) {
    out(
      JSON.stringify(
        {
          ...summary,
          wallMs: Math.round(wallMs),
          ...(opts.trace === undefined ? {} : { traceFile: opts.trace }),
          ...(reportFile === undefined ? {} : { reportFile }),
        },
        null,
        2,
      ),
    );
  } else {
    out(summaryText(summary, wallMs, opts.trace));
    if (reportFile !== undefined)
      out(`report ${reportFile.path} (${(reportFile.bytes / 1_048_576).toFixed(1)} MiB)`);
  }
  return EXIT_OK;
}

const STOPS: Readonly<Record<ReplaySummary['stop'], string>> = {
  'all-placed': 'every task created was placed (or deleted)',
  full: 'the cluster is full (tasks in a row refused at their first attempt)',
  end: 'the scenario ended (last creation or deletion, then a minute for the scheduler)',
};

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** The summary as text: outcome, reasons, pending times, allocation over time. */
export function summaryText(s: ReplaySummary, wallMs: number, tracePath?: string): string {
  const lines = [
    `replay ${s.scenario}  seed ${s.seed}  ${s.nodes.toLocaleString('en-US')} nodes  ${s.tasks.toLocaleString('en-US')} tasks`,
    `virtual time ${seconds(s.virtualTimeUs)}  events ${s.events.toLocaleString('en-US')}  wall ${(wallMs / 1000).toFixed(2)}s`,
    `trace sha256 ${s.traceHash}${tracePath === undefined ? '' : `  -> ${tracePath}`}`,
    `stopped: ${STOPS[s.stop]}`,
    '',
    table(
      ['tasks', 'count'],
      [
        ['created', s.created],
        ['scheduled', s.scheduled],
        ['unschedulable at the end', s.unschedulable],
        ['deleted before placed', s.deletedPending],
        ['not created (stopped first)', s.notCreated],
      ],
    ),
    '',
  ];
  if (s.reasons.length > 0) {
    lines.push(
      "why the unschedulable tasks were refused (the scheduler's last message; a task counts for each reason)",
      table(
        ['reason', 'tasks'],
        s.reasons.map((r) => [r.reason, r.pods]),
      ),
      '',
    );
  }
  const p = s.pendingSeconds;
  lines.push(
    p === undefined
      ? 'pending time: no task was scheduled'
      : `pending time, creation to binding (scheduled tasks): p50 ${p.p50.toFixed(3)}s  p90 ${p.p90.toFixed(3)}s  p99 ${p.p99.toFixed(3)}s`,
    '',
    `allocated share of capacity (cpu ${(s.capacity.cpuMilli / 1000).toLocaleString('en-US')} cores, memory ${(s.capacity.memoryMiB / 1024).toLocaleString('en-US')} GiB, gpu ${(s.capacity.gpuMilli / 1000).toLocaleString('en-US')}): peak cpu ${pct(s.peak.cpu)}  memory ${pct(s.peak.memory)}  gpu ${pct(s.peak.gpu)}`,
    table(
      ['virtual time', 'created', 'running', 'pending', 'cpu', 'memory', 'gpu'],
      thin(s.samples, 12).map((x) => [
        seconds(x.atUs),
        x.created,
        x.running,
        x.pending,
        pct(x.cpu),
        pct(x.memory),
        pct(x.gpu),
      ]),
    ),
  );
  return lines.join('\n');
}

/** At most about `n` rows, evenly spread, the last one always kept (--json has them all). */
function thin<T>(rows: readonly T[], n: number): T[] {
  if (rows.length <= n) return [...rows];
  const step = Math.ceil(rows.length / n);
  return rows.filter((_, i) => i % step === 0 || i === rows.length - 1);
}

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
};

const nonNegativeInt = (v: string): number => {
  if (!/^\d+$/.test(v))
    throw new InvalidArgumentError(`expected a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
};

const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a positive number, got ${JSON.stringify(v)}`);
  return n;
};

const podSample = (v: string): PodSample => {
  const found = POD_SAMPLES.find((s) => s === v);
  if (found === undefined)
    throw new InvalidArgumentError(
      `expected one of ${POD_SAMPLES.join(', ')}, got ${JSON.stringify(v)}`,
    );
  return found;
};

/** Adds `ksim replay alibaba-gpu` to the program; `done` receives the exit code. */
export function registerReplayCommand(
  program: Command,
  out: (s: string) => void,
  terminal: NodeJS.WritableStream | undefined,
  done: (exitCode: number) => void,
): void {
  program
    .command('replay')
    .description('replay a public cluster trace as a scenario')
    .command('alibaba-gpu')
    .description(
      "Alibaba's cluster-trace-gpu-v2023 (openb): its nodes as the cluster, its tasks created (and deleted) in creation order",
    )
    .argument('<dir>', 'the folder with openb_node_list_all_node.csv and openb_pod_list_*.csv')
    .option('--pods <sample>', `the pod list: ${POD_SAMPLES.join(', ')}`, podSample, 'default')
    .option('--nodes <n>', 'only the first N nodes of the node list', positiveInt)
    .option('--limit <n>', 'only the first N tasks of the pod list', positiveInt)
    .option(
      '--time-scale <x>',
      "the trace's own creation and deletion times, divided by X (1000: a day in 86.4 s)",
      positiveNumber,
    )
    .option(
      '--rate <r>',
      `tasks created per virtual second in creation order, never deleted (default ${DEFAULT_RATE})`,
      positiveNumber,
    )
    .option('--seed <n>', 'root seed', nonNegativeInt, 1)
    .option(
      '--full-after <n>',
      `stop when N tasks in a row were refused at their first attempt; 0 never (default ${DEFAULT_FULL_AFTER} with --rate, 0 with --time-scale)`,
      nonNegativeInt,
    )
    .option(
      '--sample <seconds>',
      'virtual seconds between allocation samples (default 10)',
      positiveNumber,
    )
    .option('--trace <file>', 'write the trace as JSON lines to this file')
    .option('--report <file>', 'write an HTML report of the run')
    .option('--json', 'print the summary as one JSON document (every sample)')
    .option('--quiet', 'no progress display on a terminal')
    .option('--emit-scenario <file>', 'write the scenario instead of running it (ksim run runs it)')
    .action(
      async (
        dir: string,
        opts: Omit<ReplayCommandOptions, 'sample' | 'terminal'> & {
          sample?: number;
          quiet?: boolean;
        },
      ) => {
        const { sample, quiet, ...rest } = opts;
        done(
          await replayAlibabaCommand(
            dir,
            {
              ...rest,
              ...(sample === undefined ? {} : { sample: Math.round(sample * 1_000_000) }),
              ...(quiet || terminal === undefined ? {} : { terminal }),
            },
            out,
          ),
        );
      },
    );
}
