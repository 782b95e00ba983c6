/**
 * `store-linearizable`: the history of what the API servers asked of the store and what they
 * were answered must be linearizable (sim/check's checker, the same one `ksim fuzz store`
 * uses). Every API server's store client is wrapped to record each op's call, result and
 * return time; an op whose outcome the client never learned (a timeout, a crash of its API
 * server, still in flight at the end) is an unknown outcome, and one every member refused
 * ("not applied") is left out, as the store fuzzer's workload does.
 *
 * Long runs are sampled: only the ops called before the `maxOps`-th call are checked, and
 * those still running at that moment count as unknown outcomes. That prefix is linearizable
 * whenever the whole history is (an op that completed before the cut can only be preceded in
 * a linearization by ops called before it), so a violation in it is a real one; past the
 * cut, nothing is checked. A check that runs out of its step budget says nothing.
 */
import type { StoreClient } from '../../core/store/kv-client.ts';
import type { Op, Result } from '../../core/store/types.ts';
import type { Operation } from '../check/history.ts';
import { checkKvHistory } from '../check/kv-linearizability.ts';

export const DEFAULT_HISTORY_OPS = 2_000;
const CHECK_MAX_STEPS = 300_000;

interface Recorded {
  readonly client: number;
  readonly op: Op;
  readonly callUs: number;
  /** Absent: the outcome is unknown (or not known yet). */
  result?: Result;
  returnUs: number;
}

export class StoreHistory {
  private readonly ops: Recorded[] = [];
  private clients = 0;

  constructor(
    private readonly now: () => number,
    private readonly maxOps = DEFAULT_HISTORY_OPS,
  ) {}

  /** `inner`, recording every op it is asked. */
  wrap(inner: StoreClient): StoreClient {
    const client = this.clients++;
    return {
      do: async (op) => {
        if (this.ops.length >= this.maxOps) return inner.do(op);
        const call: Recorded = { client, op, callUs: this.now(), returnUs: Infinity };
        this.ops.push(call);
        const outcome = await inner.do(op);
        if (outcome.kind === 'not-applied') call.returnUs = -1;
        else if (outcome.kind !== 'unknown') {
          call.result = outcome;
          call.returnUs = this.now();
        }
        return outcome;
      },
      watch: (request, handlers) => inner.watch(request, handlers),
    };
  }

  /** The sampled history's verdict: a message if it is not linearizable. */
  check(): string | undefined {
    const cutUs = this.ops.length >= this.maxOps ? this.ops[this.maxOps - 1]!.callUs : Infinity;
    const history: Operation<Op, Result>[] = [];
    for (const r of this.ops) {
      if (r.returnUs === -1 || r.callUs > cutUs) continue;
      const known = r.result !== undefined && r.returnUs <= cutUs;
      // A read whose answer is unknown constrains nothing.
      if (!known && r.op.kind === 'range') continue;
      history.push({
        id: history.length,
        client: r.client,
        op: r.op,
        callUs: r.callUs,
        ...(known ? { result: r.result!, returnUs: r.returnUs } : { returnUs: Infinity }),
      });
    }
    const result = checkKvHistory(internValues(history), {
      maxSteps: CHECK_MAX_STEPS,
      minimizeMaxSteps: 20_000,
    });
    if (result.ok !== false) return undefined;
    const illustration =
      result.illustration === undefined
        ? ''
        : `; illustration: ${result.illustration.map((o) => JSON.stringify(o).slice(0, 400)).join(' ')}`;
    return `the API servers' store history (${history.length} ops) is not linearizable: ${result.reason}${illustration}`;
  }
}

/**
 * The history with every stored value (a whole API object, often kilobytes) replaced by a short
 * token, the same for equal values and ordered as the values are (compares may order values):
 * the checker only compares values, and it hashes its whole model state at every step, so
 * this makes no difference to the verdict and most of the difference to its cost.
 */
function internValues(history: readonly Operation<Op, Result>[]): Operation<Op, Result>[] {
  const values = new Set<string>();
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) collect(x);
    else if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v))
        if (k === 'value' && typeof x === 'string') values.add(x);
        else collect(x);
  };
  for (const o of history) {
    collect(o.op);
    collect(o.result);
  }
  const sorted = [...values].sort();
  const width = String(sorted.length).length;
  const token = new Map(sorted.map((v, i) => [v, `v${String(i).padStart(width, '0')}`]));
  const map = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(map);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        k === 'value' && typeof x === 'string' ? token.get(x) : map(x),
      ]),
    );
  };
  return history.map((o) => ({
    ...o,
    op: map(o.op) as Op,
    ...(o.result === undefined ? {} : { result: map(o.result) as Result }),
  }));
}
