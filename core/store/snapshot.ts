/**
 * Snapshot encoding of an MvccStore: JSON of the retained state in a fixed order (keys
 * ascending, leases by id, generations oldest first), so equal stores give equal bytes and the
 * bytes can be hashed to compare replicas. Watchers are not state and are not included.
 *
 * Layout (format "ksim-mvcc/1"):
 *   { format, revision, compactRevision, leases: [[id, ttlSeconds]...],
 *     keys: [[key, [generation...]]...] }
 *   generation = [createRevision, firstVersion, [[modRevision, sub, lease, value]...], tombstone]
 *   tombstone  = [revision, sub] | null
 * Versions within a generation are consecutive, so only the first version number is stored.
 */
import { assert } from '../util/assert.ts';
import { KeyHistory, type Generation } from './key-history.ts';
import { MvccStore, type MvccStoreOptions } from './mvcc.ts';
import { leaseId, revision, type KeyValue, type LeaseId, type Revision } from './types.ts';

const FORMAT = 'ksim-mvcc/1';

type VersionJson = [modRevision: number, sub: number, lease: number, value: string];
type GenerationJson = [
  createRevision: number,
  firstVersion: number,
  versions: VersionJson[],
  tombstone: [revision: number, sub: number] | null,
];

interface SnapshotJson {
  readonly format: typeof FORMAT;
  readonly revision: number;
  readonly compactRevision: number;
  readonly leases: [id: number, ttlSeconds: number][];
  readonly keys: [key: string, generations: GenerationJson[]][];
}

export function snapshot(store: MvccStore): Uint8Array {
  return encodeImage(viewOf(store, (gens) => gens));
}

/**
 * The retained state of a store at one moment, immutable: what a snapshot holds, before it is
 * encoded. Taking one copies the small per-key arrays (versions, sub-revisions) and shares the
 * KeyValue objects and value strings, which never change, so it costs O(keys + versions) small
 * objects instead of the encoded bytes of every value. A Raft member keeps its latest snapshot
 * as an image and encodes it only when bytes are needed (snapshot-image.ts).
 */
export interface StoreImage {
  readonly revision: Revision;
  readonly compactRevision: Revision;
  readonly leases: readonly { readonly id: LeaseId; readonly ttlSeconds: number }[];
  readonly keys: readonly (readonly [key: string, generations: readonly Generation[]])[];
}

export function imageOf(store: MvccStore): StoreImage {
  return viewOf(store, (gens) => gens.map(copyGeneration));
}

function viewOf(
  store: MvccStore,
  generations: (gens: Generation[]) => readonly Generation[],
): StoreImage {
  return {
    revision: store.revision,
    compactRevision: store.compactRevision,
    leases: store.leases().map(({ id, ttlSeconds }) => ({ id, ttlSeconds })),
    keys: store
      .keyHistories()
      .map(([key, history]) => [key, generations(history.generations())] as const),
  };
}

/** The snapshot bytes of an image: equal to `snapshot` of the store it was taken from. */
export function encodeImage(image: StoreImage): Uint8Array {
  const json: SnapshotJson = {
    format: FORMAT,
    revision: image.revision,
    compactRevision: image.compactRevision,
    leases: image.leases.map(({ id, ttlSeconds }) => [id, ttlSeconds]),
    keys: image.keys.map(([key, generations]) => [key, generations.map(encodeGeneration)]),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/** A new store holding the image's state; the image stays as it was (its arrays are copied). */
export function restoreImage(image: StoreImage, options: MvccStoreOptions = {}): MvccStore {
  return MvccStore.fromSnapshotParts(
    {
      revision: image.revision,
      compactRevision: image.compactRevision,
      leases: image.leases,
      keys: image.keys.map(([key, generations]) => [
        key,
        new KeyHistory(key, generations.map(copyGeneration)),
      ]),
    },
    options,
  );
}

function copyGeneration(gen: Generation): Generation {
  return { kvs: gen.kvs.slice(), subs: gen.subs.slice(), tombstone: gen.tombstone };
}

/** A new store with the snapshot's revision, compaction point, retained history and leases. */
export function restore(bytes: Uint8Array, options: MvccStoreOptions = {}): MvccStore {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as SnapshotJson;
  assert(json.format === FORMAT, `snapshot: unknown format ${String(json.format)}`);
  assert(isCount(json.revision) && isCount(json.compactRevision), 'snapshot: bad revisions');
  return MvccStore.fromSnapshotParts(
    {
      revision: revision(json.revision),
      compactRevision: revision(json.compactRevision),
      leases: json.leases.map(([id, ttlSeconds]) => ({ id: leaseId(id), ttlSeconds })),
      keys: json.keys.map(([key, generations]) => [
        key,
        new KeyHistory(
          key,
          generations.map((g) => decodeGeneration(key, g)),
        ),
      ]),
    },
    options,
  );
}

function encodeGeneration(gen: Generation): GenerationJson {
  const first = gen.kvs[0]!;
  return [
    first.createRevision,
    first.version,
    gen.kvs.map((kv, i) => [kv.modRevision, gen.subs[i]!, kv.lease, kv.value]),
    gen.tombstone === null ? null : [gen.tombstone.revision, gen.tombstone.sub],
  ];
}

function decodeGeneration(
  key: string,
  [createRevision, firstVersion, versions, tombstone]: GenerationJson,
): Generation {
  assert(
    isCount(createRevision) && isCount(firstVersion) && versions.length > 0,
    `snapshot: bad generation of ${key}`,
  );
  const kvs: KeyValue[] = [];
  const subs: number[] = [];
  versions.forEach(([modRevision, sub, lease, value], i) => {
    assert(
      isCount(modRevision) && isCount(sub) && isCount(lease),
      `snapshot: bad version of ${key}`,
    );
    kvs.push({
      key,
      value,
      createRevision: revision(createRevision),
      modRevision: revision(modRevision),
      version: firstVersion + i,
      lease: leaseId(lease),
    });
    subs.push(sub);
  });
  return {
    kvs,
    subs,
    tombstone: tombstone === null ? null : { revision: revision(tombstone[0]), sub: tombstone[1] },
  };
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
