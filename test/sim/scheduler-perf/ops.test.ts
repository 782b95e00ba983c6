/**
 * The opcodes the shipped files do not use, on a synthetic configuration: skipWaitToCompletion
 * with barriers, createPodSets, namespaces from a template, rate-limited deletePods, sleep,
 * start/stopCollectingMetrics, churn in recreate mode, node label strategies; and the CLI shell.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../sim/cli/errors.ts';
import { benchSchedulerCommand } from '../../../sim/cli/bench/scheduler-command.ts';
import { loadWorkloadFile } from '../../../sim/scheduler-perf/load.ts';
import {
  runWorkloadFile,
  type WorkloadOutcome,
  type WorkloadResult,
} from '../../../sim/scheduler-perf/runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'ksim-sched-perf-'));
writeFileSync(
  join(dir, 'pod.yaml'),
  `apiVersion: v1
kind: Pod
metadata: {generateName: p-, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: c, image: pause, resources: {requests: {cpu: 100m}}}]
`,
);
writeFileSync(
  join(dir, 'node.yaml'),
  `apiVersion: v1
kind: Node
metadata: {generateName: n-}
status: {capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
`,
);
writeFileSync(
  join(dir, 'ns.yaml'),
  `apiVersion: v1
kind: Namespace
metadata: {name: ignored, labels: {team: a}}
`,
);
writeFileSync(
  join(dir, 'perf.yaml'),
  `
- name: Ops
  defaultPodTemplatePath: pod.yaml
  workloadTemplate:
  - opcode: createNodes
    countParam: $nodes
    nodeTemplatePath: node.yaml
    uniqueNodeLabelStrategy: {labelKey: rack}
  - opcode: createNodes
    count: 4
    labelNodePrepareStrategy: {labelKey: zone, labelValues: [a, b]}
  - opcode: createNamespaces
    prefix: team
    count: 2
    namespaceTemplatePath: ns.yaml
  - opcode: createPodSets
    count: 2
    namespacePrefix: team
    createPodsOp: {opcode: createPods, count: 5, skipWaitToCompletion: true}
  - opcode: barrier
    namespaces: [team-0, team-1]
  - opcode: createPods
    count: 10
    namespace: doomed
  - opcode: deletePods
    namespace: doomed
    deletePodsPerSecond: 5
  - opcode: churn
    mode: recreate
    number: 2
    intervalMilliseconds: 100
    templatePaths: [node.yaml]
  - opcode: startCollectingMetrics
    name: window
    namespaces: [late]
  - opcode: createPods
    countParam: $pods
    namespace: late
    skipWaitToCompletion: true
  - opcode: barrier
    stageRequirement: Attempted
  - opcode: sleep
    duration: 1500ms
  - opcode: stopCollectingMetrics
  workloads:
  - name: small
    labels: [integration-test]
    params: {nodes: 3, pods: 7}
`,
);

async function runOps(): Promise<WorkloadResult> {
  let t = 0;
  const [r] = await runWorkloadFile(loadWorkloadFile(join(dir, 'perf.yaml')), {
    seed: 5,
    now: () => (t += 1),
    labelFilter: 'integration-test',
    retainState: true,
  });
  return r as WorkloadResult;
}

describe('ops', () => {
  it('runs every supported opcode with upstream semantics', async () => {
    const r = await runOps();
    const nodes = r.state?.nodes ?? [];
    const pods = r.state?.pods ?? [];
    // uniqueNodeLabelStrategy: one value per node; labelNodePrepareStrategy: round-robin.
    const racks = nodes.map((n) => n.metadata.labels?.rack).filter((x) => x !== undefined);
    expect(racks).toEqual(['node-0', 'node-1', 'node-2']);
    expect(nodes.map((n) => n.metadata.labels?.zone).filter((x) => x !== undefined)).toEqual([
      'a',
      'b',
      'a',
      'b',
    ]);
    // createPodSets: 5 pods in each team namespace, scheduled by the barrier.
    for (const ns of ['team-0', 'team-1']) {
      const inNs = pods.filter((p) => p.metadata.namespace === ns);
      expect(inNs).toHaveLength(5);
      expect(inNs.every((p) => p.spec.nodeName)).toBe(true);
    }
    // deletePods at 5/s waited for all ten.
    expect(pods.filter((p) => p.metadata.namespace === 'doomed')).toEqual([]);
    // The measured window counts the pods bound in `late` while it was open.
    expect(r.metrics).toMatchObject({
      name: 'window',
      namespaces: ['late'],
      measuredPods: 7,
      attempts: 7,
    });
    // The window spans the sleep: at least 1.5 s of virtual time.
    expect(r.metrics?.virtualSeconds).toBeGreaterThanOrEqual(1.5);
    // Churn recreate keeps at most two of its nodes alive: 3 + 4 + at most 2.
    expect(nodes.length).toBeGreaterThanOrEqual(7);
    expect(nodes.length).toBeLessThanOrEqual(9);
    expect(r.totals.unscheduledPods).toBe(0);
  });

  it('is deterministic', async () => {
    expect((await runOps()).placementDigest).toBe((await runOps()).placementDigest);
  });
});

describe('ksim bench scheduler (library command)', () => {
  it('prints one row per workload with N pods/s and writes JSON', async () => {
    const out: string[] = [];
    const json = join(dir, 'out.json');
    const code = await benchSchedulerCommand(
      join(import.meta.dirname, '../../../scenarios/bench/scheduler/misc/performance-config.yaml'),
      {
        out: json,
        workload: '^SchedulingBasic/5000Nodes_10000Pods$',
        params: { initNodes: 20, initPods: 5, measurePods: 30 },
      },
      (s) => out.push(s),
    );
    const text = out.join('\n');
    expect(text).toMatch(
      /SchedulingBasic\/5000Nodes_10000Pods\s+30\s+\d+\s+[\d,]+ pods\/s\s+\d+\s+[\d,]+\s+680\s+8,000 (ok|MISSED)/,
    );
    const written = JSON.parse(readFileSync(json, 'utf8')) as {
      rows: {
        name: string;
        measuredPods: number;
        floor: number;
        target: number;
        cpuMs: number;
        podsPerCpuSecond: number;
      }[];
    };
    expect(written.rows).toEqual([
      expect.objectContaining({
        name: 'SchedulingBasic/5000Nodes_10000Pods',
        measuredPods: 30,
        floor: 680,
        target: 8000,
      }),
    ]);
    // The window's CPU time is the process's own: some was spent, and the rate follows from it.
    const row = written.rows[0];
    expect(row?.cpuMs).toBeGreaterThan(0);
    const cpuMs = row?.cpuMs ?? 0;
    // Both figures are rounded: the rate agrees with 30 pods in cpuMs within that rounding.
    expect(Math.abs((row?.podsPerCpuSecond ?? 0) - 30_000 / cpuMs)).toBeLessThanOrEqual(
      (30_000 / cpuMs) * (0.5 / cpuMs) + 1,
    );
    // The exit code follows the target; wall time is real here, so only its range is checked.
    expect([0, 1]).toContain(code);
  });

  it('reports an invalid file with exit code 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      '- name: X\n  workloadTemplate: [{opcode: explode}]\n  workloads: [{name: w}]\n',
    );
    const refused = benchSchedulerCommand(bad, { out: join(dir, 'x.json') }, () => {});
    await expect(refused).rejects.toThrow(CliError);
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    await expect(refused).rejects.toThrow('workloadTemplate[0].opcode: unknown opcode "explode"');
  });
});

describe('createAny and updateAny', () => {
  const anyDir = mkdtempSync(join(tmpdir(), 'ksim-sched-any-'));
  writeFileSync(
    join(anyDir, 'node-idx.yaml'),
    `apiVersion: v1
kind: Node
metadata:
  name: fixed-{{.Index}}
  labels: {zone: z{{Mod .Index 2}}}
spec:
  taints: [{key: hold, effect: NoSchedule}]
status: {capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
`,
  );
  writeFileSync(
    join(anyDir, 'node-open.yaml'),
    `apiVersion: v1
kind: Node
metadata:
  name: fixed-{{.Index}}
  labels: {zone: z{{Mod .Index 2}}, opened: "{{.Count}}"}
status: {capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
`,
  );
  writeFileSync(
    join(anyDir, 'svc.yaml'),
    `apiVersion: v1
kind: Service
metadata: {generateName: svc-}
spec: {selector: {app: web}, ports: [{port: 80}]}
`,
  );
  writeFileSync(
    join(anyDir, 'pod.yaml'),
    `apiVersion: v1
kind: Pod
metadata: {generateName: p-, labels: {app: web}}
spec: {containers: [{name: c, image: pause}]}
`,
  );
  const config = (podOp: string): string => `
- name: Any
  defaultPodTemplatePath: pod.yaml
  workloadTemplate:
  - opcode: createAny
    templatePath: node-idx.yaml
    count: 3
  - opcode: createAny
    templatePath: svc.yaml
    namespace: web
  - opcode: updateAny
    templatePath: node-open.yaml
    count: 2
    updatePerSecond: 10
${podOp}
  workloads:
  - name: small
    labels: [integration-test]
`;

  async function run(podOp: string): Promise<WorkloadOutcome> {
    writeFileSync(join(anyDir, 'perf.yaml'), config(podOp));
    let t = 0;
    const [o] = await runWorkloadFile(loadWorkloadFile(join(anyDir, 'perf.yaml')), {
      seed: 3,
      now: () => (t += 1),
      labelFilter: 'integration-test',
      retainState: true,
    });
    return o as WorkloadOutcome;
  }

  it('creates objects from rendered templates and updates them at the given rate', async () => {
    const o = await run(
      `  - opcode: createPods\n    count: 6\n    namespace: web\n    collectMetrics: true`,
    );
    if (o.outcome !== 'ran') throw new Error(JSON.stringify(o));
    const nodes = o.state?.nodes ?? [];
    expect(nodes.map((n) => [n.metadata.name, n.metadata.labels?.zone])).toEqual([
      ['fixed-0', 'z0'],
      ['fixed-1', 'z1'],
      ['fixed-2', 'z0'],
    ]);
    // updateAny replaced the first two nodes (taint gone, label added); the third keeps its taint.
    expect(nodes.map((n) => [n.metadata.labels?.opened, n.spec?.taints?.length ?? 0])).toEqual([
      ['2', 0],
      ['2', 0],
      [undefined, 1],
    ]);
    const placed = new Set((o.state?.pods ?? []).map((p) => p.spec.nodeName));
    expect(placed).toEqual(new Set(['fixed-0', 'fixed-1']));
    // Two updates at 10/s: the op waited 0.2 s of virtual time before the pods were created.
    expect(o.totals.virtualSeconds).toBeGreaterThanOrEqual(0.2);
    expect(o.metrics?.measuredPods).toBe(6);
  });

  it('fails the workload, not the run, when a namespaced object has no namespace', async () => {
    const o = await run(
      `  - opcode: createAny\n    templatePath: pod.yaml\n  - opcode: createPods\n    count: 1\n    namespace: web\n    collectMetrics: true`,
    );
    expect(o).toMatchObject({
      outcome: 'failed',
      error: 'namespace not set for pod.yaml, but /v1, Kind=Pod has scope namespace',
    });
  });
});
