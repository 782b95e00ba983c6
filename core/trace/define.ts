import { z } from 'zod';
import { assert } from '../util/assert.ts';

/**
 * `info` records are always written; `debug` records only when the run asks for them (they
 * follow every message and are many). A record kind has one level, and its emitter must use it.
 */
export type TraceLevel = 'info' | 'debug';

/** The fields after `t`, `p` and `k`: a strict object, or a union of them told apart by a tag. */
export type TraceFieldsSchema =
  | z.ZodObject<z.ZodRawShape, z.core.$strict>
  | z.ZodDiscriminatedUnion<z.ZodObject<z.ZodRawShape, z.core.$strict>[]>;

/**
 * One record kind: its name, level, documentation and fields. This is the single source of
 * truth for the kind: the emitters' types, the validator, docs/trace.md and the JSON Schema are
 * all derived from it.
 */
export interface TraceRecordDefinition<
  K extends string = string,
  L extends TraceLevel = TraceLevel,
  F extends TraceFieldsSchema = TraceFieldsSchema,
> {
  readonly kind: K;
  readonly level: L;
  /** What the record says happened, for a user reading a trace. */
  readonly doc: string;
  readonly fields: F;
  /** A whole line of this kind: `t`, `p`, `k`, then the fields. */
  readonly line: z.ZodType;
}

/** The records one area of the system emits, documented together. */
export interface TraceRecordGroup<D extends TraceRecordDefinition = TraceRecordDefinition> {
  readonly title: string;
  readonly doc: string;
  readonly records: readonly D[];
}

const KIND_PATTERN = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

/** Fields every record carries ahead of its own. In a record's schema `k` is its kind literal. */
export const TRACE_ENVELOPE = {
  t: z
    .int()
    .nonnegative()
    .describe('Virtual time of the record, in microseconds. Never decreases along a trace.'),
  p: z
    .string()
    .describe(
      'The process that emitted it (`etcd-0`, `apiserver`, `node-1`, ...), or `sim` for the simulator itself.',
    ),
  k: z.string().describe('The record kind.'),
};

function envelope(kind: string) {
  return { ...TRACE_ENVELOPE, k: z.literal(kind).describe('The record kind.') };
}

function fieldShapes(fields: TraceFieldsSchema): readonly z.ZodRawShape[] {
  return fields instanceof z.ZodObject ? [fields.shape] : fields.options.map((o) => o.shape);
}

function checkDefinition(kind: string, doc: string, fields: TraceFieldsSchema): void {
  assert(KIND_PATTERN.test(kind), `trace kind ${kind}: not dotted kebab-case`);
  assert(doc.trim() !== '', `trace kind ${kind}: no doc`);
  for (const shape of fieldShapes(fields)) {
    for (const [name, schema] of Object.entries(shape)) {
      assert(!(name in TRACE_ENVELOPE), `trace kind ${kind}: field ${name} is reserved`);
      assert(
        z.globalRegistry.get(schema)?.description,
        `trace kind ${kind}: field ${name} has no doc`,
      );
    }
  }
}

function lineSchema(kind: string, fields: TraceFieldsSchema): z.ZodType {
  const head = envelope(kind);
  if (fields instanceof z.ZodObject) return z.strictObject({ ...head, ...fields.shape });
  const [first, ...rest] = fields.options.map((o) => z.strictObject({ ...head, ...o.shape }));
  assert(first !== undefined, `trace kind ${kind}: a union without variants`);
  return z.discriminatedUnion(fields.def.discriminator, [first, ...rest]);
}

/**
 * Defines a record kind. `fields` is a `z.strictObject`, or for a kind with variants a
 * `z.discriminatedUnion` of them (a field of each variant, as a literal, says which it is).
 * Every field needs a `.describe()`: it is what docs/trace.md says about it.
 */
export function traceRecord<K extends string, L extends TraceLevel, F extends TraceFieldsSchema>(
  kind: K,
  spec: { readonly level: L; readonly doc: string; readonly fields: F },
): TraceRecordDefinition<K, L, F> {
  checkDefinition(kind, spec.doc, spec.fields);
  return {
    kind,
    level: spec.level,
    doc: spec.doc,
    fields: spec.fields,
    line: lineSchema(kind, spec.fields),
  };
}

export function traceGroup<D extends TraceRecordDefinition>(
  title: string,
  doc: string,
  records: readonly D[],
): TraceRecordGroup<D> {
  return { title, doc, records };
}
