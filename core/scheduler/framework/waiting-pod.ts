/**
 * A pod held at Permit (pkg/scheduler/framework/runtime/waiting_pods_map.go): it proceeds to
 * binding once every waiting plugin allows it, and fails when one rejects it or its timer fires.
 */
import type { Clock, TimerId } from '../../ports/clock.ts';
import type { PodInfo } from './pod-info.ts';
import { Status, type MaybeStatus } from './status.ts';

export class WaitingPod {
  private readonly pending = new Map<string, TimerId>();
  private settle: ((s: MaybeStatus) => void) | undefined;
  readonly done: Promise<MaybeStatus>;

  constructor(
    readonly pod: PodInfo,
    waits: ReadonlyMap<string, number>,
    private readonly clock: Clock,
  ) {
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
    for (const [plugin, timeoutUs] of waits)
      this.pending.set(
        plugin,
        clock.setTimer(timeoutUs, () =>
          this.reject(
            plugin,
            `rejected due to timeout after waiting ${timeoutUs / 1_000_000}s at plugin ${plugin}`,
          ),
        ),
      );
  }

  get pendingPlugins(): string[] {
    return [...this.pending.keys()];
  }

  allow(plugin: string): void {
    const t = this.pending.get(plugin);
    if (t === undefined) return;
    this.clock.cancelTimer(t);
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.finish(undefined);
  }

  reject(plugin: string, message: string): void {
    for (const t of this.pending.values()) this.clock.cancelTimer(t);
    this.pending.clear();
    this.finish(Status.unschedulable(message).withPlugin(plugin));
  }

  private finish(s: MaybeStatus): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(s);
  }
}
