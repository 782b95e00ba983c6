/**
 * The JSONPath subset CRDs use for printer columns and scale paths (`.spec.replicas`,
 * `.status.conditions[0].type`, `.metadata.labels['app']`): dotted fields, array indexes and
 * quoted keys. Upstream takes any client-go JSONPath for columns; filters and ranges are
 * refused here at CRD validation rather than misread at print time.
 */
export type Step =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly i: number };

const STEP = /^(?:\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\])/;

/** The steps of `path`, or why it is not a path this subset reads. */
export function parseJsonPath(path: string): readonly Step[] | string {
  const text = path.startsWith('{') && path.endsWith('}') ? path.slice(1, -1) : path;
  if (!text.startsWith('.')) return 'must be a simple json path starting with .';
  const steps: Step[] = [];
  let rest = text;
  while (rest.length > 0) {
    const m = STEP.exec(rest);
    if (m === null) return `unsupported json path syntax at ${JSON.stringify(rest)}`;
    if (m[1] !== undefined) steps.push({ kind: 'field', name: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: 'index', i: Number(m[2]) });
    else steps.push({ kind: 'field', name: m[3] as string });
    rest = rest.slice(m[0].length);
  }
  return steps;
}

/** Undefined when `path` parses, else why not. */
export function validateJsonPath(path: string): string | undefined {
  const r = parseJsonPath(path);
  return typeof r === 'string' ? r : undefined;
}

/** The value at `steps` in `obj`, or undefined when any step is missing. */
export function evaluate(obj: unknown, steps: readonly Step[]): unknown {
  let v: unknown = obj;
  for (const s of steps) {
    if (s.kind === 'field') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
      v = (v as Record<string, unknown>)[s.name];
    } else {
      if (!Array.isArray(v)) return undefined;
      v = v[s.i];
    }
    if (v === undefined) return undefined;
  }
  return v;
}

/** `obj` with the value at `steps` (which exist up to the last) set to `value`. */
export function setAt(obj: unknown, steps: readonly Step[], value: unknown): unknown {
  const [first, ...rest] = steps;
  if (first === undefined) return value;
  if (first.kind === 'field') {
    const o = typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? obj : {};
    const cur = (o as Record<string, unknown>)[first.name];
    return { ...o, [first.name]: setAt(cur, rest, value) };
  }
  const a = Array.isArray(obj) ? [...obj] : [];
  a[first.i] = setAt(a[first.i], rest, value);
  return a;
}
