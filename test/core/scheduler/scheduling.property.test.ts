/**
 * Properties of the decisions over random clusters and pods (fast-check prints the seed and
 * the shrunk cluster on failure):
 * - a pod is never bound twice;
 * - the summed requests on a node never exceed its allocatable, nor its pod count the pod capacity;
 * - every binding passed every enabled Filter against the snapshot the decision was made on;
 * - preemption only evicts pods of lower priority than the preemptor;
 * - the same seed gives the same decisions.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { podRequestsMillis } from '../../../core/api/pod-helpers.ts';
import { bytes, cpuMillis } from '../../../core/api/resource-list.ts';
import { CycleState } from '../../../core/scheduler/framework/cycle-state.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { makeEngine, node, pod } from './fixtures.ts';

let evictions = 0;

interface NodeSpec {
  cpuMilli: number;
  memMi: number;
  pods: number;
  zone: number;
  tainted: boolean;
  cordoned: boolean;
}

interface PodSpecArb {
  cpuMilli: number;
  memMi: number;
  priority: number;
  tolerates: boolean;
  zone: number | null;
  hostPort: boolean;
  group: number;
  antiAffinity: boolean;
  spread: boolean;
}

const nodeArb = fc.record<NodeSpec>({
  cpuMilli: fc.integer({ min: 500, max: 8000 }),
  memMi: fc.integer({ min: 512, max: 16384 }),
  pods: fc.integer({ min: 1, max: 8 }),
  zone: fc.integer({ min: 0, max: 2 }),
  tainted: fc.boolean(),
  cordoned: fc.constantFrom(false, false, false, true),
});

const podArb = fc.record<PodSpecArb>({
  cpuMilli: fc.integer({ min: 0, max: 3000 }),
  memMi: fc.integer({ min: 0, max: 4096 }),
  priority: fc.constantFrom(0, 0, 10, 20),
  tolerates: fc.boolean(),
  zone: fc.option(fc.integer({ min: 0, max: 2 })),
  hostPort: fc.constantFrom(false, false, false, true),
  group: fc.integer({ min: 0, max: 3 }),
  antiAffinity: fc.constantFrom(false, false, true),
  spread: fc.constantFrom(false, false, true),
});

const scenarioArb = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  nodes: fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
  pods: fc.array(podArb, { minLength: 1, maxLength: 40 }),
});

type Scenario = { seed: number; nodes: NodeSpec[]; pods: PodSpecArb[] };

function buildNode(i: number, s: NodeSpec): Node {
  return node(`n${i}`, {
    cpu: `${s.cpuMilli}m`,
    memory: `${s.memMi}Mi`,
    pods: String(s.pods),
    labels: { 'topology.kubernetes.io/zone': `z${s.zone}` },
    ...(s.tainted
      ? { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' as const }] }
      : {}),
    unschedulable: s.cordoned,
  });
}

function buildPod(i: number, s: PodSpecArb): Pod {
  const labels = { group: `g${s.group}` };
  return pod(`p${i}`, {
    labels,
    ...(s.cpuMilli > 0 ? { cpu: `${s.cpuMilli}m` } : {}),
    ...(s.memMi > 0 ? { memory: `${s.memMi}Mi` } : {}),
    priority: s.priority,
    ...(s.tolerates ? { tolerations: [{ key: 'dedicated', operator: 'Exists' as const }] } : {}),
    ...(s.hostPort ? { hostPort: 8080 } : {}),
    spec: {
      ...(s.zone !== null ? { nodeSelector: { 'topology.kubernetes.io/zone': `z${s.zone}` } } : {}),
      ...(s.antiAffinity
        ? {
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' },
                ],
              },
            },
          }
        : {}),
      ...(s.spread
        ? {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'DoNotSchedule' as const,
                labelSelector: { matchLabels: labels },
              },
            ],
          }
        : {}),
    },
  });
}

/** Runs the scenario; returns the bindings in order. Checks the per-decision properties. */
async function run(sc: Scenario): Promise<string[]> {
  const t = makeEngine(undefined, sc.seed);
  const nodes = sc.nodes.map((s, i) => buildNode(i, s));
  for (const n of nodes) t.engine.onNodeAdd(n);
  const pods = sc.pods.map((s, i) => buildPod(i, s));
  // Two waves, so that later high-priority pods meet nodes filled by earlier low-priority ones.
  const half = Math.ceil(pods.length / 2);
  for (const p of pods.slice(0, half)) t.engine.onPodAdd(p);
  const bound = new Map<string, { pod: Pod; node: string }>();
  const log: string[] = [];

  for (let round = 0; round < 6; round++) {
    if (round === 1) for (const p of pods.slice(half)) t.engine.onPodAdd(p);
    for (;;) {
      const d = t.engine.scheduleOne();
      if (d === undefined) break;
      if (d.kind !== 'assumed') continue;
      const pi = d.qpi.podInfo;
      const host = d.result.suggestedHost;
      // Filters against the snapshot the decision used (not refreshed since).
      const state = new CycleState();
      const pre = d.fwk.runPreFilterPlugins(state, pi);
      expect(pre.status === undefined || pre.status.code === 'Success').toBe(true);
      const ni = t.engine.snapshot.get(host);
      expect(ni).toBeDefined();
      if (ni !== undefined) expect(d.fwk.runFilterPlugins(state, pi, ni)).toBeUndefined();
      const r = await t.engine.runBindingCycle(d);
      expect(r.kind).toBe('bound');
      expect(bound.has(pi.key)).toBe(false);
      const boundPod = { ...pi.pod, spec: { ...pi.pod.spec, nodeName: host } };
      bound.set(pi.key, { pod: boundPod, node: host });
      log.push(`${pi.name}@${host}`);
      t.engine.onPodUpdate(pi.pod, boundPod);
    }
    // Carry out preemptions: victims must be of lower priority; delete them.
    const preempted = t.actions.preempted.splice(0);
    for (const { preemptor, victim } of preempted) {
      expect(victim.spec.priority ?? 0).toBeLessThan(preemptor.spec.priority ?? 0);
      const key = podInfoOf(victim).key;
      if (!bound.has(key)) continue;
      bound.delete(key);
      log.push(`evict ${victim.metadata.name}`);
      evictions++;
      t.engine.onPodDelete(victim);
    }
    checkCapacity(nodes, [...bound.values()]);
    t.clock.advance(10_000_000);
    t.engine.tickSecond();
  }
  expect(new Set(t.actions.binds.map((b) => podInfoOf(b.pod).key)).size).toBe(
    t.actions.binds.length,
  );
  return log;
}

function checkCapacity(
  nodes: readonly Node[],
  placed: readonly { pod: Pod; node: string }[],
): void {
  for (const n of nodes) {
    const name = n.metadata.name ?? '';
    const here = placed.filter((b) => b.node === name);
    const alloc = n.status?.allocatable ?? {};
    expect(here.length).toBeLessThanOrEqual(Number(alloc.pods));
    let cpu = 0;
    let mem = 0;
    for (const b of here) {
      const r = podRequestsMillis(b.pod);
      cpu += r.cpu ?? 0;
      mem += r.memory ?? 0;
    }
    expect(cpu).toBeLessThanOrEqual(cpuMillis(alloc.cpu ?? '0'));
    expect(mem).toBeLessThanOrEqual(bytes(alloc.memory ?? '0'));
  }
}

describe('scheduling decisions', () => {
  test.prop([scenarioArb], { numRuns: 120 })(
    'respect capacity and filters; preemption only evicts lower priority',
    async (sc) => {
      await run(sc);
    },
  );

  test.prop([scenarioArb], { numRuns: 25 })('are a function of the seed', async (sc) => {
    expect(await run(sc)).toEqual(await run(sc));
  });

  it('the generated clusters do exercise preemption', () => {
    expect(evictions).toBeGreaterThan(0);
  });
});
