/**
 * `ksim fuzz cluster` and `ksim fuzz merge`: thin shells over sim/cluster-fuzz. The progress bar
 * (runs done, runs/s, failures, ETA) goes to the terminal on stderr; stdout gets the summary
 * table and the failures, or with --json the result document `ksim fuzz merge` reads.
 */
import { readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import {
  fuzzCluster,
  mergeResults,
  shardSeeds,
  tally,
  type FuzzClusterOptions,
  type FuzzClusterResult,
} from '../cluster-fuzz/fuzz-cluster.ts';
import { CliError, EXIT_OK, EXIT_VERDICT } from './errors.ts';
import { table } from './format.ts';

export interface FuzzClusterCommandOptions extends Omit<FuzzClusterOptions, 'onRun'> {
  readonly json?: boolean;
  /** Where the progress bar is drawn (a terminal); none without. */
  readonly terminal?: NodeJS.WritableStream;
}

export async function fuzzClusterCommand(
  options: FuzzClusterCommandOptions,
  out: (s: string) => void,
): Promise<number> {
  // Wall time is read here, in the CLI, for runs/s and the ETA only.
  const startedMs = performance.now();
  let failed = 0;
  const bar =
    options.terminal === undefined
      ? undefined
      : new SingleBar({
          stream: options.terminal,
          format:
            ' {bar} {value}/{total} worlds  {rate} worlds/s  {failed} failed  ETA {eta_formatted}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          synchronousUpdate: true,
        });
  const { json: _, terminal: __, ...campaign } = options;
  const total = shardSeeds(options.seed, options.runs, options.shard ?? { index: 0, count: 1 });
  bar?.start(total.length, 0, { rate: '-', failed: 0 });
  const result = await fuzzCluster({
    ...campaign,
    onRun: (report, done) => {
      if (report.verdict !== 'ok') failed++;
      const rate = done / ((performance.now() - startedMs) / 1000);
      bar?.update(done, { rate: rate.toFixed(2), failed });
    },
  });
  bar?.stop();
  const wallS = (performance.now() - startedMs) / 1000;
  if (options.json === true) out(JSON.stringify(result, null, 2));
  else out(describeResult(result, wallS));
  return result.failures.length === 0 ? EXIT_OK : EXIT_VERDICT;
}

/** The summary table, the broken invariants and each failure with its reproduce command. */
export function describeResult(result: FuzzClusterResult, wallS?: number): string {
  const t = tally(result.reports);
  const shard =
    result.shard.count > 1 ? ` (shard ${result.shard.index}/${result.shard.count})` : '';
  const rows: (string | number)[][] = [
    [
      result.reports.length,
      t.verdicts.ok,
      t.verdicts.safety,
      t.verdicts.liveness,
      t.verdicts.determinism,
      t.verdicts.crash,
      t.events,
      `${Math.round(t.virtualUs / 1e6)}s`,
      wallS === undefined ? '-' : (result.reports.length / wallS).toFixed(2),
    ],
  ];
  const lines = [
    `ksim fuzz cluster: seeds ${result.seed}..${result.seed + result.runs - 1}${shard}`,
    table(
      [
        'worlds',
        'ok',
        'safety',
        'liveness',
        'determinism',
        'crash',
        'events',
        'virtual',
        'worlds/s',
      ],
      rows,
    ),
  ];
  const broken = Object.entries(t.invariants);
  if (broken.length > 0) {
    lines.push(
      '',
      table(
        ['invariant', 'worlds'],
        broken.map(([n, c]) => [n, c]),
      ),
    );
  }
  for (const f of result.failures) {
    lines.push('', `seed ${f.seed}: ${f.verdict.toUpperCase()}  trace sha256 ${f.traceHash}`);
    for (const line of f.failures) lines.push(`  ${line.split('\n')[0]}`);
    lines.push(`  reproduce: ${f.reproduce}`);
    if (f.shrunk !== undefined) {
      lines.push(
        `  shrunk by fast-check in ${f.shrunk.runs} runs to ${f.shrunk.nodes} nodes, ${f.shrunk.pods} pods, ${f.shrunk.faults} faults (trace sha256 ${f.shrunk.traceHash}):`,
        ...f.shrunk.failures.map((l) => `    ${l.split('\n')[0]}`),
        `  reproduce the shrunk world: ${f.shrunk.reproduce}`,
      );
    }
  }
  return lines.join('\n');
}

/** `ksim fuzz merge A.json B.json ...`: the shards' results as one campaign's. */
export function fuzzMergeCommand(
  files: readonly string[],
  options: { readonly json?: boolean },
  out: (s: string) => void,
): number {
  const results = files.map((f) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as FuzzClusterResult;
    } catch (e) {
      throw new CliError(`${f}: ${(e as Error).message}`);
    }
  });
  const merged = mergeResults(results);
  if (typeof merged === 'string') throw new CliError(merged);
  if (options.json === true) out(JSON.stringify(merged.merged, null, 2));
  else {
    out(describeResult(merged.merged));
    if (merged.missingShards.length > 0)
      out(`missing shards: ${merged.missingShards.join(', ')} of ${results[0]!.shard.count}`);
  }
  return merged.merged.failures.length === 0 ? EXIT_OK : EXIT_VERDICT;
}
