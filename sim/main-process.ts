/**
 * A simulated container's main process as `kubectl attach` sees it: its stdio. The runtime keeps
 * one per running container, as containerd's CRI plugin keeps a container's IO
 * (pkg/cri/io/container_io.go): what the process writes goes to its log and to every attached
 * client; what an attached client sends goes to the process's stdin when the container has one
 * (`stdin: true`).
 *
 * What the process does with stdin is the exec model's (exec-session.ts): a main process that
 * is `cat` or an interactive shell (`sh` without `-c`) reads it — cat writes it back, the shell
 * runs each line — behind the container's terminal when it has one (`tty: true`: echo, CR LF,
 * ^C ends it with 130, ^D at a line's start is the end of input). Without stdin or a terminal
 * its stdin is empty, so cat and a shell end at once with 0, as they do on /dev/null; with a
 * terminal but no stdin they wait for input that never comes. Any other program ignores stdin.
 *
 * Attach sessions end as containerd ends them: when the client goes away; when its stdin ends
 * (then, with `stdinOnce` and no terminal, the container's stdin is closed for good and the
 * session stays until the container exits, as upstream keeps stdout open); or when the
 * container exits. What the log model writes over time (container-log.ts) reaches an attached
 * client every LOG_FOLLOW_POLL_US, the period a log follow reads at.
 */
import { LOG_FOLLOW_POLL_US } from '../core/kubelet/container-logs.ts';
import type { Clock, TimerId } from '../core/ports/clock.ts';
import type {
  AttachSession,
  ContainerConfig,
  ExecStreams,
  RuntimeResult,
} from '../core/ports/runtime.ts';
import type { ContainerLog } from './container-log.ts';
import type { ExecWorld } from './exec-commands.ts';
import { programOf, startReader, terminalOutput, type Reader } from './exec-session.ts';

type Stream = 'stdout' | 'stderr';

interface Attached {
  readonly streams: ExecStreams;
  /** Where the next poll of the log model reads from. */
  cursor: number;
  timer: TimerId | undefined;
  /** Its stdin ended (or it never sent any): what it writes no longer counts. */
  stdinDone: boolean;
  finish(r: RuntimeResult<void>): void;
}

export class MainProcess {
  private readonly sessions = new Set<Attached>();
  private readonly reader: Reader | undefined;
  private readonly out: (stream: Stream, text: string) => void;
  private stdinClosed = false;
  private exited = false;

  constructor(
    private readonly clock: Clock,
    private readonly config: ContainerConfig,
    /** What its shell's commands see (its `tty` the container's). */
    world: ExecWorld,
    private readonly log: ContainerLog,
    /** The process ended with this code: the container exits. */
    exit: (code: number) => void,
  ) {
    const tty = config.tty === true;
    this.out = terminalOutput(tty, (stream, text) => this.emit(stream, text));
    const program = programOf([...(config.command ?? []), ...(config.args ?? [])]);
    if (program.kind === 'once') return;
    if (config.stdin !== true && !tty) {
      // An empty stdin: cat and the shell read its end at once.
      clock.setTimer(0, () => exit(0));
      return;
    }
    this.reader = startReader(clock, world, program, tty, {
      out: this.out,
      exit: (code) => {
        if (!this.exited) exit(code);
      },
      ended: () => this.exited,
      running: () => !this.exited,
    });
  }

  /** A client attaches (the container runs). */
  attach(streams: ExecStreams): AttachSession {
    let finish: (r: RuntimeResult<void>) => void = () => {};
    const done = new Promise<RuntimeResult<void>>((resolve) => (finish = resolve));
    const withStdin = streams.stdin && this.config.stdin === true;
    const session: Attached = {
      streams,
      cursor: this.log.end(this.clock.now()),
      timer: undefined,
      stdinDone: !withStdin,
      finish: (r) => {
        if (!this.sessions.delete(session)) return;
        if (session.timer !== undefined) this.clock.cancelTimer(session.timer);
        finish(r);
      },
    };
    this.sessions.add(session);
    this.poll(session);
    return {
      write: (data) => {
        if (!session.stdinDone && !this.stdinClosed) this.reader?.input(data);
      },
      closeStdin: () => this.stdinEnded(session),
      // A simulated program draws nothing, so a new size changes no output.
      resize: () => {},
      detach: () => {
        // The client's streams close with it, its stdin too (upstream's stream server).
        this.stdinEnded(session);
        session.finish({ ok: true, value: undefined });
      },
      done,
    };
  }

  /**
   * The container exited: every attached session gets what the log model wrote up to now, then
   * ends (its output streams close).
   */
  exit(): void {
    this.exited = true;
    for (const s of [...this.sessions]) {
      this.deliver(s);
      s.finish({ ok: true, value: undefined });
    }
  }

  /**
   * An attached client's stdin ended. With stdinOnce (and no terminal: containerd keeps a
   * terminal's stdin open) the container's stdin closes and the session waits for the
   * container's end; otherwise the session ends and the container's stdin stays open.
   */
  private stdinEnded(session: Attached): void {
    if (session.stdinDone) return;
    session.stdinDone = true;
    if (this.config.stdinOnce === true && this.config.tty !== true) {
      this.stdinClosed = true;
      this.reader?.endInput();
      return;
    }
    session.finish({ ok: true, value: undefined });
  }

  /** Output of the process: to its log and to every attached client. */
  private emit(stream: Stream, text: string): void {
    this.log.write(this.clock.now(), stream, text);
    for (const s of this.sessions) s.streams.onOutput(stream, text);
  }

  /** Hands the session what the log model wrote since its last look, then looks again later. */
  private poll(session: Attached): void {
    this.deliver(session);
    session.timer = this.clock.setTimer(LOG_FOLLOW_POLL_US, () => this.poll(session));
  }

  private deliver(session: Attached): void {
    const read = this.log.readModelled(session.cursor, this.clock.now());
    session.cursor = read.cursor;
    const send = terminalOutput(this.config.tty === true, (stream, text) =>
      session.streams.onOutput(stream, text),
    );
    for (const line of read.lines) send(line.stream, `${line.text}\n`);
  }
}
