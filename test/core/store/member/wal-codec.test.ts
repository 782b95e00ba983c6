import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { asIndex, asNodeId, asTerm, type Entry } from '../../../../core/raft/types.ts';
import { crc32 } from '../../../../core/store/member/crc32.ts';
import {
  decodeRecords,
  encodeRecords,
  type WalRecord,
} from '../../../../core/store/member/wal-codec.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function entry(index: number, term: number, data: string, type: Entry['type'] = 'normal'): Entry {
  return { index: asIndex(index), term: asTerm(term), type, data: bytes(data) };
}

const records: WalRecord[] = [
  {
    kind: 'snapshot',
    snapshot: {
      metadata: {
        index: asIndex(7),
        term: asTerm(2),
        confState: { voters: [asNodeId(1), asNodeId(2), asNodeId(3)], learners: [asNodeId(4)] },
      },
      data: bytes('{"state":true}'),
    },
  },
  { kind: 'hard-state', hardState: { term: asTerm(3), vote: asNodeId(2), commit: asIndex(8) } },
  {
    kind: 'entries',
    entries: [entry(8, 2, 'a'), entry(9, 3, ''), entry(10, 3, 'ü€', 'conf-change')],
  },
];

describe('crc32', () => {
  it('matches the IEEE check value and slices consistently', () => {
    expect(crc32(bytes('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const long = bytes('the quick brown fox jumps over the lazy dog, twice over');
    expect(crc32(long, 4, 21)).toBe(crc32(long.slice(4, 21)));
  });
});

describe('WAL records', () => {
  it('round-trip', () => {
    const decoded = decodeRecords(encodeRecords(records));
    expect(decoded.torn).toBe(false);
    expect(decoded.records).toEqual(records);
  });

  it('a torn append at any byte keeps exactly the whole records before it', () => {
    const whole = encodeRecords(records);
    const ends: number[] = [];
    for (let k = 1; k <= records.length; k++) ends.push(encodeRecords(records.slice(0, k)).length);
    for (let cut = 0; cut < whole.length; cut++) {
      const decoded = decodeRecords(whole.subarray(0, cut));
      const complete = ends.filter((e) => e <= cut).length;
      expect(decoded.records).toEqual(records.slice(0, complete));
      expect(decoded.torn).toBe(cut > (ends[complete - 1] ?? 0));
    }
  });

  test.prop([fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 255 })])(
    'a flipped byte never decodes into a different record',
    (at, value) => {
      const whole = encodeRecords(records);
      const damaged = whole.slice();
      const i = at % damaged.length;
      if (damaged[i] === value) return;
      damaged[i] = value;
      const decoded = decodeRecords(damaged);
      for (let k = 0; k < decoded.records.length; k++)
        expect(decoded.records[k]).toEqual(records[k]);
      expect(decoded.records.length).toBeLessThan(records.length);
    },
  );
});
