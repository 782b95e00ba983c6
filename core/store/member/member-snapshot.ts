/**
 * A member's Raft snapshot data: the store image plus the address of every member the
 * snapshot's configuration names. Addresses travel in conf-change entries (etcd puts peer URLs
 * in the ConfChange context); once a snapshot has compacted those entries away, a member that
 * restarts or catches up from the snapshot learns the addresses here instead.
 *
 * Layout: "ksm" 0x01, address-book length (u32 LE), the address book as UTF-8 JSON
 * ({"members": [[id, address], ...] by id, "removed": [id, ...]}), then the store image. Data
 * without the magic is a bare store image (the bootstrap image every member of a new cluster
 * starts from). `removed` lists members removed so far, so that one which missed its removal
 * can still be told after a restart.
 *
 * A member takes its snapshots as a `MemberImage`: the same content unencoded (an immutable view
 * of the store), encoded to this layout only when bytes are needed. A member restoring from an
 * image (after installing a leader's snapshot in simulation) restores from the view directly.
 */
import { LazyBytes, type Bytes } from '../../ports/lazy-bytes.ts';
import { encodeImage, type StoreImage } from '../snapshot.ts';
import type { MemberPeer } from './kv-member.ts';

const MAGIC = [0x6b, 0x73, 0x6d, 0x01] as const;
const HEADER_BYTES = MAGIC.length + 4;

export function encodeMemberSnapshot(
  members: readonly MemberPeer[],
  removed: readonly number[],
  store: Uint8Array,
): Uint8Array {
  const book = new TextEncoder().encode(
    JSON.stringify({
      members: [...members].sort((a, b) => a.id - b.id).map((m) => [m.id, m.address]),
      removed: [...removed].sort((a, b) => a - b),
    }),
  );
  const out = new Uint8Array(HEADER_BYTES + book.byteLength + store.byteLength);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, book.byteLength, true);
  out.set(book, HEADER_BYTES);
  out.set(store, HEADER_BYTES + book.byteLength);
  return out;
}

/** The address book (undefined for a bare store image), removed ids, and the store image. */
export function decodeMemberSnapshot(data: Uint8Array): {
  readonly members: readonly MemberPeer[] | undefined;
  readonly removed: readonly number[];
  readonly store: Uint8Array;
} {
  if (data.byteLength < HEADER_BYTES || MAGIC.some((b, i) => data[i] !== b)) {
    return { members: undefined, removed: [], store: data };
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = view.getUint32(MAGIC.length, true);
  const end = HEADER_BYTES + length;
  if (end > data.byteLength) throw new Error('member snapshot: address book runs past the data');
  const parsed = JSON.parse(new TextDecoder().decode(data.subarray(HEADER_BYTES, end))) as {
    members?: unknown;
    removed?: unknown;
  };
  const isId = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;
  const { members, removed } = parsed;
  if (
    !Array.isArray(members) ||
    !members.every(
      (e) => Array.isArray(e) && e.length === 2 && isId(e[0]) && typeof e[1] === 'string',
    ) ||
    !Array.isArray(removed) ||
    !removed.every(isId)
  ) {
    throw new Error('member snapshot: malformed address book');
  }
  return {
    members: (members as [number, string][]).map(([id, address]) => ({ id, address })),
    removed: removed as number[],
    store: data.subarray(end),
  };
}

/**
 * Snapshot data kept as objects until bytes are needed; `bytes()` is `encodeMemberSnapshot`.
 * Members and removed ids are kept as decoding the bytes would give them back.
 */
export class MemberImage extends LazyBytes {
  readonly members: readonly MemberPeer[];
  readonly removed: readonly number[];

  constructor(
    members: readonly MemberPeer[],
    removed: readonly number[],
    readonly store: StoreImage,
  ) {
    const book = [...members]
      .sort((a, b) => a.id - b.id)
      .map(({ id, address }) => ({ id, address }));
    const gone = [...removed].sort((a, b) => a - b);
    super(() => encodeMemberSnapshot(book, gone, encodeImage(store)));
    this.members = book;
    this.removed = gone;
  }
}

/** `decodeMemberSnapshot` of any snapshot data; an image gives its store image, not bytes. */
export function memberSnapshotParts(data: Bytes): {
  readonly members: readonly MemberPeer[] | undefined;
  readonly removed: readonly number[];
  readonly store: Uint8Array | StoreImage;
} {
  if (data instanceof MemberImage) return data;
  return decodeMemberSnapshot(data instanceof Uint8Array ? data : data.bytes());
}
