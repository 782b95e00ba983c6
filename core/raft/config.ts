/**
 * Raft configuration with upstream defaults: with the host ticking every 100 ms, heartbeat
 * 100 ms and election timeout 1000 ms (etcd's --heartbeat-interval / --election-timeout).
 */
import { assert } from '../util/assert.ts';
import type { Random } from '../ports/random.ts';
import type { Storage } from './storage.ts';
import { ZERO_INDEX, type Index, type NodeId } from './types.ts';

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  /** Only source of nondeterminism: election timeout jitter. */
  readonly random: Random;
  /** Followers campaign after a randomized [electionTicks, 2*electionTicks) without a leader. */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Last index the host's state machine has applied (on restart). */
  readonly applied?: Index;
  readonly maxSizePerMsgBytes?: number;
  readonly maxCommittedSizePerReadyBytes?: number;
  readonly maxInflightMsgs?: number;
  readonly maxInflightBytes?: number;
  /** Leader steps down without quorum contact; followers honour a leader lease for votes. */
  readonly checkQuorum?: boolean;
  /** Candidates first ask whether they could win, without bumping anyone's term (§9.6). */
  readonly preVote?: boolean;
  readonly disableProposalForwarding?: boolean;
}

export const DEFAULT_ELECTION_TICKS = 10;
export const DEFAULT_HEARTBEAT_TICKS = 1;
/** etcd server's maxSizePerMsg. */
export const DEFAULT_MAX_SIZE_PER_MSG_BYTES = 1024 * 1024;
export const DEFAULT_MAX_INFLIGHT_MSGS = 256;

export type ResolvedRaftConfig = Required<RaftConfig>;

export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  const maxSizePerMsgBytes = c.maxSizePerMsgBytes ?? DEFAULT_MAX_SIZE_PER_MSG_BYTES;
  const resolved: ResolvedRaftConfig = {
    id: c.id,
    storage: c.storage,
    random: c.random,
    electionTicks: c.electionTicks ?? DEFAULT_ELECTION_TICKS,
    heartbeatTicks: c.heartbeatTicks ?? DEFAULT_HEARTBEAT_TICKS,
    applied: c.applied ?? ZERO_INDEX,
    maxSizePerMsgBytes,
    maxCommittedSizePerReadyBytes: c.maxCommittedSizePerReadyBytes ?? maxSizePerMsgBytes,
    maxInflightMsgs: c.maxInflightMsgs ?? DEFAULT_MAX_INFLIGHT_MSGS,
    maxInflightBytes: c.maxInflightBytes ?? Infinity,
    checkQuorum: c.checkQuorum ?? true,
    preVote: c.preVote ?? true,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
  };
  assert(resolved.id !== 0, 'raft id must not be 0');
  assert(resolved.heartbeatTicks > 0, 'heartbeat ticks must be positive');
  assert(
    resolved.electionTicks > resolved.heartbeatTicks,
    'election ticks must be greater than heartbeat ticks',
  );
  assert(resolved.maxInflightMsgs > 0, 'max inflight messages must be positive');
  assert(resolved.maxSizePerMsgBytes > 0, 'max size per message must be positive');
  assert(
    resolved.maxInflightBytes >= resolved.maxSizePerMsgBytes,
    'max inflight bytes must be >= max message size',
  );
  return resolved;
}
