import type { z } from 'zod';
import type { TraceDefinition } from './catalog.ts';
import type { TraceFieldsSchema, TraceLevel, TraceRecordDefinition } from './define.ts';
import type { TRACE_HEADER_KIND } from './version.ts';

/** Records are read-only data, emitted and read alike. */
export type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
    : T;

export type TraceKind = TraceDefinition['kind'];

type DefinitionOf<K extends TraceKind> = Extract<TraceDefinition, { readonly kind: K }>;

/** The fields of a record of kind `K`, without `t`, `p` and `k`. */
export type TraceFieldsOf<K extends TraceKind> = DeepReadonly<z.input<DefinitionOf<K>['fields']>>;

/** The fields argument of an emit: optional for a kind without fields, required otherwise. */
export type TraceFieldsArgs<K extends TraceKind> =
  {} extends TraceFieldsOf<K> ? [fields?: TraceFieldsOf<K>] : [fields: TraceFieldsOf<K>];

/** Kinds a component emits with `Trace.emit` (the header is the host's, written once). */
export type InfoTraceKind = Exclude<
  Extract<TraceDefinition, { readonly level: 'info' }>['kind'],
  typeof TRACE_HEADER_KIND
>;

/** Kinds a component emits with `Trace.debug`. */
export type DebugTraceKind = Extract<TraceDefinition, { readonly level: 'debug' }>['kind'];

export type EmittedTraceKind = InfoTraceKind | DebugTraceKind;

type RecordOf<D> =
  D extends TraceRecordDefinition<infer K, TraceLevel, infer F extends TraceFieldsSchema>
    ? DeepReadonly<{ t: number; p: string; k: K } & z.output<F>>
    : never;

/** One line of a trace, parsed: `switch (r.k)` narrows it to the record of that kind. */
export type TraceRecord = RecordOf<TraceDefinition>;

/** The record of kind `K`. */
export type TraceRecordOf<K extends TraceKind> = Extract<TraceRecord, { readonly k: K }>;
