/**
 * Deep equality of plain JSON-like data, the default way to compare a model's result with an
 * observed one. A property whose value is `undefined` counts as absent, so `{ a: 1 }` equals
 * `{ a: 1, b: undefined }` (results built with optional spreads and results decoded from JSON
 * must compare equal). Arrays compare by position; numbers with `Object.is` except 0 / -0.
 */
export function structuralEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!structuralEqual(a[i], b[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keysA = definedKeys(ra);
  const keysB = definedKeys(rb);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(rb, key) || !structuralEqual(ra[key], rb[key])) return false;
  }
  return true;
}

function definedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).filter((key) => record[key] !== undefined);
}
