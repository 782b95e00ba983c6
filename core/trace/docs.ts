import { z } from 'zod';
import { TRACE_GROUPS } from './catalog.ts';
import { TRACE_ENVELOPE, type TraceRecordDefinition } from './define.ts';
import { TRACE_HEADER_KIND, TRACE_SCHEMA_VERSION } from './version.ts';

/**
 * The user documentation of the trace, generated from the record definitions so it cannot
 * drift from them: docs/trace.md and docs/trace.schema.json. test/core/trace/docs.test.ts
 * compares the committed files with these (KSIM_REWRITE=1 rewrites them).
 */

type JsonSchema = {
  readonly type?: string;
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly items?: JsonSchema;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly description?: string;
};

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

/** JSON Schema (2020-12) of one trace line: one of the record kinds, each under $defs. */
export function traceJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const group of TRACE_GROUPS) {
    for (const def of group.records as readonly TraceRecordDefinition[]) {
      defs[def.kind] = {
        title: def.kind,
        description: `${def.doc} (${def.level} level)`,
        'x-level': def.level,
        ...jsonSchemaOf(def.line),
      };
    }
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'ksim trace record',
    description: `One line of a ksim trace (JSON Lines), trace schema version ${TRACE_SCHEMA_VERSION}. Generated from core/trace; docs/trace.md describes each kind.`,
    'x-trace-schema-version': TRACE_SCHEMA_VERSION,
    oneOf: Object.keys(defs).map((kind) => ({ $ref: `#/$defs/${kind}` })),
    $defs: defs,
  };
}

const BOUND = 2 ** 53 - 1;

function numberType(s: JsonSchema): string {
  const base = s.type === 'integer' ? 'integer' : 'number';
  if (s.minimum !== undefined && s.minimum > -BOUND && s.maximum !== undefined && s.maximum < BOUND)
    return `${base} in [${s.minimum}, ${s.maximum}]`;
  if (s.exclusiveMinimum !== undefined) return `${base} > ${s.exclusiveMinimum}`;
  if (s.minimum !== undefined && s.minimum > -BOUND) return `${base} ≥ ${s.minimum}`;
  return base;
}

function objectType(s: JsonSchema): string {
  const required = new Set(s.required ?? []);
  const fields = Object.entries(s.properties ?? {}).map(
    ([name, p]) => `${name}${required.has(name) ? '' : '?'}: ${typeText(p)}`,
  );
  return `{ ${fields.join('; ')} }`;
}

/** A field's type in TypeScript-like notation. */
function typeText(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum !== undefined) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const options = s.oneOf ?? s.anyOf;
  if (options !== undefined) return options.map(typeText).join(' | ');
  switch (s.type) {
    case 'integer':
    case 'number':
      return numberType(s);
    case 'array': {
      const item = s.items === undefined ? 'unknown' : typeText(s.items);
      return /[ |]/.test(item) ? `(${item})[]` : `${item}[]`;
    }
    case 'object':
      return objectType(s);
    default:
      return s.type ?? 'unknown';
  }
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function fieldTable(s: JsonSchema, skip?: string): string[] {
  const required = new Set(s.required ?? []);
  const rows = Object.entries(s.properties ?? {})
    .filter(([name]) => name !== skip)
    .map(
      ([name, p]) =>
        `| \`${name}\` | \`${cell(typeText(p))}\`${required.has(name) ? '' : ' (optional)'} | ${cell(p.description ?? '')} |`,
    );
  if (rows.length === 0) return ['No fields.'];
  return ['| Field | Type | Description |', '| --- | --- | --- |', ...rows];
}

function recordSection(def: TraceRecordDefinition): string[] {
  const out = [`### \`${def.kind}\``, '', `Level: ${def.level}. ${def.doc}`, ''];
  const fields = jsonSchemaOf(def.fields) as JsonSchema;
  if (fields.oneOf === undefined) return [...out, ...fieldTable(fields), ''];
  const tag = (def.fields as z.ZodDiscriminatedUnion).def.discriminator;
  out.push(`One of ${fields.oneOf.length} variants, told apart by \`${tag}\`:`, '');
  for (const variant of fields.oneOf) {
    const t = variant.properties?.[tag];
    out.push(`- \`${tag}\`: \`${JSON.stringify(t?.const)}\` — ${t?.description ?? ''}`, '');
    out.push(...fieldTable(variant, tag).map((l) => `  ${l}`), '');
  }
  return out;
}

/** docs/trace.md: every record kind with its level, doc and fields. */
export function traceMarkdown(): string {
  const out = [
    '# Trace records',
    '',
    '<!-- Generated from core/trace/records by core/trace/docs.ts. Do not edit: change the definitions and run `KSIM_REWRITE=1 npx vitest run test/core/trace/docs.test.ts`. -->',
    '',
    `Trace schema version: **${TRACE_SCHEMA_VERSION}**.`,
    '',
    'A ksim trace (`ksim run --trace out.jsonl`) is JSON Lines: one record per line, in the order the simulation produced them. Every record starts with three fields, then the fields of its kind in the order the emitter wrote them:',
    '',
    ...fieldTable(jsonSchemaOf(z.strictObject(TRACE_ENVELOPE)) as JsonSchema),
    '',
    `The first line is a \`${TRACE_HEADER_KIND}\` record naming the schema version, the ksim version, the seed and the level. At level \`info\` (the default) a trace holds the info records; at level \`debug\` (\`--trace-level debug\`) also the debug records, among them one per network message.`,
    '',
    'A record never has fields other than those listed for its kind, and a field not marked optional is always there. A change to any kind or field bumps the schema version.',
    '',
    'Reading a trace: in TypeScript, `parseTraceRecord(line)` from `core/trace` returns a typed `TraceRecord` (`switch (r.k)` narrows it to the kind), and `TraceChecker` checks a whole trace (header, levels, time order). From other languages, validate lines against [trace.schema.json](trace.schema.json) (JSON Schema 2020-12), generated from the same definitions.',
    '',
    '## Kinds',
    '',
  ];
  for (const group of TRACE_GROUPS) {
    const kinds = group.records.map((d) => `[\`${d.kind}\`](#${d.kind.replaceAll('.', '')})`);
    out.push(`- ${group.title}: ${kinds.join(', ')}`);
  }
  out.push('');
  for (const group of TRACE_GROUPS) {
    out.push(`## ${group.title}`, '', group.doc, '');
    for (const def of group.records as readonly TraceRecordDefinition[])
      out.push(...recordSection(def));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
