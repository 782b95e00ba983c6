import { createHash, type Hash } from 'node:crypto';
import type { Trace } from '../core/ports/trace.ts';
import type { TraceLevel } from '../core/trace/define.ts';
import type { EmittedTraceKind, TraceFieldsArgs, TraceRecord } from '../core/trace/types.ts';
import { TRACE_HEADER_KIND, TRACE_SCHEMA_VERSION } from '../core/trace/version.ts';

export type { TraceLevel };

export type TraceSink = (line: string) => void;

/**
 * Sees every record as data, right after it is written (the invariant checkers, the SLO
 * collector): cheaper than a sink, which would have to parse the line back. It must not change
 * the record; a record it makes in turn comes after this one.
 */
export type TraceObserver = (record: TraceRecord) => void;

/** What the header of a trace names besides the schema version. */
export interface TraceHeaderInfo {
  readonly seed: number;
  readonly level: TraceLevel;
  readonly ksimVersion: string;
}

/**
 * Records every trace event as one JSON line `{t, p, k, ...fields}` and folds it into a running
 * SHA-256, so two runs can be compared by hash without keeping the lines. The first line is the
 * header (core/trace/records/header.ts). Field order is the emitter's insertion order, which is
 * deterministic because the code that builds the fields is. Records are not validated here:
 * emitters are typed against the schema, and a checking sink (trace-check.ts) is for tests.
 */
export class TraceRecorder {
  readonly level: TraceLevel;
  private readonly hash: Hash = createHash('sha256');
  private readonly sinks: TraceSink[] = [];
  private readonly observers: TraceObserver[] = [];
  private readonly headerLine: string;
  private count = 0;
  private digestValue: string | undefined;
  /** Trace.watchSampleEvery of every process: the watch latency sample (0: none). */
  watchSampleEvery = 0;

  constructor(
    private readonly clock: () => number,
    header: TraceHeaderInfo,
  ) {
    this.level = header.level;
    this.headerLine = JSON.stringify({
      t: 0,
      p: 'sim',
      k: TRACE_HEADER_KIND,
      schemaVersion: TRACE_SCHEMA_VERSION,
      ksimVersion: header.ksimVersion,
      seed: header.seed,
      level: header.level,
    });
    this.write(this.headerLine);
  }

  get debugEnabled(): boolean {
    return this.level === 'debug';
  }

  /** Lines so far, the header included. */
  get records(): number {
    return this.count;
  }

  /** The sink receives the header at once, then every record from now on. */
  addSink(sink: TraceSink): void {
    this.sinks.push(sink);
    sink(this.headerLine);
  }

  /**
   * Records an event of the simulator itself, or of a process seen from outside (its start,
   * its crash, its messages). Callers check `debugEnabled` before recording a debug kind.
   */
  record<K extends EmittedTraceKind>(process: string, kind: K, ...fields: TraceFieldsArgs<K>): void;
  record(process: string, kind: string, fields?: unknown): void {
    this.line(process, kind, fields);
  }

  /** The observer sees every record from now on (not the header). */
  observe(observer: TraceObserver): void {
    this.observers.push(observer);
  }

  /** Hex SHA-256 of all lines so far; finalises the hash (call once, at the end of a run). */
  digest(): string {
    this.digestValue ??= this.hash.digest('hex');
    return this.digestValue;
  }

  forProcess(process: string): Trace {
    const recorder = this;
    return {
      emit(kind: string, fields?: unknown) {
        recorder.line(process, kind, fields);
      },
      get debugEnabled() {
        return recorder.debugEnabled;
      },
      get watchSampleEvery() {
        return recorder.watchSampleEvery;
      },
      debug(kind: string, fields?: unknown) {
        if (recorder.debugEnabled) recorder.line(process, kind, fields);
      },
    };
  }

  private line(process: string, kind: string, fields: unknown): void {
    const rec: Record<string, unknown> = { t: this.clock(), p: process, k: kind };
    if (fields !== undefined) {
      const f = fields as Readonly<Record<string, unknown>>;
      for (const key in f) rec[key] = f[key];
    }
    this.write(JSON.stringify(rec));
    for (const observer of this.observers) observer(rec as unknown as TraceRecord);
  }

  private write(line: string): void {
    this.hash.update(line);
    this.hash.update('\n');
    this.count++;
    for (const sink of this.sinks) sink(line);
  }
}
