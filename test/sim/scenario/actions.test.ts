/**
 * The scenario actions on objects, observed in what the run reports and in the trace: apply
 * that updates, drain through evictions that honour a PodDisruptionBudget, cordon, taint,
 * label, patch, delete with propagation, rollout restart, node pools registered tainted or
 * cordoned, and requests the API server refuses during the run.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, type RunReport } from '../../../sim/scenario/run.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';
import { summary } from '../../../sim/cli/run-command.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { drainSkips } from '../../../sim/scenario/actions.ts';

type TraceLine = Record<string, unknown> & { k: string; t: number };

async function run(text: string): Promise<{ report: RunReport; trace: TraceLine[] }> {
  const lines: string[] = [];
  const report = await runScenario(parseScenario(text, 'actions.yaml'), {
    seed: 3,
    traceSink: (l) => lines.push(l),
  });
  return { report, trace: lines.map((l) => JSON.parse(l) as TraceLine) };
}

const scenario = (cluster: string, rest: string, duration = '2m'): string => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: actions }
spec:
  duration: ${duration}
  cluster:
    nodes:
${cluster}
${rest}
`;

const DEPLOYMENT = `
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web }
      spec:
        replicas: 4
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec:
            containers:
              - { name: nginx, image: nginx:1.25, resources: { requests: { cpu: 500m } } }`;

const onNode = (r: RunReport, node: string, prefix = 'web-') =>
  r.pods.filter((p) => p.node === node && p.name.startsWith(prefix) && !p.terminating);

describe('drain', () => {
  it('leaves DaemonSet pods and mirror pods alone, as kubectl drain --ignore-daemonsets does', () => {
    const pod = (metadata: object) =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [] } }) as unknown as Pod;
    const owner = (kind: string, controller: boolean) => ({
      ownerReferences: [{ apiVersion: 'apps/v1', kind, name: 'x', uid: 'u', controller }],
    });
    expect(drainSkips(pod(owner('DaemonSet', true)))).toBe(true);
    expect(drainSkips(pod(owner('DaemonSet', false)))).toBe(false);
    expect(drainSkips(pod(owner('ReplicaSet', true)))).toBe(false);
    expect(drainSkips(pod({ annotations: { 'kubernetes.io/config.mirror': 'h' } }))).toBe(true);
    expect(drainSkips(pod({}))).toBe(false);
  });
});

describe('scenario actions on objects', () => {
  it('drain cordons, evicts through pods/eviction, holds back what the PDB protects, and the pods run elsewhere', async () => {
    const { report, trace } = await run(
      scenario(
        `      - count: 1
        # Its mirror pod, static-agent-node-1, is what drain must leave.
        staticPods:
          - apiVersion: v1
            kind: Pod
            metadata: { name: static-agent }
            spec: { containers: [{ name: agent, image: busybox:1.36 }] }
      - { namePrefix: spare, count: 2, unschedulable: true }`,
        `  objects:${DEPLOYMENT}
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: { name: web }
      spec: { minAvailable: 4, selector: { matchLabels: { app: web } } }
  actions:
    # Every web pod starts on node-1: the spare nodes register cordoned.
    - { at: 40s, uncordon: { node: spare-1 } }
    - { at: 40s, uncordon: { node: spare-2 } }
    - { at: 45s, drain: { node: node-1 } }
    # The budget allows no disruption of four pods until there are five.
    - { at: 80s, scale: { kind: Deployment, name: web, replicas: 5 } }`,
        '3m',
      ),
    );
    const evictions = trace.filter((r) => r.k === 'runner.evict');
    const web = evictions.filter((r) => String(r.pod).startsWith('default/web-'));
    // Held back by the budget (asked again every 5 s) until the scale to five at 80 s.
    const evicted = web.filter((r) => r.status === 201);
    expect(new Set(evicted.map((r) => r.pod)).size).toBe(4);
    expect(Math.min(...evicted.map((r) => r.t))).toBeGreaterThan(80_000_000);
    const refused = web.filter((r) => r.status === 429 && r.t < 80_000_000);
    expect(refused.length).toBeGreaterThanOrEqual(4 * 6);
    expect(refused.map((r) => r.message)).toContainEqual(
      expect.stringMatching(/would violate the pod's disruption budget/),
    );
    // The mirror pod stays: drain skips it.
    expect(evictions.filter((r) => r.pod === 'default/static-agent-node-1')).toEqual([]);
    expect(onNode(report, 'node-1', 'static-agent')).toHaveLength(1);
    expect(trace.filter((r) => r.k === 'runner.action').map((r) => [r.action, r.status])).toEqual([
      ['uncordon', 200],
      ['uncordon', 200],
      ['drain', 200],
    ]);
    expect(trace.filter((r) => r.k === 'runner.scale').map((r) => r.status)).toEqual([200]);
    const node1 = report.nodes.find((n) => n.name === 'node-1');
    expect(node1).toMatchObject({ ready: 'True', unschedulable: true });
    expect(node1?.taints).toContain('node.kubernetes.io/unschedulable:NoSchedule');
    expect(onNode(report, 'node-1')).toEqual([]);
    const running = report.pods.filter((p) => p.name.startsWith('web-') && p.phase === 'Running');
    expect(running).toHaveLength(5);
    expect(new Set(running.map((p) => p.node))).toEqual(new Set(['spare-1', 'spare-2']));
    // Evictions one at a time: the second waits for the first's replacement to be available.
    const times = web.filter((r) => r.status === 201).map((r) => r.t);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(5_000_000);
  });

  it('apply updates the fields it sets (server-side apply): a node applied with unschedulable is cordoned', async () => {
    const { report, trace } = await run(
      scenario(
        '      - { count: 2 }',
        `  actions:
    - at: 5s
      apply:
        apiVersion: v1
        kind: Node
        metadata: { name: node-2 }
        spec: { unschedulable: true }
    - at: 10s
      apply:${DEPLOYMENT.replace(/\n {4}/g, '\n      ').replace('- apiVersion', '  apiVersion')}
    # Another manager owns spec.replicas now: the next apply takes it back (force).
    - { at: 30s, scale: { kind: Deployment, name: web, replicas: 3 } }
    - at: 50s
      apply:${DEPLOYMENT.replace(/\n {4}/g, '\n      ')
        .replace('- apiVersion', '  apiVersion')
        .replace('replicas: 4', 'replicas: 2')}`,
      ),
    );
    const applies = trace.filter((r) => r.k === 'runner.action' && r.action === 'apply');
    expect(applies.map((r) => [r.kind, r.name, r.status])).toEqual([
      ['Node', 'node-2', 200],
      ['Deployment', 'web', 201],
      ['Deployment', 'web', 200],
    ]);
    expect(report.nodes.find((n) => n.name === 'node-2')?.unschedulable).toBe(true);
    const web = report.pods.filter((p) => p.name.startsWith('web-') && !p.terminating);
    expect(web).toHaveLength(2);
    expect(web.every((p) => p.node === 'node-1')).toBe(true);
    expect(report.rejections).toEqual([]);
  });

  it('taint, label, patch (merge, strategic, json), restart and delete with propagation', async () => {
    const { report, trace } = await run(
      scenario(
        '      - { count: 2 }',
        `  objects:${DEPLOYMENT}
    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: { name: orphans }
      spec:
        replicas: 2
        selector: { matchLabels: { app: orphans } }
        template:
          metadata: { labels: { app: orphans } }
          spec: { containers: [{ name: c, image: nginx:1.25 }] }
  actions:
    - { at: 20s, taint: { node: node-1, add: ['dedicated=db:NoSchedule', 'spot:PreferNoSchedule'] } }
    - { at: 21s, taint: { node: node-1, remove: [spot] } }
    - { at: 22s, label: { kind: Node, name: node-2, set: { zone: b } } }
    - { at: 23s, label: { kind: Deployment, name: web, set: { tier: front } } }
    - at: 24s
      patch: { kind: Deployment, name: web, type: merge, patch: { spec: { replicas: 3 } } }
    - at: 25s
      patch: { kind: Deployment, name: web, patch: { metadata: { annotations: { a: b } } } }
    - at: 26s
      patch:
        kind: Deployment
        name: web
        type: json
        patch: [{ op: replace, path: /spec/replicas, value: 2 }]
    - { at: 30s, restart: { kind: Deployment, name: web } }
    - { at: 35s, delete: { kind: ReplicaSet, name: orphans, propagationPolicy: Orphan } }`,
      ),
    );
    const actions = trace.filter((r) => r.k === 'runner.action');
    expect(actions.map((r) => [r.action, r.status])).toEqual([
      ['taint', 200],
      ['taint', 200],
      ['label', 200],
      ['label', 200],
      ['patch', 200],
      ['patch', 200],
      ['patch', 200],
      ['restart', 200],
    ]);
    expect(report.nodes.find((n) => n.name === 'node-1')?.taints).toEqual([
      'dedicated=db:NoSchedule',
    ]);
    // The restart rolled every web pod: two of the new template, none of the old left.
    const hashes = new Set(
      report.pods
        .filter((p) => p.name.startsWith('web-') && !p.terminating)
        .map((p) => p.labels['pod-template-hash']),
    );
    expect(hashes.size).toBe(1);
    expect(report.pods.filter((p) => p.name.startsWith('web-') && !p.terminating)).toHaveLength(2);
    expect(trace.filter((r) => r.k === 'deployment.new-replica-set').length).toBeGreaterThanOrEqual(
      2,
    );
    // Orphaned: the ReplicaSet is gone, its pods stay.
    expect(trace.find((r) => r.k === 'runner.delete')).toMatchObject({ status: 200 });
    expect(report.pods.filter((p) => p.name.startsWith('orphans-') && !p.terminating)).toHaveLength(
      2,
    );
    expect(report.rejections).toEqual([]);
  });

  it('node pools register tainted or cordoned, and pods keep off them', async () => {
    const { report } = await run(
      scenario(
        `      - { count: 1 }
      - { namePrefix: gpu, count: 1, taints: [{ key: gpu, value: 'true', effect: NoSchedule }] }
      - { namePrefix: spare, count: 1, unschedulable: true }`,
        `  actions:
    - at: 15s
      apply:${DEPLOYMENT.replace(/\n {4}/g, '\n      ').replace('- apiVersion', '  apiVersion')}`,
        '1m',
      ),
    );
    expect(report.nodes.map((n) => [n.name, n.ready, n.unschedulable])).toEqual([
      ['node-1', 'True', false],
      ['gpu-1', 'True', false],
      ['spare-1', 'True', true],
    ]);
    expect(report.nodes[1]?.taints).toEqual(['gpu=true:NoSchedule']);
    const web = report.pods.filter((p) => p.name.startsWith('web-'));
    expect(web).toHaveLength(4);
    expect(web.every((p) => p.node === 'node-1')).toBe(true);
  });

  it('reports what the API server refuses during the run: in the report, its summary and the trace', async () => {
    const service = (name: string) => `
    - apiVersion: v1
      kind: Service
      metadata: { name: ${name} }
      spec: { type: NodePort, selector: { app: web }, ports: [{ port: 80, nodePort: 30080 }] }`;
    const { report, trace } = await run(
      scenario(
        '      - { count: 1 }',
        `  objects:${service('web')}${service('web-too')}
    - apiVersion: v1
      kind: Pod
      metadata: { name: first }
      spec: { containers: [{ name: c, image: nginx:1.25 }] }
    - apiVersion: v1
      kind: Pod
      metadata: { name: lost, namespace: nowhere }
      spec: { containers: [{ name: c, image: nginx:1.25 }] }
  actions:
    - { at: 20s, cordon: { node: node-1 } }
    - { at: 21s, label: { kind: Pod, name: absent, set: { a: b } } }`,
        '30s',
      ),
    );
    expect(report.rejections).toEqual([
      expect.objectContaining({
        action: 'object',
        target: 'Service default/web-too',
        source: 'actions.yaml:15',
        status: 422,
        message: expect.stringMatching(/provided port is already allocated/),
      }),
      expect.objectContaining({
        action: 'object',
        target: 'Pod nowhere/lost',
        source: 'actions.yaml:23',
        status: 404,
        message: 'namespaces "nowhere" not found',
      }),
      expect.objectContaining({
        action: 'label',
        target: 'Pod default/absent',
        source: 'actions.yaml:29',
        status: 404,
      }),
    ]);
    expect(trace.filter((r) => r.k === 'runner.apply-failed')).toHaveLength(2);
    const text = summary(report, 1000, undefined, false, true);
    expect(text).toContain('refused by the API server');
    expect(text).toMatch(
      /object Pod nowhere\/lost \(actions\.yaml:23\): 404 namespaces "nowhere" not found/,
    );
    expect(text).toMatch(
      /node-1 .* Ready,SchedulingDisabled +node\.kubernetes\.io\/unschedulable:NoSchedule/,
    );
    expect(text).toMatch(/default\/first +Running +node-1 +0/);
  });
});
