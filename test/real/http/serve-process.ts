/**
 * `ksim serve` as a child process for the tests with real clients: started on a free loopback
 * port, its kubeconfig in a fresh directory, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../../sim/cli/bin.mjs', import.meta.url).pathname;

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
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const m = /serving the API at (\S+)/.exec(output);
      if (m !== null && output.includes('export KUBECONFIG=')) resolve(m[1] as string);
    };
    child.stdout?.on('data', check);
    void exited.then((code) => reject(new Error(`ksim serve exited (${code}): ${output}`)));
  });
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
