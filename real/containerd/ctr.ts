/**
 * containerd's `ctr` client bound to one daemon's socket and namespace. Real mode drives
 * containerd through ctr rather than its gRPC API: a container create measured 25 ms and a task
 * start 75 ms here (see the README's real-mode figures), far below what a kubelet's sync loop
 * needs, and ctr carries no hand-copied .proto files. Every call names the namespace, so a ksim
 * containerd never sees another's objects.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { runCommand, type CommandOptions, type CommandResult } from '../os/command.ts';

export const CTR_BINARY = 'ctr';

export class Ctr {
  constructor(
    readonly address: string,
    readonly namespace: string,
  ) {}

  private globalArgs(): string[] {
    return ['--address', this.address, '--namespace', this.namespace];
  }

  run(args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
    return runCommand(CTR_BINARY, [...this.globalArgs(), ...args], options);
  }

  /** A long-running ctr (`events`): the caller reads its output and kills it. */
  spawn(args: readonly string[]): ChildProcessWithoutNullStreams {
    return spawn(CTR_BINARY, [...this.globalArgs(), ...args], { stdio: 'pipe' });
  }

  /** The whole command line of `ctr args` (to run under another program, `script`). */
  argv(args: readonly string[]): string[] {
    return [CTR_BINARY, ...this.globalArgs(), ...args];
  }
}

/** ctr's own failures print `ctr: <message>` on stderr; the message without the prefix. */
export function ctrError(result: CommandResult): string {
  const text = result.stderr.trim();
  return text.startsWith('ctr: ') ? text.slice('ctr: '.length) : text;
}

export function isNotFound(result: CommandResult): boolean {
  return result.code !== 0 && /not found/.test(result.stderr);
}
