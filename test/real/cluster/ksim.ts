/** Runs commands of a real-cluster test as a user would: `ksim` and kubectl as processes. */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';

const BIN = new URL('../../../sim/cli/bin.mjs', import.meta.url).pathname;
export const KUBECTL = '/usr/bin/kubectl';

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  file: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function ksim(args: readonly string[], timeoutMs = 150_000): Promise<Result> {
  return run(process.execPath, [BIN, ...args], { timeoutMs });
}

/** A port the OS just gave out and took back. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}
