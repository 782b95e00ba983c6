/**
 * Predicates evaluated against the objects the scenario runner's informers hold. Pod and object
 * counts are kept incrementally from each change (a 3,000-pod run changes pods tens of thousands
 * of times: recounting every pod at each change, or listing them every second, is what issue 16
 * measured at ~6% of such a run); a condition or a JSONPath query reads its object when asked.
 */
import { JSONPath } from 'jsonpath-plus';
import { objectKey } from '../../core/api/meta.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import {
  isSelectorError,
  parseSelector,
  type LabelMatcher as Selector,
} from '../../core/api/selectors.ts';
import { definitionFor } from '../../core/api/kinds/index.ts';
import type { KObject } from '../../core/api/types.ts';
import { assert } from '../../core/util/assert.ts';
import type {
  ConditionPredicate,
  Count,
  JsonPathPredicate,
  ObjectsPredicate,
  PodsPredicate,
  Predicate,
} from './predicate-schema.ts';

/** What the runner's informers hold, by kind and namespace/name key. */
export interface ObjectView {
  get(kind: string, key: string): KObject | undefined;
  list(kind: string): readonly KObject[];
}

export interface Evaluation {
  readonly holds: boolean;
  /** What was observed, e.g. `3 matching pods on 2 nodes`. */
  readonly detail: string;
}

/** A predicate with the state it keeps between changes. */
export interface LivePredicate {
  /** The kinds whose changes can change its value. */
  readonly kinds: readonly string[];
  /** An object of one of `kinds` was added, changed (both given) or deleted (`now` absent). */
  observe(kind: string, key: string, before: KObject | undefined, now: KObject | undefined): void;
  evaluate(view: ObjectView): Evaluation;
  /** The objects the predicate is about now (for a verdict with no recent change to blame). */
  involved(): readonly string[];
}

const MAX_LISTED = 10;

export function livePredicate(p: Predicate): LivePredicate {
  if (p.pods !== undefined) return new PodsState(p.pods);
  if (p.objects !== undefined) return new ObjectsState(p.objects);
  if (p.condition !== undefined) return new ConditionState(p.condition);
  assert(p.jsonPath !== undefined, 'a predicate has exactly one kind (checked at load)');
  return new JsonPathState(p.jsonPath);
}

/** How a predicate reads in a verdict when the expectation has no name. */
export function describePredicate(p: Predicate): string {
  if (p.pods !== undefined) {
    const q = p.pods;
    return `${describeCount(q.count)} pods${q.namespace ? ` in ${q.namespace}` : ''}${q.labelSelector ? ` (${q.labelSelector})` : ''}${q.phase ? ` ${q.phase}` : ''}${q.ready === undefined ? '' : q.ready ? ' ready' : ' not ready'}${q.minRestarts ? ` restarted >= ${q.minRestarts} times` : ''}${q.node ? ` on ${q.node}` : ''}${q.minNodes ? ` on >= ${q.minNodes} nodes` : ''}${q.maxPerNode ? ` <= ${q.maxPerNode} per node` : ''}`;
  }
  if (p.objects !== undefined) {
    const o = p.objects;
    return `${describeCount(o.count)} ${o.kind} objects${o.namespace ? ` in ${o.namespace}` : ''}${o.labelSelector ? ` (${o.labelSelector})` : ''}`;
  }
  if (p.condition !== undefined) {
    const c = p.condition;
    return `${c.kind} ${conditionKey(c)} ${c.condition}=${c.status ?? 'True'}${c.reason ? ` (${c.reason})` : ''}`;
  }
  const j = p.jsonPath;
  assert(j !== undefined, 'a predicate has exactly one kind');
  const target = j.name === undefined ? `${j.kind} list` : `${j.kind} ${jsonPathKey(j)}`;
  return `${target} ${j.path} ${describeTest(j)}`;
}

function describeTest(j: JsonPathPredicate): string {
  if (j.equals !== undefined) return `== ${JSON.stringify(j.equals)}`;
  if (j.matches !== undefined) return `=~ /${j.matches}/`;
  return j.atLeast !== undefined ? `>= ${j.atLeast}` : `<= ${String(j.atMost)}`;
}

function describeCount(c: Count): string {
  if (typeof c === 'number') return String(c);
  if (c.atLeast !== undefined && c.atMost !== undefined) return `${c.atLeast}-${c.atMost}`;
  return c.atLeast !== undefined ? `>= ${c.atLeast}` : `<= ${c.atMost}`;
}

function countHolds(c: Count, n: number): boolean {
  if (typeof c === 'number') return n === c;
  return (c.atLeast === undefined || n >= c.atLeast) && (c.atMost === undefined || n <= c.atMost);
}

function selectorOf(text: string | undefined): Selector | undefined {
  if (text === undefined) return undefined;
  const s = parseSelector(text);
  assert(!isSelectorError(s), `label selectors are checked at load: ${text}`);
  return s;
}

const isNamespaced = (kind: string): boolean => definitionFor(kind)?.resource.namespaced ?? true;

function conditionKey(c: ConditionPredicate): string {
  return objectKey(isNamespaced(c.kind) ? (c.namespace ?? 'default') : undefined, c.name);
}

function jsonPathKey(j: JsonPathPredicate): string {
  return objectKey(isNamespaced(j.kind) ? (j.namespace ?? 'default') : undefined, j.name ?? '');
}

/** Keys sorted, at most MAX_LISTED of them. */
function firstKeys(keys: Iterable<string>): string[] {
  return [...keys].sort().slice(0, MAX_LISTED);
}

/**
 * A set of matching objects kept from each change: a change moves one object in or out, so a
 * count never needs a pass over every object.
 */
abstract class MatchingSet<T extends KObject> implements LivePredicate {
  protected readonly matching = new Map<string, T>();
  abstract readonly kinds: readonly string[];
  protected abstract matches(obj: T): boolean;
  abstract evaluate(view: ObjectView): Evaluation;

  observe(
    _kind: string,
    key: string,
    _before: KObject | undefined,
    now: KObject | undefined,
  ): void {
    this.leave(key);
    if (now !== undefined && now.metadata.deletionTimestamp === undefined && this.matches(now as T))
      this.enter(key, now as T);
  }

  involved(): readonly string[] {
    return firstKeys(this.matching.keys());
  }

  protected enter(key: string, obj: T): void {
    this.matching.set(key, obj);
  }

  protected leave(key: string): void {
    this.matching.delete(key);
  }
}

class PodsState extends MatchingSet<Pod> {
  readonly kinds = ['Pod'];
  private readonly selector: Selector | undefined;
  /** Matching pods per node they are bound to. */
  private readonly perNode = new Map<string, number>();

  constructor(private readonly p: PodsPredicate) {
    super();
    this.selector = selectorOf(p.labelSelector);
  }

  protected matches(pod: Pod): boolean {
    const p = this.p;
    return (
      (p.namespace === undefined || pod.metadata.namespace === p.namespace) &&
      (p.phase === undefined || (pod.status?.phase ?? 'Pending') === p.phase) &&
      (p.ready === undefined || isReady(pod) === p.ready) &&
      (p.minRestarts === undefined || restarts(pod) >= p.minRestarts) &&
      (p.node === undefined || pod.spec.nodeName === p.node) &&
      (this.selector === undefined || this.selector.matches(pod.metadata.labels ?? {}))
    );
  }

  protected override enter(key: string, pod: Pod): void {
    super.enter(key, pod);
    const node = pod.spec.nodeName;
    if (node) this.perNode.set(node, (this.perNode.get(node) ?? 0) + 1);
  }

  protected override leave(key: string): void {
    const node = this.matching.get(key)?.spec.nodeName;
    super.leave(key);
    if (!node) return;
    const n = (this.perNode.get(node) ?? 0) - 1;
    if (n > 0) this.perNode.set(node, n);
    else this.perNode.delete(node);
  }

  evaluate(): Evaluation {
    const p = this.p;
    const n = this.matching.size;
    const nodes = this.perNode.size;
    let most = 0;
    if (p.maxPerNode !== undefined) for (const c of this.perNode.values()) most = Math.max(most, c);
    const holds =
      countHolds(p.count, n) &&
      (p.minNodes === undefined || nodes >= p.minNodes) &&
      (p.maxPerNode === undefined || most <= p.maxPerNode);
    const spread = p.maxPerNode === undefined ? '' : `, at most ${most} on one node`;
    return { holds, detail: `${n} matching pods on ${nodes} nodes${spread}` };
  }
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

class ObjectsState extends MatchingSet<KObject> {
  readonly kinds: readonly string[];
  private readonly selector: Selector | undefined;

  constructor(private readonly p: ObjectsPredicate) {
    super();
    this.kinds = [p.kind];
    this.selector = selectorOf(p.labelSelector);
  }

  protected matches(obj: KObject): boolean {
    return (
      (this.p.namespace === undefined || obj.metadata.namespace === this.p.namespace) &&
      (this.selector === undefined || this.selector.matches(obj.metadata.labels ?? {}))
    );
  }

  evaluate(): Evaluation {
    const n = this.matching.size;
    return { holds: countHolds(this.p.count, n), detail: `${n} ${this.p.kind} objects` };
  }
}

interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
}

class ConditionState implements LivePredicate {
  readonly kinds: readonly string[];
  private readonly key: string;

  constructor(private readonly c: ConditionPredicate) {
    this.kinds = [c.kind];
    this.key = conditionKey(c);
  }

  observe(): void {}

  involved(): readonly string[] {
    return [`${this.c.kind}/${this.key}`];
  }

  evaluate(view: ObjectView): Evaluation {
    const obj = view.get(this.c.kind, this.key);
    if (obj === undefined) return { holds: false, detail: `${this.c.kind} ${this.key} not found` };
    const conditions = (obj as { status?: { conditions?: readonly Condition[] } }).status
      ?.conditions;
    const found = conditions?.find((x) => x.type === this.c.condition);
    if (found === undefined)
      return {
        holds: false,
        detail: `${this.c.kind} ${this.key} has no ${this.c.condition} condition`,
      };
    const holds =
      found.status === (this.c.status ?? 'True') &&
      (this.c.reason === undefined || found.reason === this.c.reason);
    return {
      holds,
      detail: `${this.c.condition}=${found.status ?? ''}${found.reason ? ` (${found.reason})` : ''}`,
    };
  }
}

class JsonPathState implements LivePredicate {
  readonly kinds: readonly string[];
  private readonly key: string | undefined;

  constructor(private readonly j: JsonPathPredicate) {
    this.kinds = [j.kind];
    this.key = j.name === undefined ? undefined : jsonPathKey(j);
  }

  observe(): void {}

  involved(): readonly string[] {
    return this.key === undefined ? [this.j.kind] : [`${this.j.kind}/${this.key}`];
  }

  evaluate(view: ObjectView): Evaluation {
    const json = this.target(view);
    if (json === undefined) return { holds: false, detail: `${this.j.kind} ${this.key} not found` };
    let values: unknown[];
    try {
      values = JSONPath({ path: this.j.path, json, eval: 'safe', wrap: true }) as unknown[];
    } catch (e) {
      return { holds: false, detail: `JSONPath ${this.j.path} failed: ${(e as Error).message}` };
    }
    const shown = values.slice(0, MAX_LISTED).map((v) => JSON.stringify(v) ?? 'undefined');
    const detail =
      values.length === 0
        ? 'found nothing'
        : `found ${shown.join(', ')}${values.length > MAX_LISTED ? `, ... (${values.length})` : ''}`;
    return { holds: values.length > 0 && values.every((v) => passes(this.j, v)), detail };
  }

  /** The named object, or the kind's objects as a List sorted by key (kubectl get -o jsonpath). */
  private target(view: ObjectView): object | undefined {
    if (this.key !== undefined) return view.get(this.j.kind, this.key);
    const ns = this.j.namespace;
    const items = view
      .list(this.j.kind)
      .filter((o) => ns === undefined || o.metadata.namespace === ns)
      .map((o) => ({ key: objectKey(o.metadata.namespace, o.metadata.name ?? ''), o }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((x) => x.o);
    return { kind: `${this.j.kind}List`, items };
  }
}

/** The predicate's test on one value found by its path. */
export function passes(
  j: Pick<JsonPathPredicate, 'equals' | 'matches' | 'atLeast' | 'atMost'>,
  v: unknown,
): boolean {
  if (j.equals !== undefined) return textOf(v) === textOf(j.equals);
  if (j.matches !== undefined) return new RegExp(j.matches).test(textOf(v));
  if (typeof v !== 'number') return false;
  if (j.atLeast !== undefined) return v >= j.atLeast;
  return j.atMost !== undefined && v <= j.atMost;
}

/** Scalars as their text (3 and "3" are equal, as in YAML), anything else as JSON. */
function textOf(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
}
