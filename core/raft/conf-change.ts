/**
 * Single-member configuration changes (etcd's ConfChange v1 / confchange.Simple). Each change
 * moves at most one voter, so any old majority and any new majority intersect and joint
 * consensus is unnecessary. Joint consensus (ConfChangeV2) is deliberately not implemented.
 */
import { assertNever } from '../util/assert.ts';
import { asNodeId, EMPTY_DATA, type ConfState, type NodeId } from './types.ts';

export type ConfChangeKind = 'add-voter' | 'add-learner' | 'remove';

/**
 * `add-voter` on a learner promotes it; `add-learner` on a voter demotes it; `context` is opaque
 * to Raft (etcd puts the member's peer URLs there).
 */
export interface ConfChange {
  readonly kind: ConfChangeKind;
  readonly nodeId: NodeId;
  readonly context: Uint8Array;
}

export function confChange(kind: ConfChangeKind, nodeId: NodeId, context = EMPTY_DATA): ConfChange {
  return { kind, nodeId, context };
}

const KIND_CODES: readonly ConfChangeKind[] = ['add-voter', 'add-learner', 'remove'];
const HEADER_BYTES = 9;

/** Layout: kind code (1 byte), node id (float64 little-endian, exact for ids < 2^53), context. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + cc.context.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, KIND_CODES.indexOf(cc.kind));
  view.setFloat64(1, cc.nodeId, true);
  out.set(cc.context, HEADER_BYTES);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const kind = KIND_CODES[view.getUint8(0)];
  if (kind === undefined) throw new Error(`bad conf change kind ${view.getUint8(0)}`);
  return { kind, nodeId: asNodeId(view.getFloat64(1, true)), context: data.subarray(HEADER_BYTES) };
}

export type ConfChangeOutcome =
  | { readonly kind: 'changed'; readonly confState: ConfState }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'invalid'; readonly reason: string };

/** The configuration after `cc`, as a pure function (no progress bookkeeping). */
export function changeConfState(cs: ConfState, cc: ConfChange): ConfChangeOutcome {
  const id = cc.nodeId;
  if (id === 0) return { kind: 'invalid', reason: 'conf change names node 0' };
  const isVoter = cs.voters.includes(id);
  const isLearner = cs.learners.includes(id);
  switch (cc.kind) {
    case 'add-voter':
      if (isVoter) return { kind: 'unchanged' };
      return changed(insertSorted(cs.voters, id), without(cs.learners, id));
    case 'add-learner':
      if (isLearner) return { kind: 'unchanged' };
      if (isVoter && cs.voters.length === 1) {
        return { kind: 'invalid', reason: 'demoting the last voter' };
      }
      return changed(without(cs.voters, id), insertSorted(cs.learners, id));
    case 'remove':
      if (!isVoter && !isLearner) return { kind: 'unchanged' };
      if (isVoter && cs.voters.length === 1) {
        return { kind: 'invalid', reason: 'removing the last voter' };
      }
      return changed(without(cs.voters, id), without(cs.learners, id));
    default:
      return assertNever(cc.kind, 'conf change kind');
  }
}

export function describeConfChange(cc: ConfChange): string {
  switch (cc.kind) {
    case 'add-voter':
      return `v${cc.nodeId}`;
    case 'add-learner':
      return `l${cc.nodeId}`;
    case 'remove':
      return `r${cc.nodeId}`;
    default:
      return assertNever(cc.kind, 'conf change kind');
  }
}

function changed(voters: readonly NodeId[], learners: readonly NodeId[]): ConfChangeOutcome {
  return { kind: 'changed', confState: { voters, learners } };
}

function insertSorted(ids: readonly NodeId[], id: NodeId): NodeId[] {
  return [...ids, id].sort((a, b) => a - b);
}

function without(ids: readonly NodeId[], id: NodeId): NodeId[] {
  return ids.filter((x) => x !== id);
}
