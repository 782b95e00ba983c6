/**
 * What the real netfilter and cluster suites need beyond the runtime's packages: iptables
 * (nft backend), conntrack and curl. Skipped, with the reason printed, only where the machine
 * lacks root or a package cannot be installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { realRuntimeUnavailable } from '../runtime/host.ts';

const NEEDED: readonly { readonly path: string; readonly pkg: string }[] = [
  { path: '/usr/sbin/iptables-restore', pkg: 'iptables' },
  { path: '/usr/sbin/iptables-save', pkg: 'iptables' },
  { path: '/usr/sbin/conntrack', pkg: 'conntrack' },
  { path: '/usr/bin/curl', pkg: 'curl' },
];

let cached: string | undefined | null = null;

export function realNetfilterUnavailable(): string | undefined {
  if (cached !== null) return cached;
  cached = realRuntimeUnavailable() ?? check();
  if (cached !== undefined) console.warn(`real netfilter tests skipped: ${cached}`);
  return cached;
}

function check(): string | undefined {
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
