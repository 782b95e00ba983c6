import { describe, expect, test } from 'vitest';
import {
  asNodeId,
  changeConfState,
  confChange,
  decodeConfChange,
  encodeConfChange,
  type ConfChangeKind,
} from '../../../core/raft/index.ts';

const ids = (...n: number[]) => n.map(asNodeId);

describe('changeConfState', () => {
  const cases: [string, number[], number[], ConfChangeKind, number, string][] = [
    ['add a voter', [1, 2, 3], [], 'add-voter', 4, 'changed v=1,2,3,4 l='],
    ['add an existing voter', [1, 2, 3], [], 'add-voter', 2, 'unchanged'],
    ['promote a learner', [1, 2], [3], 'add-voter', 3, 'changed v=1,2,3 l='],
    ['add a learner', [1, 2, 3], [], 'add-learner', 4, 'changed v=1,2,3 l=4'],
    ['demote a voter', [1, 2, 3], [], 'add-learner', 2, 'changed v=1,3 l=2'],
    ['demote the last voter', [1], [], 'add-learner', 1, 'invalid'],
    ['remove a voter', [1, 2, 3], [4], 'remove', 2, 'changed v=1,3 l=4'],
    ['remove a learner', [1, 2, 3], [4], 'remove', 4, 'changed v=1,2,3 l='],
    ['remove a non-member', [1, 2, 3], [], 'remove', 9, 'unchanged'],
    ['remove the last voter', [1], [2], 'remove', 1, 'invalid'],
    ['node 0', [1], [], 'add-voter', 0, 'invalid'],
  ];
  test.each(cases)('%s', (_name, voters, learners, kind, id, want) => {
    const out = changeConfState(
      { voters: ids(...voters), learners: ids(...learners) },
      confChange(kind, asNodeId(id)),
    );
    const got =
      out.kind === 'changed'
        ? `changed v=${out.confState.voters.join(',')} l=${out.confState.learners.join(',')}`
        : out.kind;
    expect(got).toBe(want);
  });
});

test('conf changes round-trip through their entry encoding', () => {
  const cc = confChange('add-learner', asNodeId(123456789), new TextEncoder().encode('http://x'));
  const back = decodeConfChange(encodeConfChange(cc));
  expect(back.kind).toBe('add-learner');
  expect(back.nodeId).toBe(123456789);
  expect(new TextDecoder().decode(back.context)).toBe('http://x');
});
