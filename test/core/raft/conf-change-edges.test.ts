/**
 * Conf-change details the table in conf-change.test.ts does not reach: ordering of new members
 * among existing ones, the reasons given for refused changes, the entry encoding's bytes and
 * its refusal of an unknown kind, and the one-letter form the data-driven tests print.
 */
import { describe, expect, test } from 'vitest';
import {
  asNodeId,
  changeConfState,
  confChange,
  decodeConfChange,
  describeConfChange,
  encodeConfChange,
  type ConfState,
} from '../../../core/raft/index.ts';

const conf = (voters: number[], learners: number[]): ConfState => ({
  voters: voters.map(asNodeId),
  learners: learners.map(asNodeId),
});

describe('changeConfState', () => {
  test('keeps voters and learners sorted numerically when a member joins below others', () => {
    expect(changeConfState(conf([2, 10], [30]), confChange('add-voter', asNodeId(9)))).toEqual({
      kind: 'changed',
      confState: conf([2, 9, 10], [30]),
    });
    expect(changeConfState(conf([2, 10], [30]), confChange('add-learner', asNodeId(4)))).toEqual({
      kind: 'changed',
      confState: conf([2, 10], [4, 30]),
    });
  });

  test('gives a reason for each refused change', () => {
    expect(changeConfState(conf([1], []), confChange('remove', asNodeId(0)))).toEqual({
      kind: 'invalid',
      reason: 'conf change names node 0',
    });
    expect(changeConfState(conf([1], []), confChange('add-learner', asNodeId(1)))).toEqual({
      kind: 'invalid',
      reason: 'demoting the last voter',
    });
    expect(changeConfState(conf([1], [2]), confChange('remove', asNodeId(1)))).toEqual({
      kind: 'invalid',
      reason: 'removing the last voter',
    });
  });

  test('a learner may be re-added as a learner (unchanged) or removed while one voter remains', () => {
    expect(changeConfState(conf([1], [2]), confChange('add-learner', asNodeId(2)))).toEqual({
      kind: 'unchanged',
    });
    expect(changeConfState(conf([1], [2]), confChange('remove', asNodeId(2)))).toEqual({
      kind: 'changed',
      confState: conf([1], []),
    });
    // Adding a learner that is not a voter while there is one voter is fine.
    expect(changeConfState(conf([1], []), confChange('add-learner', asNodeId(2)))).toEqual({
      kind: 'changed',
      confState: conf([1], [2]),
    });
  });
});

describe('conf change entry encoding', () => {
  test('is the kind code, the id as a little-endian float64, then the context', () => {
    const bytes = encodeConfChange(confChange('remove', asNodeId(3), new Uint8Array([7, 8])));
    const expected = new Uint8Array(11);
    expected[0] = 2;
    new DataView(expected.buffer).setFloat64(1, 3, true);
    expected.set([7, 8], 9);
    expect(bytes).toEqual(expected);
    expect(encodeConfChange(confChange('add-voter', asNodeId(1)))).toHaveLength(9);
  });

  test('decodes from a view into a larger buffer', () => {
    const bytes = encodeConfChange(confChange('add-voter', asNodeId(5), new Uint8Array([1])));
    const framed = new Uint8Array(bytes.byteLength + 4);
    framed.set(bytes, 2);
    const cc = decodeConfChange(framed.subarray(2, 2 + bytes.byteLength));
    expect(cc.kind).toBe('add-voter');
    expect(cc.nodeId).toBe(5);
    expect([...cc.context]).toEqual([1]);
  });

  test('refuses an unknown kind code, naming it', () => {
    const bytes = encodeConfChange(confChange('add-voter', asNodeId(5)));
    bytes[0] = 7;
    expect(() => decodeConfChange(bytes)).toThrow(new Error('bad conf change kind 7'));
  });

  test('describes each kind with one letter and the node id', () => {
    expect(describeConfChange(confChange('add-voter', asNodeId(4)))).toBe('v4');
    expect(describeConfChange(confChange('add-learner', asNodeId(5)))).toBe('l5');
    expect(describeConfChange(confChange('remove', asNodeId(6)))).toBe('r6');
  });
});
