/**
 * The scenario runner's watch over its predicates: expectations (eventually / always / never /
 * at the end) and conditional actions (`when`). Predicates are evaluated when an object of a
 * kind they read changes (once per event that changed any, after it), and at the edges of their
 * time windows; not on a timer. Nothing is evaluated before every informer has listed once, so
 * a half-filled cache never counts as the cluster's state.
 */
import type { KObject } from '../../core/api/types.ts';
import { assert } from '../../core/util/assert.ts';
import type { Predicate } from './predicate-schema.ts';
import {
  describePredicate,
  livePredicate,
  type Evaluation,
  type LivePredicate,
  type ObjectView,
} from './predicates.ts';
import type { Expectation } from './scenario-schema.ts';

export interface ExpectationResult {
  readonly name: string;
  readonly passed: boolean;
  /** eventually (and the old `pods` form): the virtual time at which it first held. */
  readonly metAtUs?: number;
  /** always / never: the virtual time of the first violation. */
  readonly violatedAtUs?: number;
  /** always / never: the objects (kind/namespace/name) whose change made the violation. */
  readonly objects?: readonly string[];
  /** Switched off in the scenario (`enabled: false`): not evaluated. */
  readonly disabled?: boolean;
  readonly detail: string;
}

/** What the watch needs of the runner. */
export interface WatchHost {
  readonly view: ObjectView;
  now(): number;
  /** Calls `fn` at the virtual time `timeUs` (not before now). */
  at(timeUs: number, fn: () => void): void;
  /** Calls `fn` after the current event, at the same virtual time. */
  soon(fn: () => void): void;
  /** Every informer the watch reads has listed once. */
  synced(): boolean;
}

/** How often to look whether the informers have listed, until they have. */
const SYNC_POLL_US = 100_000;
const MAX_BLAMED = 10;

type Mode =
  | { readonly kind: 'eventually'; readonly withinUs?: number }
  | { readonly kind: 'at-end' }
  | { readonly kind: 'always' | 'never'; readonly fromUs: number; readonly untilUs?: number };

/** A predicate under watch: its state, and what changed since it was last evaluated. */
abstract class Watch {
  readonly live: LivePredicate;
  readonly changed = new Set<string>();
  dirty = true;
  done = false;
  last: Evaluation | undefined;

  constructor(readonly predicate: Predicate) {
    this.live = livePredicate(predicate);
  }

  /** Evaluates (if the moment matters to this watch) and acts on the value. */
  abstract step(nowUs: number, view: ObjectView): void;
  /** Time edges at which the watch must look even if nothing changed. */
  abstract edges(): readonly number[];

  protected evaluate(view: ObjectView): Evaluation {
    this.last = this.live.evaluate(view);
    return this.last;
  }
}

class ExpectationWatch extends Watch {
  metAtUs: number | undefined;
  violatedAtUs: number | undefined;
  objects: readonly string[] | undefined;
  checked = false;

  constructor(
    readonly name: string,
    readonly mode: Mode,
    predicate: Predicate,
  ) {
    super(predicate);
  }

  edges(): readonly number[] {
    const m = this.mode;
    if (m.kind === 'eventually') return m.withinUs === undefined ? [] : [m.withinUs];
    if (m.kind === 'at-end') return [];
    return m.untilUs === undefined ? [m.fromUs] : [m.fromUs, m.untilUs];
  }

  step(nowUs: number, view: ObjectView): void {
    const m = this.mode;
    if (this.done || m.kind === 'at-end') return;
    if (m.kind === 'eventually') {
      if (m.withinUs !== undefined && nowUs > m.withinUs) return this.close();
      this.checked = true;
      if (this.evaluate(view).holds) {
        this.metAtUs = nowUs;
        this.close();
      } else if (nowUs === m.withinUs) this.close();
      return;
    }
    if (nowUs < m.fromUs) return;
    if (m.untilUs !== undefined && nowUs > m.untilUs) return this.close();
    this.checked = true;
    const holds = this.evaluate(view).holds;
    if (holds === (m.kind === 'never')) {
      this.violatedAtUs = nowUs;
      this.objects = this.changed.size > 0 ? [...this.changed].sort() : this.live.involved();
      this.close();
    } else if (nowUs === m.untilUs) this.close();
  }

  private close(): void {
    this.done = true;
  }

  /** The verdict at the end of the run, at `endUs`. */
  result(endUs: number, view: ObjectView, ready: boolean): ExpectationResult {
    const m = this.mode;
    const at = (): Evaluation | undefined => (ready ? this.evaluate(view) : this.last);
    if (m.kind === 'at-end') {
      const ev = at();
      if (ev === undefined) return this.unchecked();
      return {
        name: this.name,
        passed: ev.holds,
        ...(ev.holds ? { metAtUs: endUs } : {}),
        detail: ev.detail,
      };
    }
    if (m.kind === 'eventually') {
      if (this.metAtUs !== undefined)
        return {
          name: this.name,
          passed: true,
          metAtUs: this.metAtUs,
          detail: this.last?.detail ?? '',
        };
      const ev = this.done ? this.last : at();
      if (ev === undefined) return this.unchecked();
      const bound =
        m.withinUs !== undefined && endUs >= m.withinUs
          ? `not met within ${m.withinUs / 1e6}s`
          : 'not met by the end of the run';
      return { name: this.name, passed: false, detail: `${bound}: ${ev.detail}` };
    }
    if (this.violatedAtUs !== undefined) {
      return {
        name: this.name,
        passed: false,
        violatedAtUs: this.violatedAtUs,
        objects: this.objects ?? [],
        detail: `violated: ${this.last?.detail ?? ''}`,
      };
    }
    if (endUs < m.fromUs)
      return {
        name: this.name,
        passed: false,
        detail: `its window starts after the end of the run`,
      };
    if (!this.checked) return this.unchecked();
    return { name: this.name, passed: true, detail: this.last?.detail ?? '' };
  }

  private unchecked(): ExpectationResult {
    return { name: this.name, passed: false, detail: 'never checked (the API was unreachable)' };
  }
}

class WhenWatch extends Watch {
  firedAtUs: number | undefined;

  constructor(
    predicate: Predicate,
    private readonly afterUs: number,
    private readonly fire: () => void,
  ) {
    super(predicate);
  }

  edges(): readonly number[] {
    return [this.afterUs];
  }

  step(nowUs: number, view: ObjectView): void {
    if (this.done || nowUs < this.afterUs) return;
    if (!this.evaluate(view).holds) return;
    this.done = true;
    this.firedAtUs = nowUs;
    this.fire();
  }
}

/** A conditional action as the watch reports it at the end. */
export interface WhenResult {
  readonly condition: string;
  readonly firedAtUs?: number;
  /** What the condition saw last, when it never held. */
  readonly detail?: string;
}

export class ScenarioWatch {
  private readonly watches: Watch[] = [];
  private readonly expectations: (ExpectationWatch | ExpectationResult)[] = [];
  private readonly whens: WhenWatch[] = [];
  private readonly byKind = new Map<string, Watch[]>();
  private flushPending = false;
  private ready = false;

  constructor(private readonly host: WatchHost) {}

  /** Every kind some predicate reads, in the order first named. */
  kinds(): string[] {
    return [...this.byKind.keys()];
  }

  expect(e: Expectation): void {
    const name = e.name ?? describeExpectation(e);
    if (e.enabled === false) {
      this.expectations.push({ name, passed: true, disabled: true, detail: 'disabled' });
      return;
    }
    const { mode, predicate } = modeOf(e);
    const w = new ExpectationWatch(name, mode, predicate);
    this.expectations.push(w);
    this.add(w);
  }

  /** A conditional action: `fire` runs once, the first time the predicate holds at or after `afterUs`. */
  when(predicate: Predicate, afterUs: number, fire: () => void): void {
    const w = new WhenWatch(predicate, afterUs, fire);
    this.whens.push(w);
    this.add(w);
  }

  /** Starts watching: call once the informers of `kinds()` are started. */
  start(): void {
    for (const w of this.watches) {
      for (const t of w.edges()) this.host.at(t, () => this.edge(w));
    }
    this.pollSync();
  }

  /** An object changed in one of the informers (`now` absent: deleted). */
  change(kind: string, key: string, before: KObject | undefined, now: KObject | undefined): void {
    const watches = this.byKind.get(kind);
    if (watches === undefined) return;
    for (const w of watches) {
      if (w.done) continue;
      w.live.observe(kind, key, before, now);
      w.dirty = true;
      if (w.changed.size < MAX_BLAMED) w.changed.add(`${kind}/${key}`);
    }
    if (!this.flushPending && this.ready) {
      this.flushPending = true;
      this.host.soon(() => this.flush());
    }
  }

  /** The verdicts at the end of the run, in the scenario's order. */
  results(): ExpectationResult[] {
    if (this.ready) this.flush();
    const now = this.host.now();
    return this.expectations.map((e) =>
      e instanceof ExpectationWatch ? e.result(now, this.host.view, this.ready) : e,
    );
  }

  /** Every conditional action, in the scenario's order. */
  whenResults(): WhenResult[] {
    return this.whens.map((w) => ({
      condition: describePredicate(w.predicate),
      ...(w.firedAtUs === undefined ? {} : { firedAtUs: w.firedAtUs }),
      ...(w.firedAtUs !== undefined || w.last === undefined ? {} : { detail: w.last.detail }),
    }));
  }

  private add(w: Watch): void {
    this.watches.push(w);
    for (const kind of w.live.kinds) {
      let list = this.byKind.get(kind);
      if (list === undefined) this.byKind.set(kind, (list = []));
      list.push(w);
    }
  }

  private pollSync(): void {
    if (this.host.synced()) {
      this.ready = true;
      this.flush();
      return;
    }
    this.host.at(this.host.now() + SYNC_POLL_US, () => this.pollSync());
  }

  private edge(w: Watch): void {
    if (!this.ready || w.done) return;
    this.flush();
    this.stepOne(w);
  }

  private flush(): void {
    this.flushPending = false;
    for (const w of this.watches) if (w.dirty && !w.done) this.stepOne(w);
  }

  private stepOne(w: Watch): void {
    assert(this.ready, 'predicates are evaluated only once the informers have listed');
    w.step(this.host.now(), this.host.view);
    w.dirty = false;
    w.changed.clear();
  }
}

function modeOf(e: Expectation): { mode: Mode; predicate: Predicate } {
  if (e.eventually !== undefined) {
    const { within, ...predicate } = e.eventually;
    return {
      mode: { kind: 'eventually', ...(within === undefined ? {} : { withinUs: within }) },
      predicate,
    };
  }
  if (e.always !== undefined || e.never !== undefined) {
    const kind = e.always !== undefined ? 'always' : 'never';
    const { from, until, ...predicate } = (e.always ?? e.never)!;
    const mode: Mode = {
      kind,
      fromUs: from ?? 0,
      ...(until === undefined ? {} : { untilUs: until }),
    };
    return { mode, predicate };
  }
  assert(e.pods !== undefined, 'an expectation has exactly one form (checked at load)');
  // The first form: with `within` it is `eventually`; without, the state at the end counts.
  const mode: Mode =
    e.within === undefined ? { kind: 'at-end' } : { kind: 'eventually', withinUs: e.within };
  return { mode, predicate: { pods: e.pods } };
}

function describeExpectation(e: Expectation): string {
  const { mode, predicate } = modeOf(e);
  const what = describePredicate(predicate);
  switch (mode.kind) {
    case 'at-end':
      return what;
    case 'eventually':
      return e.pods !== undefined ? what : `eventually ${what}`;
    case 'always':
    case 'never':
      return `${mode.kind} ${what}`;
  }
}
