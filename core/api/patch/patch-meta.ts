/**
 * A kind's strategic-merge metadata (ResourceDefinition.patch) as a lookup by field path, the
 * role upstream's struct tags play through forkedjson.LookupPatchMetadata. Paths are dotted
 * from the object root, with `[]` stepping into the items of a list.
 */
import type { PatchField, PatchStrategy } from '../kinds/definition.ts';

export interface ListMeta {
  /** 'merge' merges items (by patchMergeKey for lists of objects); 'replace' replaces the list. */
  readonly strategy: 'merge' | 'replace';
  readonly mergeKey: string | undefined;
  /** `+patchStrategy=...,retainKeys`: a `$retainKeys` directive applies to the items. */
  readonly retainKeys: boolean;
}

const REPLACE: ListMeta = { strategy: 'replace', mergeKey: undefined, retainKeys: false };

export class PatchMeta {
  private readonly byPath = new Map<string, PatchField>();

  constructor(fields: readonly PatchField[]) {
    for (const f of fields) this.byPath.set(f.path, f);
  }

  /** The metadata of the field at `path`: a list's strategy, or a struct's replace tag. */
  at(path: string): ListMeta {
    const f = this.byPath.get(path);
    if (f === undefined) return REPLACE;
    return {
      strategy: hasStrategy(f.patchStrategy, 'merge') ? 'merge' : 'replace',
      mergeKey: f.patchMergeKey,
      retainKeys: hasStrategy(f.patchStrategy, 'retainKeys'),
    };
  }

  /** A map (struct) tagged `+patchStrategy=replace` is replaced whole instead of merged. */
  replacesMap(path: string): boolean {
    return this.byPath.get(path)?.patchStrategy === 'replace';
  }

  /** The fields with metadata, for whoever walks an object with them (managed fields). */
  has(path: string): boolean {
    return this.byPath.has(path);
  }
}

function hasStrategy(s: PatchStrategy, want: string): boolean {
  return s.split(',').includes(want);
}

const cache = new WeakMap<readonly PatchField[], PatchMeta>();

/** The lookup of a definition's `patch` list, built once. */
export function patchMetaOf(fields: readonly PatchField[]): PatchMeta {
  let meta = cache.get(fields);
  if (meta === undefined) {
    meta = new PatchMeta(fields);
    cache.set(fields, meta);
  }
  return meta;
}

/** The path of a struct member or map entry below `path`. */
export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The path of the items of the list at `path`. */
export function itemsPath(path: string): string {
  return `${path}[]`;
}
