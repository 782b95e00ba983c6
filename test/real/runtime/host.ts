/**
 * What the real-runtime suites need from the machine: root, and Debian's containerd, runc,
 * busybox-static and iproute2. Missing packages are installed once with apt-get (as .ci/run
 * does); the suite is skipped, with the reason printed, only when that is impossible.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDED: readonly { readonly path: string; readonly pkg: string }[] = [
  { path: '/usr/bin/containerd', pkg: 'containerd' },
  { path: '/usr/bin/ctr', pkg: 'containerd' },
  { path: '/usr/sbin/runc', pkg: 'runc' },
  { path: '/bin/busybox', pkg: 'busybox-static' },
  { path: '/usr/sbin/ip', pkg: 'iproute2' },
];

let cached: string | undefined | null = null;

/** Why the real runtime cannot run here, or undefined when it can. */
export function realRuntimeUnavailable(): string | undefined {
  if (cached !== null) return cached;
  cached = check();
  if (cached !== undefined) console.warn(`real runtime tests skipped: ${cached}`);
  return cached;
}

function check(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root';
  const missing = [...new Set(NEEDED.filter((n) => !existsSync(n.path)).map((n) => n.pkg))];
  if (missing.length === 0) return undefined;
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', ...missing], { stdio: 'ignore', env });
  } catch (e) {
    return `cannot install ${missing.join(', ')}: ${e instanceof Error ? e.message : String(e)}`;
  }
  const still = NEEDED.filter((n) => !existsSync(n.path)).map((n) => n.path);
  return still.length === 0 ? undefined : `still missing after apt-get: ${still.join(', ')}`;
}
