/**
 * Whether a value is already what a JSON round trip would make of it: plain objects and arrays
 * of strings, finite numbers (not -0), booleans and null, with no undefined member, no hole and
 * nothing with a toJSON. For such a value `JSON.parse(JSON.stringify(v))` has the same members
 * in the same order, so a writer that has just encoded it may keep the value itself instead of
 * parsing the text back. The walk allocates nothing, which is what makes it cheaper than the
 * parse it saves.
 */
export function isPlainJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      return value === null || plainObject(value);
    default:
      return false;
  }
}

function plainObject(obj: object): boolean {
  if (Array.isArray(obj)) {
    if (Object.getPrototypeOf(obj) !== Array.prototype) return false;
    for (let i = 0; i < obj.length; i++) {
      // A hole reads as undefined, and JSON turns both into null.
      if (!isPlainJson(obj[i])) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = obj as Record<string, unknown>;
  if (typeof record.toJSON === 'function') return false;
  for (const key in record) {
    if (!isPlainJson(record[key])) return false;
  }
  return true;
}
