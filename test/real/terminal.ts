/**
 * Running a client as a person would: with text on its stdin (a pipe, closed after it), or on
 * a terminal — util-linux `script` gives it a pty, whose size can be set first, and text is
 * typed once the client has shown it is ready (it has put its terminal in raw mode by then, so
 * the typing reaches the far end as a person's would).
 */
import { spawn } from 'node:child_process';
import type { Result } from './cluster/ksim.ts';

export const SCRIPT = '/usr/bin/script';

const TIMEOUT_MS = 60_000;

function collect(
  child: ReturnType<typeof spawn>,
  onStdout: (all: string) => void = () => {},
): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout(stdout);
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
}

/** `file args` with `input` on its stdin, closed after it (nothing: closed at once). */
export function runWithInput(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input = '',
): Promise<Result> {
  const child = spawn(file, args, { env, stdio: 'pipe' });
  const done = collect(child);
  child.stdin.end(input);
  return done;
}

/**
 * `file args` with its stdin held open: `react` sees all of its stdout so far after each piece
 * of it, and may write to or end its stdin.
 */
export function runReacting(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  react: (stdout: string, stdin: NodeJS.WritableStream) => void,
): { readonly stdin: NodeJS.WritableStream; readonly done: Promise<Result> } {
  const child = spawn(file, args, { env, stdio: 'pipe' });
  return { stdin: child.stdin, done: collect(child, (all) => react(all, child.stdin)) };
}

export interface Typing {
  /** Typed once this shows in the output. */
  readonly ready: string;
  readonly text: string;
}

/** `file args` on a terminal of `size` (columns x rows, when given), `typing` typed into it. */
export function runOnTerminal(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { readonly typing?: Typing; readonly size?: { cols: number; rows: number } } = {},
): Promise<Result> {
  const quoted = [file, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const size = options.size;
  const line = size === undefined ? quoted : `stty cols ${size.cols} rows ${size.rows}; ${quoted}`;
  const child = spawn(SCRIPT, ['-qec', line, '/dev/null'], { env, stdio: 'pipe' });
  let typed = false;
  return collect(child, (all) => {
    const typing = options.typing;
    if (typing === undefined || typed || !all.includes(typing.ready)) return;
    typed = true;
    child.stdin?.write(typing.text);
  });
}
