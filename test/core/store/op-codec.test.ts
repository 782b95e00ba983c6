import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeEntryOp, encodeEntryOp } from '../../../core/store/member/op-codec.ts';
import { leaseId, revision, type Op, type PutOp } from '../../../core/store/types.ts';

/** Keys and values with quotes, backslashes, control and multi-byte characters. */
const text = fc.string({ unit: 'binary', maxLength: 40 });

const putArb: fc.Arbitrary<PutOp> = fc
  .record(
    {
      key: text,
      value: text,
      lease: fc.integer({ min: 1, max: 2 ** 48 - 1 }).map(leaseId),
      prevKv: fc.constant(true),
      ignoreValue: fc.constant(true),
      ignoreLease: fc.constant(true),
    },
    { requiredKeys: ['key', 'value'] },
  )
  .map((fields) => ({ kind: 'put', ...fields }));

// Spread into plain objects: fast-check's records have no prototype, decoded ops do.
const opArb: fc.Arbitrary<Op> = fc
  .oneof(
    putArb,
    fc.record({ kind: fc.constant('delete-range' as const), key: text, prevKv: fc.boolean() }),
    fc.record({ kind: fc.constant('range' as const), key: text, limit: fc.nat(5) }),
    fc.record({ kind: fc.constant('compact' as const), revision: fc.nat(1000).map(revision) }),
    fc.record({ kind: fc.constant('lease-revoke' as const), id: fc.nat(1000).map(leaseId) }),
  )
  .map((op): Op => ({ ...op }));

/** The bytes as they would come back from the WAL or a wire: a buffer of their own. */
const fresh = (bytes: Uint8Array): Uint8Array => Uint8Array.from(bytes);

describe('store entry payloads', () => {
  test.prop([opArb])('decode(encode(op)) equals op, read back from fresh bytes', (op) => {
    expect(decodeEntryOp(fresh(encodeEntryOp(op)))).toStrictEqual(op);
  });

  test.prop([fc.array(opArb, { minLength: 1, maxLength: 30 })])(
    'payloads written back to back on a slab do not overlap',
    (ops) => {
      const payloads = ops.map((op) => fresh(encodeEntryOp(op)));
      expect(payloads.map(decodeEntryOp)).toStrictEqual(ops);
    },
  );

  it('puts use the binary layout, everything else JSON', () => {
    expect(encodeEntryOp({ kind: 'put', key: 'k', value: 'v' })[0]).toBe(0x01);
    expect(String.fromCharCode(encodeEntryOp({ kind: 'delete-range', key: 'k' })[0]!)).toBe('{');
  });

  it('a payload just encoded decodes to the very op, without parsing', () => {
    const op: Op = { kind: 'put', key: '/registry/pods/default/a', value: 'x' };
    expect(decodeEntryOp(encodeEntryOp(op))).toBe(op);
  });

  it('survives a slab change: large payloads and many of them', () => {
    const big = 'é'.repeat(50_000);
    const ops: Op[] = Array.from({ length: 300 }, (_, i) => ({
      kind: 'put',
      key: `/k/${i}`,
      value: i % 50 === 0 ? big : `v${i}`,
    }));
    const payloads = ops.map(encodeEntryOp);
    expect(payloads.map((p) => decodeEntryOp(fresh(p)))).toStrictEqual(ops);
  });

  it('refuses a payload in an unknown layout, naming the byte', () => {
    expect(() => decodeEntryOp(Uint8Array.of(9, 1, 2))).toThrow(/unknown payload layout 9/);
  });
});
