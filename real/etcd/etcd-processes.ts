/**
 * etcd members as OS processes on loopback, for `ksim bench store --real --etcd` and the tests
 * that run the API server on a real etcd: `/usr/bin/etcd` (Debian's etcd-server 3.4), each
 * member with its own data directory under `root`, on ports the caller picked, killed with
 * SIGKILL (a crash) or stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ETCD_BINARY = '/usr/bin/etcd';

/** Why etcd cannot run here, or undefined when it can. */
export function etcdMissing(): string | undefined {
  return existsSync(ETCD_BINARY) ? undefined : `${ETCD_BINARY} is missing (Debian etcd-server)`;
}

/**
 * TLS on the client URLs (etcd's --cert-file, --key-file, and with `trustedCaFile`
 * --client-cert-auth: clients must show a certificate that CA signed). Peers stay plain: they
 * talk over loopback only.
 */
export interface EtcdServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile?: string;
}

export interface EtcdMemberPorts {
  readonly client: number;
  readonly peer: number;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output: string;
}

/** How long a member may take to serve clients after it starts. */
const READY_TIMEOUT_MS = 60_000;

export class EtcdProcesses {
  readonly names: readonly string[];
  private readonly running = new Map<string, Running>();
  private readonly logs: string[] = [];

  /**
   * `progressNotifyMs`: how often etcd tells a watcher with progress_notify its revision (the
   * built-in store does every second; etcd's default is 10 minutes).
   */
  constructor(
    private readonly root: string,
    private readonly ports: readonly EtcdMemberPorts[],
    private readonly progressNotifyMs = 1_000,
    private readonly tls?: EtcdServerTls,
  ) {
    this.names = ports.map((_, i) => `etcd-${i}`);
  }

  /** `host:port` of every member's client URL, for EtcdKv and `--store etcd://`. */
  get endpoints(): string[] {
    return this.ports.map((p) => `127.0.0.1:${p.client}`);
  }

  endpoint(name: string): string {
    return `127.0.0.1:${this.portsOf(name).client}`;
  }

  private portsOf(name: string): EtcdMemberPorts {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`no etcd member ${name} (${this.names.join(', ')})`);
    return this.ports[i]!;
  }

  /** Starts every member (a new cluster) and waits until each serves clients. */
  async startAll(): Promise<void> {
    await Promise.all(this.names.map((n) => this.start(n, 'new')));
  }

  /** Starts member `name` on its data directory; `existing` rejoins after a kill. */
  async start(name: string, state: 'new' | 'existing' = 'existing'): Promise<void> {
    const ports = this.portsOf(name);
    const peerUrl = (p: EtcdMemberPorts): string => `http://127.0.0.1:${p.peer}`;
    const clientUrl = `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${ports.client}`;
    const initialCluster = this.names.map((n, i) => `${n}=${peerUrl(this.ports[i]!)}`).join(',');
    const child = spawn(
      ETCD_BINARY,
      [
        `--name=${name}`,
        `--data-dir=${join(this.root, name)}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl(ports)}`,
        `--initial-advertise-peer-urls=${peerUrl(ports)}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=${state}`,
        '--initial-cluster-token=ksim',
        `--experimental-watch-progress-notify-interval=${this.progressNotifyMs}ms`,
        ...this.tlsFlags(),
        '--logger=zap',
        '--log-outputs=stderr',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const running: Running = {
      child,
      output: '',
      exited: new Promise((resolve) =>
        child.once('exit', (code) => {
          this.logs.push(`--- ${name} (exit ${code}):\n${running.output.slice(-4_000)}`);
          resolve(code);
        }),
      ),
    };
    const collect = (d: Buffer): void => {
      running.output += d.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', (e) => (running.output += `spawn failed: ${e.message}`));
    this.running.set(name, running);
    await this.waitServing(name, running);
  }

  private tlsFlags(): string[] {
    const tls = this.tls;
    if (tls === undefined) return [];
    return [
      `--cert-file=${tls.certFile}`,
      `--key-file=${tls.keyFile}`,
      ...(tls.trustedCaFile === undefined
        ? []
        : [`--trusted-ca-file=${tls.trustedCaFile}`, '--client-cert-auth']),
    ];
  }

  /** Waits until the member says it serves client requests (it has joined a quorum). */
  private waitServing(name: string, running: Running): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`etcd ${name} not serving in time:\n${running.output}`)),
        READY_TIMEOUT_MS,
      );
      const check = (): void => {
        if (
          running.output.includes('serving client') ||
          running.output.includes('ready to serve')
        ) {
          clearTimeout(timer);
          resolve();
        }
      };
      running.child.stdout?.on('data', check);
      running.child.stderr?.on('data', check);
      void running.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`etcd ${name} exited (${code}):\n${running.output}`));
      });
      check();
    });
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child.pid;
  }

  /** SIGKILL: the member dies at once. */
  async kill(name: string): Promise<void> {
    const running = this.running.get(name);
    if (running === undefined) return;
    this.running.delete(name);
    running.child.kill('SIGKILL');
    await running.exited;
  }

  /** Kills every member still running (afterEach, also when the test failed). */
  async killAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((n) => this.kill(n)));
  }

  /** What every member printed (the tails), for failure messages. */
  log(): string {
    return [
      ...this.logs,
      ...[...this.running].map(([n, r]) => `--- ${n} (running):\n${r.output.slice(-4_000)}`),
    ].join('\n');
  }
}
