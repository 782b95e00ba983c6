/**
 * Lease requests that do not go through the log, answered by the leader's lessor after a
 * ReadIndex round (member-protocol.ts says why), and the ids the leader picks for new leases.
 */
import type { Random } from '../../ports/random.ts';
import { assertNever } from '../../util/assert.ts';
import type { KvStateMachine } from '../state-machine.ts';
import { leaseId, type LeaseId } from '../types.ts';
import type { Lessor } from './lessor.ts';
import type { LeaseRequest, LeaseResult, MemberReply } from './member-protocol.ts';

const US_PER_SECOND = 1_000_000;
/** Lease ids the leader picks: positive, below 2^48, so they print and compare exactly. */
const LEASE_ID_SPACE = 2 ** 48 - 1;

export function serveLease(
  req: LeaseRequest,
  sm: KvStateMachine,
  lessor: Lessor,
  nowUs: number,
  notLeader: () => MemberReply,
): MemberReply {
  const header = { revision: sm.revision };
  const info = sm.leases().find((l) => l.id === req.id);
  const notFound: LeaseResult = { kind: 'error', reason: 'lease-not-found', header };
  if (info === undefined) return { kind: 'lease', result: notFound };
  switch (req.kind) {
    case 'lease-keep-alive': {
      const ttl = lessor.keepAlive(req.id, nowUs);
      if (ttl === undefined)
        return lessor.isPrimary ? { kind: 'lease', result: notFound } : notLeader();
      return {
        kind: 'lease',
        result: { kind: 'lease-keep-alive', header, id: req.id, ttlSeconds: ttl },
      };
    }
    case 'lease-time-to-live': {
      const remainingUs = lessor.remainingUs(req.id, nowUs);
      if (remainingUs === undefined) return notLeader();
      return {
        kind: 'lease',
        result: {
          kind: 'lease-time-to-live',
          header,
          id: req.id,
          remainingSeconds: Math.ceil(remainingUs / US_PER_SECOND),
          grantedTtlSeconds: info.ttlSeconds,
          keys: info.keys,
        },
      };
    }
    default:
      return assertNever(req, 'lease request');
  }
}

/** A random id no lease in `sm` has (etcd's lessor picks one when the client passes 0). */
export function newLeaseId(sm: KvStateMachine, random: Random): LeaseId {
  const taken = new Set(sm.leases().map((l) => l.id as number));
  for (;;) {
    const id = 1 + random.int(LEASE_ID_SPACE);
    if (!taken.has(id)) return leaseId(id);
  }
}
