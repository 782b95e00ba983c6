/**
 * The stdio of a container that has stdin or a terminal (`stdin: true`, `tty: true`), held by
 * the runtime for as long as the container runs, as containerd's CRI plugin holds a container's
 * IO (pkg/cri/io/container_io.go): what the main process writes goes to its CRI log file and to
 * every attached client; what an attached client sends goes to its stdin.
 *
 * The binary log driver the other containers use cannot carry stdin (the shim gives a binary
 * logger the process's stdout and stderr only), so such a task is started by a `ctr tasks start`
 * that stays (no --detach): ctr makes the task's FIFOs and copies them to and from its own
 * stdio, which are pipes of the runtime; with a terminal ctr needs a terminal of its own and runs
 * under util-linux `script`, as an exec does (exec-session.ts), and a new size set on that
 * terminal makes ctr resize the container's. When ctr's stdin ends, ctr closes the task's stdin
 * (its CloseIO): that is how `stdinOnce` closes it after the first attached client.
 *
 * Attach sessions end as upstream ends them: when the client goes away; when its stdin ends
 * (then, with stdinOnce and no terminal, the container's stdin closes for good and the session
 * stays until the container exits, as containerd keeps stdout open); or when the container has
 * exited and ctr has copied its last output.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { AttachSession, ExecStreams, RuntimeResult } from '../../core/ports/runtime.ts';
import type { Ctr } from '../containerd/ctr.ts';
import { runCommand } from '../os/command.ts';
import { ctrTerminal, shellQuote, withoutCtrNoise } from './exec-session.ts';

type Stream = 'stdout' | 'stderr';

/** containerd's CRI plugin splits longer lines into partial (P) entries of this size. */
const MAX_LOG_LINE_BYTES = 16 * 1024;

export interface HeldStdioConfig {
  readonly stdin: boolean;
  readonly stdinOnce: boolean;
  readonly tty: boolean;
}

/** How the start went: running, or ctr failed before the task ran (its message). */
export type HeldStart = { readonly ok: true } | { readonly ok: false; readonly message: string };

interface Session {
  readonly streams: ExecStreams;
  /** Its stdin ended (or it sent none): what it writes no longer counts. */
  stdinDone: boolean;
  finish(): void;
}

export class HeldStdio {
  private readonly sessions = new Set<Session>();
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly partial: Record<Stream, string> = { stdout: '', stderr: '' };
  /** Output before the start was confirmed: held back in case it is ctr's own failure. */
  private early: { stream: Stream; text: string }[] | undefined = [];
  private stdinClosed = false;
  private ended = false;
  /** Why ctr (or `script`) could not be run at all. */
  private spawnError: string | undefined;
  /** Resolves once ctr has exited and every piece of output went to the log and the clients. */
  readonly closed: Promise<void>;

  constructor(
    ctr: Ctr,
    private readonly containerId: string,
    private readonly config: HeldStdioConfig,
    private readonly logPath: string,
  ) {
    const argv = ctr.argv(['tasks', 'start', containerId]);
    // With a terminal: `script` gives ctr one (ctr takes the container's tty from its spec).
    this.child = config.tty
      ? spawn('script', ['-qfec', `exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'], {
          stdio: 'pipe',
        })
      : spawn(argv[0]!, argv.slice(1), { stdio: 'pipe' });
    this.child.stdin.on('error', () => undefined);
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const read = (stream: Stream) => (chunk: Buffer) =>
      this.output(stream, decoders[stream].write(chunk));
    this.child.stdout.on('data', read('stdout'));
    this.child.stderr.on('data', read('stderr'));
    this.closed = new Promise((resolve) => {
      this.child.on('close', () => {
        for (const s of ['stdout', 'stderr'] as const) this.output(s, decoders[s].end());
        this.ended = true;
        // Output held back waits for started() to say whose it is.
        if (this.early === undefined) this.finishOutput();
        resolve();
      });
      this.child.on('error', (e) => {
        this.spawnError = e.message;
        this.ended = true;
        resolve();
      });
    });
  }

  /**
   * Waits for the task to run (`started`, containerd's task start event) or ctr to end first:
   * ending with `ctr: ...` before the task ran is a failed start, anything else ran.
   */
  async started(started: Promise<void>, timeoutMs: number): Promise<HeldStart> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([
      started.then(() => 'started' as const),
      this.closed.then(() => 'closed' as const),
      timedOut,
    ]);
    clearTimeout(timer);
    if (first === 'timeout') {
      this.child.kill('SIGKILL');
      return { ok: false, message: `ctr did not start task ${this.containerId} in time` };
    }
    if (this.spawnError !== undefined) return { ok: false, message: this.spawnError };
    if (first === 'closed' && this.child.exitCode !== 0) {
      const text = (this.early ?? []).map((e) => e.text).join('');
      if (text.startsWith('ctr: ')) {
        this.early = undefined;
        return { ok: false, message: text.trim().slice('ctr: '.length) };
      }
    }
    const early = this.early ?? [];
    this.early = undefined;
    // The start is good: what was held back is the container's output.
    for (const e of early) this.output(e.stream, e.text);
    if (this.ended) this.finishOutput();
    return { ok: true };
  }

  /** ctr has ended: the last line goes to the log, and every session ends. */
  private finishOutput(): void {
    for (const s of ['stdout', 'stderr'] as const) this.flushPartial(s);
    for (const session of [...this.sessions]) session.finish();
  }

  /** Output of the main process: to the log and to every attached client. */
  private output(stream: Stream, raw: string): void {
    const text = this.config.tty ? withoutCtrNoise(raw) : raw;
    if (text === '') return;
    if (this.early !== undefined) {
      this.early.push({ stream, text });
      return;
    }
    this.log(stream, text);
    for (const s of this.sessions) s.streams.onOutput(stream, text);
  }

  /**
   * Whole lines to the CRI log file, as containerd's CRI plugin writes them: one entry per line
   * without its newline (nor the terminal's CRs before it), a line longer than 16 KiB in partial
   * pieces.
   */
  private log(stream: Stream, text: string): void {
    let pending = this.partial[stream] + text;
    let entries = '';
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      entries += logEntry(stream, 'F', pending.slice(0, nl).replace(/\r+$/, ''));
      pending = pending.slice(nl + 1);
    }
    while (Buffer.byteLength(pending) > MAX_LOG_LINE_BYTES) {
      const piece = pending.slice(0, MAX_LOG_LINE_BYTES);
      entries += logEntry(stream, 'P', piece);
      pending = pending.slice(piece.length);
    }
    this.partial[stream] = pending;
    if (entries !== '') appendFileSync(this.logPath, entries);
  }

  /** At the end: a last line without its newline is a line too. */
  private flushPartial(stream: Stream): void {
    const rest = this.partial[stream];
    this.partial[stream] = '';
    if (rest !== '') appendFileSync(this.logPath, logEntry(stream, 'F', rest.replace(/\r+$/, '')));
  }

  /** A client attaches: output from now on, and its stdin when the container has one. */
  attach(streams: ExecStreams): AttachSession {
    let finish: (r: RuntimeResult<void>) => void = () => {};
    const done = new Promise<RuntimeResult<void>>((resolve) => (finish = resolve));
    const withStdin = streams.stdin && this.config.stdin;
    const session: Session = {
      streams,
      stdinDone: !withStdin,
      finish: () => {
        this.sessions.delete(session);
        finish({ ok: true, value: undefined });
      },
    };
    if (this.ended) session.finish();
    else this.sessions.add(session);
    return {
      write: (data) => {
        if (!session.stdinDone && !this.stdinClosed && !this.ended) this.child.stdin.write(data);
      },
      closeStdin: () => this.stdinEnded(session),
      resize: (width, height) => this.resize(width, height),
      detach: () => {
        // The client's streams close with it, its stdin too (upstream's stream server).
        this.stdinEnded(session);
        session.finish();
      },
      done,
    };
  }

  /**
   * A client's stdin ended. With stdinOnce and no terminal the container's stdin closes (ctr's
   * stdin ends: ctr closes the task's) and the session waits for the container's end; otherwise
   * the session ends and the container's stdin stays open (containerd keeps a terminal's).
   */
  private stdinEnded(session: Session): void {
    if (session.stdinDone) return;
    session.stdinDone = true;
    if (this.config.stdinOnce && !this.config.tty) {
      this.stdinClosed = true;
      this.child.stdin.end();
      return;
    }
    session.finish();
  }

  /** The container's terminal takes the size: set on ctr's, whose SIGWINCH makes ctr pass it on. */
  private resize(width: number, height: number): void {
    if (!this.config.tty || this.ended || this.child.pid === undefined) return;
    const pty = ctrTerminal(this.child.pid);
    if (pty !== undefined) {
      void runCommand('stty', ['-F', pty, 'cols', String(width), 'rows', String(height)]);
    }
  }

  /** Waits up to `ms` for ctr to end (it deletes the task as it does), then makes it. */
  async closedWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.closed, late]);
    clearTimeout(timer);
    if (!this.ended) this.child.kill('SIGKILL');
  }
}

function logEntry(stream: Stream, tag: 'P' | 'F', text: string): string {
  return `${new Date().toISOString()} ${stream} ${tag} ${text}\n`;
}
