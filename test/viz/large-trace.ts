/**
 * A synthetic trace of a large run (thousands of nodes, 150,000 pods), written record by record
 * in the trace schema, for the report's scale test: a simulated run of that size takes far
 * longer than a test should. Deterministic (a fixed linear congruential generator).
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import { TRACE_SCHEMA_VERSION } from '../../core/trace/version.ts';

const S = 1_000_000;

export interface LargeTraceOptions {
  readonly nodes: number;
  readonly pods: number;
  readonly durationUs: number;
}

export function largeTrace(o: LargeTraceOptions): string[] {
  let state = 12345;
  const rand = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const records: TraceRecord[] = [];
  const node = (i: number) => `node-${i + 1}`;
  for (let i = 0; i < 3; i++) {
    records.push({
      t: 0,
      p: `etcd-${i}`,
      k: 'store.member.start',
      id: i + 1,
      from: 'empty',
      snapshotIndex: 0,
      lastIndex: 0,
      commit: 0,
      term: 0,
      tornBytes: 0,
    });
  }
  records.push({
    t: 1 * S,
    p: 'etcd-0',
    k: 'store.member.role',
    id: 1,
    role: 'leader',
    lead: 1,
    term: 1,
  });
  for (let i = 0; i < o.nodes; i++)
    records.push({
      t: 2 * S + i * 1_000,
      p: node(i),
      k: 'kubelet.node-registered',
      node: node(i),
      existing: false,
    });
  const spread = o.durationUs * 0.6;
  for (let i = 0; i < o.pods; i++) {
    const pod = `default/pod-${i}`;
    const n = node(Math.floor(rand() * o.nodes));
    const created = 15 * S + Math.floor((i / o.pods) * spread);
    const bound = created + 2_000 + Math.floor(rand() * 200_000);
    const running = bound + 500_000 + Math.floor(rand() * 3 * S);
    records.push({
      t: created,
      p: 'apiserver',
      k: 'api.request',
      verb: 'POST',
      path: '/api/v1/namespaces/default/pods',
      code: 201,
      latencyUs: 3_000 + Math.floor(rand() * 20_000),
    });
    records.push({
      t: bound,
      p: 'scheduler',
      k: 'scheduler.bind',
      pod,
      node: n,
      attempts: 1,
      latencyUs: bound - created,
    });
    records.push({ t: running, p: n, k: 'kubelet.pod-phase', pod, phase: 'Running', node: n });
    records.push({
      t: running,
      p: n,
      k: 'kubelet.pod-started',
      pod,
      node: n,
      e2eUs: running - created + 400_000,
      imagePullUs: 300_000,
    });
    if (rand() < 0.2) {
      const end = running + Math.floor(rand() * 60 * S);
      if (end < o.durationUs) {
        records.push({
          t: end,
          p: n,
          k: 'kubelet.pod-terminating',
          pod,
          node: n,
          gracePeriodUs: 30 * S,
        });
        records.push({ t: end + 2 * S, p: n, k: 'kubelet.pod-deleted', pod, uid: `uid-${i}` });
      }
    }
  }
  for (let i = 0; i < 50; i++) {
    const n = node(i * 97);
    records.push({ t: o.durationUs / 2, p: n, k: 'process.crash', incarnation: 1 });
    records.push({
      t: o.durationUs / 2 + 40 * S,
      p: 'controller-manager',
      k: 'node-lifecycle.node-unknown',
      node: n,
    });
  }
  for (let t = 0; t < o.durationUs; t += S) {
    const q = Math.floor(rand() * 500);
    records.push({
      t,
      p: 'scheduler',
      k: 'scheduler.queue',
      active: q,
      backoff: q >> 3,
      unschedulable: q >> 5,
      gated: 0,
    });
  }
  records.sort((a, b) => a.t - b.t);
  const header = {
    t: 0,
    p: 'sim',
    k: 'trace.header',
    schemaVersion: TRACE_SCHEMA_VERSION,
    ksimVersion: 'synthetic',
    seed: 1,
    level: 'info',
  };
  return [JSON.stringify(header), ...records.map((r) => JSON.stringify(r))];
}
