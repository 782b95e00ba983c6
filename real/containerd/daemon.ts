/**
 * A private containerd: ksim starts its own daemon (no systemd on these machines, and a shared
 * system daemon would mix ksim's objects with others'), with its own root, state directory,
 * sockets and containerd namespace. Everything it makes lives under `dir`, except what the
 * kernel keeps elsewhere: runc's state (/run/containerd/runc/<namespace>) and the cgroups
 * (/sys/fs/cgroup/<controller>/<namespace>), both named by the namespace and removed on stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../os/command.ts';
import { Ctr } from './ctr.ts';

export const CONTAINERD_BINARY = 'containerd';

export interface ContainerdOptions {
  /** Root of everything the daemon writes; created if missing, removed by stop(). */
  readonly dir: string;
  /** The containerd namespace (also names its cgroups); a fresh `ksim-<hex>` by default. */
  readonly namespace?: string;
  /** How long to wait for the socket to answer. */
  readonly startTimeoutMs?: number;
}

export interface Containerd {
  readonly dir: string;
  readonly address: string;
  readonly namespace: string;
  readonly ctr: Ctr;
  /** The daemon's process id (its shims are its children only until it dies). */
  readonly pid: number;
  /** Kills every task, removes every container and image, stops the daemon, removes its files. */
  stop(): Promise<void>;
}

/** Plugins a node does not use: CRI (ksim's kubelet is the CRI client) and exotic snapshotters. */
const DISABLED_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.internal.v1.opt',
  'io.containerd.tracing.processor.v1.otlp',
];

const POLL_MS = 50;
const STOP_TIMEOUT_MS = 10_000;

export function containerdConfig(dir: string): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    'version = 2',
    `root = ${q(join(dir, 'root'))}`,
    `state = ${q(join(dir, 'state'))}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map(q).join(', ')}]`,
    '[grpc]',
    `  address = ${q(join(dir, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${q(join(dir, 'containerd.sock.ttrpc'))}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '',
  ].join('\n');
}

export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  const dir = options.dir;
  const namespace = options.namespace ?? `ksim-${randomBytes(4).toString('hex')}`;
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, containerdConfig(dir));
  const logPath = join(dir, 'containerd.log');
  const log = openSync(logPath, 'a');
  const child = spawn(CONTAINERD_BINARY, ['--config', configPath], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const address = join(dir, 'containerd.sock');
  const ctr = new Ctr(address, namespace);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  child.once('exit', () => (running = false));
  child.once('error', () => (running = false));
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (!running) throw new Error(`containerd exited at start: ${logTail(logPath)}`);
    if (existsSync(address) && (await ctr.run(['version'], { timeoutMs: 2_000 })).code === 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`containerd did not answer within the start timeout: ${logTail(logPath)}`);
    }
    await sleepMs(POLL_MS);
  }
  return {
    dir,
    address,
    namespace,
    ctr,
    pid: child.pid!,
    stop: () => stopContainerd(child, exited, ctr, dir, namespace),
  };
}

async function stopContainerd(
  child: ChildProcess,
  exited: Promise<void>,
  ctr: Ctr,
  dir: string,
  namespace: string,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    await removeEverything(ctr);
    child.kill('SIGTERM');
    const stopped = await Promise.race([
      exited.then(() => true),
      sleepMs(STOP_TIMEOUT_MS).then(() => false),
    ]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  }
  removeNamespaceState(namespace);
  await unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Unmounts whatever is mounted under `dir` (a container's rootfs a task left mounted when it
 * was being made or removed as the daemon stopped), deepest first and lazily, so the
 * directory can be removed.
 */
export async function unmountUnder(dir: string): Promise<void> {
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = lines(table)
    .map((l) =>
      (l.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) =>
        String.fromCharCode(parseInt(o, 8)),
      ),
    )
    .filter((p) => p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await runCommand('umount', ['-l', point]);
}

/**
 * What a namespace leaves outside the daemon's directory: runc's state and the cgroups. For a
 * daemon that died without stop(): its containers' processes are killed through their cgroups.
 */
export function removeNamespaceState(namespace: string): void {
  rmSync(join('/run/containerd/runc', namespace), { recursive: true, force: true });
  removeCgroups(namespace);
}

/** Shims outlive their daemon: every task is killed and deleted before containerd stops. */
async function removeEverything(ctr: Ctr): Promise<void> {
  const tasks = await ctr.run(['tasks', 'ls', '-q']);
  for (const id of lines(tasks.stdout)) {
    await ctr.run(['tasks', 'kill', '--signal', 'SIGKILL', id]);
    await ctr.run(['tasks', 'delete', '--force', id]);
  }
  const containers = await ctr.run(['containers', 'ls', '-q']);
  for (const id of lines(containers.stdout)) await ctr.run(['containers', 'delete', id]);
}

/** runc's cgroupfs manager makes /<namespace>/<id> in every hierarchy (v1) or once (v2). */
function removeCgroups(namespace: string): void {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return;
  const candidates = [join(root, namespace)];
  for (const controller of readdirSync(root)) candidates.push(join(root, controller, namespace));
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    for (const child of readdirSync(path, { withFileTypes: true })) {
      if (child.isDirectory()) killCgroup(join(path, child.name));
    }
    // Children first: a cgroup directory is removed with rmdir, never recursively.
    for (const child of readdirSync(path, { withFileTypes: true })) {
      if (child.isDirectory()) tryRmdir(join(path, child.name));
    }
    tryRmdir(path);
  }
}

/** SIGKILLs every process left in a cgroup (a container whose shim is gone). */
function killCgroup(path: string): void {
  let pids: string;
  try {
    pids = readFileSync(join(path, 'cgroup.procs'), 'utf8');
  } catch {
    return;
  }
  for (const pid of lines(pids)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function tryRmdir(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Busy (a process still in it) or gone: nothing more a tear-down can do.
  }
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
