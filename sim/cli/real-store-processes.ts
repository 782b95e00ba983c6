/**
 * Store members as OS processes, for `ksim bench store --real` and the real-mode tests:
 * `ksim real store` children on free loopback ports, each with its own data directory,
 * stopped with SIGTERM or killed with SIGKILL (a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const BIN = new URL('./bin.mjs', import.meta.url).pathname;

/** A port the OS just gave out and took back: free unless another process grabs it meanwhile. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface MemberProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

export class StoreProcesses {
  readonly names: string[];
  readonly peers: string;
  private readonly running = new Map<string, MemberProcess>();
  /** Output of every process that has ended, for failure messages. */
  private readonly logs: string[] = [];

  constructor(
    private readonly root: string,
    ports: readonly number[],
    private readonly extraArgs: readonly string[] = [],
  ) {
    this.names = ports.map((_, i) => `etcd-${i}`);
    this.peers = ports.map((p, i) => `etcd-${i}=127.0.0.1:${p}`).join(',');
  }

  address(name: string): string {
    const entry = this.peers.split(',').find((e) => e.startsWith(`${name}=`));
    return entry!.slice(name.length + 1);
  }

  /** Starts member `name` on its data directory and waits until it listens. */
  async start(name: string, seed: number): Promise<MemberProcess> {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'real',
        'store',
        '--name',
        name,
        '--data-dir',
        join(this.root, name),
        '--listen',
        this.address(name),
        '--peers',
        this.peers,
        '--seed',
        String(seed),
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        this.logs.push(`--- ${name} (exit ${code}):\n${output}`);
        resolve(code);
      }),
    );
    const member: MemberProcess = { name, child, output: () => output, exited };
    this.running.set(name, member);
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (output.includes(' listening on ')) resolve();
      };
      child.stdout?.on('data', check);
      void exited.then((code) => reject(new Error(`${name} exited (${code}): ${output}`)));
    });
    return member;
  }

  /** SIGKILL: the process dies at once, with whatever it had not made durable. */
  async kill(name: string): Promise<void> {
    const member = this.running.get(name);
    if (member === undefined) return;
    this.running.delete(name);
    member.child.kill('SIGKILL');
    await member.exited;
  }

  /** Kills every member still running (afterEach, also when the test failed). */
  async killAll(): Promise<void> {
    for (const name of [...this.running.keys()]) await this.kill(name);
  }

  /** SIGTERM to every member still running: each closes its files and exits. */
  async stopAll(): Promise<void> {
    const members = [...this.running.values()];
    this.running.clear();
    for (const m of members) m.child.kill('SIGTERM');
    await Promise.all(members.map((m) => m.exited));
  }

  /** What every process printed, the running ones included. */
  log(): string {
    return [
      ...this.logs,
      ...[...this.running.values()].map((m) => `--- ${m.name} (running):\n${m.output()}`),
    ].join('\n');
  }
}
