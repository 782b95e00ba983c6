/**
 * The pod lifecycle event generator: keeps the kubelet's view of the runtime's containers and
 * sandboxes, and reports each container whose state changed and each sandbox that stopped.
 *
 * By default it is upstream's generic PLEG (pkg/kubelet/pleg/generic.go): it relists every
 * second. With the EventedPLEG gate (evented.go) it follows the runtime's event stream and
 * relists only as a safety net: every 300 s while the stream is up, every second while it is
 * down (it broke, and is resubscribed at the next relist). A relist is cheap when nothing
 * changed: a runtime that answers with the same array while nothing changed is recognised by
 * identity and skipped, and an event costs a map update, so neither grows with the number of
 * pods on the node. A runtime that tells its lists' version (the simulated one) is not even
 * asked while that version stands still; and one that also tells when it moves
 * (onListsChanged) costs not even the timer: the PLEG parks when a period finds the lists
 * unchanged and, at the next change, arms its timer for the period's next tick, so relists run
 * at the times the periodic timer would have run them. With thousands of nodes these ticks were
 * a fifth of an idle cluster's events.
 */
import type { Clock, TimerId } from '../ports/clock.ts';
import type {
  ContainerState,
  ContainerStatus,
  EventSubscription,
  Runtime,
  RuntimeEvent,
  SandboxStatus,
} from '../ports/runtime.ts';
import { assertNever } from '../util/assert.ts';

export interface PlegHandlers {
  containerChanged(current: ContainerStatus, previous: ContainerStatus | undefined): void;
  sandboxStopped(sandbox: SandboxStatus): void;
}

export interface PlegOptions {
  /** Follow the runtime's event stream (the EventedPLEG gate). */
  readonly evented: boolean;
  /** Relist period without events (upstream genericPlegRelistPeriod, 1 s). */
  readonly relistPeriodUs: number;
  /** Relist period while events flow (upstream eventedPlegRelistPeriod, 300 s). */
  readonly eventedRelistPeriodUs: number;
}

const SETTLED: Promise<void> = Promise.resolve();

/** A container's states only move forward; an event or list showing an older one is stale. */
const STATE_ORDER: Readonly<Record<ContainerState, number>> = {
  unknown: 0,
  created: 1,
  running: 2,
  exited: 3,
};

export class Pleg {
  private readonly containers = new Map<string, ContainerStatus>();
  private readonly sandboxes = new Map<string, SandboxStatus>();
  private lastContainerList: readonly ContainerStatus[] | undefined;
  private lastSandboxList: readonly SandboxStatus[] | undefined;
  private subscription: EventSubscription | undefined;
  /** While a relist is in flight: ids that events changed meanwhile, newer than its answer. */
  private touched: Set<string> | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: TimerId | undefined;
  /** The runtime's listsVersion as of the last relist that read both lists. */
  private listedVersion: number | undefined;
  /**
   * While parked (no timer, the lists unchanged): the monotonic time of the tick the periodic
   * timer would run next.
   */
  private parkedTickUs: number | undefined;
  /** Whether the runtime tells when its lists change, so the PLEG may park. */
  private told = false;

  constructor(
    private readonly clock: Clock,
    private readonly runtime: Runtime,
    private readonly handlers: PlegHandlers,
    private readonly options: PlegOptions,
  ) {}

  /** Subscribes, learns what runs already, and relists for as long as the process lives. */
  start(): void {
    if (this.runtime.listsVersion !== undefined && this.runtime.onListsChanged !== undefined) {
      this.runtime.onListsChanged(this.unpark);
      this.told = true;
    }
    if (this.options.evented) this.subscribe();
    void this.relist();
    this.schedule();
  }

  /**
   * Brings the view up to the runtime's present before a pod sync reads it, as upstream's pod
   * workers wait for a PLEG cache newer than their last sync (podCache.GetNewerThan). Following
   * events, the view is current already; the generic PLEG relists.
   */
  refresh(): Promise<void> {
    return this.options.evented && this.subscription !== undefined ? SETTLED : this.relist();
  }

  /** The container's last known status. */
  get(containerId: string): ContainerStatus | undefined {
    return this.containers.get(containerId);
  }

  /**
   * Reads the runtime's lists and reports what the events did not. Relists run one at a time;
   * a call during one gets the next, which starts when it ends (at most one waits).
   */
  relist(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    if (this.running === undefined) return this.run();
    const queued = this.running.then(() => {
      this.queued = undefined;
      return this.run();
    });
    this.queued = queued;
    return queued;
  }

  private run(): Promise<void> {
    const running = this.readLists().then(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async readLists(): Promise<void> {
    const touched = new Set<string>();
    this.touched = touched;
    // Read before asking: a change while the lists are read moves it past what is recorded.
    const version = this.runtime.listsVersion?.();
    const [containers, sandboxes] = await Promise.all([
      this.runtime.listContainers(),
      this.runtime.listPodSandboxes(),
    ]);
    this.touched = undefined;
    this.listedVersion = containers.ok && sandboxes.ok ? version : undefined;
    if (containers.ok && containers.value !== this.lastContainerList) {
      this.lastContainerList = containers.value;
      this.mergeContainers(containers.value, touched);
    }
    if (sandboxes.ok && sandboxes.value !== this.lastSandboxList) {
      this.lastSandboxList = sandboxes.value;
      this.mergeSandboxes(sandboxes.value, touched);
    }
  }

  private periodUs(): number {
    return this.subscription === undefined
      ? this.options.relistPeriodUs
      : this.options.eventedRelistPeriodUs;
  }

  private schedule(): void {
    this.parkedTickUs = undefined;
    this.timer = this.clock.setTimer(this.periodUs(), this.onPeriod);
  }

  private readonly onPeriod = (): void => {
    this.timer = undefined;
    if (this.options.evented && this.subscription === undefined) this.subscribe();
    if (!this.listsUnchanged()) void this.relist();
    else if (this.told) {
      this.parkedTickUs = this.clock.monotonicNow() + this.periodUs();
      return;
    }
    this.schedule();
  };

  /** The lists changed: a parked PLEG arms its timer for the next tick of its period. */
  private readonly unpark = (): void => {
    const tickUs = this.parkedTickUs;
    if (tickUs === undefined) return;
    this.parkedTickUs = undefined;
    const periodUs = this.periodUs();
    const nowUs = this.clock.monotonicNow();
    const due =
      nowUs <= tickUs ? tickUs : tickUs + Math.ceil((nowUs - tickUs) / periodUs) * periodUs;
    this.timer = this.clock.setTimer(due - nowUs, this.onPeriod);
  };

  /** Whether the runtime's lists are those the last relist read (and none is in flight). */
  private listsUnchanged(): boolean {
    return (
      this.running === undefined &&
      this.listedVersion !== undefined &&
      this.runtime.listsVersion?.() === this.listedVersion
    );
  }

  private subscribe(): void {
    const subscription = this.runtime.subscribeEvents({
      onEvent: (e) => {
        if (this.subscription === subscription) this.onEvent(e);
      },
      onClose: () => {
        if (this.subscription !== subscription) return;
        // Events may be lost from here on: relist at the generic pace until resubscribed.
        this.subscription = undefined;
        if (this.timer !== undefined) this.clock.cancelTimer(this.timer);
        this.schedule();
      },
    });
    this.subscription = subscription;
  }

  private onEvent(e: RuntimeEvent): void {
    switch (e.kind) {
      case 'container-created':
      case 'container-started':
      case 'container-exited':
        this.touched?.add(e.container.id);
        return this.apply(e.container);
      case 'container-removed':
        this.touched?.add(e.container.id);
        this.containers.delete(e.container.id);
        return;
      case 'sandbox-stopped':
        this.touched?.add(e.sandbox.id);
        return this.applySandbox(e.sandbox);
      default:
        return assertNever(e, 'runtime event');
    }
  }

  private apply(s: ContainerStatus): void {
    const before = this.containers.get(s.id);
    if (before !== undefined && STATE_ORDER[s.state] < STATE_ORDER[before.state]) return;
    this.containers.set(s.id, s);
    if (before?.state !== s.state) this.handlers.containerChanged(s, before);
  }

  private applySandbox(s: SandboxStatus): void {
    const before = this.sandboxes.get(s.id);
    this.sandboxes.set(s.id, s);
    if (s.state === 'notready' && before?.state !== 'notready') this.handlers.sandboxStopped(s);
  }

  /** The list is the truth for every container the events did not touch while it was read. */
  private mergeContainers(list: readonly ContainerStatus[], touched: ReadonlySet<string>): void {
    const listed = new Set<string>();
    for (const s of list) {
      listed.add(s.id);
      if (!touched.has(s.id)) this.apply(s);
    }
    for (const id of [...this.containers.keys()])
      if (!listed.has(id) && !touched.has(id)) this.containers.delete(id);
  }

  private mergeSandboxes(list: readonly SandboxStatus[], touched: ReadonlySet<string>): void {
    const listed = new Set<string>();
    for (const s of list) {
      listed.add(s.id);
      if (!touched.has(s.id)) this.applySandbox(s);
    }
    for (const id of [...this.sandboxes.keys()])
      if (!listed.has(id) && !touched.has(id)) this.sandboxes.delete(id);
  }
}
