import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTROLLERS_BENCH,
  runControllersBench,
  type ControllersWorkload,
} from '../../sim/cli/bench/controllers.ts';
import { main } from '../../sim/cli/main.ts';

/** Replicas enough (two batches of 500) for pod creates to meet the max-in-flight limit. */
const THROTTLED_REPLICAS = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'ksim-bench-controllers-'));

async function ksim(...args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await main(['node', 'ksim', ...args], (s) => lines.push(s), { err: () => {} });
  return { code, output: lines.join('\n') };
}

/** Pods whose last phase in the trace (kubelet.pod-phase) is `phase`. */
function podsInPhase(lines: readonly string[], phase: string): number {
  const last = new Map<string, string>();
  for (const line of lines) {
    const r = JSON.parse(line) as { k?: string; pod?: string; phase?: string };
    if (r.k === 'kubelet.pod-phase' && r.pod !== undefined) last.set(r.pod, r.phase ?? '');
  }
  return [...last.values()].filter((p) => p === phase).length;
}

describe('ksim bench controllers', () => {
  it('prints a row per workload and writes JSON whose counts the cluster reached', async () => {
    const out = join(dir, 'controllers.json');
    const { code, output } = await ksim(
      'bench',
      'controllers',
      '--replicas',
      '200',
      '--nodes',
      '20',
      '--daemon-nodes',
      '20',
      '--out',
      out,
    );
    expect(output).toContain('the in-memory store');
    for (const w of ['deployment', 'job', 'daemonset'])
      expect(output).toMatch(new RegExp(`^${w} `, 'm'));
    expect(output).toContain('objects/s');
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      benchmark: string;
      store: string;
      rows: {
        name: string;
        nodes: number;
        objects: number;
        observed: number;
        done: boolean;
        virtualSeconds: number;
        wallSeconds: number;
        objectsPerSecond: number;
        hostCpuSeconds: number;
        events: number;
        workloadEvents: number;
        syncs: Record<string, { syncs: number; walked: number; maxWalked: number }>;
        targetWallSeconds?: number;
      }[];
    };
    expect(json.benchmark).toBe('controllers');
    expect(json.store).toBe('in-memory');
    expect(json.rows.map((r) => [r.name, r.nodes, r.objects, r.observed, r.done])).toEqual([
      ['deployment', 20, 200, 200, true],
      ['job', 20, 200, 200, true],
      ['daemonset', 20, 20, 20, true],
    ]);
    for (const r of json.rows) {
      expect(r.virtualSeconds).toBeGreaterThan(0);
      expect(typeof r.wallSeconds).toBe('number');
      expect(typeof r.objectsPerSecond).toBe('number');
      expect(r.hostCpuSeconds).toBeGreaterThan(0);
      // The workload's events are part of the run's, which also counts the nodes registering.
      expect(r.workloadEvents).toBeGreaterThan(0);
      expect(r.workloadEvents).toBeLessThan(r.events);
    }
    expect(json.rows[0]!.targetWallSeconds).toBe(20);
    // Seed 1's Deployment of 200 on this tree (2026-12-07, merged): 27 Deployment syncs, 198
    // ReplicaSet syncs that read 564 pods in all (25, 166 and 538 before the same day's kubelet
    // and admission changes moved when pod updates arrive, and so how the work queue merges them): each pod about once per change (the pod tally), where a
    // walk over the ReplicaSet's pods on every sync would read up to 200 each time.
    const syncs = json.rows[0]!.syncs;
    expect(Object.keys(syncs).sort()).toEqual(['deployment', 'replicaset']);
    expect(syncs['deployment']!.syncs).toBeGreaterThan(0);
    expect(syncs['deployment']!.syncs).toBeLessThanOrEqual(27);
    expect(syncs['replicaset']!.syncs).toBeGreaterThan(0);
    expect(syncs['replicaset']!.syncs).toBeLessThanOrEqual(198);
    expect(syncs['replicaset']!.maxWalked).toBeLessThanOrEqual(200);
    expect(syncs['replicaset']!.walked).toBeLessThanOrEqual(5 * 200);
    expect(json.rows.slice(1).map((r) => r.syncs)).toEqual([{}, {}]);
    expect(output).toContain('syncs (objects walked)');
    expect(output).toMatch(/deployment \d+ \(\d+\), replicaset \d+ \([\d,]+\)/);
    // Exit 0 or 1 depends on the wall clock (the Deployment's 20 s target), never on 2 or 3.
    expect([0, 1]).toContain(code);
  }, 300_000);

  it('stops at the goal: the pods the kubelets ran, counted from the trace', async () => {
    const lines = new Map<ControllersWorkload, string[]>();
    const rows = await runControllersBench({
      ...DEFAULT_CONTROLLERS_BENCH,
      replicas: 60,
      nodes: 6,
      daemonNodes: 7,
      traceSink: (w, line) => {
        if (!line.includes('"k":"kubelet.pod-phase"')) return;
        lines.set(w, [...(lines.get(w) ?? []), line]);
      },
    });
    expect(rows.map((r) => [r.name, r.observed, r.done])).toEqual([
      ['deployment', 60, true],
      ['job', 60, true],
      ['daemonset', 7, true],
    ]);
    expect(podsInPhase(lines.get('deployment') ?? [], 'Running')).toBe(60);
    expect(podsInPhase(lines.get('job') ?? [], 'Succeeded')).toBe(60);
    expect(podsInPhase(lines.get('daemonset') ?? [], 'Running')).toBe(7);
  }, 300_000);

  it('with max-in-flight, counts the 429s each client got, and a ReplicaSet batch with a refused create waits its Retry-After second', async () => {
    const lines: string[] = [];
    const [row] = await runControllersBench({
      ...DEFAULT_CONTROLLERS_BENCH,
      priorityAndFairness: false,
      only: 'deployment',
      replicas: THROTTLED_REPLICAS,
      nodes: THROTTLED_REPLICAS / 10,
      traceSink: (_w, line) => {
        if (line.includes('"k":"api.request"') || line.includes('"k":"rs.create-pods"'))
          lines.push(line);
      },
    });
    expect(row!.done).toBe(true);
    const records = lines.map(
      (l) =>
        JSON.parse(l) as {
          t: number;
          k: string;
          verb?: string;
          path?: string;
          code?: number;
          latencyUs?: number;
          user?: string;
        },
    );
    // The workload's span starts with the Deployment's create (the bench's only one).
    const start = records.findIndex((r) => r.verb === 'POST' && r.path?.endsWith('/deployments'));
    expect(start).toBeGreaterThan(0);
    const refused = records.slice(start).filter((r) => r.code === 429);
    const by = (p: (u: string) => boolean) => refused.filter((r) => p(r.user ?? '')).length;
    expect(row!.throttled).toEqual({
      'controller-manager': by((u) => u.startsWith('system:serviceaccount:kube-system:')),
      scheduler: by((u) => u === 'system:kube-scheduler'),
      kubelets: by((u) => u.startsWith('system:node:')),
      other: 0,
    });
    // At this size the max-in-flight limit (200 writes) is met: the chain that set the 10,000
    // replica bench's virtual time (README, "Below its target") is exercised.
    expect(row!.throttled['controller-manager']).toBeGreaterThan(0);
    const batches = records.filter((r) => r.k === 'rs.create-pods').map((r) => r.t);
    expect(batches.length).toBeGreaterThan(1);
    let waited = 0;
    for (let i = 0; i + 1 < batches.length; i++) {
      const [from, to] = [batches[i]!, batches[i + 1]!];
      const refusedCreate = records.some(
        (r) =>
          r.code === 429 &&
          r.verb === 'POST' &&
          r.path?.endsWith('/pods') === true &&
          r.user?.startsWith('system:serviceaccount:kube-system:') === true &&
          r.t >= from &&
          r.t < to,
      );
      if (!refusedCreate) continue;
      waited++;
      expect(to - from).toBeGreaterThanOrEqual(1_000_000);
    }
    expect(waited).toBeGreaterThan(0);
  }, 600_000);

  it("with priority and fairness, the burst that max-in-flight refused waits in workload-high's queues", async () => {
    const waits: { user: string; queueWaitUs: number; priorityLevel: string }[] = [];
    const [row] = await runControllersBench({
      ...DEFAULT_CONTROLLERS_BENCH,
      only: 'deployment',
      replicas: THROTTLED_REPLICAS,
      nodes: THROTTLED_REPLICAS / 10,
      traceSink: (_w, line) => {
        if (!line.includes('"queueWaitUs"')) return;
        const r = JSON.parse(line) as { user: string; queueWaitUs: number; priorityLevel: string };
        waits.push(r);
      },
    });
    expect(row!.done).toBe(true);
    // The ReplicaSet controller's creates (kube-system service accounts: workload-high, 98 of
    // the 600 seats) queue; none is refused, so no slow-start round loses a Retry-After second.
    expect(row!.throttled).toEqual({
      'controller-manager': 0,
      scheduler: 0,
      kubelets: 0,
      other: 0,
    });
    expect(row!.queued['controller-manager']).toBeGreaterThan(0);
    const controllers = waits.filter((w) =>
      w.user.startsWith('system:serviceaccount:kube-system:'),
    );
    expect(controllers.length).toBeGreaterThan(0);
    expect(new Set(controllers.map((w) => w.priorityLevel))).toEqual(new Set(['workload-high']));
    expect(row!.maxQueueWaitSeconds).toBe(Math.max(...waits.map((w) => w.queueWaitUs)) / 1e6);
  }, 600_000);

  it('refuses an unknown workload with exit code 2', async () => {
    const { code } = await ksim('bench', 'controllers', '--only', 'statefulset');
    expect(code).toBe(2);
  });
});
