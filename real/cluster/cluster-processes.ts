/**
 * A real cluster's OS processes as `ksim real up` leaves them: detached, one per process of
 * the control plane's plan and one per node, their pids in D/run. A pid counts as ours only while its command line still names
 * `real process` and the cluster's directory (a pid the OS reused for something else, or a
 * zombie, is not alive).
 */
import { readdirSync, readFileSync } from 'node:fs';

export function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function commandLine(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text === '' ? undefined : text.split('\0');
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live process of the cluster in `dir` (after nsenter's exec): a
 * `ksim real process --dir <dir>`, or one of its nodes, `ksim real node --dir <dir>/nodes/NAME`.
 */
export function isClusterProcess(pid: number | undefined, dir: string): boolean {
  if (pid === undefined) return false;
  const argv = commandLine(pid);
  if (argv === undefined) return false;
  const at = argv.indexOf('--dir');
  const given = at >= 0 ? argv[at + 1] : undefined;
  if (argv.includes('process')) return given === dir;
  return argv.includes('node') && given?.startsWith(`${dir}/nodes/`) === true;
}

/** Processes whose command line has `flag value` next to each other (containerd's shims). */
export function processesWith(flag: string, value: string): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = commandLine(Number(entry));
    const at = argv?.indexOf(flag) ?? -1;
    if (argv !== undefined && at >= 0 && argv[at + 1] === value) out.push(Number(entry));
  }
  return out;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}
