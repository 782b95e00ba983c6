/**
 * What the containerd runtime keeps on disk so that a restarted node agent finds its pods:
 * one `sandbox.json` per sandbox directory and one `<container id>.json` beside it per
 * container. containerd knows the containers and tasks, but not ksim's sandboxes (they are
 * namespaces, not containers) nor the times and reasons the runtime reports; CRI's containerd
 * plugin checkpoints the same things for the same reason.
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ContainerConfig,
  ContainerState,
  SandboxConfig,
  SandboxStatus,
} from '../../core/ports/runtime.ts';
import type { PodAttachment } from '../network/pod-network.ts';

export const SANDBOX_FILE = 'sandbox.json';

export interface SavedSandbox {
  readonly id: string;
  readonly config: SandboxConfig;
  readonly createdAtUs: number;
  readonly dir: string;
  state: 'ready' | 'notready';
  attachment: PodAttachment | undefined;
  /** The network as reported; kept after stop, as CRI keeps the last status. */
  readonly network: SandboxStatus['network'];
}

export interface SavedContainer {
  readonly id: string;
  readonly sandboxId: string;
  readonly config: ContainerConfig;
  readonly logPath: string;
  state: ContainerState;
  startedAtUs: number | undefined;
  finishedAtUs: number | undefined;
  exitCode: number | undefined;
  oomKilled: boolean;
  reason: string | undefined;
}

/** Written to a temporary name and renamed, so a crash leaves the old or the new file. */
export function writeJsonAtomically(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value));
  renameSync(`${path}.tmp`, path);
}

export function saveSandbox(s: SavedSandbox): void {
  writeJsonAtomically(join(s.dir, SANDBOX_FILE), s);
}

export function saveContainer(sandboxDir: string, c: SavedContainer): void {
  writeJsonAtomically(join(sandboxDir, `${c.id}.json`), {
    id: c.id,
    sandboxId: c.sandboxId,
    config: c.config,
    logPath: c.logPath,
    state: c.state,
    startedAtUs: c.startedAtUs,
    finishedAtUs: c.finishedAtUs,
    exitCode: c.exitCode,
    oomKilled: c.oomKilled,
    reason: c.reason,
  });
}

export function forgetContainer(sandboxDir: string, id: string): void {
  rmSync(join(sandboxDir, `${id}.json`), { force: true });
}

export interface SavedPod {
  readonly sandbox: SavedSandbox;
  readonly containers: readonly SavedContainer[];
}

/** Every sandbox under `dir` with its containers; unreadable entries are skipped. */
export function loadPods(dir: string): SavedPod[] {
  const pods: SavedPod[] = [];
  for (const entry of safeReaddir(dir)) {
    const sandboxDir = join(dir, entry);
    const sandbox = readJson<SavedSandbox>(join(sandboxDir, SANDBOX_FILE));
    if (sandbox === undefined) continue;
    const containers: SavedContainer[] = [];
    for (const file of safeReaddir(sandboxDir)) {
      if (!file.endsWith('.json') || file === SANDBOX_FILE) continue;
      const c = readJson<SavedContainer>(join(sandboxDir, file));
      if (c !== undefined) containers.push(c);
    }
    pods.push({ sandbox: { ...sandbox, dir: sandboxDir }, containers });
  }
  return pods;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
