/**
 * What a real-mode command needs of its host before it makes anything: Linux, root, and the
 * commands it runs. Each refusal names what is missing and the Debian packages that bring it.
 */
import { existsSync } from 'node:fs';
import { CliError } from './errors.ts';

export interface HostNeeds {
  /** The command as a user typed it, e.g. `ksim real node`. */
  readonly command: string;
  /** Why it needs root, e.g. `containerd, network namespaces, iptables`. */
  readonly rootFor: string;
  /** Commands it looks for on PATH. */
  readonly binaries: readonly string[];
  /** The Debian packages that hold them, for the error's `apt-get install` line. */
  readonly debianPackages: readonly string[];
}

export function checkRealHost(needs: HostNeeds): void {
  if (process.platform !== 'linux') throw new CliError(`${needs.command} runs on Linux`);
  if (process.getuid?.() !== 0)
    throw new CliError(`${needs.command} needs root (${needs.rootFor})`);
  const path = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  const missing = needs.binaries.filter((b) => !path.some((d) => existsSync(`${d}/${b}`)));
  if (missing.length > 0)
    throw new CliError(
      `missing commands: ${missing.join(', ')} (Debian: apt-get install ${needs.debianPackages.join(' ')})`,
    );
}
