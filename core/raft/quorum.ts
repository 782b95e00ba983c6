/**
 * Majority quorum math (etcd-io/raft quorum/majority.go), over a sorted voter list. Pure
 * functions; callers pass a scratch array so the commit path does not allocate.
 */
import { asIndex, ZERO_INDEX, type Index, type NodeId } from './types.ts';

export type VoteResult = 'won' | 'lost' | 'pending';

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index acknowledged by a majority of voters: sort the acked indexes descending and
 * take the majority-th. Voters with no ack count as 0. An empty voter set commits nothing.
 */
export function committedIndex(
  voters: readonly NodeId[],
  acked: (id: NodeId) => number | undefined,
  scratch: number[] = [],
): Index {
  const n = voters.length;
  if (n === 0) return ZERO_INDEX;
  scratch.length = n;
  for (let i = 0; i < n; i++) scratch[i] = acked(voters[i] as NodeId) ?? 0;
  // Insertion sort, descending: n is tiny (3-7) and this is the commit hot path.
  for (let i = 1; i < n; i++) {
    const v = scratch[i] as number;
    let j = i - 1;
    while (j >= 0 && (scratch[j] as number) < v) {
      scratch[j + 1] = scratch[j] as number;
      j--;
    }
    scratch[j + 1] = v;
  }
  return asIndex(scratch[majority(n) - 1] as number);
}

/** Won with a majority of grants, lost once a majority is out of reach, pending otherwise. */
export function voteResult(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = majority(voters.length);
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}
