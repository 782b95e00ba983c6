/**
 * The building blocks of the scenario file's zod schema, and zod's issues in the words of
 * scenario errors: each names the path in the file and says what was expected and what was
 * there, so a typo says where it is instead of surfacing as a stack trace deep in a run.
 */
import { z } from 'zod';

export interface SchemaError {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** A message for one of zod's issues; undefined keeps zod's own. */
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  const input: unknown = iss.input;
  switch (iss.code) {
    case 'invalid_type': {
      if (input === undefined) return 'required field is missing';
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      if (iss.expected === 'int' && typeof input === 'number')
        return `expected an integer, got ${input}`;
      return `expected ${expected}, got ${typeName(input)}`;
    }
    case 'too_small':
      if (iss.origin === 'array' && Array.isArray(input))
        return `needs at least ${iss.minimum} ${iss.minimum === 1 ? 'item' : 'items'}, got ${input.length}`;
      if (iss.origin !== 'number') return undefined;
      return `must be ${iss.inclusive === false ? '>' : '>='} ${iss.minimum}, got ${String(input)}`;
    case 'too_big':
      if (iss.origin !== 'number') return undefined;
      return `must be ${iss.inclusive === false ? '<' : '<='} ${iss.maximum}, got ${String(input)}`;
    case 'invalid_value':
      return `expected one of ${iss.values.map(String).join(', ')}, got ${JSON.stringify(input)}`;
    case 'invalid_union': {
      const tag = (iss as { discriminator?: string }).discriminator;
      const options = (iss as { options?: readonly unknown[] }).options;
      if (tag === undefined || options === undefined) return undefined;
      const got = typeof input === 'object' && input !== null ? (input as never)[tag] : undefined;
      return `expected one of ${options.map(String).join(', ')}, got ${JSON.stringify(got)}`;
    }
    default:
      return undefined;
  }
}

/**
 * Checks `value` against `schema`: the converted value, or every problem found. An unknown
 * field is one problem at its own path, listing the fields its mapping has.
 */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
): { ok: true; value: z.output<T> } | { ok: false; errors: SchemaError[] } {
  const r = schema.safeParse(value, { reportInput: true, error: issueMessage });
  if (r.success) return { ok: true, value: r.data };
  const errors: SchemaError[] = [];
  for (const issue of r.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: [...path, key], message: issue.message });
    } else errors.push({ path, message: issue.message });
  }
  return { ok: false, errors };
}

/**
 * A message from a schema's own error function for values of the wrong type, leaving a missing
 * value to the generic "required field is missing".
 */
const unlessMissing =
  (message: (input: unknown) => string) =>
  (iss: { input?: unknown }): string | undefined =>
    iss.input === undefined ? undefined : message(iss.input);

/** A mapping with known fields; an unknown field is an error that lists the known ones. */
export function obj<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? `unknown field (expected one of: ${known})` : undefined,
  });
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  us: 1,
  µs: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};

/** What parseDuration reads, for the JSON Schema. */
const DURATION_PATTERN = /^(\d+(\.\d+)?(us|µs|ms|s|m|h))+$/;

/** "250ms", "1.5s", "2m", "1h30m", "100us" -> integer microseconds. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  if (text.length === 0) return undefined;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    at = re.lastIndex;
  }
  return Math.round(total);
}

const durationMessage = unlessMissing(
  (v) => `expected a duration such as 500ms, 30s, 5m or 1h30m, got ${JSON.stringify(v)}`,
);

/** A duration as text ("1h30m"), converted to integer microseconds. */
export const duration = z
  .string({ error: durationMessage })
  .regex(DURATION_PATTERN, { error: durationMessage })
  .transform((s) => parseDuration(s) as number)
  .meta({ description: 'A duration: 100us, 250ms, 1.5s, 2m, 1h30m' });

export function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s === '' ? '(top level)' : s;
}
