/**
 * Field selectors (staging/src/k8s.io/apimachinery/pkg/fields/selector.go). The field sets each
 * kind can be filtered on live in its definition (core/api/kinds).
 *
 * Syntax: comma-separated `field=value`, `field==value`, `field!=value`; inside values `\`, `,` and
 * `=` are escaped with a backslash. Terms are sorted, so String() is deterministic.
 */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldMatcher {
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  matches(fields: FieldSet): boolean;
  toString(): string;
}

export interface FieldSelectorError {
  readonly kind: 'FieldSelectorError';
  readonly input: string;
  readonly message: string;
}

export type FieldSet = Readonly<Record<string, string>>;

export function isFieldSelectorError(x: unknown): x is FieldSelectorError {
  return (
    typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'FieldSelectorError'
  );
}

function escapeValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue; returns an error message for a bad escape or an unescaped `,`/`=`. */
function unescapeValue(v: string): string | { error: string } {
  if (!/[\\,=]/.test(v)) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '\\') {
      const n = v[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=') {
        return { error: `invalid field selector: invalid escape sequence: ${v.slice(i, i + 2)}` };
      }
      out += n;
      i++;
    } else if (c === ',' || c === '=') {
      return { error: `invalid field selector: unescaped character in value: ${c}` };
    } else {
      out += c;
    }
  }
  return out;
}

/** Splits on commas not preceded by an escaping backslash. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** Finds the first unescaped operator; `!=` and `==` win over `=` at the same position. */
function splitTerm(term: string): [string, '=' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    if (term.startsWith('!=', i)) return [term.slice(0, i), '!=', term.slice(i + 2)];
    if (term.startsWith('==', i)) return [term.slice(0, i), '=', term.slice(i + 2)];
    if (term[i] === '=') return [term.slice(0, i), '=', term.slice(i + 1)];
  }
  return undefined;
}

export function fieldMatcherFromRequirements(
  requirements: readonly FieldRequirement[],
): FieldMatcher {
  const reqs = [...requirements];
  const text = reqs.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  return {
    requirements: reqs,
    empty: reqs.length === 0,
    // An absent field reads as "": upstream's Set.Get returns the zero value.
    matches: (fields) =>
      reqs.every(
        (r) =>
          ((Object.hasOwn(fields, r.field) ? fields[r.field] : '') === r.value) ===
          (r.operator === '='),
      ),
    toString: () => text,
  };
}

export const EVERYTHING_FIELDS: FieldMatcher = fieldMatcherFromRequirements([]);

/** fields.ParseSelector. */
export function parseFieldSelector(text: string): FieldMatcher | FieldSelectorError {
  const terms = splitTerms(text).sort();
  const reqs: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const parts = splitTerm(term);
    if (parts === undefined) {
      return {
        kind: 'FieldSelectorError',
        input: text,
        message: `invalid selector: '${text}'; can't understand '${term}'`,
      };
    }
    const value = unescapeValue(parts[2]);
    if (typeof value !== 'string')
      return { kind: 'FieldSelectorError', input: text, message: value.error };
    reqs.push({ field: parts[0], operator: parts[1], value });
  }
  return fieldMatcherFromRequirements(reqs);
}

/** The field labels every kind supports (upstream DefaultMetaV1FieldSelectorConversion). */
export const OBJECT_META_FIELD_LABELS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/** The first field the selector uses that is not in `supported`, if any. */
export function unsupportedFieldLabel(
  supported: readonly string[],
  m: FieldMatcher,
): string | undefined {
  return m.requirements.find((r) => !supported.includes(r.field))?.field;
}

/**
 * The object-meta part of a field set (upstream ObjectMetaFieldsSet). Cluster-scoped objects
 * report metadata.namespace as "" so a selector on it behaves the same for every kind.
 */
export function objectMetaFields(meta: {
  readonly name?: string;
  readonly namespace?: string;
}): FieldSet {
  return { 'metadata.name': meta.name ?? '', 'metadata.namespace': meta.namespace ?? '' };
}
