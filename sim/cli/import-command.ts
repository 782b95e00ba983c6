/**
 * `ksim import <kubectl-yaml> [-o scenario.yaml]`: a real cluster's objects, as kubectl prints
 * them, as the initial state of a scenario (sim/import/kubectl-import.ts says what is kept).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { stringify } from 'yaml';
import { parseDuration } from '../scenario/schema.ts';
import { parseScenario, ScenarioError } from '../scenario/scenario.ts';
import { importCluster, ImportError, readKubectlOutput } from '../import/kubectl-import.ts';
import { importSchedulerPerf } from '../import/scheduler-perf-import.ts';
import { loadWorkloadFile, WorkloadFileError } from '../scheduler-perf/index.ts';
import { CliError, EXIT_OK, fsReason } from './errors.ts';

export interface ImportCommandOptions {
  /** Write here instead of stdout. */
  readonly out?: string;
  readonly name?: string;
  readonly duration: string;
  /** `ksim import scheduler-perf`: the test case and workload. */
  readonly case?: string;
  readonly workload?: string;
}

/** A scenario name from the input file's name: `cluster.yaml` -> `cluster`. */
function nameFrom(file: string): string {
  const base = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-');
  return base.replace(/^-+|-+$/g, '') || 'imported';
}

export function importCommand(
  file: string,
  opts: ImportCommandOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${fsReason(e)}`);
  }
  let yaml: string;
  let result: ReturnType<typeof importCluster>;
  try {
    result = importCluster(readKubectlOutput(text, file), {
      name: opts.name ?? nameFrom(file),
      duration: opts.duration,
    });
    yaml = `# Imported by ksim import from ${basename(file)}\n${stringify(result.scenario, { lineWidth: 0 })}`;
    // What is written must be what ksim run accepts: check it the same way now.
    parseScenario(yaml, opts.out ?? '<imported scenario>');
  } catch (e) {
    if (e instanceof ImportError || e instanceof ScenarioError) throw new CliError(e.message);
    throw e;
  }
  const note = `imported ${result.nodes} nodes in ${result.pools} pools, ${result.objects} objects; skipped ${result.skipped.length}`;
  writeImported(
    yaml,
    note,
    result.skipped.map((s) => `  skipped ${s}`),
    opts,
    out,
    err,
  );
  return EXIT_OK;
}

/**
 * Writes an imported scenario to `opts.out`, or to stdout when there is none, then says what
 * was imported and what was left out: on stderr when the scenario itself went to stdout.
 */
function writeImported(
  yaml: string,
  note: string,
  details: readonly string[],
  opts: ImportCommandOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): void {
  if (opts.out === undefined) {
    out(yaml.trimEnd());
    err(note);
    for (const d of details) err(d);
    return;
  }
  try {
    writeFileSync(opts.out, yaml);
  } catch (e) {
    throw new CliError(`cannot write ${opts.out}: ${fsReason(e)}`);
  }
  out(`${note} -> ${opts.out}`);
  for (const d of details) out(d);
}

/**
 * `ksim import scheduler-perf <file> --case C --workload W`: one scheduler_perf workload as a
 * scenario on the whole simulated cluster (sim/import/scheduler-perf-import.ts).
 */
export function importSchedulerPerfCommand(
  file: string,
  opts: ImportCommandOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  if (opts.case === undefined || opts.workload === undefined)
    throw new CliError('ksim import scheduler-perf needs --case NAME and --workload NAME');
  let yaml: string;
  let result: ReturnType<typeof importSchedulerPerf>;
  try {
    result = importSchedulerPerf(loadWorkloadFile(file), {
      testCase: opts.case,
      workload: opts.workload,
      duration: opts.duration,
      ...(opts.name === undefined ? {} : { name: opts.name }),
    });
    yaml = `# Imported by ksim import scheduler-perf from ${basename(file)} (${opts.case}/${opts.workload})\n${stringify(result.scenario, { lineWidth: 0, aliasDuplicateObjects: false })}`;
    parseScenario(yaml, opts.out ?? '<imported scenario>');
  } catch (e) {
    if (e instanceof ImportError || e instanceof ScenarioError || e instanceof WorkloadFileError)
      throw new CliError(e.message);
    throw e;
  }
  const note = `imported ${result.nodes} nodes in ${result.pools} pools, ${result.pods} pods`;
  writeImported(
    yaml,
    note,
    result.notes.map((n) => `  note: ${n}`),
    opts,
    out,
    err,
  );
  return EXIT_OK;
}

const scenarioDuration = (v: string): string => {
  if (parseDuration(v) === undefined)
    throw new InvalidArgumentError(
      `expected a duration such as 30s or 5m, got ${JSON.stringify(v)}`,
    );
  return v;
};

/** Adds `ksim import` to the program; `done` receives the exit code. */
export function registerImportCommand(
  program: Command,
  out: (s: string) => void,
  err: (s: string) => void,
  done: (exitCode: number) => void,
): void {
  program
    .command('import')
    .description(
      'turn kubectl get ... -A -o yaml output into a scenario: nodes as pools, objects recreated, pods bound where they were',
    )
    .argument(
      '<input>',
      'the output of kubectl get nodes,pods,deployments,... -A -o yaml; or scheduler-perf',
    )
    .argument('[file]', 'with scheduler-perf: a scheduler_perf configuration file')
    .option('-o, --out <file>', 'write the scenario here (default: stdout)')
    .option('--name <name>', "the scenario's name (default: from the file name)")
    .option('--duration <d>', 'virtual time the scenario runs', scenarioDuration, '2m')
    .option('--case <name>', 'scheduler-perf: the test case')
    .option('--workload <name>', 'scheduler-perf: the workload of the test case')
    .action((input: string, file: string | undefined, opts: ImportCommandOptions) => {
      if (input !== 'scheduler-perf') {
        if (file !== undefined) throw new CliError(`unexpected argument ${JSON.stringify(file)}`);
        return done(importCommand(input, opts, out, err));
      }
      if (file === undefined)
        throw new CliError('ksim import scheduler-perf needs a scheduler_perf configuration file');
      done(importSchedulerPerfCommand(file, opts, out, err));
    });
}
