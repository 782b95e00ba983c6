import { describe, expect, it } from 'vitest';
import {
  decodeMemberSnapshot,
  encodeMemberSnapshot,
  MemberImage,
  memberSnapshotParts,
} from '../../../../core/store/member/member-snapshot.ts';
import { KvStateMachine } from '../../../../core/store/state-machine.ts';

describe('member snapshot data', () => {
  const store = new TextEncoder().encode('{"format":"ksim-mvcc/1"}');

  it('carries the address book, by id, in front of the store image', () => {
    const data = encodeMemberSnapshot(
      [
        { id: 3, address: 'etcd-2' },
        { id: 1, address: 'etcd-0' },
      ],
      [5, 2],
      store,
    );
    const decoded = decodeMemberSnapshot(data);
    expect(decoded.removed).toEqual([2, 5]);
    expect(decoded.members).toEqual([
      { id: 1, address: 'etcd-0' },
      { id: 3, address: 'etcd-2' },
    ]);
    expect(decoded.store).toEqual(store);
  });

  it('as an image, gives the parts decoding its bytes gives, and bytes equal to encoding them', () => {
    const sm = new KvStateMachine();
    sm.apply({ kind: 'put', key: '/a', value: '1' });
    const members = [
      { id: 3, address: 'etcd-2', learner: false },
      { id: 1, address: 'etcd-0', learner: true },
    ];
    const image = new MemberImage(members, [5, 2], sm.image());
    const bytes = image.bytes();
    expect(bytes).toEqual(encodeMemberSnapshot(members, [5, 2], sm.snapshot()));
    const decoded = memberSnapshotParts(bytes);
    const parts = memberSnapshotParts(image);
    expect(parts.members).toEqual(decoded.members);
    expect(parts.removed).toEqual(decoded.removed);
    expect(parts.store).toBe(image.store);
    expect(KvStateMachine.restore(parts.store).hash()).toBe(sm.hash());
  });

  it('reads a bare store image (the bootstrap image) as having no address book', () => {
    expect(decodeMemberSnapshot(store)).toEqual({ members: undefined, removed: [], store });
    expect(decodeMemberSnapshot(new Uint8Array(0)).members).toBeUndefined();
  });

  it('refuses a damaged address book', () => {
    const data = encodeMemberSnapshot([{ id: 1, address: 'a' }], [], store);
    const truncated = data.subarray(0, 10);
    expect(() => decodeMemberSnapshot(truncated)).toThrow(/address book runs past the data/);
    const bad = encodeMemberSnapshot([{ id: 1, address: 'a' }], [], store);
    bad[8] = 0x5b; // '{"members":...' becomes '["members":...'
    expect(() => decodeMemberSnapshot(bad)).toThrow();
    const wrong = new TextEncoder().encode('{"members":[[0,"a"]],"removed":[]}');
    const framed = new Uint8Array(8 + wrong.byteLength);
    framed.set([0x6b, 0x73, 0x6d, 0x01]);
    new DataView(framed.buffer).setUint32(4, wrong.byteLength, true);
    framed.set(wrong, 8);
    expect(() => decodeMemberSnapshot(framed)).toThrow(/malformed address book/);
  });
});
