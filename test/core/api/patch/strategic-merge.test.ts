/**
 * Strategic merge patch tables, ported from upstream's strategicpatch/patch_test.go (the
 * MergeItem schema: mergingList merges on name, nonMergingList is replaced, mergingIntList is
 * a merged set of scalars, replacingItem is a map tagged replace, retainKeysMap and
 * retainKeysMergingList carry retainKeys), then the same semantics on a kind's own metadata.
 */
import { describe, expect, it } from 'vitest';
import { mustDefinitionFor } from '../../../../core/api/kinds/index.ts';
import {
  isPatchError,
  patchMetaOf,
  PatchMeta,
  strategicMergePatch,
  type JsonObject,
} from '../../../../core/api/patch/index.ts';
import type { PatchField } from '../../../../core/api/kinds/index.ts';

/** upstream's MergeItem, two levels deep. */
function mergeItemFields(prefix: string, depth: number): PatchField[] {
  const p = (s: string): string => (prefix === '' ? s : `${prefix}.${s}`);
  const fields: PatchField[] = [
    { path: p('mergingList'), patchStrategy: 'merge', patchMergeKey: 'name' },
    { path: p('mergingIntList'), patchStrategy: 'merge' },
    { path: p('replacingItem'), patchStrategy: 'replace' },
    { path: p('retainKeysMergingList'), patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  ];
  if (depth > 0) {
    fields.push(...mergeItemFields(p('mergingList[]'), depth - 1));
    fields.push(...mergeItemFields(p('mergeItemPtr'), depth - 1));
  }
  return fields;
}
const MERGE_ITEM = new PatchMeta(mergeItemFields('', 2));

interface Case {
  readonly name: string;
  readonly original: JsonObject;
  readonly patch: JsonObject;
  readonly result?: JsonObject;
  readonly error?: { readonly code: number; readonly message: RegExp };
}

const CASES: readonly Case[] = [
  {
    name: 'null deletes a key',
    original: { name: '1', value: '1' },
    patch: { value: null },
    result: { name: '1' },
  },
  {
    name: 'null for a missing key is dropped (IgnoreUnmatchedNulls)',
    original: { name: '1' },
    patch: { other: null },
    result: { name: '1' },
  },
  {
    name: 'maps merge',
    original: { simpleMap: { key1: 'a', key2: 'b' } },
    patch: { simpleMap: { key2: 'c', key3: 'd' } },
    result: { simpleMap: { key1: 'a', key2: 'c', key3: 'd' } },
  },
  {
    name: '$patch: replace replaces a map',
    original: { simpleMap: { key1: 'a', key2: 'b' } },
    patch: { simpleMap: { $patch: 'replace', key3: 'c' } },
    result: { simpleMap: { key3: 'c' } },
  },
  {
    name: '$patch: delete empties a map',
    original: { simpleMap: { key1: 'a' }, name: 'x' },
    patch: { simpleMap: { $patch: 'delete' } },
    result: { simpleMap: {}, name: 'x' },
  },
  {
    name: 'a map tagged replace is replaced whole',
    original: { replacingItem: { a: 1, b: 2 } },
    patch: { replacingItem: { c: 3 } },
    result: { replacingItem: { c: 3 } },
  },
  {
    name: 'a merging list merges the item with the same merge key',
    original: { mergingList: [{ name: '1', value: 'a' }, { name: '2' }] },
    patch: { mergingList: [{ name: '1', other: 'b' }] },
    result: { mergingList: [{ name: '1', value: 'a', other: 'b' }, { name: '2' }] },
  },
  {
    name: 'a new item without $setElementOrder goes before the live ones',
    original: { mergingList: [{ name: '1' }, { name: '2' }] },
    patch: { mergingList: [{ name: '3' }] },
    result: { mergingList: [{ name: '3' }, { name: '1' }, { name: '2' }] },
  },
  {
    name: '$setElementOrder orders the merged list',
    original: { mergingList: [{ name: '1' }, { name: '2' }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }, { name: '3' }],
      mergingList: [{ name: '3', value: 'x' }],
    },
    result: { mergingList: [{ name: '1' }, { name: '2' }, { name: '3', value: 'x' }] },
  },
  {
    name: '$setElementOrder alone reorders the live items',
    original: { mergingList: [{ name: '1' }, { name: '2' }, { name: '3' }] },
    patch: { '$setElementOrder/mergingList': [{ name: '3' }, { name: '1' }, { name: '2' }] },
    result: { mergingList: [{ name: '3' }, { name: '1' }, { name: '2' }] },
  },
  {
    name: '$setElementOrder that disagrees with the patch list is refused',
    original: { mergingList: [{ name: '1' }] },
    patch: {
      '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }],
      mergingList: [{ name: '2' }, { name: '1' }],
    },
    error: { code: 500, message: /doesn't match \$setElementOrder list/ },
  },
  {
    name: '$patch: delete removes the matching item',
    original: { mergingList: [{ name: '1' }, { name: '2' }] },
    patch: { mergingList: [{ name: '1', $patch: 'delete' }] },
    result: { mergingList: [{ name: '2' }] },
  },
  {
    name: '$patch: replace in a list makes the other items the list',
    original: { mergingList: [{ name: '1' }, { name: '2' }] },
    patch: { mergingList: [{ $patch: 'replace' }, { name: '3' }] },
    result: { mergingList: [{ name: '3' }] },
  },
  {
    name: 'a non-merging list is replaced',
    original: { nonMergingList: [{ name: '1' }, { name: '2' }] },
    patch: { nonMergingList: [{ name: '3' }] },
    result: { nonMergingList: [{ name: '3' }] },
  },
  {
    name: 'nested merging lists merge',
    original: { mergingList: [{ name: '1', mergingList: [{ name: 'a', value: 'x' }] }] },
    patch: { mergingList: [{ name: '1', mergingList: [{ name: 'a', other: 'y' }] }] },
    result: { mergingList: [{ name: '1', mergingList: [{ name: 'a', value: 'x', other: 'y' }] }] },
  },
  {
    name: 'a merged list of scalars is a set in live order',
    original: { mergingIntList: [1, 2] },
    patch: { mergingIntList: [2, 3] },
    result: { mergingIntList: [1, 2, 3] },
  },
  {
    name: '$deleteFromPrimitiveList removes scalars',
    original: { mergingIntList: [1, 2, 3] },
    patch: { '$deleteFromPrimitiveList/mergingIntList': [2] },
    result: { mergingIntList: [1, 3] },
  },
  {
    name: '$setElementOrder of scalars',
    original: { mergingIntList: [1, 2, 3] },
    patch: { '$setElementOrder/mergingIntList': [3, 2, 1] },
    result: { mergingIntList: [3, 2, 1] },
  },
  {
    name: 'a list item without its merge key is refused',
    original: { mergingList: [{ name: '1' }] },
    patch: { mergingList: [{ value: 'x' }] },
    error: { code: 500, message: /map: map\[value:x\] does not contain declared merge key: name/ },
  },
  {
    name: 'an unknown $patch directive is refused',
    original: { simpleMap: {} },
    patch: { simpleMap: { $patch: 'frobnicate' } },
    error: { code: 500, message: /unknown patch type: frobnicate in map/ },
  },
  {
    name: 'lists of lists are refused',
    original: { mergingIntList: [[1]] },
    patch: { mergingIntList: [[2]] },
    error: { code: 422, message: /lists of lists are not supported/ },
  },
  {
    name: '$retainKeys clears the keys it does not list',
    original: { retainKeysMap: { name: 'foo', value: 'bar', other: 'baz' } },
    patch: { retainKeysMap: { $retainKeys: ['name', 'other'], other: 'x' } },
    result: { retainKeysMap: { name: 'foo', other: 'x' } },
  },
  {
    name: '$retainKeys must list every key the patch sets',
    original: { retainKeysMap: { name: 'foo' } },
    patch: { retainKeysMap: { $retainKeys: ['name'], value: 'x' } },
    error: { code: 400, message: /^invalid patch format of retainKeys$/ },
  },
  {
    name: '$retainKeys in the items of a retainKeys list',
    original: { retainKeysMergingList: [{ name: 'v', value: 'a', other: 'b' }] },
    patch: { retainKeysMergingList: [{ name: 'v', $retainKeys: ['name', 'value'], value: 'c' }] },
    result: { retainKeysMergingList: [{ name: 'v', value: 'c' }] },
  },
  {
    name: 'a value of another type replaces the original',
    original: { simpleMap: { a: 'b' } },
    patch: { simpleMap: 'x' },
    result: { simpleMap: 'x' },
  },
  {
    name: 'a field the original lacks is taken from the patch',
    original: {},
    patch: { mergingList: [{ name: '1' }] },
    result: { mergingList: [{ name: '1' }] },
  },
];

describe('strategic merge patch (upstream patch_test.go)', () => {
  it.each(CASES)('$name', (c) => {
    const r = strategicMergePatch(structuredClone(c.original), c.patch, MERGE_ITEM);
    if (c.error !== undefined) {
      expect(isPatchError(r)).toBe(true);
      if (!isPatchError(r)) return;
      expect(r.code).toBe(c.error.code);
      expect(r.message).toMatch(c.error.message);
    } else {
      expect(r).toEqual(c.result);
    }
  });

  it('leaves its inputs alone (they are shared and frozen)', () => {
    const original = Object.freeze({
      mergingList: Object.freeze([Object.freeze({ name: '1', value: 'a' })]),
    });
    const patch = Object.freeze({
      mergingList: Object.freeze([Object.freeze({ name: '1', other: 'b' })]),
    });
    expect(strategicMergePatch(original as JsonObject, patch as JsonObject, MERGE_ITEM)).toEqual({
      mergingList: [{ name: '1', value: 'a', other: 'b' }],
    });
  });
});

describe('strategic merge patch with the kinds own metadata', () => {
  const POD = patchMetaOf(mustDefinitionFor('Pod').patch);
  const RS = patchMetaOf(mustDefinitionFor('ReplicaSet').patch);
  const pod = {
    metadata: {
      name: 'p',
      finalizers: ['a'],
      ownerReferences: [{ uid: 'u1', name: 'one' }],
      labels: { app: 'web' },
    },
    spec: {
      containers: [
        { name: 'c', image: 'nginx:1', env: [{ name: 'A', value: '1' }] },
        { name: 'd', image: 'busybox' },
      ],
      tolerations: [{ key: 'k1' }],
    },
  };

  it('merges containers on name and env on name, and replaces untagged lists', () => {
    const r = strategicMergePatch(
      pod,
      {
        spec: {
          containers: [{ name: 'c', image: 'nginx:2', env: [{ name: 'B', value: '2' }] }],
          tolerations: [{ key: 'k2' }],
        },
      },
      POD,
    );
    expect(r).toMatchObject({
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx:2',
            env: [
              { name: 'B', value: '2' },
              { name: 'A', value: '1' },
            ],
          },
          { name: 'd', image: 'busybox' },
        ],
        tolerations: [{ key: 'k2' }],
      },
    });
  });

  it('merges finalizers as a set and ownerReferences on uid', () => {
    const r = strategicMergePatch(
      pod,
      {
        metadata: {
          finalizers: ['b'],
          ownerReferences: [{ uid: 'u1', controller: true }],
          '$deleteFromPrimitiveList/finalizers': ['a'],
        },
      },
      POD,
    ) as typeof pod;
    expect(r.metadata.finalizers).toEqual(['b']);
    expect(r.metadata.ownerReferences).toEqual([{ uid: 'u1', name: 'one', controller: true }]);
  });

  it('reads a pod template in a ReplicaSet at its own path, as kubectl apply patches it', () => {
    const rs = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } } };
    const r = strategicMergePatch(
      rs,
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'a' }, { name: 'c' }],
              containers: [
                { name: 'c', image: 'x' },
                { name: 'b', $patch: 'delete' },
              ],
            },
          },
        },
      },
      RS,
    );
    expect(r).toEqual({
      spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'c', image: 'x' }] } } },
    });
  });
});
