/**
 * The pod lifecycle event generator (pkg/kubelet/pleg/generic.go): relists the runtime's
 * containers and reports each container whose state changed since the previous relist. The
 * kubelet relists on a period (1 s upstream) and also right before it reads a container's
 * state, so what a sync sees is never older than the runtime's truth.
 *
 * Relisting is cheap when nothing changed: a runtime that returns the same array while its
 * containers are unchanged (the simulated one does) is recognised by identity and skipped.
 */
import type { Clock } from '../ports/clock.ts';
import type { ContainerStatus, Runtime } from '../ports/runtime.ts';

export type ContainerChange = (
  current: ContainerStatus,
  previous: ContainerStatus | undefined,
) => void;

export class Pleg {
  private last: readonly ContainerStatus[] | undefined;
  private byId = new Map<string, ContainerStatus>();

  constructor(
    private readonly clock: Clock,
    private readonly runtime: Runtime,
    private readonly onChange: ContainerChange,
  ) {}

  /** Relists every `periodUs` for as long as the process lives. */
  start(periodUs: number): void {
    const tick = (): void => {
      this.relist();
      this.clock.setTimer(periodUs, tick);
    };
    this.clock.setTimer(periodUs, tick);
  }

  relist(): void {
    const list = this.runtime.listContainers();
    if (list === this.last) return;
    this.last = list;
    const previous = this.byId;
    const next = new Map<string, ContainerStatus>();
    const changed: [ContainerStatus, ContainerStatus | undefined][] = [];
    for (const s of list) {
      next.set(s.id, s);
      const before = previous.get(s.id);
      if (before === undefined || before.state !== s.state) changed.push([s, before]);
    }
    this.byId = next;
    for (const [s, before] of changed) this.onChange(s, before);
  }

  /** The container's current state, after a relist. */
  get(containerId: string): ContainerStatus | undefined {
    this.relist();
    return this.byId.get(containerId);
  }
}
