/** Scheduler cache (assume/confirm/forget/expire, snapshots, node order) and queue mechanics. */
import { describe, expect, it } from 'vitest';
import { SchedulerCache } from '../../../core/scheduler/cache/cache.ts';
import { NodeTree } from '../../../core/scheduler/cache/node-tree.ts';
import { Snapshot } from '../../../core/scheduler/cache/snapshot.ts';
import { ActionType } from '../../../core/scheduler/framework/cluster-event.ts';
import { QueuedPodInfo } from '../../../core/scheduler/framework/queued-pod-info.ts';
import { backoffDurationUs } from '../../../core/scheduler/queue/backoff.ts';
import { KeyedHeap } from '../../../core/scheduler/queue/heap.ts';
import { SchedulingQueue } from '../../../core/scheduler/queue/scheduling-queue.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { ManualClock, node, pod } from './fixtures.ts';

const S = 1_000_000;

describe('SchedulerCache', () => {
  it('assumes, confirms on the informer event, and keeps counts exact', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    const p = pod('p', { cpu: '1' });
    c.assumePod(p, 'a');
    expect(c.isAssumed(p)).toBe(true);
    expect(c.getNodeInfo('a')?.requested.milliCPU).toBe(1000);
    c.finishBinding(p, 0);
    c.addPod({ ...p, spec: { ...p.spec, nodeName: 'a' } });
    expect(c.isAssumed(p)).toBe(false);
    expect(c.getNodeInfo('a')?.pods.length).toBe(1);
    expect(c.getNodeInfo('a')?.requested.milliCPU).toBe(1000);
    expect(c.cleanupExpiredAssumedPods(3600 * S)).toEqual([]);
  });

  it('forgets a failed binding and expires one that never shows up', () => {
    const c = new SchedulerCache({ assumedPodTtlUs: 30 * S });
    c.addNode(node('a'));
    const p = pod('p', { cpu: '1' });
    c.assumePod(p, 'a');
    c.forgetPod(p);
    expect(c.getNodeInfo('a')?.pods.length).toBe(0);
    c.assumePod(p, 'a');
    // Not expired before the binding finished, nor before the TTL.
    expect(c.cleanupExpiredAssumedPods(100 * S)).toEqual([]);
    c.finishBinding(p, 100 * S);
    expect(c.cleanupExpiredAssumedPods(129 * S)).toEqual([]);
    expect(c.cleanupExpiredAssumedPods(130 * S)).toEqual([p]);
    expect(c.getNodeInfo('a')?.requested.milliCPU).toBe(0);
  });

  it('confirms a binding that landed on another node than assumed', () => {
    const c = new SchedulerCache();
    c.addNode(node('a'));
    c.addNode(node('b'));
    const p = pod('p', { cpu: '1' });
    c.assumePod(p, 'a');
    c.addPod({ ...p, spec: { ...p.spec, nodeName: 'b' } });
    expect(c.getNodeInfo('a')?.pods.length).toBe(0);
    expect(c.getNodeInfo('b')?.pods.length).toBe(1);
  });

  it('keeps pods of a deleted node until they are deleted, and pods of unknown nodes', () => {
    const c = new SchedulerCache();
    const s = new Snapshot();
    const bound = pod('p', { cpu: '1', nodeName: 'ghost' });
    c.addPod(bound);
    c.updateSnapshot(s);
    expect(s.numNodes).toBe(0);
    c.addNode(node('ghost'));
    c.updateSnapshot(s);
    expect(s.get('ghost')?.requested.milliCPU).toBe(1000);
    c.removeNode(node('ghost'));
    c.updateSnapshot(s);
    expect(s.numNodes).toBe(0);
    expect(c.getNodeInfo('ghost')?.pods.length).toBe(1);
    c.removePod(bound);
    expect(c.getNodeInfo('ghost')).toBeUndefined();
  });

  it('refreshes snapshots incrementally: unchanged nodes keep their copy', () => {
    const c = new SchedulerCache();
    const s = new Snapshot();
    c.addNode(node('a'));
    c.addNode(node('b'));
    c.updateSnapshot(s);
    const a = s.get('a');
    const b = s.get('b');
    c.assumePod(pod('p', { cpu: '1' }), 'a');
    c.updateSnapshot(s);
    expect(s.get('a')).toBe(a);
    expect(s.get('b')).toBe(b);
    expect(a?.requested.milliCPU).toBe(1000);
    // The snapshot is a copy: later cache changes do not leak into it until the next refresh.
    c.assumePod(pod('q', { cpu: '1' }), 'a');
    expect(a?.requested.milliCPU).toBe(1000);
    const anti = pod('x', {
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: 'kubernetes.io/hostname', labelSelector: {} },
            ],
          },
        },
      },
    });
    c.assumePod(anti, 'b');
    c.updateSnapshot(s);
    expect(s.havePodsWithRequiredAntiAffinity().map((n) => n.name)).toEqual(['b']);
    expect(s.havePodsWithAffinity().map((n) => n.name)).toEqual(['b']);
  });

  it('counts images across nodes', () => {
    const c = new SchedulerCache();
    c.addNode(node('a', { images: [{ names: ['nginx:1'], sizeBytes: 10 }] }));
    c.addNode(node('b', { images: [{ names: ['nginx:1', 'redis'], sizeBytes: 10 }] }));
    expect(c.getNodeInfo('a')?.imageStates.get('nginx:1')?.numNodes).toBe(2);
    expect(c.getNodeInfo('b')?.imageStates.get('redis:latest')?.numNodes).toBe(1);
    c.removeNode(node('b'));
    expect(c.getNodeInfo('a')?.imageStates.get('nginx:1')?.numNodes).toBe(1);
  });
});

describe('NodeTree', () => {
  it('interleaves zones', () => {
    const t = new NodeTree();
    const z = (name: string, zone: string) =>
      node(name, { labels: { 'topology.kubernetes.io/zone': zone } });
    for (const n of [
      z('a1', 'a'),
      z('a2', 'a'),
      z('a3', 'a'),
      z('b1', 'b'),
      z('c1', 'c'),
      z('c2', 'c'),
    ])
      t.add(n);
    expect(t.list()).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
    t.remove('b1');
    expect(t.list()).toEqual(['a1', 'c1', 'a2', 'c2', 'a3']);
  });
});

describe('backoff', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 4],
    [4, 8],
    [5, 10],
    [9, 10],
  ])('attempt %i -> %i s', (attempts, seconds) => {
    expect(backoffDurationUs(attempts, 1 * S, 10 * S)).toBe(seconds * S);
  });
});

describe('KeyedHeap', () => {
  it('pops in order and supports delete and update by key', () => {
    const h = new KeyedHeap<{ k: string; v: number }>(
      (x) => x.k,
      (a, b) => a.v < b.v,
    );
    for (const [k, v] of [
      ['a', 5],
      ['b', 3],
      ['c', 8],
      ['d', 1],
      ['e', 4],
    ] as const)
      h.addOrUpdate({ k, v });
    h.delete('b');
    h.addOrUpdate({ k: 'c', v: 0 });
    const out: string[] = [];
    for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x.k);
    expect(out).toEqual(['c', 'd', 'e', 'a']);
  });
});

describe('SchedulingQueue', () => {
  function makeQueue(clock: ManualClock) {
    return new SchedulingQueue(clock, {
      less: (a, b) =>
        a.podInfo.priority > b.podInfo.priority ||
        (a.podInfo.priority === b.podInfo.priority && a.seq < b.seq),
      preEnqueue: () => undefined,
      events: new Map([['Fit', [{ event: { resource: 'Node', actionType: ActionType.Add } }]]]),
    });
  }

  function failWith(q: SchedulingQueue, qpi: QueuedPodInfo | undefined, plugins: string[]): void {
    if (qpi === undefined) throw new Error('nothing popped');
    qpi.unschedulablePlugins = new Set(plugins);
    q.addUnschedulableIfNotPresent(qpi, q.schedulingCycle);
  }

  it('moves pods only on events their rejecting plugins registered', () => {
    const clock = new ManualClock();
    const q = makeQueue(clock);
    q.add(pod('p'));
    failWith(q, q.pop(), ['Fit']);
    expect(q.whereIs('uid-default-p')).toBe('unschedulable');
    q.moveAllToActiveOrBackoffQueue(
      { resource: 'AssignedPod', actionType: ActionType.Delete },
      undefined,
      undefined,
    );
    expect(q.whereIs('uid-default-p')).toBe('unschedulable');
    q.moveAllToActiveOrBackoffQueue(
      { resource: 'Node', actionType: ActionType.Add },
      undefined,
      undefined,
    );
    expect(q.whereIs('uid-default-p')).toBe('backoff');
    clock.advance(S);
    q.flushBackoffCompleted();
    expect(q.whereIs('uid-default-p')).toBe('active');
  });

  it('an event during the cycle sends the pod to backoff, not the unschedulable pool', () => {
    const clock = new ManualClock();
    const q = makeQueue(clock);
    q.add(pod('p'));
    const qpi = q.pop();
    q.moveAllToActiveOrBackoffQueue(
      { resource: 'AssignedPod', actionType: ActionType.Delete },
      undefined,
      undefined,
    );
    failWith(q, qpi, ['Fit']);
    expect(q.whereIs('uid-default-p')).toBe('backoff');
  });

  it('retries pods left unschedulable for 5 minutes', () => {
    const clock = new ManualClock();
    const q = makeQueue(clock);
    q.add(pod('p'));
    failWith(q, q.pop(), ['Fit']);
    clock.advance(5 * 60 * S);
    q.flushUnschedulableLeftover();
    expect(q.whereIs('uid-default-p')).toBe('unschedulable');
    clock.advance(1);
    q.flushUnschedulableLeftover();
    expect(q.whereIs('uid-default-p')).toBe('active');
  });

  it('does not requeue a pod deleted while in flight', () => {
    const clock = new ManualClock();
    const q = makeQueue(clock);
    const p = pod('p');
    q.add(p);
    const qpi = q.pop();
    q.delete(p);
    failWith(q, qpi, ['Fit']);
    expect(q.whereIs('uid-default-p')).toBeUndefined();
  });

  it('backs off longer with each attempt', () => {
    const clock = new ManualClock();
    const q = makeQueue(clock);
    q.add(pod('p'));
    const key = 'uid-default-p';
    for (const wait of [1, 2, 4, 8, 10, 10]) {
      const qpi = q.pop();
      if (qpi === undefined) throw new Error('not active');
      qpi.lastFailureWasError = true;
      q.addUnschedulableIfNotPresent(qpi, q.schedulingCycle);
      clock.advance(wait * S - 1);
      q.flushBackoffCompleted();
      expect(q.whereIs(key)).toBe('backoff');
      clock.advance(1);
      q.flushBackoffCompleted();
      expect(q.whereIs(key)).toBe('active');
    }
    expect(new QueuedPodInfo(podInfoOf(pod('x')), 0).attempts).toBe(0);
  });
});
