import { closeSync, openSync, writeSync } from 'node:fs';
import type { Trace } from '../../core/ports/trace.ts';
import type { TraceLevel } from '../../core/trace/define.ts';
import { TraceChecker } from '../../core/trace/validate.ts';
import { TRACE_HEADER_KIND, TRACE_SCHEMA_VERSION } from '../../core/trace/version.ts';

export interface JsonlTraceOptions {
  readonly path: string;
  /** The process that emits (a real process writes its own trace). */
  readonly process: string;
  /** The process's root seed, recorded in the header so its random draws can be replayed. */
  readonly seed: number;
  readonly level: TraceLevel;
  readonly ksimVersion: string;
  /** Microseconds since the Unix epoch (the process's Clock). */
  readonly now: () => number;
  /**
   * Check every line against the trace schema as it is written and throw at the first that
   * does not match (as sim's checking sink does; for tests: it costs a zod parse per record).
   */
  readonly check?: boolean;
}

/**
 * The Trace port of a real process: the simulator's record schema, one JSON line
 * `{t, p, k, ...fields}` per record, appended to a file. `t` counts microseconds from the
 * trace's opening, as a simulation's counts from the start of the run, so tools read both
 * alike; the header comes first with `t` 0 and `p` "sim", as the schema says.
 *
 * Lines are buffered and written once per macrotask, so a hot path pays no system call per
 * record; a SIGKILL loses at most that tick's lines (a trace is a record, not a log the
 * process recovers from: its durable state is on the Disk port).
 */
export class JsonlTrace implements Trace {
  readonly debugEnabled: boolean;
  private readonly fd: number;
  private readonly startUs: number;
  private readonly checker: TraceChecker | undefined;
  private buffered: string[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly options: JsonlTraceOptions) {
    this.debugEnabled = options.level === 'debug';
    this.checker = options.check === true ? new TraceChecker() : undefined;
    this.fd = openSync(options.path, 'a');
    this.startUs = options.now();
    this.write(
      JSON.stringify({
        t: 0,
        p: 'sim',
        k: TRACE_HEADER_KIND,
        schemaVersion: TRACE_SCHEMA_VERSION,
        ksimVersion: options.ksimVersion,
        seed: options.seed,
        level: options.level,
      }),
    );
  }

  emit(kind: string, fields?: unknown): void {
    this.record(kind, fields);
  }

  debug(kind: string, fields?: unknown): void {
    if (this.debugEnabled) this.record(kind, fields);
  }

  /** Writes what is buffered now (also at exit). */
  flush(): void {
    this.flushScheduled = false;
    if (this.buffered.length === 0 || this.closed) return;
    const text = this.buffered.join('\n') + '\n';
    this.buffered = [];
    writeSync(this.fd, text);
  }

  close(): void {
    this.flush();
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private record(kind: string, fields: unknown): void {
    const rec: Record<string, unknown> = {
      t: Math.max(0, this.options.now() - this.startUs),
      p: this.options.process,
      k: kind,
    };
    if (fields !== undefined) {
      const f = fields as Readonly<Record<string, unknown>>;
      for (const key in f) rec[key] = f[key];
    }
    this.write(JSON.stringify(rec));
  }

  private write(line: string): void {
    if (this.checker !== undefined) {
      const r = this.checker.line(line);
      if (!r.ok) throw new Error(`trace check: ${r.problem}`);
    }
    this.buffered.push(line);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }
}
