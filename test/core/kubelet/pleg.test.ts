import { describe, expect, it } from 'vitest';
import type { Clock, TimerId } from '../../../core/ports/clock.ts';
import type {
  ContainerState,
  ContainerStatus,
  Runtime,
  RuntimeEventHandlers,
  RuntimeResult,
  SandboxStatus,
} from '../../../core/ports/runtime.ts';
import { Pleg } from '../../../core/kubelet/pleg.ts';

const container = (id: string, state: ContainerState): ContainerStatus => ({
  id,
  sandboxId: 's',
  name: id,
  attempt: 0,
  image: 'i',
  state,
});

const sandbox = (id: string, state: SandboxStatus['state']): SandboxStatus => ({
  id,
  podUid: 'u',
  name: 'p',
  namespace: 'default',
  attempt: 0,
  state,
  createdAtUs: 0,
  network: { kind: 'host' },
});

/**
 * A runtime whose list answers the test hands out by hand (so a relist can be held in flight
 * while events arrive), and whose event stream the test drives.
 */
class FakeRuntime {
  handlers: RuntimeEventHandlers | undefined;
  containers: readonly ContainerStatus[] = [];
  sandboxes: readonly SandboxStatus[] = [];
  private held: (() => void)[] = [];
  hold = false;
  /** Calls of listContainers. */
  lists = 0;

  listContainers(): Promise<RuntimeResult<readonly ContainerStatus[]>> {
    this.lists++;
    const answer = { ok: true as const, value: this.containers };
    return this.answer(answer);
  }

  listPodSandboxes(): Promise<RuntimeResult<readonly SandboxStatus[]>> {
    return this.answer({ ok: true as const, value: this.sandboxes });
  }

  subscribeEvents(handlers: RuntimeEventHandlers) {
    this.handlers = handlers;
    return { close: () => (this.handlers = undefined) };
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }

  private answer<T>(value: T): Promise<T> {
    if (!this.hold) return Promise.resolve(value);
    return new Promise((resolve) => this.held.push(() => resolve(value)));
  }
}

/** Timers only fire when the test says so; time moves only when the test sets it. */
class StillClock implements Clock {
  timers: { delayUs: number; fn: () => void }[] = [];
  private nowUs = 0;
  now(): number {
    return this.nowUs;
  }
  at(us: number): void {
    this.nowUs = us;
  }
  /** Never jumps: the same reading as now(). */
  monotonicNow(): number {
    return this.now();
  }

  setTimer(delayUs: number, fn: () => void): TimerId {
    this.timers.push({ delayUs, fn });
    return this.timers.length as unknown as TimerId;
  }
  cancelTimer(id: TimerId): void {
    const t = this.timers[(id as unknown as number) - 1];
    if (t !== undefined) t.fn = () => {};
  }
  sleep(): Promise<void> {
    return new Promise(() => {});
  }
}

function setup(evented = true) {
  const runtime = new FakeRuntime();
  const clock = new StillClock();
  const log: string[] = [];
  const pleg = new Pleg(
    clock,
    runtime as unknown as Runtime,
    {
      containerChanged: (s, before) => log.push(`${s.id} ${before?.state ?? '-'}>${s.state}`),
      sandboxStopped: (s) => log.push(`sandbox ${s.id} stopped`),
    },
    { evented, relistPeriodUs: 1_000_000, eventedRelistPeriodUs: 300_000_000 },
  );
  return { runtime, clock, log, pleg };
}

const flush = () => new Promise<void>((r) => setTimeout(r, 0));

describe('PLEG', () => {
  it('reports each state change once, whether an event or a relist brings it', async () => {
    const { runtime, log, pleg } = setup();
    pleg.start();
    await flush();
    runtime.handlers?.onEvent({ kind: 'container-created', container: container('a', 'created') });
    runtime.handlers?.onEvent({ kind: 'container-started', container: container('a', 'running') });
    runtime.containers = [container('a', 'running'), container('b', 'exited')];
    await pleg.relist();
    await pleg.relist();
    expect(log).toEqual(['a ->created', 'a created>running', 'b ->exited']);
    expect(pleg.get('a')?.state).toBe('running');
  });

  it('ignores an event that would move a container backwards, and forgets removed ones', async () => {
    const { runtime, log, pleg } = setup();
    pleg.start();
    runtime.handlers?.onEvent({ kind: 'container-exited', container: container('a', 'exited') });
    runtime.handlers?.onEvent({ kind: 'container-started', container: container('a', 'running') });
    expect(pleg.get('a')?.state).toBe('exited');
    runtime.handlers?.onEvent({ kind: 'container-removed', container: container('a', 'exited') });
    expect(pleg.get('a')).toBeUndefined();
    expect(log).toEqual(['a ->exited']);
  });

  it('keeps what events said while a relist was in flight over its older answer', async () => {
    const { runtime, log, pleg } = setup();
    pleg.start();
    await flush();
    runtime.containers = [container('a', 'running'), container('gone', 'exited')];
    await pleg.relist();
    // The runtime answers a list taken before these events.
    runtime.hold = true;
    const relist = pleg.relist();
    runtime.handlers?.onEvent({ kind: 'container-exited', container: container('a', 'exited') });
    runtime.handlers?.onEvent({
      kind: 'container-created',
      container: container('new', 'created'),
    });
    runtime.containers = [container('a', 'running'), container('gone', 'exited')];
    runtime.release();
    await relist;
    expect(pleg.get('a')?.state).toBe('exited');
    expect(pleg.get('new')?.state).toBe('created');
    expect(log).toEqual(['a ->running', 'gone ->exited', 'a running>exited', 'new ->created']);
    // A later list without them is the truth again.
    runtime.hold = false;
    runtime.containers = [container('a', 'exited')];
    await pleg.relist();
    expect(pleg.get('new')).toBeUndefined();
    expect(pleg.get('gone')).toBeUndefined();
  });

  it('reports a sandbox that stopped, by event or by relist, once', async () => {
    const { runtime, log, pleg } = setup();
    pleg.start();
    runtime.sandboxes = [sandbox('s1', 'ready'), sandbox('s2', 'ready')];
    await pleg.relist();
    runtime.handlers?.onEvent({ kind: 'sandbox-stopped', sandbox: sandbox('s1', 'notready') });
    runtime.sandboxes = [sandbox('s1', 'notready'), sandbox('s2', 'notready')];
    await pleg.relist();
    expect(log).toEqual(['sandbox s1 stopped', 'sandbox s2 stopped']);
  });

  it('relists every 300 s while subscribed, every second once the stream breaks, then resubscribes', async () => {
    const { runtime, clock, pleg } = setup();
    pleg.start();
    expect(clock.timers.map((t) => t.delayUs)).toEqual([300_000_000]);
    const first = runtime.handlers;
    first?.onClose('containerd restarted');
    expect(runtime.handlers).toBe(first);
    expect(clock.timers.map((t) => t.delayUs)).toEqual([300_000_000, 1_000_000]);
    runtime.handlers = undefined;
    clock.timers[1]?.fn();
    expect(runtime.handlers).toBeDefined();
    expect(clock.timers.at(-1)?.delayUs).toBe(300_000_000);
    // Events of the broken subscription are not applied.
    first?.onEvent({ kind: 'container-created', container: container('late', 'created') });
    expect(pleg.get('late')).toBeUndefined();
  });

  it('without the EventedPLEG gate, never subscribes and relists every second', async () => {
    const { runtime, clock, log, pleg } = setup(false);
    pleg.start();
    expect(runtime.handlers).toBeUndefined();
    expect(clock.timers.map((t) => t.delayUs)).toEqual([1_000_000]);
    await flush();
    runtime.containers = [container('a', 'running')];
    clock.timers[0]?.fn();
    await flush();
    expect(log).toEqual(['a ->running']);
    expect(runtime.handlers).toBeUndefined();
    expect(clock.timers.at(-1)?.delayUs).toBe(1_000_000);
  });

  it("skips the periodic relist while the runtime's lists version stands still", async () => {
    const { runtime, clock, log, pleg } = setup(false);
    let version = 0;
    const versioned = runtime as FakeRuntime & { listsVersion(): number };
    versioned.listsVersion = () => version;
    pleg.start();
    await flush();
    expect(runtime.lists).toBe(1);
    // Idle ticks: the timer goes on, the runtime is not asked.
    for (let i = 0; i < 3; i++) {
      clock.timers.at(-1)?.fn();
      await flush();
    }
    expect(runtime.lists).toBe(1);
    expect(clock.timers).toHaveLength(4);
    // A change moves the version: the next tick relists and sees it.
    runtime.containers = [container('a', 'running')];
    version++;
    clock.timers.at(-1)?.fn();
    await flush();
    expect(runtime.lists).toBe(2);
    expect(log).toEqual(['a ->running']);
    // A change while a relist is in flight is read again at the next tick.
    runtime.hold = true;
    const relist = pleg.relist();
    runtime.containers = [container('a', 'exited')];
    version++;
    runtime.release();
    await relist;
    runtime.hold = false;
    clock.timers.at(-1)?.fn();
    await flush();
    expect(runtime.lists).toBe(4);
    expect(log).toEqual(['a ->running', 'a running>exited']);
  });

  it('parks without a timer when the runtime tells of changes, and relists at the next tick of its period', async () => {
    const { runtime, clock, log, pleg } = setup(false);
    let version = 0;
    let told: (() => void) | undefined;
    const versioned = runtime as FakeRuntime & {
      listsVersion(): number;
      onListsChanged(onChange: () => void): void;
    };
    versioned.listsVersion = () => version;
    versioned.onListsChanged = (onChange) => (told = onChange);
    const change = (containers: readonly ContainerStatus[]): void => {
      runtime.containers = containers;
      version++;
      told?.();
    };
    pleg.start();
    await flush();
    expect(runtime.lists).toBe(1);
    // The tick at 1 s finds nothing changed: no timer for 2 s.
    clock.at(1_000_000);
    clock.timers[0]?.fn();
    await flush();
    expect(clock.timers.map((t) => t.delayUs)).toEqual([1_000_000]);
    // A change at 3.4 s: the periodic timer would relist at 4 s, so the timer is set for then;
    // a second change before it sets no other.
    clock.at(3_400_000);
    change([container('a', 'running')]);
    change([container('a', 'running'), container('b', 'created')]);
    expect(clock.timers.map((t) => t.delayUs)).toEqual([1_000_000, 600_000]);
    expect(runtime.lists).toBe(1);
    clock.at(4_000_000);
    clock.timers[1]?.fn();
    await flush();
    expect(runtime.lists).toBe(2);
    expect(log).toEqual(['a ->running', 'b ->created']);
    // That tick relisted, so the next is armed; at 5 s nothing changed and it parks again.
    expect(clock.timers.at(-1)?.delayUs).toBe(1_000_000);
    clock.at(5_000_000);
    clock.timers.at(-1)?.fn();
    await flush();
    expect(clock.timers).toHaveLength(3);
    // A change exactly at a tick's time is read by that tick.
    clock.at(6_000_000);
    change([container('a', 'exited')]);
    expect(clock.timers.at(-1)?.delayUs).toBe(0);
    clock.timers.at(-1)?.fn();
    await flush();
    expect(runtime.lists).toBe(3);
    expect(log).toEqual(['a ->running', 'b ->created', 'a running>exited']);
  });
});
