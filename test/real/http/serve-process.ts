/**
 * `ksim serve` as a child process for the tests with real clients: started on a free loopback
 * port, its kubeconfig in a fresh directory, stopped with SIGTERM. A server that has not said
 * where it serves within START_TIMEOUT_MS is killed (the error carries what it printed), and
 * one still running when the test process exits is killed then, so a test that times out or
 * fails before its `stop()` leaves no server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../../sim/cli/bin.mjs', import.meta.url).pathname;

/** Long enough for a loaded machine (once seen above 60 s at load 37). */
const START_TIMEOUT_MS = 150_000;

export interface ServedCluster {
  readonly url: string;
  readonly kubeconfig: string;
  /** A directory of the test's own: HOME for clients, so their caches start empty. */
  readonly home: string;
  /** Everything the server printed so far. */
  output(): string;
  /** SIGTERM, then the exit code once the process has ended. */
  stop(): Promise<number | null>;
}

export async function serve(
  scenario: string,
  args: readonly string[] = [],
): Promise<ServedCluster> {
  const home = mkdtempSync(join(tmpdir(), 'ksim-serve-test-'));
  const kubeconfig = join(home, 'kubeconfig');
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'serve', scenario, '--port', '0', '--kubeconfig', kubeconfig, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const killAtExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killAtExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killAtExit);
      resolve(code);
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const m = /serving the API at (\S+)/.exec(output);
      if (m !== null && output.includes('export KUBECONFIG=')) resolve(m[1] as string);
    };
    child.stdout?.on('data', check);
    void exited.then((code) => reject(new Error(`ksim serve exited (${code}): ${output}`)));
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ksim serve did not start in ${START_TIMEOUT_MS} ms: ${output}`));
    }, START_TIMEOUT_MS);
  }).finally(() => clearTimeout(timer));
  return {
    url,
    kubeconfig,
    home,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
}
