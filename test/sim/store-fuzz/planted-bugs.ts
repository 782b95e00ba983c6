/**
 * Known bugs planted into the store for one run, to measure how often the fuzzer catches each
 * (issue 15: a checker is only as good as the fraction of seeds that flag a real bug). Each
 * replaces one method on a prototype and returns the function that puts it back; nothing in
 * core/ knows about them.
 */
import { RaftLog } from '../../../core/raft/log.ts';
import type { Index } from '../../../core/raft/types.ts';
import { KeyHistory } from '../../../core/store/key-history.ts';
import { KvMember } from '../../../core/store/member/kv-member.ts';
import { Lessor } from '../../../core/store/member/lessor.ts';
import type { LeaseId, Revision } from '../../../core/store/types.ts';

export type PlantedBug = 'stale-read' | 'keep-alive-no-extend' | 'compaction-off-by-one';
export const PLANTED_BUGS: readonly PlantedBug[] = [
  'stale-read',
  'keep-alive-no-extend',
  'compaction-off-by-one',
];

export type Method = (this: unknown, ...args: never[]) => unknown;

/** Replaces method `name` of `proto` with `make(original)`; the result puts it back. */
export function replace(
  proto: object,
  name: string,
  make: (original: Method) => Method,
): () => void {
  const target = proto as Record<string, Method>;
  const original = target[name];
  if (original === undefined) throw new Error(`no method ${name} to plant a bug in`);
  target[name] = make(original);
  return () => {
    target[name] = original;
  };
}

export function plant(bug: PlantedBug): () => void {
  switch (bug) {
    // The leader answers reads from its own state at once, without a ReadIndex round: a
    // deposed leader that has not noticed serves stale data.
    case 'stale-read':
      return replace(
        KvMember.prototype,
        'enqueueRead',
        () =>
          function (this: unknown, serve: () => unknown, resolve: (r: unknown) => void) {
            resolve(serve());
          } as Method,
      );
    // Keep-alive answers with the TTL but leaves the deadline where it was.
    case 'keep-alive-no-extend':
      return replace(
        Lessor.prototype,
        'keepAlive',
        () =>
          function (this: { ttlSeconds: Map<LeaseId, number>; primary: boolean }, id: LeaseId) {
            return this.primary ? this.ttlSeconds.get(id) : undefined;
          } as Method,
      );
    // Compaction at r also drops the version visible at r (it trims up to r + 1).
    case 'compaction-off-by-one':
      return replace(
        KeyHistory.prototype,
        'compact',
        (original) =>
          function (this: unknown, atRev: Revision) {
            return original.call(this, ((atRev as number) + 1) as never);
          } as Method,
      );
  }
}

/**
 * Raft's leader commits the highest index a quorum has replicated whatever its term: an entry
 * of an older term is committed by counting replicas, which Figure 8 of the Raft paper shows
 * is unsafe (§5.4.2). Kept apart from PLANTED_BUGS: the fault shape that exposes it
 * (figure-eight.ts) is in a third of the schedules, and its test states its own seeds.
 */
export function plantOldTermCommit(): () => void {
  return replace(
    RaftLog.prototype,
    'maybeCommit',
    () =>
      function (this: RaftLog, index: Index) {
        if (index <= this.committed) return false;
        this.commitTo(index);
        return true;
      } as Method,
  );
}
