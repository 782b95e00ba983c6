/**
 * Version of the trace schema (every record kind in core/trace/records and its fields). Bump it
 * with any change a reader must know of: a kind or field added, removed, renamed or retyped.
 * Readers check it against the header and refuse a trace of another version, since they
 * validate strictly (an unknown kind or field is an error, not something to skip).
 */
export const TRACE_SCHEMA_VERSION = 12;

/** The kind of the first record of every trace. */
export const TRACE_HEADER_KIND = 'trace.header';
