/**
 * The call and return events of a history, sorted by time, in a doubly linked list that the
 * linearizability search edits in place (Porcupine's entry list, after Wing & Gong / Lowe):
 * `lift` removes an operation's two events when it is linearized, `unlift` restores them when
 * the search backtracks (in reverse order, dancing-links style).
 *
 * Ordering: by time; at equal times calls before returns, so operations that merely touch are
 * concurrent (permissive: may miss a violation inside one microsecond, never invents one); then
 * by operation index, for determinism.
 */
export class EventList {
  /** Position p holds event `events[p]`: the call (even) or return (odd) of op `event >> 1`. */
  private readonly events: Int32Array;
  private readonly callAt: Int32Array;
  private readonly returnAt: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** The sentinel before the first position; -1 ends the list. */
  private readonly head: number;

  constructor(times: readonly { readonly callUs: number; readonly returnUs: number }[]) {
    const n = times.length;
    const time = (event: number): number => {
      const op = times[event >> 1]!;
      return (event & 1) === 0 ? op.callUs : op.returnUs;
    };
    this.events = Int32Array.from({ length: 2 * n }, (_, i) => i).sort((a, b) => {
      const ta = time(a);
      const tb = time(b);
      if (ta !== tb) return ta < tb ? -1 : 1;
      if ((a & 1) !== (b & 1)) return (a & 1) - (b & 1);
      return (a >> 1) - (b >> 1);
    });
    this.callAt = new Int32Array(n);
    this.returnAt = new Int32Array(n);
    this.events.forEach((event, p) => {
      if ((event & 1) === 0) this.callAt[event >> 1] = p;
      else this.returnAt[event >> 1] = p;
    });
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1);
    this.prev = new Int32Array(2 * n + 1);
    let last = this.head;
    for (let p = 0; p < 2 * n; p++) {
      this.next[last] = p;
      this.prev[p] = last;
      last = p;
    }
    this.next[last] = -1;
  }

  /**
   * The operations that may be linearized next: those whose call precedes the first remaining
   * return, in call order. Empty only when no return remains.
   */
  candidates(): number[] {
    const out: number[] = [];
    for (let p = this.next[this.head]!; p !== -1; p = this.next[p]!) {
      const event = this.events[p]!;
      if ((event & 1) === 1) return out;
      out.push(event >> 1);
    }
    return out;
  }

  lift(op: number): void {
    this.unlink(this.callAt[op]!);
    this.unlink(this.returnAt[op]!);
  }

  unlift(op: number): void {
    this.relink(this.returnAt[op]!);
    this.relink(this.callAt[op]!);
  }

  private unlink(p: number): void {
    const { next, prev } = this;
    next[prev[p]!] = next[p]!;
    if (next[p] !== -1) prev[next[p]!] = prev[p]!;
  }

  private relink(p: number): void {
    const { next, prev } = this;
    next[prev[p]!] = p;
    if (next[p] !== -1) prev[next[p]!] = p;
  }
}
