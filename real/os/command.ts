/**
 * Runs a host command (ctr, ip, iptables ...) and returns how it ended. A non-zero exit is an
 * answer, not an exception: callers turn it into the port's returned failure.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** The exit code; -1 when the command was killed (timeout) or could not start. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface CommandOptions {
  /** Kill the command (SIGKILL) after this long; 0 waits for ever. */
  readonly timeoutMs?: number;
  readonly input?: string;
}

const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export function runCommand(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        timeout: options.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ code: 0, stdout, stderr, timedOut: false });
          return;
        }
        const code = typeof error.code === 'number' ? error.code : -1;
        const timedOut = error.killed === true && error.signal === 'SIGKILL';
        const why = typeof error.code === 'string' ? `${file}: ${error.code}\n` : '';
        resolve({ code, stdout, stderr: why + stderr, timedOut });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a command that must succeed (set-up and tear-down steps); throws with its stderr. */
export async function mustRun(
  file: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<string> {
  const r = await runCommand(file, args, options);
  if (r.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}
