/**
 * What `kubectl exec` gets from a simulated container. A simulated container has no programs,
 * so ksim answers a small set of commands honestly and refuses the rest as a real runtime
 * would:
 *
 * - `echo [-n] WORDS`, `true`, `false`, `sleep N` (takes N seconds), `hostname` (the pod's
 *   name), `tty` (`/dev/pts/0` with a terminal, else `not a tty` and status 1), `env` / `printenv [NAME]` (PATH, HOSTNAME and the container's declared env),
 *   `cat FILE` / `ls FILE` / `test -f|-e FILE` of the files `KSIM_FILES` declares
 *   (container-health.ts; they are empty).
 * - `sh -c "<script>"` (also bash, ash, dash): statements separated by `;`, `&&` and `||`,
 *   each one of the above or `exit N`, its output sent to stderr by `>&2`; a statement naming
 *   anything else prints
 *   `sh: X: not found` on stderr with status 127, as busybox's shell does.
 * - Any other program is not in the image: the exec fails as runc fails it (`exec: "X":
 *   executable file not found in $PATH`), which kubectl reports as an internal error.
 */
import type { ContainerConfig, ExecResult } from '../core/ports/runtime.ts';
import { fileExists, type HealthBehaviour } from './container-health.ts';
import { shellWords } from './container-log.ts';

const US_PER_SECOND = 1_000_000;
const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash']);
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** What busybox's shell answers for a command it cannot find. */
export const EXIT_NOT_FOUND = 127;

export interface ExecWorld {
  readonly config: ContainerConfig;
  readonly health: HealthBehaviour;
  readonly hostname: string;
  /** Time since the container started, for KSIM_FILES' windows. */
  readonly sinceStartUs: number;
  /** The exec has a terminal (`tty` names it). */
  readonly tty?: boolean;
}

/** What an interactive shell keeps between lines: the last status. */
export interface ShellState {
  status: number;
}

/** One line an interactive shell read: its output, how long it took, whether it exited. */
export interface ShellLine {
  readonly stdout: string;
  readonly stderr: string;
  readonly durationUs: number;
  readonly exited: boolean;
}

/** Runs one line of an interactive shell (exec-session.ts) as `sh -c` runs its script. */
export function runShellLine(world: ExecWorld, text: string, state: ShellState): ShellLine {
  const run: Run = { stdout: '', stderr: '', status: state.status, durationUs: 0, exited: false };
  script(world, text, run);
  state.status = run.status;
  return run;
}

export type ExecAnswer =
  | { readonly kind: 'ran'; readonly result: ExecResult; readonly durationUs: number }
  | { readonly kind: 'not-found'; readonly message: string };

interface Run {
  stdout: string;
  stderr: string;
  status: number;
  durationUs: number;
  exited: boolean;
}

export function execInContainer(world: ExecWorld, argv: readonly string[]): ExecAnswer {
  const [program, ...args] = argv;
  const run: Run = { stdout: '', stderr: '', status: 0, durationUs: 0, exited: false };
  if (program === undefined || program === '') return notFound(program ?? '');
  const base = basename(program);
  if (SHELLS.has(base)) {
    if (args[0] !== '-c' || args[1] === undefined) return notFound(`${program} (interactive)`);
    script(world, args[1], run);
    return ran(run);
  }
  if (!builtin(world, base, args, run)) return notFound(program);
  return ran(run);
}

function ran(run: Run): ExecAnswer {
  return {
    kind: 'ran',
    result: { exitCode: run.status, stdout: run.stdout, stderr: run.stderr },
    durationUs: run.durationUs,
  };
}

function notFound(program: string): ExecAnswer {
  return {
    kind: 'not-found',
    message: `OCI runtime exec failed: exec failed: unable to start container process: exec: ${JSON.stringify(program)}: executable file not found in $PATH: unknown`,
  };
}

function script(world: ExecWorld, text: string, run: Run): void {
  // Statements with the operator before each: ';' runs it always, '&&' on success, '||' on failure.
  const parts = text.split(/(;|&&|\|\||\n)/);
  let op = ';';
  for (let i = 0; i < parts.length && !run.exited; i += 2) {
    const all = shellWords((parts[i] ?? '').trim());
    const toStderr = all.some((w) => w === '>&2' || w === '1>&2');
    const words = all.filter((w) => w !== '>&2' && w !== '1>&2');
    const runIt = op === ';' || op === '\n' || (op === '&&') === (run.status === 0);
    op = parts[i + 1] ?? ';';
    const [cmd, ...args] = words;
    if (cmd === undefined || !runIt) continue;
    if (cmd === 'exit') {
      const code = args[0] === undefined ? run.status : Number.parseInt(args[0], 10);
      run.status = Number.isNaN(code) ? 2 : code & 0xff;
      run.exited = true;
      return;
    }
    const stdoutBefore = run.stdout.length;
    if (!builtin(world, basename(cmd), args, run)) {
      run.stderr += `sh: ${cmd}: not found\n`;
      run.status = EXIT_NOT_FOUND;
    }
    if (toStderr) {
      run.stderr += run.stdout.slice(stdoutBefore);
      run.stdout = run.stdout.slice(0, stdoutBefore);
    }
  }
}

/** Runs one of the modelled commands; false when `program` is none of them. */
function builtin(world: ExecWorld, program: string, args: readonly string[], run: Run): boolean {
  switch (program) {
    case 'echo': {
      const noNewline = args[0] === '-n';
      const words = noNewline ? args.slice(1) : args;
      run.stdout += words.join(' ') + (noNewline ? '' : '\n');
      run.status = 0;
      return true;
    }
    case 'true':
      run.status = 0;
      return true;
    case 'false':
      run.status = 1;
      return true;
    case 'sleep': {
      const seconds = Number(args[0]);
      if (!Number.isFinite(seconds) || seconds < 0) {
        run.stderr += `sleep: invalid number '${args[0] ?? ''}'\n`;
        run.status = 1;
      } else {
        run.durationUs += Math.round(seconds * US_PER_SECOND);
        run.status = 0;
      }
      return true;
    }
    case 'hostname':
      run.stdout += `${world.hostname}\n`;
      run.status = 0;
      return true;
    case 'tty':
      // The first pty of the container's devpts: what busybox prints in a lone exec -t.
      run.stdout += world.tty === true ? '/dev/pts/0\n' : 'not a tty\n';
      run.status = world.tty === true ? 0 : 1;
      return true;
    case 'env':
    case 'printenv':
      return printEnv(world, args, run);
    case 'cat':
    case 'ls':
    case 'test':
    case '[':
      return files(world, program, args, run);
    default:
      return false;
  }
}

function environment(world: ExecWorld): [string, string][] {
  return [['PATH', PATH], ['HOSTNAME', world.hostname], ...Object.entries(world.config.env ?? {})];
}

function printEnv(world: ExecWorld, args: readonly string[], run: Run): boolean {
  const vars = environment(world);
  if (args.length === 0) {
    run.stdout += vars.map(([k, v]) => `${k}=${v}\n`).join('');
    run.status = 0;
    return true;
  }
  let found = 0;
  for (const name of args) {
    const hit = vars.find(([k]) => k === name);
    if (hit !== undefined) {
      run.stdout += `${hit[1]}\n`;
      found++;
    }
  }
  run.status = found === args.length ? 0 : 1;
  return true;
}

function files(world: ExecWorld, program: string, args: readonly string[], run: Run): boolean {
  const operands = args.filter((a) => !a.startsWith('-') && a !== ']');
  const exists = (f: string): boolean => fileExists(world.health, f, world.sinceStartUs);
  const missing = operands.filter((f) => !exists(f));
  if (program === 'test' || program === '[') {
    run.status = operands.length > 0 && missing.length === 0 ? 0 : 1;
    return true;
  }
  for (const f of missing) run.stderr += `${program}: ${f}: No such file or directory\n`;
  if (program === 'ls')
    run.stdout += operands
      .filter(exists)
      .map((f) => `${f}\n`)
      .join('');
  run.status = missing.length === 0 ? 0 : program === 'ls' ? 2 : 1;
  return true;
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
