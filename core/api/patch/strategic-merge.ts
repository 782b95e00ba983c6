/**
 * Applying a strategic merge patch, as upstream's server does
 * (staging/src/k8s.io/apimachinery/pkg/util/strategicpatch/patch.go: StrategicMergeMapPatch with
 * MergeParallelList and IgnoreUnmatchedNulls): a JSON merge patch whose lists merge where the
 * kind's metadata says so (`+patchStrategy=merge`, items matched on `+patchMergeKey`), with the
 * directives kubectl sends: `$patch: replace|delete` on a map or a list item, `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
 *
 * Nothing is mutated: the original is shared and frozen (DESIGN.md §8), so every level that
 * changes is copied. The result can hold directives where upstream's would too: a patch value
 * for a field the original lacks is taken as it is.
 */
import {
  goValue,
  isJsonObject,
  jsonEqual,
  patchError,
  type JsonObject,
  type PatchError,
} from './json.ts';
import { childPath, itemsPath, type ListMeta, type PatchMeta } from './patch-meta.ts';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';

/** mergepatch's errors, with the codes interpretStrategicMergePatchError gives them. */
const badRequest = (m: string): PatchError => patchError(400, m);
const unprocessable = (m: string): PatchError => patchError(422, m);
/** Errors upstream passes on unconverted, which its handler answers as a 500. */
const internal = (m: string): PatchError => patchError(500, m);

class Failure extends Error {
  constructor(readonly error: PatchError) {
    super(error.message);
  }
}

function fail(e: PatchError): never {
  throw new Failure(e);
}

const noMergeKey = (m: JsonObject, key: string): never =>
  fail(internal(`map: ${goValue(m)} does not contain declared merge key: ${key}`));

const badPatchType = (t: unknown, m: JsonObject): never =>
  fail(internal(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`));

/** Applies `patch` to `original` with the field metadata `meta` (rooted at the object). */
export function strategicMergePatch(
  original: JsonObject,
  patch: JsonObject,
  meta: PatchMeta,
): JsonObject | PatchError {
  try {
    return mergeMap(original, patch, meta, '');
  } catch (e) {
    if (e instanceof Failure) return e.error;
    throw e;
  }
}

function mergeMap(
  originalIn: JsonObject | undefined,
  patchIn: JsonObject,
  meta: PatchMeta,
  path: string,
): JsonObject {
  if (Object.hasOwn(patchIn, DIRECTIVE)) return mapDirective(patchIn[DIRECTIVE], patchIn);
  const original: JsonObject = { ...(originalIn ?? {}) };
  const patch: JsonObject = { ...patchIn };
  applyRetainKeys(original, patch);
  mergeSetElementOrder(original, patch, meta, path);
  for (const [rawKey, patchV] of Object.entries(patch)) {
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete original[key];
      continue;
    }
    if (!Object.hasOwn(original, key)) {
      // Upstream takes the patch value as it is, so a deletion list for a missing list adds it.
      original[key] = patchV;
      continue;
    }
    const origV = original[key];
    const fieldPath = childPath(path, key);
    if (isJsonObject(origV) && isJsonObject(patchV)) {
      original[key] = meta.replacesMap(fieldPath)
        ? patchV
        : mergeMap(origV, patchV, meta, fieldPath);
    } else if (Array.isArray(origV) && Array.isArray(patchV)) {
      const listMeta = meta.at(fieldPath);
      original[key] =
        listMeta.strategy === 'merge'
          ? mergeSlice(origV, patchV, listMeta, meta, itemsPath(fieldPath), isDeleteList)
          : patchV;
    } else {
      original[key] = patchV;
    }
  }
  return original;
}

/** handleDirectiveInMergeMap: `$patch: replace` keeps the patch alone, `delete` empties the map. */
function mapDirective(directive: unknown, patch: JsonObject): JsonObject {
  if (directive === 'replace') {
    const { [DIRECTIVE]: _, ...rest } = patch;
    return rest;
  }
  if (directive === 'delete') return {};
  return badPatchType(directive, patch);
}

/** `$retainKeys`: the original keeps only the listed keys; the patch may set only those. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) fail(badRequest('invalid patch format of retainKeys'));
  const keep = new Set(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER))
      continue;
    if (!keep.has(k)) fail(badRequest('invalid patch format of retainKeys'));
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** The list key of `$setElementOrder/<key>` and `$deleteFromPrimitiveList/<key>`. */
function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    fail(
      badRequest(
        prefix === SET_ELEMENT_ORDER
          ? 'invalid patch format of setElementOrder list'
          : 'invalid patch format of primitive list',
      ),
    );
  }
  return key.slice(slash + 1);
}

/**
 * mergePatchIntoOriginal: each `$setElementOrder/<list>` merges its list now and orders the
 * result: the directive's order for the items it names, the live order for the others.
 */
function mergeSetElementOrder(
  original: JsonObject,
  patch: JsonObject,
  meta: PatchMeta,
  path: string,
): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order))
      fail(internal(`expected a []interface {}, but received a ${goType(order)}`));
    const listKey = extractKey(key, SET_ELEMENT_ORDER);
    const fieldPath = childPath(path, listKey);
    const listMeta = meta.at(fieldPath);
    const foundOriginal = Object.hasOwn(original, listKey);
    const foundPatch = Object.hasOwn(patch, listKey);
    const origList = foundOriginal ? asList(original[listKey]) : [];
    const patchList = foundPatch ? asList(patch[listKey]) : [];
    const mergeKey = listMeta.mergeKey;
    validatePatchWithSetOrderList(patchList, order, mergeKey);
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = origList;
    else if (!foundOriginal && foundPatch) merged = patchList;
    else if (foundOriginal && foundPatch) {
      merged =
        listMeta.strategy === 'merge'
          ? mergeSlice(origList, patchList, listMeta, meta, itemsPath(fieldPath), false)
          : patchList;
    } else return;
    const [inOrder, serverOnly] = partition(merged, order, mergeKey);
    const isMap = elementsAreMaps(origList, patchList);
    original[listKey] = normalizeElementOrder(
      inOrder,
      serverOnly,
      order,
      origList,
      mergeKey,
      isMap,
    );
    delete patch[listKey];
  }
}

function asList(v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(internal(`expected a []interface {}, but received a ${goType(v)}`));
  return v;
}

function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isJsonObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** The relative order of the patch's items must agree with the directive's list. */
function validatePatchWithSetOrderList(
  patchList: readonly unknown[],
  order: readonly unknown[],
  mergeKey: string | undefined,
): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey === undefined ? patchList : patchList.filter((v) => !isDeleteItem(v));
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isJsonObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (sameItem(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length && o >= order.length) {
    fail(
      internal(
        `The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValue(order)}\n`,
      ),
    );
  }
}

function isDeleteItem(v: unknown): boolean {
  return isJsonObject(v) && v[DIRECTIVE] === 'delete';
}

/** Two items are the same one: equal scalars, or maps with the same merge key value. */
function sameItem(a: unknown, b: unknown, mergeKey: string | undefined): boolean {
  if (mergeKey === undefined) return a === b;
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  if (!Object.hasOwn(a, mergeKey)) noMergeKey(a, mergeKey);
  if (!Object.hasOwn(b, mergeKey)) noMergeKey(b, mergeKey);
  return a[mergeKey] === b[mergeKey];
}

function elementsAreMaps(...lists: readonly (readonly unknown[])[]): boolean {
  for (const l of lists) for (const v of l) return isJsonObject(v);
  return false;
}

/** sliceElementType: every item of both lists has one type, and no item is a list. */
function checkElementTypes(original: readonly unknown[], patch: readonly unknown[]): boolean {
  let type: string | undefined;
  for (const v of [...original, ...patch]) {
    const t = goType(v);
    if (type === undefined) {
      if (t === '[]interface {}') fail(unprocessable('lists of lists are not supported'));
      type = t;
    } else if (t !== type) {
      fail(
        internal(`list element types are not identical: [${goValue(original)} ${goValue(patch)}]`),
      );
    }
  }
  return type === 'map[string]interface {}';
}

function mergeSlice(
  original: readonly unknown[],
  patch: readonly unknown[],
  listMeta: ListMeta,
  meta: PatchMeta,
  itemPath: string,
  isDeleteList: boolean,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return [...original];
  const isMap = checkElementTypes(original, patch);
  const mergeKey = listMeta.mergeKey;
  let base: readonly unknown[] = original;
  let items: readonly unknown[] = patch;
  let merged: unknown[];
  if (!isMap) {
    if (isDeleteList) return original.filter((v) => !patch.includes(v));
    merged = deduplicateScalars([...original, ...patch]);
  } else {
    if (mergeKey === undefined) {
      fail(internal('cannot merge lists without merge key for type map'));
    }
    [base, items] = withSpecialElements(original, patch, mergeKey);
    merged = mergeItems(base, items, mergeKey, meta, itemPath);
  }
  const [inPatch, serverOnly] = partition(merged, items, isMap ? mergeKey : undefined);
  return normalizeElementOrder(
    inPatch,
    serverOnly,
    items,
    base,
    isMap ? mergeKey : undefined,
    isMap,
  );
}

/**
 * mergeSliceWithSpecialElements: `{$patch: delete, key: v}` items remove their match from the
 * original; a `{$patch: replace}` item makes the other items the whole list.
 */
function withSpecialElements(
  original: readonly unknown[],
  patch: readonly unknown[],
  mergeKey: string,
): [readonly unknown[], readonly unknown[]] {
  let base = [...original];
  const rest: unknown[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!Object.hasOwn(item, DIRECTIVE)) {
      rest.push(v);
      continue;
    }
    switch (item[DIRECTIVE]) {
      case 'delete': {
        if (!Object.hasOwn(item, mergeKey)) noMergeKey(item, mergeKey);
        const value = item[mergeKey];
        base = base.filter((o) => !(isJsonObject(o) && o[mergeKey] === value));
        break;
      }
      case 'replace':
        replace = true;
        break;
      case 'merge':
        fail(internal('merging lists cannot yet be specified in the patch'));
        break;
      default:
        badPatchType(item[DIRECTIVE], item);
    }
  }
  return replace ? [rest, []] : [base, rest];
}

/** Items that match an original item (by merge key) merge into it; the others are appended. */
function mergeItems(
  original: readonly unknown[],
  patch: readonly unknown[],
  mergeKey: string,
  meta: PatchMeta,
  itemPath: string,
): unknown[] {
  const out = [...original];
  for (const v of patch) {
    const item = v as JsonObject;
    if (!Object.hasOwn(item, mergeKey)) noMergeKey(item, mergeKey);
    const at = out.findIndex((o) => isJsonObject(o) && o[mergeKey] === item[mergeKey]);
    if (at >= 0) out[at] = mergeMap(out[at] as JsonObject, item, meta, itemPath);
    else out.push(v);
  }
  return out;
}

function deduplicateScalars(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (!out.some((o) => o === v)) out.push(v);
  return out;
}

/** Splits `list` into the items `by` names (by merge key, or equal scalars) and the rest. */
function partition(
  list: readonly unknown[],
  by: readonly unknown[],
  mergeKey: string | undefined,
): [unknown[], unknown[]] {
  const inBy: unknown[] = [];
  const rest: unknown[] = [];
  for (const v of list) {
    if (mergeKey !== undefined) {
      if (!isJsonObject(v))
        fail(internal(`expected a map[string]interface {}, but received a ${goType(v)}`));
      if (!Object.hasOwn(v, mergeKey)) noMergeKey(v, mergeKey);
    }
    const found = by.some((b) =>
      mergeKey === undefined
        ? b === v
        : isJsonObject(b) && b[mergeKey] === (v as JsonObject)[mergeKey],
    );
    (found ? inBy : rest).push(v);
  }
  return [inBy, rest];
}

function indexIn(
  list: readonly unknown[],
  v: unknown,
  mergeKey: string | undefined,
  isMap: boolean,
): number {
  if (!isMap || mergeKey === undefined) return list.findIndex((x) => jsonEqual(x, v));
  const key = (v as JsonObject)[mergeKey];
  return list.findIndex((x) => isJsonObject(x) && x[mergeKey] === key);
}

/**
 * normalizeElementOrder: the patch's items in the patch's (or directive's) order, the
 * server-only items in the live order, then the two interleaved by the live order where both
 * are known, patch items first otherwise (so a new item lands before the live ones).
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string | undefined,
  isMap: boolean,
): unknown[] {
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, isMap);
  const right = sortByOrder(patchItems, patchOrder, mergeKey, isMap);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, isMap);
      const ri = indexIn(serverOrder, right[j], mergeKey, isMap);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Stable sort by position in `order`; items `order` lacks keep their place. */
function sortByOrder(
  items: unknown[],
  order: readonly unknown[],
  mergeKey: string | undefined,
  isMap: boolean,
): unknown[] {
  const deletes = isMap ? items.filter(isDeleteItem) : [];
  const keep = isMap ? items.filter((v) => !isDeleteItem(v)) : items;
  const ranked = keep.map((v, i) => ({ v, i, at: indexIn(order, v, mergeKey, isMap) }));
  ranked.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : a.i - b.i));
  return [...ranked.map((r) => r.v), ...deletes];
}
