/**
 * Structured trace: the raw material for replay, invariants and reports. Records are
 * plain JSON-able objects; the host stamps virtual time and the emitting process.
 */
export type TraceFields = Readonly<Record<string, unknown>>;

export interface Trace {
  /** Records an event of kind `kind` (dotted, e.g. `pod.phase`). */
  emit(kind: string, fields?: TraceFields): void;
  /** False when the host would discard debug records; lets hot paths skip building them. */
  readonly debugEnabled: boolean;
  debug(kind: string, fields?: TraceFields): void;
}

export const NO_TRACE: Trace = {
  emit() {},
  debugEnabled: false,
  debug() {},
};
