/**
 * `kubectl exec -i` / `-t` in a simulated container: a session with stdin, output as it comes,
 * and a terminal when asked for. A simulated container has no programs, so the session models
 * the two kinds of command that read stdin, honestly, and runs every other command as a plain
 * exec does (exec-commands.ts), its output at its end:
 *
 * - `cat` without operands copies stdin to stdout until stdin ends (exit 0).
 * - A shell without `-c` (`sh`, `sh -i`, `sh -s`; also bash, ash, dash) reads stdin a line at a
 *   time and runs each line as `sh -c` would (exec-commands.ts' statements, `exit N` ends it),
 *   printing busybox ash's prompt `/ # ` before each line when it has a terminal; at the end of
 *   stdin it exits with the last status.
 *
 * With a terminal the session is the terminal's line discipline too, as the kernel's pty is:
 * what is typed is echoed, a typed CR is read as a newline (ICRNL), output newlines become CR LF
 * (ONLCR), ^D on an empty line ends stdin and ^C interrupts the command (exit 130). Without stdin
 * (`-t` alone) stdin is empty: `cat` and a shell end at once. Everything happens at the virtual
 * time the input arrives; a session still running after its timeout fails DeadlineExceeded.
 */
import type { Clock, TimerId } from '../core/ports/clock.ts';
import type { ExecSession, ExecStreams, RuntimeResult } from '../core/ports/runtime.ts';
import { execInContainer, runShellLine, type ExecWorld, type ShellState } from './exec-commands.ts';

const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash']);
/** busybox ash's PS1 for root in `/`. */
const PROMPT = '/ # ';
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
/** A shell killed by SIGINT: 128 + 2. */
const EXIT_INTERRUPTED = 130;
/** Killed (the client went away): 128 + SIGKILL. */
const EXIT_KILLED = 137;

export type Program =
  | { readonly kind: 'cat' }
  | { readonly kind: 'shell'; readonly state: ShellState }
  | { readonly kind: 'once' };

/** The kind of program `argv` runs: one that reads stdin (cat, a shell) or one that does not. */
export function programOf(argv: readonly string[]): Program {
  const [program, ...args] = argv;
  const base = (program ?? '').slice((program ?? '').lastIndexOf('/') + 1);
  if (base === 'cat' && args.length === 0) return { kind: 'cat' };
  if (SHELLS.has(base) && args.every((a) => a === '-i' || a === '-s' || a === '-'))
    return { kind: 'shell', state: { status: 0 } };
  return { kind: 'once' };
}

export function startExecSession(
  clock: Clock,
  world: ExecWorld,
  command: readonly string[],
  streams: ExecStreams,
  timeoutUs: number,
  /** Whether the container still runs (a session in one that exited ends Unknown). */
  running: () => boolean,
): ExecSession {
  let finish: (r: RuntimeResult<number>) => void = () => {};
  const done = new Promise<RuntimeResult<number>>((resolve) => (finish = resolve));
  let ended = false;
  let timer: TimerId | undefined;
  const end = (r: RuntimeResult<number>): void => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clock.cancelTimer(timer);
    finish(r);
  };
  const exit = (code: number): void => end({ ok: true, value: code });
  const program = programOf(command);
  const ttyWorld: ExecWorld = { ...world, tty: streams.tty };
  timer = clock.setTimer(timeoutUs, () =>
    end({
      ok: false,
      reason: 'DeadlineExceeded',
      message: `command "${command.join(' ')}" timed out`,
    }),
  );
  const out = terminalOutput(streams.tty, (stream, text) => {
    if (!ended) streams.onOutput(stream, text);
  });

  if (program.kind === 'once') {
    const answer = execInContainer(ttyWorld, command);
    if (answer.kind === 'not-found') {
      clock.setTimer(0, () => end({ ok: false, reason: 'ExecError', message: answer.message }));
    } else {
      clock.setTimer(answer.durationUs, () => {
        if (!running()) return end({ ok: false, reason: 'Unknown', message: 'container exited' });
        out('stdout', answer.result.stdout);
        out('stderr', answer.result.stderr);
        exit(answer.result.exitCode);
      });
    }
    return {
      write: () => {},
      closeStdin: () => {},
      resize: () => {},
      kill: () => exit(EXIT_KILLED),
      done,
    };
  }

  const reader = startReader(clock, ttyWorld, program, streams.tty, {
    out,
    exit,
    ended: () => ended,
    running: () => {
      if (running()) return true;
      end({ ok: false, reason: 'Unknown', message: 'container exited' });
      return false;
    },
  });
  if (!streams.stdin) clock.setTimer(0, () => reader.endInput());
  return {
    write: (data) => {
      if (streams.stdin) reader.input(data);
    },
    closeStdin: () => reader.endInput(),
    // A simulated program draws nothing, so a new size changes no output.
    resize: () => {},
    kill: () => exit(EXIT_KILLED),
    done,
  };
}

/** Where a program that reads stdin writes, and how it ends. */
export interface ReaderIo {
  /** Output as the client sees it (terminalOutput's CR LF with a terminal). */
  out(stream: 'stdout' | 'stderr', text: string): void;
  exit(code: number): void;
  /** The program has ended (its exit was called, or what ran it went away). */
  ended(): boolean;
  /** Whether it may go on after a line that took time (false: it ended meanwhile). */
  running(): boolean;
}

/** A program reading stdin: what is typed or piped in, and the end of it. */
export interface Reader {
  /** Input as it arrives (through the terminal's discipline when there is one). */
  input(data: string): void;
  /** The end of stdin: cat exits, a shell runs what it has and exits. */
  endInput(): void;
}

/**
 * `cat` or an interactive shell reading its stdin, at the virtual times input arrives; with a
 * terminal, behind the terminal's line discipline (echo, ICRNL, ^C, ^D on an empty line).
 */
export function startReader(
  clock: Clock,
  world: ExecWorld,
  program: Exclude<Program, { kind: 'once' }>,
  tty: boolean,
  io: ReaderIo,
): Reader {
  /** What the shell has read and not yet run; the line being typed, for ^D. */
  let pending = '';
  let typing = '';
  let inputEnded = false;
  /** The shell is running a line (a `sleep N` takes N seconds); input waits. */
  let busy = false;
  const shellExit = (): void => {
    if (program.kind !== 'shell') return;
    if (tty) io.out('stdout', 'exit\n');
    io.exit(program.state.status);
  };
  /** Runs the shell's complete lines one after the other, each taking its time. */
  const pump = (): void => {
    if (program.kind !== 'shell') return;
    while (!io.ended() && !busy) {
      const nl = pending.indexOf('\n');
      if (nl < 0) {
        if (inputEnded && pending !== '') pending += '\n';
        else if (inputEnded) return shellExit();
        else return;
        continue;
      }
      const statement = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const r = runShellLine(world, statement, program.state);
      const show = (): void => {
        busy = false;
        if (!io.running()) return;
        io.out('stdout', r.stdout);
        io.out('stderr', r.stderr);
        if (r.exited) return io.exit(program.state.status);
        if (tty && !(inputEnded && pending === '')) io.out('stdout', PROMPT);
        pump();
      };
      if (r.durationUs === 0) {
        show();
        continue;
      }
      busy = true;
      clock.setTimer(r.durationUs, show);
    }
  };
  /** Input as the program reads it (after the terminal's discipline). */
  const feed = (text: string): void => {
    if (program.kind === 'cat') return io.out('stdout', text);
    pending += text;
    pump();
  };
  const endInput = (): void => {
    if (inputEnded || io.ended()) return;
    inputEnded = true;
    if (program.kind === 'cat') return io.exit(0);
    pump();
  };
  // The terminal's line discipline: echo, ICRNL, ^D at a line's start, ^C.
  const typed = (data: string): void => {
    for (const ch of data) {
      if (io.ended()) return;
      if (ch === CTRL_C) {
        io.out('stdout', '^C\n');
        return io.exit(EXIT_INTERRUPTED);
      }
      if (ch === CTRL_D) {
        if (typing === '') return endInput();
        continue;
      }
      const c = ch === '\r' ? '\n' : ch;
      typing = c === '\n' ? '' : typing + c;
      io.out('stdout', c);
      feed(c);
    }
  };
  if (program.kind === 'shell' && tty) io.out('stdout', PROMPT);
  return {
    input: (data) => {
      if (io.ended() || inputEnded) return;
      if (tty) typed(data);
      else feed(data);
    },
    endInput,
  };
}

/** Output through a terminal when there is one: one stream, newlines as CR LF (ONLCR). */
export function terminalOutput(
  tty: boolean,
  write: (stream: 'stdout' | 'stderr', text: string) => void,
): (stream: 'stdout' | 'stderr', text: string) => void {
  return (stream, text) => {
    if (text === '') return;
    write(tty ? 'stdout' : stream, tty ? onlcr(text) : text);
  };
}

/** The terminal's ONLCR: output newlines reach the client as CR LF. */
function onlcr(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
