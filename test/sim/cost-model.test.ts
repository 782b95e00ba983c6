import { describe, expect, it } from 'vitest';
import type { Cpu, CpuWork } from '../../core/ports/cpu.ts';
import type { TraceRecord } from '../../core/trace/types.ts';
import { numFeasibleNodesToFind } from '../../core/scheduler/framework/schedule-pod.ts';
import { workCostUs, type CpuProfile, type WorkCost } from '../../sim/cpu.ts';
import {
  costModelProblems,
  cpuProfiles,
  UPSTREAM_LIKE_COSTS,
  type CostModelSpec,
} from '../../sim/cost-model.ts';
import { runScenario, type RunReport } from '../../sim/scenario/run.ts';
import { runSchedulerBench } from '../../sim/cli/bench/scheduler.ts';
import { DEFAULT_CONTROLLERS_BENCH, runControllersBench } from '../../sim/cli/bench/controllers.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';
import { Simulation } from '../../sim/simulation.ts';
import { SIM_SIGNER } from '../../sim/signer.ts';
import { apiServerPlan, inMemoryStorePlan, schedulerPlan } from '../../core/cluster/assembly.ts';
import { storeMemberName } from '../../core/cluster/identities.ts';
import { runScript } from '../support/cluster.ts';
import { node, pod } from '../core/scheduler/fixtures.ts';
import { SloCollector } from '../../viz/model/slo.ts';

const costs = (over: Partial<Record<CpuWork, WorkCost>>): CpuProfile['costs'] =>
  ({ ...UPSTREAM_LIKE_COSTS, ...over }) as CpuProfile['costs'];

/** A process on `cores` cores that charges `charges` at time 0; when each finished. */
async function finishTimes(cores: number, charges: readonly number[]): Promise<number[]> {
  const sim = new Simulation({ seed: 1 });
  const done: number[] = [];
  const profile: CpuProfile = {
    cores,
    costs: costs({ 'controller.reconcile': { baseUs: 0, perUnitUs: 1 } }),
  };
  sim.spawnProcess(
    'worker',
    (ports) => {
      charges.forEach((units, i) =>
        ports.spawn(async () => {
          await ports.cpu.charge('controller.reconcile', units);
          done[i] = sim.now;
        }),
      );
    },
    profile,
  );
  await sim.run();
  return done;
}

describe('the simulated processor', () => {
  it('runs work first come, first served on its cores, queueing when all are busy', async () => {
    expect(await finishTimes(1, [100, 50, 10])).toEqual([100, 150, 160]);
    // Two cores: the third charge takes the core that frees first (after 50 µs).
    expect(await finishTimes(2, [100, 50, 10])).toEqual([100, 50, 60]);
    expect(await finishTimes(3, [100, 50, 10])).toEqual([100, 50, 10]);
  });

  it('costs base plus units, and free work does not wait at all', async () => {
    expect(workCostUs({ baseUs: 1_000, perUnitUs: 1 }, 460)).toBe(1_460);
    expect(workCostUs({ baseUs: 0, perUnitUs: 80 }, 0.5)).toBe(40);
    expect(() => workCostUs({ baseUs: 1, perUnitUs: 1 }, -1)).toThrow(/units/);
    const sim = new Simulation({ seed: 1 });
    let cpu: Cpu | undefined;
    sim.spawnProcess('free', (ports) => (cpu = ports.cpu));
    expect(cpu?.free).toBe(true);
    expect(cpu?.charge('api.create', 10)).toBeUndefined();
  });

  it("a crashed process's queued work never finishes; the restarted one starts idle", async () => {
    const sim = new Simulation({ seed: 1 });
    const finished: string[] = [];
    const profile: CpuProfile = {
      cores: 1,
      costs: costs({ 'controller.reconcile': { baseUs: 1_000, perUnitUs: 0 } }),
    };
    const proc = sim.spawnProcess(
      'worker',
      (ports) => {
        ports.spawn(async () => {
          await ports.cpu.charge('controller.reconcile', 1);
          finished.push(`${ports.incarnation}@${sim.now}`);
        });
      },
      profile,
    );
    sim.at(500, () => sim.crash('worker'));
    sim.at(600, () => sim.restart('worker'));
    await sim.run();
    expect(finished).toEqual(['2@1600']);
    expect(proc.cpuUsage.charges).toBe(2);
    expect(proc.cpuUsage.busyUs).toBe(2_000);
  });
});

describe('cost models', () => {
  it('zero charges nothing anywhere; upstream-like charges the control plane only', () => {
    const zero = cpuProfiles({ model: 'zero' });
    expect(zero('apiserver')).toBeUndefined();
    const upstream = cpuProfiles({ model: 'upstream-like', cores: { apiserver: 2 } });
    expect(upstream('apiserver')?.cores).toBe(2);
    expect(upstream('scheduler')?.costs['scheduler.attempt']).toEqual(
      UPSTREAM_LIKE_COSTS['scheduler.attempt'],
    );
    expect(upstream('node')).toBeUndefined();
    expect(upstream('metrics-server')).toBeUndefined();
    // zero with one cost set: only that work costs.
    const one = cpuProfiles({ model: 'zero', costs: { 'api.get': { baseUs: 5 } } });
    expect(one('apiserver')?.costs['api.get']).toEqual({ baseUs: 5, perUnitUs: 0 });
    expect(one('apiserver')?.costs['api.create']).toEqual({ baseUs: 0, perUnitUs: 0 });
  });

  it('names what is wrong with a cost model', () => {
    const bad = {
      model: 'fast',
      cores: { node: 2, apiserver: 0 },
      costs: { 'api.frobnicate': {}, 'api.get': { baseUs: -1 } },
    } as unknown as CostModelSpec;
    expect(costModelProblems(bad)).toEqual([
      'costModel.model must be one of zero, upstream-like, got fast',
      'costModel.cores.node: not a charged component (store, apiserver, scheduler, controller-manager)',
      'costModel.cores.apiserver must be a whole number >= 1, got 0',
      expect.stringMatching(/^costModel\.costs\.api\.frobnicate: not a kind of work/),
      'costModel.costs.api.get.baseUs must be a number >= 0, got -1',
    ]);
    expect(() => cpuProfiles(bad)).toThrow(/invalid cost model/);
  });
});

/** A scenario text: `cluster` merged into a small cluster, with `spec` fields. */
function scenario(name: string, cluster: object, spec: object): string {
  return JSON.stringify({
    apiVersion: 'ksim.io/v1alpha1',
    kind: 'Scenario',
    metadata: { name },
    spec: { seed: 1, cluster: { store: { inMemory: true }, ...cluster }, ...spec },
  });
}

interface Observed {
  readonly report: RunReport;
  readonly binds: number[];
  readonly slo: SloCollector;
}

async function observe(text: string, name: string, seed = 1): Promise<Observed> {
  const binds: number[] = [];
  const slo = new SloCollector();
  const report = await runScenario(parseScenario(text, name), {
    seed,
    traceObserver: (r: TraceRecord) => {
      slo.add(r);
      if (r.k === 'scheduler.bind') binds.push(r.t);
    },
  });
  return { report, binds, slo };
}

describe('upstream-like: virtual time follows the work', () => {
  it('schedules 5,000 pods on 500 nodes no faster than the per-attempt cost allows', async () => {
    const nodes = 500;
    const pods = 5_000;
    // The control plane without kubelets (nodes are API objects, as in scheduler_perf), each
    // process on its upstream-like processor.
    const sim = new Simulation({ seed: 1 });
    const cpu = cpuProfiles({ model: 'upstream-like' });
    const access = { signer: SIM_SIGNER, anonymous: true, authorization: 'AlwaysAllow' as const };
    for (const plan of [
      inMemoryStorePlan(storeMemberName(0)),
      apiServerPlan({ access, storeMembers: [storeMemberName(0)] }),
      schedulerPlan({}, SIM_SIGNER),
    ])
      sim.spawnProcess(plan.name, plan.start, cpu(plan.role));
    const binds: number[] = [];
    sim.trace.observe((r) => {
      if (r.k === 'scheduler.bind') binds.push(r.t);
    });
    await runScript(
      sim,
      async (api) => {
        for (let i = 0; i < nodes; i++) {
          const r = await api.create(node(`node-${i}`, { cpu: '64', memory: '256Gi' }));
          expect(r.ok).toBe(true);
        }
        // Many clients at once, so pods wait for the scheduler and not for their creation.
        const creators = 100;
        await Promise.all(
          Array.from({ length: creators }, async (_, c) => {
            for (let i = c; i < pods; i += creators) {
              const { uid: _uid, ...metadata } = pod(`p-${i}`, { cpu: '10m' }).metadata;
              const r = await api.create({ ...pod(`p-${i}`, { cpu: '10m' }), metadata });
              expect(r.ok).toBe(true);
            }
          }),
        );
      },
      { deadlineUs: 60_000_000 },
    );
    await sim.run({ untilUs: sim.now + 60_000_000, stopWhen: () => binds.length === pods });
    expect(binds).toHaveLength(pods);
    const spanUs = (binds.at(-1) as number) - (binds[0] as number);
    const throughput = ((pods - 1) * 1e6) / spanUs;
    // Every attempt filters at least numFeasibleNodesToFind nodes and scores that many, and at
    // most every node twice; one scheduling loop runs the attempts one after another.
    const attempt = UPSTREAM_LIKE_COSTS['scheduler.attempt'];
    const fastest = 1e6 / workCostUs(attempt, 2 * numFeasibleNodesToFind(0, nodes));
    const slowest = 1e6 / workCostUs(attempt, 2 * nodes);
    // Bindings finish a little unevenly after their attempts: 1% slack on the fast side.
    expect(throughput).toBeLessThanOrEqual(fastest * 1.01);
    expect(throughput).toBeGreaterThanOrEqual(slowest * 0.9);
  }, 900_000);

  it('API latency p99 rises with the request rate once the API server is saturated', async () => {
    const patch = UPSTREAM_LIKE_COSTS['api.patch'];
    const p99 = async (costModel: string, perSecond: number): Promise<number> => {
      const text = scenario(
        `api-${costModel}-${perSecond}`,
        { costModel: { model: costModel, cores: { apiserver: 1 } }, nodes: [] },
        { duration: '20s', actions: applies(400, perSecond) },
      );
      const { slo, report } = await observe(text, 'api');
      expect(report.rejections).toEqual([]);
      const row = slo.results().find((r) => r.scope === 'PATCH');
      expect(row?.samples).toBeGreaterThanOrEqual(400);
      return row?.value as number;
    };
    // One core serves a small apply in about the model's base cost: the capacity in applies/s.
    const capacity = 1e6 / workCostUs(patch, 0.5);
    const calm = await p99('upstream-like', capacity / 4);
    const saturated = await p99('upstream-like', capacity * 4);
    // Below capacity an apply waits for little but its own CPU time.
    expect(calm).toBeLessThan(workCostUs(patch, 1) * 10);
    // Over it, 400 applies arrive in a quarter of the time they take: the last waits for most.
    expect(saturated).toBeGreaterThan((400 * 0.5 * 1e6) / capacity);
    // Without a cost model, the same load does not queue.
    const zeroCalm = await p99('zero', capacity / 4);
    const zeroSaturated = await p99('zero', capacity * 4);
    expect(zeroSaturated).toBeLessThan(Math.max(2 * zeroCalm, calm));
  }, 600_000);
});

describe('a scenario names its cost model', () => {
  const text = (costModel: unknown): string =>
    scenario('bad', { costModel, nodes: [] }, { duration: '1s' });

  it('accepts a model by name or with overrides', () => {
    expect(parseScenario(text('upstream-like'), 'ok').spec.cluster.costModel).toBe('upstream-like');
    const over = { model: 'zero', cores: { scheduler: 1 }, costs: { 'api.get': { baseUs: 9 } } };
    expect(parseScenario(text(over), 'ok').spec.cluster.costModel).toEqual(over);
  });

  it.each([
    ['fast', /costModel/],
    [{ model: 'upstream-like', cores: { node: 2 } }, /cores/],
    [{ model: 'upstream-like', cores: { apiserver: 0 } }, /apiserver/],
    [{ model: 'upstream-like', costs: { 'api.get': { baseUs: -1 } } }, /baseUs/],
    [{ model: 'upstream-like', costs: { 'api.frob': {} } }, /api\.frob/],
  ])('refuses %j', (costModel, message) => {
    expect(() => parseScenario(text(costModel), 'bad')).toThrow(message);
  });
});

describe('benchmarks with a cost model', () => {
  it('ksim bench scheduler: virtual pods/s within what the per-attempt cost allows', async () => {
    const nodes = 500;
    const result = await runSchedulerBench(
      new URL('../../scenarios/bench/scheduler/misc/performance-config.yaml', import.meta.url)
        .pathname,
      {
        workload: '^SchedulingBasic/500Nodes$',
        params: { initNodes: nodes, initPods: 100, measurePods: 300 },
        costModel: 'upstream-like',
      },
    );
    const [row] = result.rows;
    expect(row?.measuredPods).toBe(300);
    const attempt = UPSTREAM_LIKE_COSTS['scheduler.attempt'];
    const fastest = 1e6 / workCostUs(attempt, 2 * numFeasibleNodesToFind(0, nodes));
    const slowest = 1e6 / workCostUs(attempt, 2 * nodes);
    expect(row?.virtualPodsPerSecond).toBeLessThanOrEqual(Math.ceil(fastest));
    expect(row?.virtualPodsPerSecond).toBeGreaterThanOrEqual(Math.floor(slowest));
  }, 300_000);

  it('ksim bench controllers: the control plane is charged for its work', async () => {
    const run = (costModel: 'zero' | 'upstream-like') =>
      runControllersBench({
        ...DEFAULT_CONTROLLERS_BENCH,
        only: 'deployment',
        replicas: 200,
        nodes: 10,
        costModel,
      });
    const [zero] = await run('zero');
    const [upstream] = await run('upstream-like');
    expect(zero?.done).toBe(true);
    expect(upstream?.done).toBe(true);
    expect(zero!.cpuSeconds).toEqual({
      store: 0,
      apiserver: 0,
      scheduler: 0,
      'controller-manager': 0,
    });
    // At least one attempt per pod, each filtering and scoring all 10 nodes.
    const attempt = UPSTREAM_LIKE_COSTS['scheduler.attempt'];
    expect(upstream!.cpuSeconds.scheduler).toBeGreaterThanOrEqual(
      (200 * workCostUs(attempt, 20)) / 1e6 - 0.001,
    );
    // Every pod is created and bound through the API server, each write costing its base.
    expect(upstream!.cpuSeconds.apiserver).toBeGreaterThan(
      (400 * UPSTREAM_LIKE_COSTS['api.create'].baseUs) / 1e6,
    );
    expect(upstream!.cpuSeconds['controller-manager']).toBeGreaterThan(0);
    // The in-memory store is not charged (only Raft members are).
    expect(upstream!.cpuSeconds.store).toBe(0);
    expect(upstream!.virtualObjectsPerSecond).toBe(Math.round(200 / upstream!.virtualSeconds));
  }, 300_000);
});

describe('zero: the trace of before', () => {
  it('costModel zero and no cost model give the same trace, byte for byte', async () => {
    const base = {
      nodes: [{ count: 3, capacity: { cpu: '4', memory: '8Gi', pods: '110' } }],
    };
    const spec = { duration: '60s', objects: [replicaSet(5)] };
    const none = await observe(scenario('zero', base, spec), 'zero');
    const zero = await observe(scenario('zero', { ...base, costModel: 'zero' }, spec), 'zero');
    const upstream = await observe(
      scenario('zero', { ...base, costModel: 'upstream-like' }, spec),
      'zero',
    );
    expect(zero.report.traceHash).toBe(none.report.traceHash);
    expect(zero.binds).toEqual(none.binds);
    // The model is really on in the other run: the same pods bind later.
    expect(upstream.report.traceHash).not.toBe(none.report.traceHash);
    expect(upstream.binds).toHaveLength(5);
    expect(upstream.binds.at(-1)).toBeGreaterThan(none.binds.at(-1) as number);
  }, 300_000);
});

function replicaSet(replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'c', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } },
          ],
        },
      },
    },
  };
}

/** `count` server-side applies of ConfigMaps, `perSecond` of them each second from 5 s on. */
function applies(count: number, perSecond: number): object[] {
  return Array.from({ length: count }, (_, i) => ({
    at: `${5_000_000 + Math.round((i * 1e6) / perSecond)}us`,
    apply: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: 'default' },
      data: { value: String(i) },
    },
  }));
}
