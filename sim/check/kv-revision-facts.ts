/**
 * What a store history says about the store's state at particular revisions, used to prune the
 * exact linearizability search (`admissible` in linearizability.ts).
 *
 * A key-value observed with modRevision m by an operation that saw the store at revision h
 * (a read's header revision, or the revision it read at; for a prevKv, the revision before the
 * write that replaced it) says: at every revision in [m, h] the key held exactly that
 * key-value. A single-key read that found nothing says the key was absent at its revision.
 * Revisions are dense and the keys at a revision never change afterwards (leases and
 * compaction do not touch them), so in any linearization in which those operations match,
 * the model state at each such revision satisfies these facts. A state that does not is a dead
 * end, found when the revision is reached rather than when the observing operation comes up.
 *
 * That is what keeps unknown-outcome writes affordable: a revision that some unknown write must
 * have created can only be filled by a write that agrees with everything later read of it.
 *
 * Inside a txn, reads after the txn's own first write see the txn's draft, so nested facts are
 * only taken up to the revision the txn began at.
 */
import type {
  KeyValue,
  Op,
  Result,
  Revision,
  TxnRequestOp,
  TxnResponse,
} from '../../core/store/types.ts';
import { structuralEqual } from './structural-equal.ts';

/** Expanding [m, h] intervals is bounded; past the cap, facts are dropped (less pruning only). */
export const MAX_REVISION_FACTS = 500_000;

export class RevisionFacts {
  /** revision -> key -> key-value held then (null: absent). First claim wins on conflict. */
  private readonly byRevision = new Map<number, Map<string, KeyValue | null>>();
  private count = 0;

  constructor(history: readonly { readonly op: Op; readonly result?: Result }[]) {
    for (const { op, result } of history) if (result !== undefined) this.visit(op, result);
  }

  get size(): number {
    return this.count;
  }

  /** Whether a store whose keys are `kvs` at `rev` agrees with every fact about `rev`. */
  holds(rev: Revision, kvs: ReadonlyMap<string, KeyValue>): boolean {
    const facts = this.byRevision.get(rev);
    if (facts === undefined) return true;
    for (const [key, kv] of facts) {
      if (!structuralEqual(kvs.get(key) ?? null, kv)) return false;
    }
    return true;
  }

  private visit(op: Op, result: Result): void {
    switch (result.kind) {
      case 'put':
      case 'range':
      case 'delete-range':
        if (op.kind === 'txn') return;
        return this.response(
          op,
          result,
          wrote(result) ? result.header.revision - 1 : result.header.revision,
        );
      case 'txn': {
        if (op.kind !== 'txn') return;
        const begin = result.responses.some(wrote)
          ? result.header.revision - 1
          : result.header.revision;
        const branch = result.succeeded ? op.success : op.failure;
        result.responses.forEach((response, i) => {
          const request = branch[i];
          if (request !== undefined) this.response(request, response, begin);
        });
        return;
      }
      default:
        return;
    }
  }

  /** `before`: the revision the store was at before this response's op (or its txn) wrote. */
  private response(request: Op | TxnRequestOp, response: TxnResponse, before: number): void {
    if (response.kind === 'put' && response.prevKv !== undefined)
      this.held(response.prevKv, before);
    if (response.kind === 'delete-range') response.prevKvs?.forEach((kv) => this.held(kv, before));
    if (response.kind !== 'range' || request.kind !== 'range') return;
    if (request.keysOnly === true || request.countOnly === true) return;
    const explicit = request.revision ?? 0;
    // A nested read after the txn's first write (header past `before`) may see the draft.
    const at =
      explicit > 0 ? explicit : response.header.revision > before ? null : response.header.revision;
    if (at === null) return;
    for (const kv of response.kvs) this.held(kv, at);
    const single = request.rangeEnd === undefined || request.rangeEnd === '';
    if (single && response.kvs.length === 0) this.add(at, request.key, null);
  }

  private held(kv: KeyValue, through: number): void {
    for (let rev = kv.modRevision; rev <= through; rev++) this.add(rev, kv.key, kv);
  }

  private add(rev: number, key: string, kv: KeyValue | null): void {
    if (this.count >= MAX_REVISION_FACTS) return;
    let facts = this.byRevision.get(rev);
    if (facts === undefined) {
      facts = new Map();
      this.byRevision.set(rev, facts);
    }
    if (facts.has(key)) return;
    facts.set(key, kv);
    this.count++;
  }
}

function wrote(response: TxnResponse): boolean {
  return response.kind === 'put' || (response.kind === 'delete-range' && response.deleted > 0);
}
