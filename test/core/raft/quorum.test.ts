import { describe, expect, test } from 'vitest';
import { asNodeId, committedIndex, majority, voteResult } from '../../../core/raft/index.ts';

const ids = (...n: number[]) => n.map(asNodeId);

describe('majority', () => {
  test.each([
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 4],
  ])('of %i voters is %i', (n, q) => expect(majority(n)).toBe(q));
});

describe('committedIndex', () => {
  // acked[i] belongs to voter i+1; undefined = no ack yet.
  const cases: [string, (number | undefined)[], number][] = [
    ['no voters', [], 0],
    ['single voter', [5], 5],
    ['two voters need both', [5, 3], 3],
    ['three voters: the median', [5, 3, 9], 5],
    ['missing acks count as 0', [5, undefined, undefined], 0],
    ['one missing of three', [5, undefined, 7], 5],
    ['four voters need three', [1, 2, 3, 4], 2],
    ['five voters need three', [10, 10, 1, 1, 10], 10],
    ['five voters, spread', [1, 2, 3, 4, 5], 3],
    ['ties', [4, 4, 4], 4],
  ];
  test.each(cases)('%s', (_name, acked, want) => {
    const voters = ids(...acked.map((_, i) => i + 1));
    expect(committedIndex(voters, (id) => acked[id - 1])).toBe(want);
  });

  test('reuses the scratch array without leaking state between calls', () => {
    const scratch: number[] = [];
    expect(committedIndex(ids(1, 2, 3, 4, 5), () => 7, scratch)).toBe(7);
    expect(committedIndex(ids(1, 2, 3), (id) => id, scratch)).toBe(2);
  });
});

describe('voteResult', () => {
  const cases: [string, number[], [number, boolean][], 'won' | 'lost' | 'pending'][] = [
    ['no voters wins trivially', [], [], 'won'],
    ['single self vote', [1], [[1, true]], 'won'],
    ['nothing yet', [1, 2, 3], [], 'pending'],
    ['one of three', [1, 2, 3], [[1, true]], 'pending'],
    [
      'two of three',
      [1, 2, 3],
      [
        [1, true],
        [2, true],
      ],
      'won',
    ],
    [
      'two rejections of three',
      [1, 2, 3],
      [
        [1, true],
        [2, false],
        [3, false],
      ],
      'lost',
    ],
    [
      'one rejection of three',
      [1, 2, 3],
      [
        [1, true],
        [2, false],
      ],
      'pending',
    ],
    [
      'two of four is not enough',
      [1, 2, 3, 4],
      [
        [1, true],
        [2, true],
        [3, false],
      ],
      'pending',
    ],
    [
      'two rejections of four lose',
      [1, 2, 3, 4],
      [
        [1, true],
        [3, false],
        [4, false],
      ],
      'lost',
    ],
    [
      'votes from non-voters are ignored',
      [1, 2, 3],
      [
        [1, true],
        [9, true],
      ],
      'pending',
    ],
  ];
  test.each(cases)('%s', (_name, voters, votes, want) => {
    const m = new Map(votes.map(([id, v]) => [asNodeId(id), v]));
    expect(voteResult(ids(...voters), m)).toBe(want);
  });
});
