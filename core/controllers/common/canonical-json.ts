/**
 * Comparison of API objects as apiequality.Semantic.DeepEqual sees them: key order does not
 * matter, and an empty list or map is the same as an absent one.
 */
/** JSON with sorted keys, without undefined, empty objects or empty arrays. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'null';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = canonical((value as Record<string, unknown>)[k]);
    if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}
