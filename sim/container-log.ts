/**
 * What a simulated container writes to its log (`kubectl logs`), read from its config like the
 * rest of the behaviour model (runtime-behaviour.ts, container-health.ts):
 *
 * - What its command prints, where ksim can tell: `echo ...` (also `printf`, `date`) as the
 *   command, or as statements of a `sh -c "<script>"` whose `sleep N`s space them out, exactly
 *   as the runtime behaviour times the script. A statement ksim does not model (a server, a
 *   loop) ends what is known: nothing after it is written.
 * - `KSIM_LOG_LINES_PER_SECOND=r`: on top, lines at random moments (exponential gaps, mean
 *   1/r s, drawn from the container's own seeded stream) while it runs, each
 *   `KSIM_LOG_TEXT` with `{n}` replaced by the line's number and `{container}` by the
 *   container's name (default `{container} line {n}`). `KSIM_LOG_STREAM=stderr` writes them to
 *   standard error.
 *
 * Lines are made lazily, up to the moment they are read (and never past the container's exit),
 * so a container that is never read costs nothing and reading changes no other draw.
 */
import type { Random } from '../core/ports/random.ts';
import type { ContainerConfig, LogLine } from '../core/ports/runtime.ts';
import { formatRfc3339Nano } from '../core/api/time.ts';

const US_PER_SECOND = 1_000_000;
const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash']);
/** A log read returns at most this many lines at once; the next read goes on from there. */
export const MAX_LINES_PER_READ = 10_000;

/** A line the command prints, `atUs` after the container's start. */
interface ScriptedLine {
  readonly atUs: number;
  readonly stream: 'stdout' | 'stderr';
  /** `date` prints the time it runs at. */
  readonly text: string | 'date';
}

export interface LogModel {
  readonly scripted: readonly ScriptedLine[];
  readonly linesPerSecond: number;
  readonly template: string;
  readonly stream: 'stdout' | 'stderr';
}

export function logModel(config: ContainerConfig): LogModel {
  const env = config.env ?? {};
  const rate = Number(env.KSIM_LOG_LINES_PER_SECOND ?? 0);
  return {
    scripted: scriptedLines([...(config.command ?? []), ...(config.args ?? [])]),
    linesPerSecond: Number.isFinite(rate) && rate > 0 ? rate : 0,
    template: (env.KSIM_LOG_TEXT ?? '{container} line {n}').replaceAll('{container}', config.name),
    stream: env.KSIM_LOG_STREAM === 'stderr' ? 'stderr' : 'stdout',
  };
}

/** One container instance's log, made as far as it has been read. */
export class ContainerLog {
  private readonly lines: LogLine[] = [];
  /** Indexes of the lines the main process wrote as it ran (main-process.ts), not the model. */
  private readonly written = new Set<number>();
  /** The end of what the main process wrote without a newline yet, per stream. */
  private readonly partial = { stdout: '', stderr: '' };
  private scriptedNext = 0;
  private randomNextUs: number | undefined;
  private randomCount = 0;

  constructor(
    private readonly model: LogModel,
    private readonly startedAtUs: number,
    private readonly random: Random,
  ) {
    if (model.linesPerSecond > 0) this.randomNextUs = startedAtUs + this.gapUs();
  }

  /** Lines from `cursor` (a line index) written up to `untilUs`. */
  read(cursor: number, untilUs: number): { lines: LogLine[]; cursor: number } {
    this.writeUntil(untilUs);
    const end = Math.min(this.lines.length, cursor + MAX_LINES_PER_READ);
    return { lines: this.lines.slice(cursor, end), cursor: end };
  }

  /** The cursor after every line written up to `untilUs`: where a reader from then on starts. */
  end(untilUs: number): number {
    this.writeUntil(untilUs);
    return this.lines.length;
  }

  /**
   * Lines the model made from `cursor` up to `untilUs`, leaving out what the main process wrote
   * itself (an attached client got that as it was written).
   */
  readModelled(cursor: number, untilUs: number): { lines: LogLine[]; cursor: number } {
    const read = this.read(cursor, untilUs);
    const lines = read.lines.filter((_, i) => !this.written.has(cursor + i));
    return { lines, cursor: read.cursor };
  }

  /** What the main process writes at `atUs` (after the model's lines up to then), by line. */
  write(atUs: number, stream: 'stdout' | 'stderr', text: string): void {
    this.writeUntil(atUs);
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) {
      this.written.add(this.lines.length);
      this.lines.push({ timeUs: atUs, stream, text: line });
    }
  }

  /** Whether every line up to `untilUs` has been handed out from `cursor`. */
  drained(cursor: number): boolean {
    return cursor >= this.lines.length;
  }

  private writeUntil(untilUs: number): void {
    const scripted = this.model.scripted;
    for (;;) {
      const s = scripted[this.scriptedNext];
      const scriptedUs = s === undefined ? Infinity : this.startedAtUs + s.atUs;
      const randomUs = this.randomNextUs ?? Infinity;
      const nextUs = Math.min(scriptedUs, randomUs);
      if (nextUs > untilUs || nextUs === Infinity) return;
      if (s !== undefined && scriptedUs <= randomUs) {
        const text = s.text === 'date' ? dateLine(scriptedUs) : s.text;
        this.lines.push({ timeUs: scriptedUs, stream: s.stream, text });
        this.scriptedNext++;
      } else {
        this.randomCount++;
        const text = this.model.template.replaceAll('{n}', String(this.randomCount));
        this.lines.push({ timeUs: randomUs, stream: this.model.stream, text });
        this.randomNextUs = randomUs + this.gapUs();
      }
    }
  }

  /** An exponential gap of mean 1/rate seconds, at least a microsecond. */
  private gapUs(): number {
    const u = this.random.float();
    return Math.max(1, Math.round((-Math.log(1 - u) / this.model.linesPerSecond) * US_PER_SECOND));
  }
}

/** busybox `date`'s default format, in UTC: "Thu Jan  1 00:00:05 UTC 2026". */
function dateLine(us: number): string {
  const iso = formatRfc3339Nano(us);
  const [y, mo, d] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
  const days = Math.floor(us / US_PER_SECOND / 86_400);
  const weekday = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'][((days % 7) + 7) % 7];
  const month = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ][mo - 1];
  return `${weekday} ${month} ${String(d).padStart(2, ' ')} ${iso.slice(11, 19)} UTC ${y}`;
}

/** The lines a command prints and when, as far as ksim models it. */
export function scriptedLines(argv: readonly string[]): ScriptedLine[] {
  const [program, ...rest] = argv;
  if (program === undefined) return [];
  if (SHELLS.has(basename(program)) && rest[0] === '-c' && rest[1] !== undefined)
    return scriptLines(rest[1]);
  const line = printed(basename(program), rest);
  return line === undefined ? [] : [{ atUs: 0, stream: 'stdout', text: line }];
}

function scriptLines(script: string): ScriptedLine[] {
  const out: ScriptedLine[] = [];
  let atUs = 0;
  for (const raw of script.split(/;|&&|\n/)) {
    const words = shellWords(raw.trim());
    const [cmd, ...args] = words;
    if (cmd === undefined) continue;
    if (cmd === 'sleep' && args.length === 1) {
      const us = secondsUs(args[0] ?? '');
      if (us === undefined) return out;
      atUs += us;
      continue;
    }
    if (cmd === 'exit' || cmd === 'true' || cmd === 'false') {
      if (cmd === 'exit') return out;
      continue;
    }
    const line = printed(basename(cmd), args);
    if (line === undefined) return out;
    out.push({ atUs, stream: 'stdout', text: line });
  }
  return out;
}

/** The line `echo`, `printf` or `date` prints (`date` at the time it runs), or undefined. */
function printed(program: string, args: readonly string[]): string | 'date' | undefined {
  switch (program) {
    case 'echo':
      return args.join(' ');
    case 'printf':
      return (args[0] ?? '').replace(/\\n$/, '').replaceAll('\\n', ' ');
    case 'date':
      return args.length === 0 ? 'date' : undefined;
    default:
      return undefined;
  }
}

/** Words of a simple command: whitespace-separated, with '...' and "..." quoting. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of text.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

function secondsUs(text: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text) * US_PER_SECOND);
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
