/**
 * The framework's small value types, tested directly: Status and its predicates, CycleState
 * and its clone, StateReader's memo, NodeToStatus, the FitError message users read, and
 * Resource arithmetic. The runners' tests (framework-runtime.test.ts) use them only through
 * what the runners need, so most of their edges were otherwise unobserved.
 */
import { describe, expect, test } from 'vitest';
import { CycleState, StateReader } from '../../../core/scheduler/framework/cycle-state.ts';
import { FitError, newDiagnosis } from '../../../core/scheduler/framework/fit-error.ts';
import type { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { NodeToStatus } from '../../../core/scheduler/framework/node-to-status.ts';
import {
  isExtendedResourceName,
  isScalarResourceName,
  Resource,
} from '../../../core/scheduler/framework/resource.ts';
import {
  codeOf,
  isRejected,
  isSuccess,
  SKIP,
  Status,
  SUCCESS,
  type Code,
} from '../../../core/scheduler/framework/status.ts';

describe('Status', () => {
  test('constructors set the code and reasons, with no plugin yet', () => {
    const cases: [Status, Code, string[]][] = [
      [Status.of('Wait', 'a', 'b'), 'Wait', ['a', 'b']],
      [Status.error('boom'), 'Error', ['boom']],
      [Status.unschedulable('x', 'y'), 'Unschedulable', ['x', 'y']],
      [Status.unresolvable('z'), 'UnschedulableAndUnresolvable', ['z']],
      [SKIP, 'Skip', []],
      [SUCCESS, 'Success', []],
    ];
    for (const [s, code, reasons] of cases) {
      expect(s.code).toBe(code);
      expect(s.reasons).toEqual(reasons);
      expect(s.plugin).toBe('');
    }
  });

  test('withPlugin copies unless the plugin is already set, and the message joins reasons', () => {
    const s = Status.unschedulable('too big', 'tainted');
    const named = s.withPlugin('Fit');
    expect(named).not.toBe(s);
    expect([named.code, named.plugin, named.reasons]).toEqual([
      'Unschedulable',
      'Fit',
      ['too big', 'tainted'],
    ]);
    expect(s.plugin).toBe('');
    expect(named.withPlugin('Fit')).toBe(named);
    expect(named.withPlugin('Other').plugin).toBe('Other');
    expect(named.message()).toBe('too big, tainted');
    expect(Status.of('Error').message()).toBe('');
  });

  test('predicates: undefined is success; only the two unschedulable codes are rejections', () => {
    expect(isSuccess(undefined)).toBe(true);
    expect(isSuccess(SUCCESS)).toBe(true);
    expect(isSuccess(SKIP)).toBe(false);
    expect(isSuccess(Status.error('e'))).toBe(false);
    expect(isRejected(undefined)).toBe(false);
    expect(isRejected(Status.unschedulable())).toBe(true);
    expect(isRejected(Status.unresolvable())).toBe(true);
    expect(isRejected(Status.error('e'))).toBe(false);
    expect(isRejected(Status.of('Wait'))).toBe(false);
    expect(codeOf(undefined)).toBe('Success');
    expect(codeOf(Status.of('Pending'))).toBe('Pending');
  });
});

describe('CycleState', () => {
  class Counter {
    constructor(public n: number) {}
    clone(): Counter {
      return new Counter(this.n);
    }
  }

  test('reads what was written, nothing after delete', () => {
    const s = new CycleState();
    expect(s.read('k')).toBeUndefined();
    const v = { a: 1 };
    s.write('k', v);
    expect(s.read('k')).toBe(v);
    s.delete('k');
    expect(s.read('k')).toBeUndefined();
  });

  test('a clone copies state with clone() and shares the rest, and its own sets', () => {
    const s = new CycleState();
    const counter = new Counter(1);
    const shared = { n: 1 };
    const notAFunction = { clone: 5 };
    s.write('counter', counter);
    s.write('shared', shared);
    s.write('odd', notAFunction);
    s.skipFilterPlugins.add('F');
    s.skipScorePlugins.add('S');
    s.activeFilters = [];
    const c = s.clone();
    expect(c.read<Counter>('counter')).not.toBe(counter);
    expect(c.read<Counter>('counter')?.n).toBe(1);
    c.read<Counter>('counter')!.n = 2;
    expect(counter.n).toBe(1);
    expect(c.read('shared')).toBe(shared);
    expect(c.read('odd')).toBe(notAFunction);
    expect([...c.skipFilterPlugins]).toEqual(['F']);
    expect([...c.skipScorePlugins]).toEqual(['S']);
    expect(c.activeFilters).toBe(s.activeFilters);
    c.skipFilterPlugins.add('G');
    c.skipScorePlugins.add('T');
    c.write('new', {});
    expect([...s.skipFilterPlugins]).toEqual(['F']);
    expect([...s.skipScorePlugins]).toEqual(['S']);
    expect(s.read('new')).toBeUndefined();
  });

  test('a fresh state has no active filters and skips nothing', () => {
    const s = new CycleState();
    expect(s.activeFilters).toBeUndefined();
    expect(s.skipFilterPlugins.size + s.skipScorePlugins.size).toBe(0);
  });

  test('StateReader memoises per state object until reset', () => {
    const reader = new StateReader<{ v: number }>('k');
    const a = new CycleState();
    a.write('k', { v: 1 });
    expect(reader.read(a)?.v).toBe(1);
    a.write('k', { v: 2 });
    expect(reader.read(a)?.v).toBe(1); // memoised for the same state
    reader.reset();
    expect(reader.read(a)?.v).toBe(2);
    const b = a.clone();
    b.write('k', { v: 3 });
    expect(reader.read(b)?.v).toBe(3);
    expect(reader.read(new CycleState())).toBeUndefined();
  });
});

describe('NodeToStatus', () => {
  const info = (name: string) => ({ name }) as unknown as NodeInfo;

  test('records statuses in order and answers by name, absent ones share absentStatus', () => {
    const m = new NodeToStatus();
    expect(m.absentStatus.code).toBe('UnschedulableAndUnresolvable');
    expect(m.absentStatus.reasons).toEqual([]);
    const a = Status.unschedulable('a');
    const b = Status.unresolvable('b');
    m.set('n1', a, info('n1'));
    m.set('n2', b);
    expect(m.size).toBe(2);
    expect(m.get('n1')).toBe(a);
    expect(m.get('n2')).toBe(b);
    expect(m.has('n1')).toBe(true);
    expect(m.has('n3')).toBe(false);
    expect(m.get('n3')).toBe(m.absentStatus);
    expect([...m.entries()]).toEqual([
      ['n1', a],
      ['n2', b],
    ]);
    const seen: [string, Status, string | undefined][] = [];
    m.forEach((n, s, ni) => seen.push([n, s, (ni as { name: string } | undefined)?.name]));
    expect(seen).toEqual([
      ['n1', a, 'n1'],
      ['n2', b, undefined],
    ]);
  });

  test('a node set again after a lookup replaces its entry; a new one is found by name', () => {
    const m = new NodeToStatus();
    m.set('n1', Status.unschedulable('old'), info('n1'));
    expect(m.has('n1')).toBe(true); // builds the index
    const now = Status.unschedulable('new');
    m.set('n1', now);
    expect(m.size).toBe(1);
    expect(m.get('n1')).toBe(now);
    const nodes: unknown[] = [];
    m.forEach((_n, _s, ni) => nodes.push(ni));
    expect(nodes).toEqual([undefined]);
    const later = Status.unschedulable('later');
    m.set('n2', later);
    expect(m.get('n2')).toBe(later);
    expect(m.size).toBe(2);
  });

  test('the first lookup indexes every node recorded before it', () => {
    const m = new NodeToStatus();
    const s = ['a', 'b', 'c'].map((r) => Status.unschedulable(r));
    s.forEach((st, i) => m.set(`n${i}`, st));
    expect(m.get('n2')).toBe(s[2]);
    expect(m.get('n0')).toBe(s[0]);
  });
});

describe('FitError', () => {
  test('counts reasons per node, absent nodes with the absent status, sorted as strings', () => {
    const d = newDiagnosis();
    const cpu = Status.unschedulable('Insufficient cpu');
    d.nodeToStatus.set('n1', cpu);
    d.nodeToStatus.set('n2', cpu);
    d.nodeToStatus.set('n3', Status.unschedulable('Insufficient cpu', 'Insufficient memory'));
    d.nodeToStatus.absentStatus = Status.unresolvable("node(s) didn't match Pod's node affinity");
    expect(new FitError(5, d).message()).toBe(
      "0/5 nodes are available: 1 Insufficient memory, 2 node(s) didn't match Pod's node affinity, 3 Insufficient cpu.",
    );
  });

  test('sorts by code units: "10 x" before "2 y"', () => {
    const d = newDiagnosis();
    for (let i = 0; i < 10; i++) d.nodeToStatus.set(`a${i}`, Status.unschedulable('x'));
    d.nodeToStatus.set('b0', Status.unschedulable('y'));
    d.nodeToStatus.set('b1', Status.unschedulable('y'));
    expect(new FitError(12, d).message()).toBe('0/12 nodes are available: 10 x, 2 y.');
    const e = newDiagnosis();
    e.nodeToStatus.set('b1', Status.unschedulable('y'));
    e.nodeToStatus.set('b0', Status.unschedulable('x'));
    expect(new FitError(2, e).message()).toBe('0/2 nodes are available: 1 x, 1 y.');
  });

  test('a PreFilter message replaces the per-node counts; a PostFilter message follows', () => {
    const d = newDiagnosis();
    expect(d.preFilterMsg).toBe('');
    expect(d.postFilterMsg).toBe('');
    expect(d.unschedulablePlugins.size).toBe(0);
    d.nodeToStatus.set('n1', Status.unschedulable('ignored'));
    d.preFilterMsg = 'node(s) had volume node affinity conflict';
    d.postFilterMsg = 'Preemption is not helpful for scheduling.';
    expect(new FitError(3, d).message()).toBe(
      '0/3 nodes are available: node(s) had volume node affinity conflict. Preemption is not helpful for scheduling.',
    );
  });

  test('no nodes, or nodes without reasons, leave only the count', () => {
    expect(new FitError(0, newDiagnosis()).message()).toBe('0/0 nodes are available:');
    const d = newDiagnosis();
    d.nodeToStatus.set('n1', Status.unschedulable());
    // Every node is listed: the absent status's reasons are not counted.
    d.nodeToStatus.absentStatus = Status.unresolvable('absent');
    expect(new FitError(1, d).message()).toBe('0/1 nodes are available:');
  });
});

describe('Resource', () => {
  test('addNamed routes native names to their fields, scalar names to the map, others nowhere', () => {
    const r = new Resource();
    r.addNamed('cpu', 500);
    r.addNamed('memory', 1024);
    r.addNamed('ephemeral-storage', 7);
    r.addNamed('pods', 3);
    r.addNamed('example.com/gpu', 2);
    r.addNamed('hugepages-2Mi', 4);
    r.addNamed('attachable-volumes-aws-ebs', 5);
    r.addNamed('bogus', 9);
    r.addNamed('example.com/gpu', 1);
    expect([r.milliCPU, r.memory, r.ephemeralStorage, r.allowedPodNumber]).toEqual([
      500, 1024, 7, 3,
    ]);
    expect([...(r.scalar ?? [])]).toEqual([
      ['example.com/gpu', 3],
      ['hugepages-2Mi', 4],
      ['attachable-volumes-aws-ebs', 5],
    ]);
    expect(
      ['cpu', 'memory', 'ephemeral-storage', 'pods', 'example.com/gpu', 'bogus'].map((n) =>
        r.get(n),
      ),
    ).toEqual([500, 1024, 7, 3, 3, 0]);
    expect(new Resource().getScalar('example.com/gpu')).toBe(0);
    expect(new Resource().scalar).toBeUndefined();
  });

  test('addResource adds or subtracts everything but the pod count', () => {
    const a = new Resource();
    a.addNamed('cpu', 100);
    a.addNamed('memory', 10);
    a.addNamed('ephemeral-storage', 6);
    a.addNamed('pods', 5);
    const b = new Resource();
    b.addNamed('cpu', 30);
    b.addNamed('memory', 3);
    b.addNamed('ephemeral-storage', 4);
    b.addNamed('pods', 2);
    b.addNamed('x.io/y', 4);
    a.addResource(b, -1);
    expect([
      a.milliCPU,
      a.memory,
      a.ephemeralStorage,
      a.allowedPodNumber,
      a.getScalar('x.io/y'),
    ]).toEqual([70, 7, 2, 5, -4]);
    a.addResource(b, 1);
    expect([a.milliCPU, a.memory, a.ephemeralStorage, a.getScalar('x.io/y')]).toEqual([
      100, 10, 6, 0,
    ]);
    a.addResource(new Resource(), 1);
    expect(a.milliCPU).toBe(100);
  });

  test('setFrom and clone copy every amount, and the scalar map is not shared', () => {
    const src = new Resource();
    src.addNamed('cpu', 1);
    src.addNamed('memory', 2);
    src.addNamed('ephemeral-storage', 3);
    src.addNamed('pods', 4);
    src.addNamed('x.io/a', 5);
    const fields = (r: Resource) => [
      r.milliCPU,
      r.memory,
      r.ephemeralStorage,
      r.allowedPodNumber,
      r.scalar === undefined ? undefined : [...r.scalar],
    ];
    const c = src.clone();
    expect(fields(c)).toEqual(fields(src));
    c.addScalar('x.io/a', 1);
    expect(src.getScalar('x.io/a')).toBe(5);
    expect(new Resource().clone().scalar).toBeUndefined();

    const fresh = new Resource();
    fresh.setFrom(src);
    expect(fields(fresh)).toEqual(fields(src));
    fresh.addScalar('x.io/a', 1);
    expect(src.getScalar('x.io/a')).toBe(5);

    const withOwn = new Resource();
    withOwn.addNamed('x.io/b', 9);
    const own = withOwn.scalar;
    withOwn.setFrom(src);
    expect(withOwn.scalar).toBe(own); // reused, not reallocated
    expect([...(withOwn.scalar ?? [])]).toEqual([['x.io/a', 5]]);
    withOwn.setFrom(new Resource());
    expect(withOwn.scalar).toBeUndefined();
    expect(fields(withOwn)).toEqual([0, 0, 0, 0, undefined]);
  });

  test('isZero looks at cpu, memory, storage and scalars, not the pod count', () => {
    expect(new Resource().isZero()).toBe(true);
    for (const name of ['cpu', 'memory', 'ephemeral-storage', 'x.io/a']) {
      const r = new Resource();
      r.addNamed(name, 1);
      expect(r.isZero()).toBe(false);
    }
    const pods = new Resource();
    pods.addNamed('pods', 10);
    expect(pods.isZero()).toBe(true);
    const cancelled = new Resource();
    cancelled.addNamed('x.io/a', 1);
    cancelled.addNamed('x.io/b', 0);
    cancelled.addNamed('x.io/a', -1);
    expect(cancelled.isZero()).toBe(true);
    cancelled.addNamed('x.io/b', 2);
    expect(cancelled.isZero()).toBe(false);
  });

  test('scalar and extended resource names', () => {
    expect(isScalarResourceName('example.com/gpu')).toBe(true);
    expect(isScalarResourceName('hugepages-1Gi')).toBe(true);
    expect(isScalarResourceName('attachable-volumes-csi-x')).toBe(true);
    expect(isScalarResourceName('cpu')).toBe(false);
    expect(isScalarResourceName('xhugepages-1Gi')).toBe(false);
    expect(isExtendedResourceName('example.com/gpu')).toBe(true);
    expect(isExtendedResourceName('kubernetes.io/batteries')).toBe(false);
    expect(isExtendedResourceName('requests.example.com/gpu')).toBe(false);
    expect(isExtendedResourceName('hugepages-1Gi')).toBe(false);
  });
});
