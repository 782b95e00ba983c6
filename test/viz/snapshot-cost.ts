/**
 * What a snapshot of the live view costs at 1,000 nodes (the builder's `finish` and the JSON the
 * page receives), printed, never asserted: tests do not time things. Run it with
 *   node --import ./sim/cli/register.mjs test/viz/snapshot-cost.ts
 * The trace is synthetic (large-trace.ts: 1,000 nodes, 30,000 pods over 20 minutes) plus what a
 * real cluster of that size adds most of: a node lease renewal every 10 s per node, traced as
 * API requests. Snapshots are taken a third, two thirds and all the way through.
 */
import { LIVE_REPORT } from '../../viz/live.ts';
import { ReportBuilder } from '../../viz/model/report-builder.ts';
import type { TraceRecord } from '../../core/trace/types.ts';
import { largeTrace } from './large-trace.ts';

const S = 1_000_000;
const NODES = 1_000;
const DURATION_US = 20 * 60 * S;
const RUNS = 5;

const records = largeTrace({ nodes: NODES, pods: 30_000, durationUs: DURATION_US }).map(
  (l) => JSON.parse(l) as TraceRecord,
);
for (let t = 10 * S; t < DURATION_US; t += 10 * S)
  for (let n = 0; n < NODES; n++)
    records.push({
      t: t + n * 1_000,
      p: 'apiserver',
      k: 'api.request',
      verb: 'PUT',
      path: `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-${n + 1}`,
      code: 200,
      latencyUs: 2_000 + (n % 17) * 300,
    });
records.sort((a, b) => a.t - b.t);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const builder = new ReportBuilder(LIVE_REPORT);
let fed = 0;
console.log(`${records.length.toLocaleString('en-US')} records, ${NODES} nodes`);
for (const f of [1 / 3, 2 / 3, 1]) {
  const cut = Math.floor(records.length * f);
  while (fed < cut) builder.add(records[fed++]!);
  const endUs = records[cut - 1]!.t;
  const finishMs: number[] = [];
  const jsonMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const data = builder.finish('live', endUs);
    const t1 = performance.now();
    bytes = JSON.stringify(data).length;
    finishMs.push(t1 - t0);
    jsonMs.push(performance.now() - t1);
  }
  console.log(
    `after ${(endUs / 60 / S).toFixed(1)} min virtual, ${cut.toLocaleString('en-US')} records: finish ${median(finishMs).toFixed(1)} ms, JSON ${median(jsonMs).toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB (median of ${RUNS})`,
  );
}
