/**
 * The leader's checks of a membership request against the current configuration, before it is
 * proposed: refusals name the problem (an id that exists, an address in use, promoting a voter,
 * removing the last voter), and etcd's strict reconfiguration check refuses a change that
 * would leave the cluster without an active quorum.
 */
import { confChange, type ConfChange } from '../../raft/conf-change.ts';
import type { ProgressStatus } from '../../raft/status.ts';
import { asNodeId, type ConfState, type Index, type NodeId } from '../../raft/types.ts';
import { assertNever } from '../../util/assert.ts';
import type { MemberInfo, MembershipRequest } from './member-protocol.ts';

/** A learner within this fraction of the leader's log may be promoted (etcd's readyPercent). */
const READY_FRACTION = 0.9;

const encoder = new TextEncoder();

export type MembershipChange = Exclude<MembershipRequest, { readonly kind: 'member-list' }>;

/** What the leader knows when it checks a change. */
export interface MembershipContext {
  readonly self: NodeId;
  readonly confState: ConfState;
  readonly addressOf: ReadonlyMap<NodeId, string>;
  /** A change is already queued or in flight. */
  readonly busy: boolean;
  /** The leader's replication progress (read only when a check needs it). */
  progress(): readonly ProgressStatus[];
  readonly lastIndex: Index;
}

/** Voters and learners. */
export function membersOf(cs: ConfState): NodeId[] {
  return [...cs.voters, ...cs.learners];
}

/** The configuration with addresses, by id. */
export function memberList(cs: ConfState, addressOf: ReadonlyMap<NodeId, string>): MemberInfo[] {
  return membersOf(cs)
    .sort((a, b) => a - b)
    .map((id) => ({
      id,
      address: addressOf.get(id) ?? '',
      learner: cs.learners.includes(id),
    }));
}

/** The Raft change that makes `req`, or the reason it is refused. */
export function checkMembershipChange(
  req: MembershipChange,
  ctx: MembershipContext,
):
  | { readonly kind: 'ok'; readonly cc: ConfChange }
  | { readonly kind: 'refused'; readonly reason: string } {
  const refuse = (reason: string) => ({ kind: 'refused', reason }) as const;
  if (ctx.busy) return refuse('another membership change is in progress');
  if (!Number.isSafeInteger(req.id) || req.id <= 0)
    return refuse(`member id must be a positive integer, got ${req.id}`);
  const id = asNodeId(req.id);
  const cs = ctx.confState;
  const isVoter = cs.voters.includes(id);
  const isLearner = cs.learners.includes(id);
  let cc: ConfChange;
  switch (req.kind) {
    case 'member-add': {
      if (isVoter || isLearner) return refuse(`member ${id} already exists`);
      if (req.address === '') return refuse('member address must not be empty');
      const taken = membersOf(cs).find((m) => ctx.addressOf.get(m) === req.address);
      if (taken !== undefined) return refuse(`address ${req.address} is member ${taken}'s`);
      cc = confChange(req.learner ? 'add-learner' : 'add-voter', id, encoder.encode(req.address));
      break;
    }
    case 'member-promote':
      if (!isLearner) return refuse(`member ${id} is not a learner`);
      cc = confChange('add-voter', id);
      break;
    case 'member-remove':
      if (!isVoter && !isLearner) return refuse(`member ${id} does not exist`);
      if (isVoter && cs.voters.length === 1) return refuse('cannot remove the last voter');
      cc = confChange('remove', id);
      break;
    default:
      return assertNever(req, 'membership request');
  }
  const risk = reconfigurationRisk(req, id, ctx);
  return risk === undefined ? { kind: 'ok', cc } : refuse(risk);
}

/**
 * etcd's strict reconfiguration check, on the leader: a change must leave a quorum of the
 * new voters among the members that answered lately (since the last CheckQuorum round, and
 * ever acknowledged an append; a member just added has not). A one-voter cluster may still
 * add a second voter, or it could never grow. A learner is promoted only once it is in sync:
 * within 10% of the leader's log, as etcd's readyPercent.
 */
function reconfigurationRisk(
  req: MembershipChange,
  id: NodeId,
  ctx: MembershipContext,
): string | undefined {
  const progress = ctx.progress();
  const isActive = (m: NodeId): boolean =>
    m === ctx.self || progress.some((p) => p.id === m && p.recentActive && p.match > 0);
  const voters = ctx.confState.voters;
  const activeVoters = voters.filter(isActive).length;
  const shortfall = (change: string, count: number, active: number): string | undefined => {
    const quorum = Math.floor(count / 2) + 1;
    return active >= quorum
      ? undefined
      : `unhealthy cluster: ${change} leaves ${count} voters, which need ${quorum} active, and ${active} would be`;
  };
  switch (req.kind) {
    case 'member-add':
      if (req.learner || voters.length === 1) return undefined;
      return shortfall(`adding voter ${id}`, voters.length + 1, activeVoters);
    case 'member-promote': {
      const match = progress.find((p) => p.id === id)?.match ?? 0;
      const last = ctx.lastIndex;
      if (match < last * READY_FRACTION)
        return `member ${id} is a learner not yet in sync with the leader (at index ${match} of ${last})`;
      return shortfall(`promoting ${id}`, voters.length + 1, activeVoters + (isActive(id) ? 1 : 0));
    }
    case 'member-remove':
      // A learner, or a voter that is down, is not part of the active quorum.
      if (!voters.includes(id) || !isActive(id)) return undefined;
      return shortfall(`removing ${id}`, voters.length - 1, activeVoters - 1);
    default:
      return assertNever(req, 'membership request');
  }
}
