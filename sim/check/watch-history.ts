/**
 * Watch-stream properties (issue 3; DESIGN.md §6 "watch streams gap-free and ordered"): what a
 * watcher received must be exactly the committed changes to its key range from its start
 * revision on, in (revision, sub-revision) order, each once, with the previous key-value when
 * the watcher asked for it and without it otherwise.
 *
 * The stream may stop early (the run ended, the watcher was cancelled or its member crashed),
 * so by default only a prefix of the expected changes is required; missing changes *between*
 * received ones are gaps. `throughRevision` states that the watcher has seen everything up to a
 * revision (a progress notification, or a drained stream at the end of a run), which turns a
 * missing tail up to it into a violation too.
 *
 * Changes are identified by (revision, key): within one revision a key changes at most once
 * (a txn branch may not put a key twice or put a key it deletes; a revoke deletes each key once).
 */
import { keySpan, spanContains } from '../../core/store/key-range.ts';
import type { CommittedRevision, Revision, WatchEvent } from '../../core/store/types.ts';
import { structuralEqual } from './structural-equal.ts';

export interface WatchSpec {
  readonly key: string;
  readonly rangeEnd?: string;
  /** The resolved start revision (for "from now", the store revision at creation plus one). */
  readonly startRevision: Revision;
  readonly prevKv?: boolean;
}

/** What the watcher received, response by response (WatchResponse without the id is enough). */
export interface ReceivedResponse {
  readonly revision: Revision;
  readonly events: readonly WatchEvent[];
}

export type WatchViolationKind =
  | 'before-start'
  | 'outside-range'
  | 'not-committed'
  | 'wrong-event'
  | 'prev-kv'
  | 'response-revision'
  | 'duplicate'
  | 'out-of-order'
  | 'gap'
  | 'incomplete';

export interface WatchViolation {
  readonly kind: WatchViolationKind;
  readonly revision: Revision;
  readonly detail: string;
}

export interface WatchCheckResult {
  readonly ok: boolean;
  /** In the order found: stream order, then gaps and missing tail by revision. */
  readonly violations: readonly WatchViolation[];
  /** The lowest revision of any violation: where the stream first diverges. */
  readonly firstOffendingRevision: Revision | null;
}

export interface WatchCheckOptions {
  /** The watcher is known to have received every change up to this revision. */
  readonly throughRevision?: Revision;
}

interface Expected {
  readonly revision: Revision;
  readonly event: WatchEvent;
}

export function checkWatchStream(
  committed: readonly CommittedRevision[],
  watch: WatchSpec,
  received: readonly ReceivedResponse[],
  options: WatchCheckOptions = {},
): WatchCheckResult {
  const span = keySpan(watch.key, watch.rangeEnd);
  const expected: Expected[] = [];
  const indexOf = new Map<string, number>();
  for (const rev of committed) {
    if (rev.revision < watch.startRevision) continue;
    for (const event of rev.events) {
      if (!spanContains(span, event.kv.key)) continue;
      indexOf.set(changeId(rev.revision, event.kv.key), expected.length);
      expected.push({ revision: rev.revision, event });
    }
  }

  const violations: WatchViolation[] = [];
  const flag = (kind: WatchViolationKind, revision: Revision, detail: string): void => {
    violations.push({ kind, revision, detail });
  };
  const seen = new Set<number>();
  let last = -1;
  for (const response of received) {
    for (const event of response.events) {
      const rev = event.kv.modRevision;
      const what = `${event.type} ${JSON.stringify(event.kv.key)} at revision ${rev}`;
      if (rev !== response.revision)
        flag(
          'response-revision',
          rev,
          `${what} arrived in the response for revision ${response.revision}`,
        );
      if (rev < watch.startRevision) {
        flag('before-start', rev, `${what} is before the start revision ${watch.startRevision}`);
        continue;
      }
      if (!spanContains(span, event.kv.key)) {
        flag('outside-range', rev, `${what} is outside the watched range`);
        continue;
      }
      const index = indexOf.get(changeId(rev, event.kv.key));
      if (index === undefined) {
        flag('not-committed', rev, `${what} was never committed`);
        continue;
      }
      if (seen.has(index)) {
        flag('duplicate', rev, `${what} delivered again`);
        continue;
      }
      if (index < last) {
        const before = expected[last]!;
        flag(
          'out-of-order',
          rev,
          `${what} after ${before.event.kv.key} at revision ${before.revision}`,
        );
      }
      checkContent(expected[index]!.event, event, watch.prevKv === true, (detail) =>
        flag(detail.startsWith('prevKv') ? 'prev-kv' : 'wrong-event', rev, `${what}: ${detail}`),
      );
      seen.add(index);
      last = Math.max(last, index);
    }
  }
  flagMissing(expected, seen, 0, last, 'gap', flag);
  if (options.throughRevision !== undefined) {
    const through = options.throughRevision;
    let tailEnd = expected.length - 1;
    while (tailEnd >= 0 && expected[tailEnd]!.revision > through) tailEnd--;
    flagMissing(expected, seen, last + 1, tailEnd, 'incomplete', flag);
  }
  const firstOffendingRevision =
    violations.length === 0
      ? null
      : violations.map((v) => v.revision).reduce((a, b) => (b < a ? b : a));
  return { ok: violations.length === 0, violations, firstOffendingRevision };
}

function changeId(rev: Revision, key: string): string {
  return `${rev}\u0000${key}`;
}

function checkContent(
  want: WatchEvent,
  got: WatchEvent,
  withPrevKv: boolean,
  report: (detail: string) => void,
): void {
  if (got.type !== want.type || !structuralEqual(got.kv, want.kv))
    report(
      `committed as ${want.type} ${JSON.stringify(want.kv)}, received ${got.type} ${JSON.stringify(got.kv)}`,
    );
  if (withPrevKv && !structuralEqual(got.prevKv, want.prevKv))
    report(`prevKv ${JSON.stringify(got.prevKv)}, committed ${JSON.stringify(want.prevKv)}`);
  if (!withPrevKv && got.prevKv !== undefined) report('prevKv present but not requested');
}

/** One violation per revision with expected changes in [from, to] that never arrived. */
function flagMissing(
  expected: readonly Expected[],
  seen: ReadonlySet<number>,
  from: number,
  to: number,
  kind: 'gap' | 'incomplete',
  flag: (kind: WatchViolationKind, revision: Revision, detail: string) => void,
): void {
  const missing = new Map<Revision, string[]>();
  for (let i = from; i <= to; i++) {
    if (seen.has(i)) continue;
    const { revision, event } = expected[i]!;
    const keys = missing.get(revision) ?? [];
    keys.push(`${event.type} ${JSON.stringify(event.kv.key)}`);
    missing.set(revision, keys);
  }
  for (const [revision, keys] of missing) {
    const why =
      kind === 'gap' ? 'missing before later changes' : 'missing up to the acknowledged revision';
    flag(kind, revision, `${keys.join(', ')} at revision ${revision} ${why}`);
  }
}
