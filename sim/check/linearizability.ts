/**
 * A linearizability checker: Wing & Gong's search with Lowe's memoisation, as Porcupine
 * (anishathalye/porcupine, checker.go) implements it.
 *
 * - The history becomes a list of call and return events sorted by time. At equal times calls
 *   come first, so operations that merely touch are treated as concurrent: a permissive choice
 *   that can miss a violation between a return and a call in the same microsecond, never report
 *   a false one.
 * - Depth-first search over a doubly linked list of those events: linearizing an operation
 *   "lifts" its call and return out of the list; backtracking "unlifts" them. Only calls that
 *   precede the first remaining return are candidates, which is exactly real-time order.
 * - A cache of (set of linearized operations, model state) prunes every configuration already
 *   explored: the same operations applied in another order that leads to the same state can
 *   only lead to the same outcome. States are compared by `stateKey`, interned to small ids.
 * - Unknown outcomes: an operation without result returns at +Infinity, so it may be linearized
 *   anywhere after its call, with any result. The search succeeds as soon as every completed
 *   operation is linearized, which is the same as placing the remaining unknown ones at the end,
 *   i.e. "never took effect". Unknown operations the model declares read-only are dropped first,
 *   and an unknown operation that would leave the state unchanged is not linearized at that
 *   point: leaving it for later (or never) reaches every configuration that placing it would.
 *   Unknown candidates are tried after completed ones, newest first. Without more help the
 *   search is still exponential in the number of pending unknown operations that change the
 *   state (Porcupine shares this); the model's `progress` and `admissible` are that help.
 * - Completed read-only candidates that match are linearized greedily (see `search`).
 * - P-compositionality: given `partitionKeys`, each connected component of keys is checked on
 *   its own (see partition.ts); the model must then be a product of independent per-key objects
 *   *under the chosen `resultsMatch`* (see kv-linearizability.ts for how the store does it).
 * - A budget on model steps bounds time and the cache (one entry per successful step at most);
 *   when it runs out the answer is `ok: 'unknown'`, never a guess.
 *
 * On a violation the report names the partition, the longest prefix that was linearized, the
 * operations that could have come next with what the model would have answered, and a smaller
 * illustration: completed operations are greedily relaxed to "unknown outcome" (which only
 * widens the set of allowed behaviours) as long as the history stays non-linearizable, so the
 * operations still completed in the illustration cannot be explained together even if every
 * other operation happened at any time after its call, or never.
 */
import { assert } from '../../core/util/assert.ts';
import { Bitset } from './bitset.ts';
import { EventList } from './event-list.ts';
import { MinTree } from './min-tree.ts';
import type { Operation } from './history.ts';
import { partitionByKeys } from './partition.ts';
import { structuralEqual } from './structural-equal.ts';

/** A sequential specification. `step` must not mutate `state`. */
export interface LinearizabilityModel<S, I, O> {
  init(): S;
  step(state: S, op: I): readonly [S, O];
  /**
   * Equal keys only for states that no continuation can tell apart under the `resultsMatch` in
   * use (equal states always qualify); a coarser key prunes more.
   */
  stateKey(state: S): string;
  /**
   * Whether stepping `op` never changes the state: for any state, or, given `observed`, for any
   * state at which the model's result matches `observed`. Unknown-outcome read-only operations
   * are dropped; a completed one that matches is linearized at once without trying the other
   * candidates (see `search`).
   */
  readOnly?(op: I, observed?: O): boolean;
  /**
   * Optional pruning for models with a counter that never decreases under `step` (a store
   * revision): `of` reads it from a state; `bound` is, for an observed result, the largest
   * counter a state may have just before the operation for the model to produce that result.
   * A state above the smallest bound of the completed operations still to linearize is a dead
   * end. This is what makes unknown-outcome writes cheap: each one can only be tried where the
   * observed revisions leave room for an extra write.
   */
  readonly progress?: {
    of(state: S): number;
    bound(op: I, observed: O): number;
  };
  /**
   * Optional pruning: false when no continuation from this state can match the history (the
   * model knows facts the history pins down, e.g. which key-value a store revision wrote).
   * Must be a necessary condition, never a guess.
   */
  admissible?(state: S): boolean;
}

export interface CheckOptions<I, O> {
  /** Whether the model's result explains the observed one. Default: structural equality. */
  readonly resultsMatch?: (modelResult: O, observed: O) => boolean;
  /** The keys an operation touches, for P-compositionality. Absent: one partition. */
  readonly partitionKeys?: (op: I) => readonly string[];
  /** Budget of model steps over all partitions (bounds the cache too). */
  readonly maxSteps?: number;
  /** Extra budget for shrinking a violation into an illustration; 0 turns shrinking off. */
  readonly minimizeMaxSteps?: number;
}

export const DEFAULT_MAX_STEPS = 2_000_000;
export const DEFAULT_MINIMIZE_MAX_STEPS = 100_000;
/** Per shrinking trial: this many times the steps that found the violation, at least the minimum. */
const TRIAL_FACTOR = 4;
const MIN_TRIAL_STEPS = 1_000;

/** An operation that could have been linearized next, and what the model would have said. */
export interface Candidate<I, O> {
  readonly operation: Operation<I, O>;
  readonly modelResult: O;
}

export interface Violation<I, O> {
  readonly ok: false;
  readonly reason: string;
  readonly steps: number;
  /** Keys of the failing partition (empty when the history was not partitioned). */
  readonly partitionKeys: readonly string[];
  /** The longest sequence of operations of that partition that could be linearized. */
  readonly longestPrefix: readonly Operation<I, O>[];
  /** The operations that could have come next after that prefix; none matches. */
  readonly candidates: readonly Candidate<I, O>[];
  /** Completed operations that cannot be linearized together (see the header comment). */
  readonly illustration: readonly Operation<I, O>[];
}

export type CheckResult<I, O> =
  | { readonly ok: true; readonly partitions: number; readonly steps: number }
  | Violation<I, O>
  | { readonly ok: 'unknown'; readonly reason: string; readonly steps: number };

interface Budget {
  remaining: number;
}

type SearchOutcome<S> =
  | { readonly kind: 'ok' }
  | { readonly kind: 'budget' }
  | { readonly kind: 'fail'; readonly prefix: readonly number[]; readonly state: S };

export function checkLinearizable<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions<I, O> = {},
): CheckResult<I, O> {
  const match = options.resultsMatch ?? structuralEqual;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const budget: Budget = { remaining: maxSteps };
  const ops = history.filter((op) => !isDroppable(model, op));
  for (const op of ops) assertWellFormed(op);
  const partitions =
    options.partitionKeys === undefined
      ? [{ keys: [] as readonly string[], items: ops }]
      : partitionByKeys(ops, (op) => options.partitionKeys!(op.op));
  const partitioned = options.partitionKeys !== undefined;
  let exhausted: string | null = null;
  for (const partition of partitions) {
    const before = budget.remaining;
    const outcome = search(model, partition.items, match, budget);
    const where = describePartition(partitioned, partition.keys, partition.items.length);
    if (outcome.kind === 'budget') {
      exhausted ??= `budget exceeded: ${maxSteps} model steps, in ${where}`;
      continue;
    }
    if (outcome.kind === 'fail') {
      const minimizeBudget = { remaining: options.minimizeMaxSteps ?? DEFAULT_MINIMIZE_MAX_STEPS };
      const trialSteps = Math.max(MIN_TRIAL_STEPS, TRIAL_FACTOR * (before - budget.remaining));
      const illustration = minimize(model, partition.items, match, minimizeBudget, trialSteps);
      const steps = maxSteps - budget.remaining;
      const failure = { ...outcome, keys: partition.keys, where };
      return violation(model, partition.items, failure, illustration, steps);
    }
  }
  const steps = maxSteps - budget.remaining;
  if (exhausted !== null) return { ok: 'unknown', reason: exhausted, steps };
  return { ok: true, partitions: partitions.length, steps };
}

function isDroppable<S, I, O>(model: LinearizabilityModel<S, I, O>, op: Operation<I, O>): boolean {
  return op.returnUs === Infinity && model.readOnly !== undefined && model.readOnly(op.op);
}

function assertWellFormed<I, O>(op: Operation<I, O>): void {
  assert(Number.isFinite(op.callUs), `op ${op.id}: call time ${op.callUs}`);
  assert(op.returnUs >= op.callUs, `op ${op.id}: returns before its call`);
  assert(
    (op.returnUs === Infinity) === (op.result === undefined),
    `op ${op.id}: a result is present exactly when the return time is finite`,
  );
}

/**
 * Wing–Gong–Lowe depth-first search over one partition.
 *
 * Greedy reads: a completed read-only candidate whose result matches the current state is
 * linearized without branching. Any linearization from here that places it later can place it
 * first instead: it is a candidate, so no remaining operation returned before its call; it
 * matches now; and it changes no state, so the rest of that linearization replays unchanged.
 * This removes the 2^r orderings of r concurrent reads that a refutation would otherwise visit.
 */
function search<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  match: (modelResult: O, observed: O) => boolean,
  budget: Budget,
): SearchOutcome<S> {
  const list = new EventList(ops);
  const progress = model.progress;
  const boundOf = (op: Operation<I, O>): number =>
    progress === undefined || op.result === undefined ? Infinity : progress.bound(op.op, op.result);
  // Bounds of the completed operations not yet linearized (Infinity for the others).
  const bounds = new MinTree(ops.map(boundOf));
  const linearized = new Bitset(ops.length);
  const cache = new Set<string>();
  const stateIds = new Map<string, number>();
  /**
   * Completed candidates first, in call order (Porcupine's order); then unknown-outcome ones,
   * newest first: an old unknown operation that has not been needed so far most likely never
   * took effect, so trying it first only delays finding the linearization.
   */
  const candidatesNow = (): number[] => {
    const all = list.candidates();
    const known = all.filter((i) => ops[i]!.result !== undefined);
    const unknown = all.filter((i) => ops[i]!.result === undefined).reverse();
    return known.concat(unknown);
  };
  interface Frame {
    readonly op: number;
    readonly state: S;
    readonly stateId: number;
    readonly candidates: readonly number[];
    readonly cursor: number;
  }
  const stack: Frame[] = [];
  let completedLeft = ops.filter((op) => op.result !== undefined).length;
  let state = model.init();
  let stateId = stateKeyId(model, stateIds, state);
  let candidates: readonly number[] = candidatesNow();
  let cursor = 0;
  let deepest: { prefix: number[]; state: S } = { prefix: [], state };

  while (completedLeft > 0) {
    if (cursor >= candidates.length) {
      const top = stack.pop();
      // A greedy frame's remaining candidates are dominated by the read it linearized.
      if (top === undefined) return { kind: 'fail', ...deepest };
      const op = ops[top.op]!;
      ({ state, stateId, candidates, cursor } = top);
      linearized.delete(top.op);
      list.unlift(top.op);
      if (op.result !== undefined) completedLeft++;
      bounds.set(top.op, boundOf(op));
      continue;
    }
    const index = candidates[cursor++]!;
    const op = ops[index]!;
    if (budget.remaining-- <= 0) return { kind: 'budget' };
    const [after, output] = model.step(state, op.op);
    const known = op.result !== undefined;
    if (known && !match(output, op.result!)) continue;
    bounds.set(index, Infinity);
    const alive =
      (progress === undefined || progress.of(after) <= bounds.min) &&
      (model.admissible === undefined || model.admissible(after));
    const afterId = alive ? stateKeyId(model, stateIds, after) : -1;
    // An unknown op that changes nothing now is dominated by leaving it for later, or never.
    const useful = known || afterId !== stateId;
    linearized.add(index);
    const cacheKey = `${linearized.key()}|${afterId}`;
    const greedy = known && model.readOnly !== undefined && model.readOnly(op.op, op.result);
    if (!alive || !useful || cache.has(cacheKey)) {
      linearized.delete(index);
      bounds.set(index, boundOf(op));
      if (greedy && alive) cursor = candidates.length;
      continue;
    }
    cache.add(cacheKey);
    stack.push({
      op: index,
      state,
      stateId,
      candidates,
      cursor: greedy ? candidates.length : cursor,
    });
    state = after;
    stateId = afterId;
    list.lift(index);
    if (known) completedLeft--;
    if (stack.length > deepest.prefix.length) {
      deepest = { prefix: stack.map((frame) => frame.op), state };
    }
    candidates = candidatesNow();
    cursor = 0;
  }
  return { kind: 'ok' };
}

function stateKeyId<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  ids: Map<string, number>,
  state: S,
): number {
  const key = model.stateKey(state);
  let id = ids.get(key);
  if (id === undefined) {
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

/**
 * Greedy delta-debugging over "relax this completed operation to unknown outcome", in chunks
 * halving down to single operations. Every accepted relaxation keeps the history failing, so
 * the result is a sound witness even when the budget stops the shrinking early. Many unknown
 * operations can make one trial exponential, so each trial gets `trialSteps` and counts as
 * "still linearizable" when it runs out: the big chunks give up quickly, the small ones decide.
 */
function minimize<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  match: (modelResult: O, observed: O) => boolean,
  budget: Budget,
  trialSteps: number,
): Operation<I, O>[] {
  const relaxed = new Set<number>();
  const build = (relax: ReadonlySet<number>): Operation<I, O>[] =>
    ops.flatMap((op, i) => {
      if (!relax.has(i)) return [op];
      const loose: Operation<I, O> = {
        id: op.id,
        client: op.client,
        op: op.op,
        callUs: op.callUs,
        returnUs: Infinity,
      };
      return isDroppable(model, loose) ? [] : [loose];
    });
  const completed = ops.flatMap((op, i) => (op.result === undefined ? [] : [i]));
  for (
    let chunk = Math.ceil(completed.length / 2);
    chunk >= 1;
    chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)
  ) {
    const still = completed.filter((i) => !relaxed.has(i));
    for (let start = 0; start < still.length; start += chunk) {
      if (budget.remaining <= 0) return build(relaxed).filter((op) => op.result !== undefined);
      const trial = new Set([...relaxed, ...still.slice(start, start + chunk)]);
      const trialBudget = { remaining: Math.min(trialSteps, budget.remaining) };
      const outcome = search(model, build(trial), match, trialBudget);
      budget.remaining -= Math.min(trialSteps, budget.remaining) - trialBudget.remaining;
      if (outcome.kind === 'fail') for (const i of trial) relaxed.add(i);
    }
  }
  return build(relaxed).filter((op) => op.result !== undefined);
}

interface Failure<S> {
  readonly prefix: readonly number[];
  readonly state: S;
  readonly keys: readonly string[];
  readonly where: string;
}

function violation<S, I, O>(
  model: LinearizabilityModel<S, I, O>,
  ops: readonly Operation<I, O>[],
  failure: Failure<S>,
  illustration: Operation<I, O>[],
  steps: number,
): Violation<I, O> {
  const done = new Set(failure.prefix);
  const remaining = ops.filter((_, i) => !done.has(i));
  const firstReturn = Math.min(...remaining.map((op) => op.returnUs));
  const candidates = remaining
    .filter((op) => op.callUs <= firstReturn)
    .map((operation) => ({ operation, modelResult: model.step(failure.state, operation.op)[1] }));
  const blocked = remaining.find((op) => op.returnUs === firstReturn)!;
  const reason =
    `not linearizable: in ${failure.where}, ` +
    `after ${failure.prefix.length} linearized operations no candidate matches the model; ` +
    `operation ${blocked.id} (client ${blocked.client}) must take effect by ${blocked.returnUs} µs`;
  return {
    ok: false,
    reason,
    steps,
    partitionKeys: failure.keys,
    longestPrefix: failure.prefix.map((i) => ops[i]!),
    candidates,
    illustration,
  };
}

function describePartition(partitioned: boolean, keys: readonly string[], size: number): string {
  if (!partitioned) return `the whole history (${size} operations)`;
  const shown = keys
    .slice(0, 5)
    .map((k) => JSON.stringify(k))
    .join(', ');
  const more = keys.length > 5 ? `, … ${keys.length - 5} more` : '';
  return `partition [${shown}${more}] (${size} operations)`;
}
