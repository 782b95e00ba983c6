/**
 * Field selectors (staging/src/k8s.io/apimachinery/pkg/fields/selector.go) and the per-kind field
 * sets the API server can filter on (the GetAttrs/ToSelectableFields of each registry strategy).
 *
 * Syntax: comma-separated `field=value`, `field==value`, `field!=value`; inside values `\`, `,` and
 * `=` are escaped with a backslash. Terms are sorted, so String() is deterministic.
 */
import type { KObject } from './types.ts';

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

const COMMON = ['metadata.name', 'metadata.namespace'] as const;

/** Field labels each kind supports; others are rejected with `field label not supported: X`. */
export const FIELD_LABELS: Readonly<Record<KObject['kind'], readonly string[]>> = {
  Pod: [
    ...COMMON,
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Node: [...COMMON, 'spec.unschedulable'],
  ReplicaSet: [...COMMON, 'status.replicas'],
  Namespace: [...COMMON, 'status.phase'],
  Lease: [...COMMON],
  PodDisruptionBudget: [...COMMON],
  Binding: [...COMMON],
  Event: [
    ...COMMON,
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

/** The first field the selector uses that `kind` cannot filter on, if any. */
export function unsupportedFieldLabel(kind: KObject['kind'], m: FieldMatcher): string | undefined {
  const supported = FIELD_LABELS[kind];
  return m.requirements.find((r) => !supported.includes(r.field))?.field;
}

/**
 * The selectable fields of an object. Cluster-scoped objects report metadata.namespace as ""
 * like upstream's DefaultClusterScopedAttr; booleans render as "true"/"false".
 */
export function fieldsOf(obj: KObject): FieldSet {
  const meta = {
    'metadata.name': obj.metadata.name ?? '',
    'metadata.namespace': obj.metadata.namespace ?? '',
  };
  switch (obj.kind) {
    case 'Pod':
      return {
        ...meta,
        'spec.nodeName': obj.spec.nodeName ?? '',
        'spec.restartPolicy': obj.spec.restartPolicy ?? '',
        'spec.schedulerName': obj.spec.schedulerName ?? '',
        'spec.serviceAccountName': obj.spec.serviceAccountName ?? '',
        'spec.hostNetwork': String(obj.spec.hostNetwork ?? false),
        'status.phase': obj.status?.phase ?? '',
        'status.podIP': obj.status?.podIP ?? '',
        'status.nominatedNodeName': obj.status?.nominatedNodeName ?? '',
      };
    case 'Node':
      return { ...meta, 'spec.unschedulable': String(obj.spec?.unschedulable ?? false) };
    case 'ReplicaSet':
      return { ...meta, 'status.replicas': String(obj.status?.replicas ?? 0) };
    case 'Namespace':
      return { ...meta, 'status.phase': obj.status?.phase ?? '' };
    case 'Lease':
    case 'Binding':
    case 'PodDisruptionBudget':
      return meta;
    case 'Event': {
      const io = obj.involvedObject;
      return {
        ...meta,
        'involvedObject.kind': io.kind ?? '',
        'involvedObject.namespace': io.namespace ?? '',
        'involvedObject.name': io.name ?? '',
        'involvedObject.uid': io.uid ?? '',
        'involvedObject.apiVersion': io.apiVersion ?? '',
        'involvedObject.resourceVersion': io.resourceVersion ?? '',
        'involvedObject.fieldPath': io.fieldPath ?? '',
        reason: obj.reason ?? '',
        reportingComponent: obj.reportingComponent ?? '',
        source: obj.source?.component ?? '',
        type: obj.type ?? '',
      };
    }
  }
}
