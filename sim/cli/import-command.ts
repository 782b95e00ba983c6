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
import { CliError, EXIT_OK, fsReason } from './errors.ts';

export interface ImportCommandOptions {
  /** Write here instead of stdout. */
  readonly out?: string;
  readonly name?: string;
  readonly duration: string;
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
  if (opts.out === undefined) out(yaml.trimEnd());
  else {
    try {
      writeFileSync(opts.out, yaml);
    } catch (e) {
      throw new CliError(`cannot write ${opts.out}: ${fsReason(e)}`);
    }
    out(`${note} -> ${opts.out}`);
  }
  // With the scenario on stdout, what was left out goes to stderr.
  const say = opts.out === undefined ? err : out;
  if (opts.out === undefined) say(note);
  for (const s of result.skipped) say(`  skipped ${s}`);
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
    .argument('<kubectl-yaml>', 'the output of kubectl get nodes,pods,deployments,... -A -o yaml')
    .option('-o, --out <file>', 'write the scenario here (default: stdout)')
    .option('--name <name>', "the scenario's name (default: from the file name)")
    .option('--duration <d>', 'virtual time the scenario runs', scenarioDuration, '2m')
    .action((file: string, opts: ImportCommandOptions) => {
      done(importCommand(file, opts, out, err));
    });
}
