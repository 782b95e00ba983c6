/**
 * Compact one-line renderings of entries, messages and Readys (etcd-io/raft util.go style), for
 * data-driven tests, traces and debugging. Payload bytes print as a quoted string with
 * non-printable bytes escaped.
 */
import { toBytes } from '../ports/lazy-bytes.ts';
import { assertNever } from '../util/assert.ts';
import { decodeConfChange, describeConfChange } from './conf-change.ts';
import type { Message } from './messages.ts';
import type { Ready } from './ready.ts';
import type { ConfState, Entry, HardState, Snapshot, SoftState } from './types.ts';

export function describeData(data: Uint8Array): string {
  let s = '"';
  for (const b of data) {
    if (b === 0x22 || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  return s + '"';
}

export function describeEntry(e: Entry): string {
  switch (e.type) {
    case 'normal':
      return `${e.term}/${e.index} EntryNormal ${describeData(e.data)}`;
    case 'conf-change':
      return `${e.term}/${e.index} EntryConfChange ${describeConfChange(decodeConfChange(e.data))}`;
    default:
      return assertNever(e.type, 'entry type');
  }
}

export function describeEntries(entries: readonly Entry[], indent = ''): string {
  if (entries.length === 1) return `[${describeEntry(entries[0] as Entry)}]`;
  return `[\n${entries.map((e) => `${indent}  ${describeEntry(e)}\n`).join('')}${indent}]`;
}

export function describeConfState(cs: ConfState): string {
  const learners = cs.learners.length > 0 ? ` Learners:(${cs.learners.join(' ')})` : '';
  return `Voters:(${cs.voters.join(' ')})${learners}`;
}

export function describeSnapshot(s: Snapshot): string {
  const m = s.metadata;
  return `Index:${m.index} Term:${m.term} ${describeConfState(m.confState)} Data:${describeData(toBytes(s.data))}`;
}

export function describeHardState(hs: HardState): string {
  return `Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSoftState(ss: SoftState): string {
  return `Lead:${ss.lead} Role:${ss.role}`;
}

export function describeMessage(m: Message, indent = ''): string {
  const head = `${m.from}->${m.to} ${m.kind} Term:${m.term}`;
  switch (m.kind) {
    case 'MsgApp': {
      const ents = m.entries.length > 0 ? ` Entries:${describeEntries(m.entries, indent)}` : '';
      return `${head} Log:${m.prevTerm}/${m.prevIndex} Commit:${m.commit}${ents}`;
    }
    case 'MsgAppResp':
      return m.reject
        ? `${head} Index:${m.index} Rejected (Hint: ${m.rejectHintTerm}/${m.rejectHintIndex})`
        : `${head} Index:${m.index}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${head} Log:${m.lastTerm}/${m.lastIndex}${m.transfer ? ' Transfer' : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return m.reject ? `${head} Rejected` : head;
    case 'MsgHeartbeat':
      return `${head} Commit:${m.commit}${m.readSeq > 0 ? ` ReadSeq:${m.readSeq}` : ''}`;
    case 'MsgHeartbeatResp':
      return m.readSeq > 0 ? `${head} ReadSeq:${m.readSeq}` : head;
    case 'MsgSnap':
      return `${head} Snapshot: ${describeSnapshot(m.snapshot)}`;
    case 'MsgReadIndex':
      return `${head} Ctx:${m.ctx}`;
    case 'MsgReadIndexResp':
      return `${head} Index:${m.index} Ctx:${m.ctx}`;
    case 'MsgTimeoutNow':
      return head;
    case 'MsgTransferLeader':
      return `${head} Transferee:${m.transferee}`;
    case 'MsgProp':
      return `${head} Entries:[${m.entries.map((e) => `${e.type} ${describeData(e.data)}`).join(', ')}]`;
    default:
      return assertNever(m, 'message');
  }
}

/** Multi-line; every line ends with a newline. */
export function describeReady(rd: Ready): string {
  let s = `Ready MustSync=${rd.mustSync}:\n`;
  if (rd.softState !== undefined) s += describeSoftState(rd.softState) + '\n';
  if (rd.hardState !== undefined) s += `HardState ${describeHardState(rd.hardState)}\n`;
  if (rd.entries.length > 0)
    s += 'Entries:\n' + rd.entries.map((e) => describeEntry(e) + '\n').join('');
  if (rd.snapshot !== undefined) s += `Snapshot ${describeSnapshot(rd.snapshot)}\n`;
  if (rd.committedEntries.length > 0) {
    s += 'CommittedEntries:\n' + rd.committedEntries.map((e) => describeEntry(e) + '\n').join('');
  }
  if (rd.messages.length > 0)
    s += 'Messages:\n' + rd.messages.map((m) => describeMessage(m) + '\n').join('');
  if (rd.readStates.length > 0) {
    s += 'ReadStates:\n' + rd.readStates.map((r) => `Index:${r.index} Ctx:${r.ctx}\n`).join('');
  }
  return s;
}
