import { TraceChecker } from '../core/trace/validate.ts';
import type { TraceSink } from './trace.ts';

/**
 * A sink that checks every line against the trace schema (core/trace) as it is written and
 * throws at the first that does not match: the record's emitter is wrong. For tests and
 * `ksim run --check-trace`; normal runs do not pay for it.
 */
export function checkingSink(): TraceSink {
  const checker = new TraceChecker();
  return (line) => {
    const r = checker.line(line);
    if (!r.ok) throw new Error(`trace check: ${r.problem}`);
  };
}
