/**
 * `kubectl exec -i` / `-t` on containerd: `ctr tasks exec` with its stdio on pipes, which ctr
 * copies to and from the exec's FIFOs; the end of the client's stdin closes ctr's stdin, which
 * closes the process's. With a terminal ctr needs a terminal of its own to give the process a
 * pty (`--tty` reads its console from its stdin), so it runs under util-linux `script`, which
 * holds a pty for it and copies our pipes to and from that pty. The client's first size is set
 * on that pty before ctr starts (afterFirstSize: ctr resizes the container's pty to it as it
 * starts the process); each later size is set on it with `stty -F`, whose SIGWINCH makes ctr
 * resize the container's pty, as it does for a user's terminal.
 *
 * A program that cannot start makes ctr print `ctr: ...` and fail: that first output is held
 * back and, when ctr then exits non-zero, reported as the exec's ExecError, as `exec` does.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import type { ExecSession, ExecStreams, RuntimeResult } from '../../core/ports/runtime.ts';
import type { Ctr } from '../containerd/ctr.ts';
import { runCommand } from '../os/command.ts';

/** Killed (the client went away): 128 + SIGKILL. */
const EXIT_KILLED = 137;
/** How long a terminal session waits for the client's first size before it starts without. */
const FIRST_SIZE_WAIT_MS = 5_000;
/** How long a resize waits for ctr to have started under `script`. */
const RESIZE_RETRY_MS = 100;
const RESIZE_TRIES = 50;

/** A word quoted for `sh -c` (script runs its command through the shell). */
export const shellQuote = (w: string): string => `'${w.replace(/'/g, `'\\''`)}'`;

export function startCtrExec(
  ctr: Ctr,
  containerId: string,
  command: readonly string[],
  streams: ExecStreams,
  timeoutUs: number,
  fifoDir: string,
): ExecSession {
  const launch = (size?: TerminalSize): ExecSession =>
    launchCtrExec(ctr, containerId, command, streams, timeoutUs, fifoDir, size);
  return streams.tty ? afterFirstSize(launch) : launch();
}

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/**
 * A terminal session started once the client's first size is known (kubectl sends it as the
 * stream opens), or after FIRST_SIZE_WAIT_MS without one; what the client sent before goes to
 * it then, in order. ctr reads its terminal's size once as it starts the process and resizes
 * the container's pty to it, in a goroutine of its own, and only then listens for SIGWINCH: a
 * size set on ctr's terminal while it starts is either lost (before it listens) or overtaken
 * by that first resize with the size it read before (0x0), so the pty can stay unsized. That
 * is why `stty size` once printed nothing for ten seconds in CI. Started on a terminal that
 * already has the size, ctr's own first resize is the right one.
 */
export function afterFirstSize(launch: (size?: TerminalSize) => ExecSession): ExecSession {
  let inner: ExecSession | undefined;
  let killed = false;
  const queued: ((s: ExecSession) => void)[] = [];
  let finish: (r: RuntimeResult<number>) => void = () => {};
  const done = new Promise<RuntimeResult<number>>((resolve) => (finish = resolve));
  const start = (size?: TerminalSize): void => {
    if (inner !== undefined || killed) return;
    clearTimeout(timer);
    const session = launch(size);
    inner = session;
    void session.done.then(finish);
    for (const call of queued.splice(0)) call(session);
  };
  const timer = setTimeout(() => start(), FIRST_SIZE_WAIT_MS);
  const call = (f: (s: ExecSession) => void): void => {
    if (inner !== undefined) f(inner);
    else if (!killed) queued.push(f);
  };
  return {
    write: (data) => call((s) => s.write(data)),
    closeStdin: () => call((s) => s.closeStdin()),
    resize: (width, height) => {
      if (inner === undefined) start({ width, height });
      else inner.resize(width, height);
    },
    kill: () => {
      if (inner !== undefined) return inner.kill();
      killed = true;
      clearTimeout(timer);
      finish({ ok: true, value: EXIT_KILLED });
    },
    done,
  };
}

function launchCtrExec(
  ctr: Ctr,
  containerId: string,
  command: readonly string[],
  streams: ExecStreams,
  timeoutUs: number,
  fifoDir: string,
  size: TerminalSize | undefined,
): ExecSession {
  const execId = `exec-${randomBytes(6).toString('hex')}`;
  const args = [
    'tasks',
    'exec',
    '--fifo-dir',
    fifoDir,
    '--exec-id',
    execId,
    ...(streams.tty ? ['--tty'] : []),
    containerId,
    ...command,
  ];
  const ctrLine = `exec ${ctr.argv(args).map(shellQuote).join(' ')}`;
  // The terminal `script` makes for ctr gets the size before ctr starts (afterFirstSize).
  const line =
    size === undefined ? ctrLine : `stty cols ${size.width} rows ${size.height}; ${ctrLine}`;
  const child: ChildProcessWithoutNullStreams = streams.tty
    ? spawn('script', ['-qfec', line, '/dev/null'], { stdio: 'pipe' })
    : spawn(ctr.argv(args)[0]!, ctr.argv(args).slice(1), { stdio: 'pipe' });
  if (!streams.stdin && !streams.tty) child.stdin.end();
  let finish: (r: RuntimeResult<number>) => void = () => {};
  const done = new Promise<RuntimeResult<number>>((resolve) => (finish = resolve));
  let ended = false;
  const end = (r: RuntimeResult<number>): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    finish(r);
  };
  const killExec = (): void => {
    void ctr.run(['tasks', 'kill', '--exec-id', execId, '--signal', 'SIGKILL', containerId]);
    child.kill('SIGKILL');
  };
  const timer = setTimeout(
    () => {
      killExec();
      end({
        ok: false,
        reason: 'DeadlineExceeded',
        message: `command "${command.join(' ')}" timed out`,
      });
    },
    Math.max(1, Math.ceil(timeoutUs / 1000)),
  );

  // ctr's own failure comes first, as `ctr: ...`: held until ctr's exit says what it was.
  let held: { stream: 'stdout' | 'stderr'; text: string } | undefined;
  let first = true;
  const output = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = streams.tty ? withoutCtrNoise(chunk.toString('utf8')) : chunk.toString('utf8');
    if (text === '') return;
    if (first) {
      first = false;
      if (text.startsWith('ctr: ')) {
        held = { stream, text };
        return;
      }
    }
    if (held !== undefined) {
      streams.onOutput(held.stream, held.text);
      held = undefined;
    }
    streams.onOutput(stream, text);
  };
  child.stdout.on('data', output('stdout'));
  child.stderr.on('data', output('stderr'));
  child.stdin.on('error', () => undefined);
  child.on('error', (e) => end({ ok: false, reason: 'ExecError', message: e.message }));
  child.on('close', (code, signal) => {
    if (held !== undefined && code !== 0) {
      return end({ ok: false, reason: 'ExecError', message: held.text.trim().slice(5) });
    }
    if (held !== undefined) streams.onOutput(held.stream, held.text);
    end({ ok: true, value: code ?? (signal === null ? 1 : EXIT_KILLED) });
  });

  const resize = (width: number, height: number, tries = RESIZE_TRIES): void => {
    if (!streams.tty || ended || child.pid === undefined) return;
    const pty = ctrTerminal(child.pid);
    if (pty === undefined) {
      if (tries > 0) setTimeout(() => resize(width, height, tries - 1), RESIZE_RETRY_MS);
      return;
    }
    void runCommand('stty', ['-F', pty, 'cols', String(width), 'rows', String(height)]);
  };

  return {
    write: (data) => {
      if (!ended && streams.stdin && child.stdin.writable) child.stdin.write(data);
    },
    closeStdin: () => {
      if (ended) return;
      // A terminal's end of input is ^D (script passes it on to the pty); a pipe's is EOF.
      if (streams.tty && child.stdin.writable) child.stdin.write('\u0004');
      else child.stdin.end();
    },
    resize: (width, height) => resize(width, height),
    kill: () => {
      if (ended) return;
      killExec();
      end({ ok: true, value: EXIT_KILLED });
    },
    done,
  };
}

/**
 * ctr's own log line when a resize reaches it after the command ended ("resize pty ... cannot
 * resize a stopped container"): it shares the pty with the command's output, but it is not
 * the command's, so the client does not see it.
 */
const RESIZE_NOISE = /(?:\x1b\[\d+m)?ERRO(?:\x1b\[0m)?\[\d+\] resize pty[^\n]*\n/g;

export function withoutCtrNoise(text: string): string {
  return text.replace(RESIZE_NOISE, '');
}

/** The pty `script` gave ctr (its child's stdin), once ctr runs. */
export function ctrTerminal(scriptPid: number): string | undefined {
  try {
    const children = readFileSync(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '');
    const ctrPid = children[0];
    if (ctrPid === undefined) return undefined;
    const tty = readlinkSync(`/proc/${ctrPid}/fd/0`);
    return tty.startsWith('/dev/pts/') ? tty : undefined;
  } catch {
    return undefined;
  }
}
