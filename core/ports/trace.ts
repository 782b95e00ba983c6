import type { DebugTraceKind, InfoTraceKind, TraceFieldsArgs } from '../trace/types.ts';

/**
 * Structured trace: the raw material for replay, invariants and reports. Each record kind is
 * defined once in core/trace/records (level, fields, documentation); the host stamps virtual
 * time and the emitting process. An emit names its kind and passes that kind's fields, checked
 * by the compiler, so `emit('scheduler.bind', { pod, node })` cannot drift from the schema.
 */
export interface Trace {
  /** Records an info-level event. */
  emit<K extends InfoTraceKind>(kind: K, ...fields: TraceFieldsArgs<K>): void;
  /** False when the host would discard debug records; lets hot paths skip building them. */
  readonly debugEnabled: boolean;
  /** Records a debug-level event (dropped unless the run asked for debug records). */
  debug<K extends DebugTraceKind>(kind: K, ...fields: TraceFieldsArgs<K>): void;
  /**
   * Watch deliveries of revisions divisible by this are recorded (`watch.delivered`), the
   * host's deterministic sample for the watch latency SLI; absent or 0: none.
   */
  readonly watchSampleEvery?: number;
}

export const NO_TRACE: Trace = {
  emit() {},
  debugEnabled: false,
  debug() {},
};
