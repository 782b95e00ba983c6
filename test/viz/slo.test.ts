/** The SLOs read off trace records: p99 per API class, pod startup without pulls, throughput. */
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../core/trace/types.ts';
import { ReportBuilder } from '../../viz/model/report-builder.ts';
import { SloCollector, type SloResult } from '../../viz/model/slo.ts';

const S = 1_000_000;

const request = (t: number, verb: string, path: string, latencyUs: number): TraceRecord =>
  ({ t, p: 'apiserver', k: 'api.request', verb, path, code: 200, latencyUs }) as TraceRecord;
const started = (t: number, e2eUs: number, imagePullUs: number): TraceRecord =>
  ({
    t,
    p: 'node-1',
    k: 'kubelet.pod-started',
    pod: `default/p-${t}`,
    node: 'node-1',
    e2eUs,
    imagePullUs,
  }) as TraceRecord;
const bind = (t: number): TraceRecord =>
  ({
    t,
    p: 'scheduler',
    k: 'scheduler.bind',
    pod: `default/p-${t}`,
    node: 'node-1',
    attempts: 1,
    latencyUs: 10,
  }) as TraceRecord;

const byName = (results: readonly SloResult[], name: string): SloResult => {
  const r = results.find((x) => x.name === name);
  expect(r, name).toBeDefined();
  return r!;
};

describe('API call latency', () => {
  // 100 single-object GETs: 98 fast, 2 slow, so the p99 (the 99th of 100) is a slow one.
  const gets = Array.from({ length: 100 }, (_, i) =>
    request(i, 'GET', '/api/v1/namespaces/default/pods/p', i >= 98 ? 1_500_000 : 1_000),
  );
  const lists = [
    request(1, 'GET', '/api/v1/namespaces/default/pods', 4 * S),
    request(2, 'GET', '/api/v1/pods', 6 * S),
  ];
  const posts = [request(3, 'POST', '/api/v1/namespaces/default/pods', 2_000)];

  it('p99 per verb and scope against upstream thresholds, in table order', () => {
    const c = new SloCollector();
    for (const r of [...posts, ...lists, ...gets]) c.add(r);
    const results = c.results();
    expect(results.map((r) => r.name).slice(0, 4)).toEqual([
      'API call latency GET',
      'API call latency LIST namespace',
      'API call latency LIST cluster',
      'API call latency POST',
    ]);
    expect(byName(results, 'API call latency GET')).toMatchObject({
      samples: 100,
      value: 1_500_000,
      threshold: S,
      passed: false,
    });
    expect(byName(results, 'API call latency LIST namespace')).toMatchObject({
      value: 4 * S,
      threshold: 5 * S,
      passed: true,
    });
    expect(byName(results, 'API call latency LIST cluster')).toMatchObject({
      value: 6 * S,
      threshold: 30 * S,
      passed: true,
    });
  });

  it('one slow GET in 100 is within the p99; thresholds can be overridden', () => {
    const c = new SloCollector();
    for (const r of gets.slice(0, 98)) c.add(r);
    c.add(gets[99]!);
    c.add(request(0, 'GET', '/api/v1/nodes/node-1', 1_000));
    expect(byName(c.results(), 'API call latency GET')).toMatchObject({
      value: 1_000,
      passed: true,
    });
    const d = new SloCollector();
    for (const r of [...gets, ...lists, ...posts]) d.add(r);
    const tight = d.results({
      apiCallLatency: { getUs: 2 * S, listNamespaceUs: 3 * S, mutatingUs: 1_000 },
    });
    expect(byName(tight, 'API call latency GET')).toMatchObject({ threshold: 2 * S, passed: true });
    expect(byName(tight, 'API call latency LIST namespace')).toMatchObject({ passed: false });
    expect(byName(tight, 'API call latency POST')).toMatchObject({
      threshold: 1_000,
      passed: false,
    });
  });

  it('records before `from` are left out', () => {
    const c = new SloCollector(50);
    for (const r of gets) c.add(r);
    expect(byName(c.results(), 'API call latency GET')).toMatchObject({ samples: 50 });
  });
});

describe('pod startup latency', () => {
  it('leaves image pulls out, as upstream SLI does', () => {
    const c = new SloCollector();
    // 6 s end to end, 4 s of it pulling: 2 s counts.
    c.add(started(1, 6 * S, 4 * S));
    c.add(started(2, 3 * S, 0));
    expect(byName(c.results(), 'pod startup latency')).toMatchObject({
      samples: 2,
      value: 3 * S,
      threshold: 5 * S,
      passed: true,
    });
    c.add(started(3, 7 * S, 1 * S));
    expect(byName(c.results(), 'pod startup latency')).toMatchObject({
      value: 6 * S,
      passed: false,
    });
    expect(byName(c.results({ podStartupUs: 10 * S }), 'pod startup latency').passed).toBe(true);
  });

  it('without samples it neither passes on a value nor fails', () => {
    const r = byName(new SloCollector().results(), 'pod startup latency');
    expect(r.samples).toBe(0);
    expect(r.value).toBeUndefined();
    expect(r.passed).toBe(true);
  });
});

describe('scheduling throughput', () => {
  it('bindings per second from the first to the last, with the peak second', () => {
    const c = new SloCollector();
    // 10 bindings in the first second, 11 more spread over the next four: 21 over 5 s.
    for (let i = 0; i < 10; i++) c.add(bind(10 * S + i * 1_000));
    for (let i = 1; i <= 11; i++) c.add(bind(11 * S + Math.round(((i - 1) * 4 * S) / 10)));
    const r = byName(c.results(), 'scheduling throughput');
    expect(r).toMatchObject({
      samples: 21,
      unit: 'pods/s',
      passed: true,
      note: 'peak 10 in one second',
    });
    expect(r.value).toBeCloseTo(21 / 5, 5);
    expect(r.threshold).toBeUndefined();
    expect(byName(c.results({ schedulingThroughput: 5 }), 'scheduling throughput').passed).toBe(
      false,
    );
    expect(byName(c.results({ schedulingThroughput: 4 }), 'scheduling throughput').passed).toBe(
      true,
    );
  });

  it('bindings all in one instant count over one second', () => {
    const c = new SloCollector();
    for (let i = 0; i < 3; i++) c.add(bind(5 * S));
    expect(byName(c.results(), 'scheduling throughput').value).toBe(3);
  });
});

describe('the HTML report reads the same SLOs and verdicts', () => {
  it('SLO rows with a threshold and samples, and where an always/never was violated', () => {
    const b = new ReportBuilder();
    b.add(request(1, 'GET', '/api/v1/pods', 2 * S));
    b.add(started(2, 6 * S, 4 * S));
    b.add(bind(3));
    b.add({
      t: 4,
      p: 'ksim-runner',
      k: 'runner.verdict',
      name: 'never fails',
      passed: false,
      violatedAtUs: 3,
      objects: ['Pod/default/a'],
      detail: 'violated: 1 matching pods on 1 nodes',
    } as TraceRecord);
    const d = b.finish('t');
    expect(d.slos).toEqual([
      {
        name: 'API call latency, LIST cluster (1 calls)',
        target: 'p99 <= 30.00s',
        observed: 'p99 2.00s',
        passed: true,
      },
      {
        name: 'Pod startup latency, image pulls excluded (1 pods)',
        target: 'p99 <= 5.00s',
        observed: 'p99 2.00s',
        passed: true,
      },
    ]);
    expect(d.verdicts[0]).toMatchObject({ violatedAtUs: 3, objects: ['Pod/default/a'] });
  });
});

describe('watch latency', () => {
  const committed = (t: number, revision: number): TraceRecord =>
    ({ t, p: 'sim', k: 'watch.committed', revision }) as TraceRecord;
  const delivered = (t: number, revision: number, resource = 'pods'): TraceRecord =>
    ({ t, p: 'scheduler', k: 'watch.delivered', resource, revision, type: 'ADDED' }) as TraceRecord;

  it('is each delivery minus its revision commit; p99 over every resource, the worst named', () => {
    const c = new SloCollector(10 * S);
    c.add(committed(9 * S, 10)); // before `from`, but its delivery after it counts
    c.add(delivered(10 * S + 5_000, 10));
    for (let i = 1; i <= 99; i++) {
      c.add(committed(20 * S + i, 10 + 10 * i));
      c.add(delivered(20 * S + i + 2_000, 10 + 10 * i, i === 50 ? 'leases' : 'pods'));
    }
    // A delivery of a revision whose commit was never recorded (the in-memory store) is skipped.
    c.add(delivered(30 * S, 7));
    const w = byName(c.results(), 'watch latency');
    expect(w).toMatchObject({ slo: 'watch-latency', samples: 100, passed: true });
    expect(w.threshold).toBeUndefined();
    // 100 samples: 99 of 2 ms and one of 1.005 s: the p99 is the 99th, 2 ms.
    expect(w.value).toBe(2_000);
    expect(w.note).toBe('p50 2.00ms; highest p99: pods 1.00s');
    const limited = new SloCollector();
    limited.add(committed(1, 5));
    limited.add(delivered(1 + 3 * S, 5));
    const r = byName(limited.results({ watchLatencyUs: S }), 'watch latency');
    expect(r).toMatchObject({ value: 3 * S, threshold: S, passed: false });
  });

  it('the report shows it without a verdict when no threshold is set', () => {
    const b = new ReportBuilder();
    b.add(committed(1, 4));
    b.add(delivered(1_001, 4, 'nodes'));
    expect(b.finish('t').slos).toEqual([
      {
        name: 'Watch latency, commit to delivery (1 deliveries sampled)',
        target: 'none (no SLO upstream)',
        observed: 'p99 1.00ms (p50 1.00ms; highest p99: nodes 1.00ms)',
        passed: true,
        reportedOnly: true,
      },
    ]);
  });
});
