/**
 * A client history for linearizability checking: each operation's invocation and, when the
 * client learned it, its result. An operation whose client gave up (timeout, lost connection,
 * crash) has an unknown outcome: it may have taken effect at any moment after its invocation,
 * or never. Following Porcupine, its return time is +Infinity and its result is absent.
 *
 * Times are the host's integer virtual microseconds; the recorder only requires that a return is
 * not earlier than its invocation. Operations still in flight when `operations()` is called are
 * reported as unknown, which is what they are at the end of a run.
 */
import { assert } from '../../core/util/assert.ts';

/** One operation of a history. `result` is absent exactly when `returnUs` is Infinity. */
export interface Operation<I, O> {
  readonly id: number;
  readonly client: number;
  readonly op: I;
  readonly result?: O;
  readonly callUs: number;
  readonly returnUs: number;
}

export type OperationStatus = 'pending' | 'completed' | 'unknown';

interface Entry<I, O> {
  readonly id: number;
  readonly client: number;
  readonly op: I;
  readonly callUs: number;
  status: OperationStatus;
  result?: O;
  returnUs: number;
}

export class History<I, O> {
  private readonly entries: Entry<I, O>[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** Records an invocation; returns the operation id (dense, from 0). */
  invoke(client: number, op: I, timeUs: number): number {
    assert(Number.isFinite(timeUs), `History.invoke: time ${timeUs}`);
    const id = this.entries.length;
    this.entries.push({ id, client, op, callUs: timeUs, status: 'pending', returnUs: Infinity });
    return id;
  }

  /** Records the result the client received. */
  complete(opId: number, result: O, timeUs: number): void {
    const entry = this.pending(opId, 'complete');
    assert(
      Number.isFinite(timeUs) && timeUs >= entry.callUs,
      `History.complete: op ${opId} returns at ${timeUs}, before its call at ${entry.callUs}`,
    );
    entry.status = 'completed';
    entry.result = result;
    entry.returnUs = timeUs;
  }

  /** The client gave up: the operation may or may not take effect, at any time after its call. */
  unknown(opId: number): void {
    this.pending(opId, 'unknown').status = 'unknown';
  }

  status(opId: number): OperationStatus {
    const entry = this.entries[opId];
    assert(entry !== undefined, `History.status: no op ${opId}`);
    return entry.status;
  }

  /** Every operation by id; pending ones are reported as unknown. */
  operations(): Operation<I, O>[] {
    return this.entries.map((e) =>
      e.status === 'completed'
        ? {
            id: e.id,
            client: e.client,
            op: e.op,
            result: e.result as O,
            callUs: e.callUs,
            returnUs: e.returnUs,
          }
        : { id: e.id, client: e.client, op: e.op, callUs: e.callUs, returnUs: Infinity },
    );
  }

  private pending(opId: number, what: string): Entry<I, O> {
    const entry = this.entries[opId];
    assert(entry !== undefined, `History.${what}: no op ${opId}`);
    assert(entry.status === 'pending', `History.${what}: op ${opId} is already ${entry.status}`);
    return entry;
  }
}
