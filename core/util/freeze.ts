/**
 * Deep-freezes plain data (objects and arrays, as messages and API objects are), so that a
 * mutation throws in strict mode. Used by check mode (DESIGN.md §8): whatever crosses a process
 * boundary, and whatever the store, the watch cache or an informer hands out, is immutable.
 *
 * A frozen object is taken to be deeply frozen already: everything that freezes shared data
 * freezes it through here, which keeps freezing an object graph that is handed on again (a
 * watch-cache object sent to a hundred watchers) at one check per object. Byte arrays cannot be
 * frozen (JavaScript refuses to freeze a typed array with elements); they are left as they are.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) freezeObject(value);
  return value;
}

/** Primitives are tested inline: most fields are, and a call per field would cost more. */
function freezeObject(obj: object): void {
  if (Object.isFrozen(obj) || ArrayBuffer.isView(obj)) return;
  Object.freeze(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const v: unknown = obj[i];
      if (typeof v === 'object' && v !== null) freezeObject(v);
    }
  } else {
    const record = obj as Record<string, unknown>;
    for (const key in record) {
      const v = record[key];
      if (typeof v === 'object' && v !== null) freezeObject(v);
    }
  }
}
