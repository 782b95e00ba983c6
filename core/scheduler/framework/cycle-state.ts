/**
 * Per-attempt scratch space shared by the plugins of one scheduling cycle
 * (pkg/scheduler/framework/cycle_state.go). PreFilter results live here so that Filter, called
 * once per node, only reads them.
 */
import type { FilterPlugin } from './interface.ts';

/**
 * State a plugin stores. State that AddPod/RemovePod change (preemption, nominated pods) must
 * have a `clone()` method; the rest is shared by clones.
 */
export type StateData = object;

function cloneOf(v: StateData): StateData {
  const c = (v as { clone?: unknown }).clone;
  return typeof c === 'function' ? (c.call(v) as StateData) : v;
}

export class CycleState {
  private readonly data = new Map<string, StateData>();
  /** Plugins whose PreFilter returned Skip: their Filter is not run this cycle. */
  readonly skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore returned Skip: their Score is not run this cycle. */
  readonly skipScorePlugins = new Set<string>();
  /** Filter plugins not skipped this cycle; computed once after PreFilter by the framework. */
  activeFilters: readonly FilterPlugin[] | undefined = undefined;

  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write<T extends StateData>(key: string, value: T): void {
    this.data.set(key, value);
  }

  delete(key: string): void {
    this.data.delete(key);
  }

  /** Deep enough for AddPod/RemovePod on the copy not to leak into this state. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, cloneOf(v));
    for (const p of this.skipFilterPlugins) c.skipFilterPlugins.add(p);
    for (const p of this.skipScorePlugins) c.skipScorePlugins.add(p);
    c.activeFilters = this.activeFilters;
    return c;
  }
}

/**
 * Memoises one state key for the CycleState last asked about: Filter and Score run once per
 * node with the same state, and this turns the per-node map lookup into a pointer compare.
 * A cloned state (preemption) is a different object, so it is looked up afresh.
 */
export class StateReader<T extends StateData> {
  private state: CycleState | undefined = undefined;
  private value: T | undefined = undefined;

  constructor(private readonly key: string) {}

  read(state: CycleState): T | undefined {
    if (state !== this.state) {
      this.state = state;
      this.value = state.read<T>(this.key);
    }
    return this.value;
  }

  /** Call after writing the key, so a stale memo for the same state is not served. */
  reset(): void {
    this.state = undefined;
    this.value = undefined;
  }
}
