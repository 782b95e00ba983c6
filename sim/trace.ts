import { createHash, type Hash } from 'node:crypto';
import type { Trace, TraceFields } from '../core/ports/trace.ts';

export type TraceLevel = 'info' | 'debug';

/** One line of the trace: virtual time, emitting process (or "sim"), kind, then the fields. */
export interface TraceRecord {
  readonly t: number;
  readonly p: string;
  readonly k: string;
  readonly [field: string]: unknown;
}

export type TraceSink = (line: string) => void;

/**
 * Records every trace event as one JSON line and folds it into a running SHA-256, so two runs
 * can be compared by hash without keeping the lines. Field order is the emitter's insertion
 * order, which is deterministic because the code that builds the fields is.
 */
export class TraceRecorder {
  private readonly hash: Hash = createHash('sha256');
  private readonly sinks: TraceSink[] = [];
  private count = 0;
  private digestValue: string | undefined;

  constructor(
    private readonly clock: () => number,
    readonly level: TraceLevel = 'info',
  ) {}

  get debugEnabled(): boolean {
    return this.level === 'debug';
  }

  get records(): number {
    return this.count;
  }

  addSink(sink: TraceSink): void {
    this.sinks.push(sink);
  }

  record(process: string, kind: string, fields?: TraceFields): void {
    const rec: Record<string, unknown> = { t: this.clock(), p: process, k: kind };
    if (fields !== undefined) for (const key in fields) rec[key] = fields[key];
    const line = JSON.stringify(rec);
    this.hash.update(line);
    this.hash.update('\n');
    this.count++;
    for (const sink of this.sinks) sink(line);
  }

  /** Hex SHA-256 of all lines so far; finalises the hash (call once, at the end of a run). */
  digest(): string {
    this.digestValue ??= this.hash.digest('hex');
    return this.digestValue;
  }

  forProcess(process: string): Trace {
    const recorder = this;
    return {
      emit(kind, fields) {
        recorder.record(process, kind, fields);
      },
      get debugEnabled() {
        return recorder.debugEnabled;
      },
      debug(kind, fields) {
        if (recorder.debugEnabled) recorder.record(process, kind, fields);
      },
    };
  }
}
