/** The arithmetic and the folds behind the report, on small hand-made traces. */
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../core/trace/types.ts';
import { requestClass } from '../../viz/model/api.ts';
import { describe as describeRecord } from '../../viz/model/events.ts';
import { mergeBands } from '../../viz/model/nodes.ts';
import { PodsModel } from '../../viz/model/pods.ts';
import { ReportBuilder } from '../../viz/model/report-builder.ts';
import { failureReasons } from '../../viz/model/scheduling.ts';
import {
  binningFor,
  cdfSamples,
  Counter,
  histogram,
  Level,
  quantile,
} from '../../viz/model/stats.ts';
import { StoreModel } from '../../viz/model/store.ts';

const S = 1_000_000;

describe('API request classes (the SLO scopes)', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods/web-1', 'GET'],
    ['GET', '/api/v1/namespaces/default/pods', 'LIST namespace'],
    ['GET', '/api/v1/pods', 'LIST cluster'],
    ['GET', '/api/v1/nodes/node-1', 'GET'],
    ['GET', '/api/v1/namespaces/default', 'GET'],
    ['GET', '/apis/apps/v1/namespaces/default/replicasets', 'LIST namespace'],
    ['GET', '/apis/apps/v1/namespaces/default/replicasets/web/status', 'GET'],
    ['GET', '/apis/apps/v1/replicasets', 'LIST cluster'],
    ['PUT', '/api/v1/namespaces/default/pods/web-1/status', 'PUT'],
    ['POST', '/api/v1/namespaces/default/pods/web-1/binding', 'POST'],
  ])('%s %s is %s', (verb, path, expected) => {
    expect(requestClass(verb, path)).toBe(expected);
  });
});

describe('scheduling failure reasons', () => {
  it.each([
    ['0/3 nodes are available: 3 Insufficient cpu.', ['Insufficient cpu']],
    [
      '0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {a.b/c: }. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.',
      ['Insufficient cpu', 'node(s) had untolerated taint {a.b/c: }'],
    ],
    [
      "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector.",
      [
        'Insufficient cpu',
        'Insufficient memory',
        "node(s) didn't match Pod's node affinity/selector",
      ],
    ],
  ])('%s', (message, reasons) => {
    expect(failureReasons('Unschedulable', message)).toEqual(reasons);
  });

  it('names a scheduler error as such', () => {
    expect(failureReasons('SchedulerError', 'binding rejected: 409')).toEqual(['SchedulerError']);
  });
});

describe('statistics', () => {
  it('takes nearest-rank quantiles', () => {
    const v = Array.from({ length: 100 }, (_x, i) => i + 1);
    expect([
      quantile(v, 0.5),
      quantile(v, 0.99),
      quantile(v, 1),
      quantile([7], 0.99),
      quantile([], 0.5),
    ]).toEqual([50, 99, 100, 7, 0]);
  });

  it('samples a CDF that ends at the maximum with fraction 1', () => {
    const cdf = cdfSamples([1, 2, 3, 10]);
    expect(cdf[cdf.length - 1]).toEqual([10, 1]);
    expect(cdf.every(([, f], i) => i === 0 || f >= (cdf[i - 1] as [number, number])[1])).toBe(true);
  });

  it('buckets a histogram by upper bound, inclusive', () => {
    const h = histogram([1_000, 1_001, 2_000, 5_000_000]);
    expect(h.boundsUs.slice(0, 3)).toEqual([1_000, 2_000, 4_000]);
    expect(h.counts.slice(0, 2)).toEqual([1, 2]);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(h.boundsUs[h.boundsUs.length - 1]).toBeGreaterThanOrEqual(5_000_000);
  });

  it('bins a run into at most 400 round-width bins', () => {
    expect(binningFor(120 * S)).toEqual({ widthUs: S, count: 121 });
    expect(binningFor(3_600 * S)).toEqual({ widthUs: 10 * S, count: 361 });
  });

  it('counts per bin and samples levels at the end of each bin', () => {
    const c = new Counter();
    const l = new Level();
    for (const t of [0, 0.5 * S, 1.2 * S, 5.5 * S]) c.add(t);
    l.change(0.5 * S, 2);
    l.change(1.5 * S, -1);
    l.change(1.7 * S, 3);
    l.change(3.1 * S, -4);
    const b = { widthUs: 2 * S, count: 3 };
    expect(c.bins(b).values).toEqual([3, 0, 1]);
    expect(l.bins(b).values).toEqual([4, 0, 0]);
    expect(c.total).toBe(4);
  });
});

describe('fault bands', () => {
  it('merges overlapping bands of a kind and keeps the others apart', () => {
    const band = (kind: string, label: string, startUs: number, endUs: number) => ({
      kind,
      label,
      startUs,
      endUs,
    });
    expect(
      mergeBands([
        band('crash', 'a down', 10, 50),
        band('crash', 'b down', 20, 30),
        band('partition', 'p', 25, 40),
        band('crash', 'c down', 60, 70),
      ]),
    ).toEqual([
      band('crash', 'a down; b down', 10, 50),
      band('partition', 'p', 25, 40),
      band('crash', 'c down', 60, 70),
    ]);
  });
});

/** Records at the given times: a tiny typed trace. */
const rec = (r: TraceRecord): TraceRecord => r;

describe('pods per node', () => {
  it('gives each stay on a node its lane and a bar per phase', () => {
    const pods = new PodsModel(() => {});
    const trace = [
      rec({
        t: 1,
        p: 'scheduler',
        k: 'scheduler.bind',
        pod: 'ns/a',
        node: 'n1',
        attempts: 1,
        latencyUs: 1,
      }),
      rec({
        t: 2,
        p: 'scheduler',
        k: 'scheduler.bind',
        pod: 'ns/b',
        node: 'n1',
        attempts: 1,
        latencyUs: 1,
      }),
      rec({ t: 3, p: 'n1', k: 'kubelet.pod-phase', pod: 'ns/a', phase: 'Running', node: 'n1' }),
      rec({
        t: 5,
        p: 'n1',
        k: 'kubelet.pod-terminating',
        pod: 'ns/a',
        node: 'n1',
        gracePeriodUs: 1,
      }),
      rec({ t: 6, p: 'n1', k: 'kubelet.pod-deleted', pod: 'ns/a', uid: 'u' }),
      rec({
        t: 7,
        p: 'scheduler',
        k: 'scheduler.bind',
        pod: 'ns/c',
        node: 'n1',
        attempts: 2,
        latencyUs: 1,
      }),
    ];
    for (const r of trace) pods.add(r);
    const view = pods.view(10, ['n1'], binningFor(10));
    expect(view).toEqual({
      kind: 'bars',
      pods: ['ns/a', 'ns/b', 'ns/c'],
      lanes: [2],
      bars: [
        [0, 0, 0, 0, 1, 3],
        [1, 0, 1, 0, 2, 10],
        [0, 0, 0, 1, 3, 5],
        [0, 0, 0, 2, 5, 6],
        [2, 0, 0, 0, 7, 10],
      ],
    });
  });
});

describe('store leadership', () => {
  it('follows the live member that leads at the highest term', () => {
    const store = new StoreModel();
    const role = (
      t: number,
      p: string,
      id: number,
      r: 'leader' | 'follower' | 'candidate',
      term: number,
    ) => rec({ t, p, k: 'store.member.role', id, role: r, lead: r === 'leader' ? id : 0, term });
    for (const r of [
      role(1, 'etcd-0', 1, 'leader', 1),
      role(2, 'etcd-1', 2, 'follower', 1),
      role(10, 'etcd-1', 2, 'candidate', 2),
      role(11, 'etcd-1', 2, 'leader', 2),
      rec({ t: 12, p: 'etcd-1', k: 'process.crash', incarnation: 1 }),
      role(13, 'etcd-0', 1, 'follower', 2),
    ])
      store.add(r);
    const v = store.view(20);
    // The deposed etcd-0 still claims term 1 until it hears of term 2: etcd-1 leads from 11.
    expect(v.leaderChanges).toEqual([
      { t: 1, from: 0, to: 1, term: 1 },
      { t: 11, from: 1, to: 2, term: 2 },
      { t: 12, from: 2, to: 1, term: 1 },
      { t: 13, from: 1, to: 0, term: 0 },
    ]);
    expect(v.elections).toEqual([[10, 2, 2]]);
    expect(v.roles.filter((r) => r[1] === 'down')).toEqual([[1, 'down', 2, 12, 20]]);
  });
});

describe('the report builder', () => {
  it('tables verdicts and SLOs, and keeps samples out of the event log', () => {
    const b = new ReportBuilder();
    b.add(
      rec({
        t: 0,
        p: 'sim',
        k: 'trace.header',
        schemaVersion: 2,
        ksimVersion: 'x',
        seed: 4,
        level: 'info',
      }),
    );
    b.add(
      rec({
        t: 5,
        p: 'apiserver',
        k: 'api.request',
        verb: 'PUT',
        path: '/api/v1/nodes/n1',
        code: 409,
        latencyUs: 2 * S,
      }),
    );
    b.add(
      rec({
        t: 6,
        p: 'scheduler',
        k: 'scheduler.queue',
        active: 1,
        backoff: 0,
        unschedulable: 0,
        gated: 0,
      }),
    );
    b.add(
      rec({
        t: 7,
        p: 'n1',
        k: 'kubelet.pod-started',
        pod: 'ns/a',
        node: 'n1',
        e2eUs: 9 * S,
        imagePullUs: 5 * S,
      }),
    );
    b.add(
      rec({
        t: 8,
        p: 'ksim-runner',
        k: 'runner.verdict',
        name: 'pods run',
        passed: false,
        detail: '0 pods',
      }),
    );
    const d = b.finish('t');
    expect(d.meta).toMatchObject({ title: 't', seed: 4, records: 5, endUs: 8 });
    expect(d.slos).toEqual([
      {
        name: 'API call latency, PUT (1 calls)',
        target: 'p99 <= 1.00s',
        observed: 'p99 2.00s',
        passed: false,
      },
      {
        name: 'Pod startup latency, image pulls excluded (1 pods)',
        target: 'p99 <= 5.00s',
        observed: 'p99 4.00s',
        passed: true,
      },
    ]);
    expect(d.verdicts).toEqual([
      { name: 'pods run', passed: false, metAtUs: undefined, detail: '0 pods' },
    ]);
    expect(d.api.codes.map((c) => c.total)).toEqual([1, 0, 0, 0]);
    expect(d.events.rows.map((r) => r[2])).toEqual(['kubelet.pod-started', 'runner.verdict']);
    expect(d.events.rows[0]).toEqual([
      7,
      'n1',
      'kubelet.pod-started',
      'ns/a',
      'node=n1 e2eUs=9000000 imagePullUs=5000000',
    ]);
  });

  it('names the object of a record for the event filter', () => {
    expect(
      describeRecord(
        rec({ t: 1, p: 'etcd-0', k: 'store.member.role', id: 1, role: 'leader', lead: 1, term: 2 }),
      ),
    ).toEqual(['member 1', 'id=1 role=leader lead=1 term=2']);
    expect(describeRecord(rec({ t: 1, p: 'node-2', k: 'process.crash', incarnation: 1 }))).toEqual([
      'node-2',
      'incarnation=1',
    ]);
  });
});

describe('service traffic', () => {
  const window = (
    t: number,
    service: string,
    requests: number,
    ok: number,
    errors: Record<string, number>,
    backends: Record<string, number>,
  ): TraceRecord =>
    rec({
      t: t + S,
      p: 'ksim-traffic',
      k: 'traffic.window',
      service,
      windowStartUs: t,
      windowUs: S,
      requests,
      ok,
      errors,
      ...(ok > 0
        ? { latencyP50Us: 900, latencyP99Us: 1_500 + t / 1_000, latencyMaxUs: 3_000 }
        : {}),
      backends,
    });

  it('has no view without traffic records', () => {
    expect(new ReportBuilder().finish('t', 10 * S).traffic).toBeUndefined();
  });

  it('bins requests and errors per Service and adds up the backends', () => {
    const b = new ReportBuilder();
    b.add(
      window(0, 'default/web', 10, 9, { refused: 1 }, { 'default/web-a': 5, 'default/web-b': 4 }),
    );
    b.add(
      window(S, 'default/web', 12, 10, { timeout: 2 }, { 'default/web-a': 4, 'default/web-c': 6 }),
    );
    b.add(window(S, 'nope', 3, 0, { nxdomain: 3 }, {}));
    const traffic = b.finish('t', 10 * S).traffic ?? [];
    expect(traffic.map((t) => [t.service, t.total, t.ok])).toEqual([
      ['default/web', 22, 19],
      ['nope', 3, 0],
    ]);
    const web = traffic[0]!;
    expect(web.requests.values.slice(0, 3)).toEqual([10, 12, 0]);
    expect(web.errors.map((e) => [e.name, e.total, e.values.slice(0, 2)])).toEqual([
      ['refused', 1, [1, 0]],
      ['timeout', 2, [0, 2]],
    ]);
    expect(web.backends).toEqual([
      ['default/web-a', 9],
      ['default/web-b', 4],
      ['default/web-c', 6],
    ]);
    expect(web.worstP99Us).toBe(2_500);
  });
});
