/**
 * A whole simulated world drawn from one seed, as TigerBeetle's VOPR draws one: the cluster's
 * shape (store members, control-plane replicas, nodes and their capacity), a workload of
 * ReplicaSets (each behind a Service) that are scaled and deleted, other workloads, sometimes a
 * burst of pods beyond the nodes' room under slow and failing bindings, and a fault schedule
 * (crashes, isolations, clogs, packet loss; in some worlds of 3 store members Figure 8 of the
 * Raft paper) over a safety phase; then a heal of everything and a liveness phase at whose end
 * every ReplicaSet must have exactly its replicas Running.
 *
 * The world IS a scenario document (what a scenario YAML file holds), so a failing world, once
 * fast-check has shrunk it, is written as a file `ksim run` reproduces. The generators are
 * fast-check arbitraries: fast-check draws them from the seed and shrinks them.
 */
import fc from 'fast-check';
import { STORE_MEMBER_PREFIX } from '../../core/cluster/identities.ts';
import { BUGGIFY_SITE_NAMES, type BuggifySite } from '../../core/ports/buggify.ts';

/** The faults a world draws, within what the cluster promises to tolerate. */
export type WorldFault =
  | {
      readonly kind: 'crash';
      readonly process: string;
      readonly atS: number;
      readonly forS: number;
    }
  | {
      readonly kind: 'isolate';
      readonly process: string;
      readonly atS: number;
      readonly forS: number;
    }
  | { readonly kind: 'clog'; readonly process: string; readonly atS: number; readonly forS: number }
  | {
      readonly kind: 'loss';
      readonly probability: number;
      readonly atS: number;
      readonly forS: number;
    };

export interface WorldReplicaSet {
  readonly replicas: number;
  readonly cpuMillis: number;
  /** Its containers crash now and then (exit 1), so the kubelet restarts them. */
  readonly crashing?: boolean;
  /** Scaled to this many at `scaleAtS`, if set. */
  readonly scaleTo?: number;
  readonly scaleAtS?: number;
  /** Deleted (background propagation) at this time, if set. */
  readonly deleteAtS?: number;
}

/**
 * A ResourceQuota on the pods of the namespace, deleted at `liftAtS`: until then the
 * ReplicaSets' creates beyond `pods` are refused, a failure path the controllers must recover
 * from once it is lifted.
 */
export interface WorldQuota {
  readonly pods: number;
  readonly liftAtS: number;
}

/** A Deployment, perhaps rolled out (a new image) and scaled during the safety phase. */
export interface WorldDeployment {
  readonly replicas: number;
  readonly cpuMillis: number;
  readonly rolloutAtS?: number;
  readonly scaleTo?: number;
  readonly scaleAtS?: number;
}

/** A StatefulSet (behind its headless Service), perhaps scaled. */
export interface WorldStatefulSet {
  readonly replicas: number;
  readonly cpuMillis: number;
  readonly scaleTo?: number;
  readonly scaleAtS?: number;
}

/** A Job whose pods run `runS` seconds and succeed. */
export interface WorldJob {
  readonly completions: number;
  readonly parallelism: number;
  readonly runS: number;
  readonly cpuMillis: number;
}

/**
 * Scheduler pressure: a burst of pods beyond the room the nodes have (a ReplicaSet `burst`,
 * deleted at `deleteAtS`), while bindings are slow (several in flight at once) and some fail.
 * A scheduler must keep the room of every binding still in flight while the burst's pods wait
 * for room; the buggify sites are on in every world that draws a burst.
 */
export interface WorldBurst {
  readonly replicas: number;
  readonly deleteAtS: number;
  /** How often a binding is slowed (scheduler.bind-slow) and rejected (scheduler.bind-error). */
  readonly bindSlow: number;
  readonly bindError: number;
}

/** What a seed draws; `scenarioOf` turns it into the scenario document. */
export interface World {
  readonly storeMembers: 1 | 3;
  readonly schedulers: number;
  readonly controllerManagers: number;
  readonly nodes: number;
  readonly nodeCpuMillis: number;
  readonly replicaSets: readonly WorldReplicaSet[];
  readonly deployments?: readonly WorldDeployment[];
  readonly statefulSets?: readonly WorldStatefulSet[];
  readonly jobs?: readonly WorldJob[];
  /**
   * A ConfigMap owned by the first two ReplicaSets (there are at least two): deleting one
   * of them must leave it to the other.
   */
  readonly sharedConfigMap?: boolean;
  readonly faults: readonly WorldFault[];
  readonly quota?: WorldQuota;
  readonly burst?: WorldBurst;
  /**
   * The API server's store compaction interval and watch cache size, when not the defaults:
   * small ones make resumes meet compaction and the cache's window (410 Gone, relists).
   */
  readonly compactionS?: number;
  readonly watchCacheSize?: number;
  /**
   * Figure 8 of the Raft paper (a `figure-8` fault) from this time to the end of the safety
   * phase, with every other process cut off beside the old leader: only in worlds of 3 members.
   */
  readonly figureEightAtS?: number;
  /** Buggify sites on in this world, with how often each fires (spec.buggify). */
  readonly buggify?: Readonly<Partial<Record<BuggifySite, number>>>;
  /** The safety phase, in virtual seconds; the heal comes at its end. */
  readonly safetyS: number;
  /** The liveness phase: convergence is required by its end. */
  readonly livenessS: number;
}

export interface WorldBounds {
  readonly maxNodes: number;
  readonly maxReplicaSets: number;
  /** Each of Deployments, StatefulSets and Jobs (default 0: none). */
  readonly maxWorkloads?: number;
  readonly maxReplicas: number;
  readonly maxFaults: number;
  readonly safetyS: number;
  readonly livenessS: number;
}

export const DEFAULT_WORLD_BOUNDS: WorldBounds = {
  maxNodes: 5,
  maxReplicaSets: 3,
  maxWorkloads: 1,
  maxReplicas: 6,
  maxFaults: 6,
  safetyS: 60,
  livenessS: 120,
};

/** The process names a world may fault: everything but the scenario runner. */
export function faultableProcesses(
  w: Pick<World, 'storeMembers' | 'schedulers' | 'controllerManagers' | 'nodes'>,
): string[] {
  const replicas = (base: string, n: number): string[] =>
    n === 1 ? [base] : Array.from({ length: n }, (_, i) => `${base}-${i}`);
  return [
    ...Array.from({ length: w.storeMembers }, (_, i) => `etcd-${i}`),
    'apiserver',
    ...replicas('scheduler', w.schedulers),
    ...replicas('controller-manager', w.controllerManagers),
    ...Array.from({ length: w.nodes }, (_, i) => `node-${i + 1}`),
  ];
}

/**
 * A fault on the process at `target` (an index into faultableProcesses, taken modulo its
 * length): drawn without knowing the cluster's shape, so fast-check shrinks faults and shape
 * independently.
 */
type DrawnFault =
  | (Omit<Extract<WorldFault, { process: string }>, 'process'> & { readonly target: number })
  | Extract<WorldFault, { kind: 'loss' }>;

function faultArbitrary(safetyS: number): fc.Arbitrary<DrawnFault> {
  const target = fc.nat({ max: 63 });
  const atS = fc.integer({ min: 1, max: safetyS - 1 });
  const forS = fc.integer({ min: 1, max: 30 });
  return fc.oneof(
    fc.record({ kind: fc.constant('crash' as const), target, atS, forS }),
    fc.record({ kind: fc.constant('isolate' as const), target, atS, forS }),
    fc.record({ kind: fc.constant('clog' as const), target, atS, forS }),
    fc.record({
      kind: fc.constant('loss' as const),
      probability: fc.constantFrom(0.05, 0.1, 0.2, 0.3),
      atS,
      forS,
    }),
  );
}

function resolveFault(f: DrawnFault, processes: readonly string[]): WorldFault {
  if (f.kind === 'loss') return f;
  const { target, ...rest } = f;
  return { ...rest, process: processes[target % processes.length]! };
}

/** `undefined` `without` times in `without + with`: shrinks towards undefined. */
function sometimes<T>(without: number, withWeight: number, arb: fc.Arbitrary<T>) {
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: without },
    { arbitrary: arb, weight: withWeight },
  );
}

function replicaSetArbitrary(b: WorldBounds): fc.Arbitrary<WorldReplicaSet> {
  return fc
    .record({
      replicas: fc.integer({ min: 1, max: b.maxReplicas }),
      cpuMillis: fc.constantFrom(100, 200, 250, 500),
      crashing: sometimes(3, 1, fc.constant(true as const)),
      scale: sometimes(
        1,
        1,
        fc.record({
          to: fc.integer({ min: 0, max: b.maxReplicas }),
          atS: fc.integer({ min: 5, max: b.safetyS - 1 }),
        }),
      ),
      deleteAtS: sometimes(3, 1, fc.integer({ min: 5, max: b.safetyS - 1 })),
    })
    .map(({ replicas, cpuMillis, crashing, scale, deleteAtS }) => ({
      replicas,
      cpuMillis,
      ...(crashing === undefined ? {} : { crashing }),
      ...(scale === undefined ? {} : { scaleTo: scale.to, scaleAtS: scale.atS }),
      ...(deleteAtS === undefined ? {} : { deleteAtS }),
    }));
}

function scaleArbitrary(b: WorldBounds) {
  return sometimes(
    1,
    1,
    fc.record({
      to: fc.integer({ min: 0, max: b.maxReplicas }),
      atS: fc.integer({ min: 5, max: b.safetyS - 1 }),
    }),
  );
}

function scaled(scale: { to: number; atS: number } | undefined) {
  return scale === undefined ? {} : { scaleTo: scale.to, scaleAtS: scale.atS };
}

function deploymentArbitrary(b: WorldBounds): fc.Arbitrary<WorldDeployment> {
  return fc
    .record({
      replicas: fc.integer({ min: 1, max: b.maxReplicas }),
      cpuMillis: fc.constantFrom(100, 250),
      rolloutAtS: sometimes(1, 2, fc.integer({ min: 5, max: b.safetyS - 1 })),
      scale: scaleArbitrary(b),
    })
    .map(({ replicas, cpuMillis, rolloutAtS, scale }) => ({
      replicas,
      cpuMillis,
      ...(rolloutAtS === undefined ? {} : { rolloutAtS }),
      ...scaled(scale),
    }));
}

function statefulSetArbitrary(b: WorldBounds): fc.Arbitrary<WorldStatefulSet> {
  return fc
    .record({
      replicas: fc.integer({ min: 1, max: b.maxReplicas }),
      cpuMillis: fc.constantFrom(100, 250),
      scale: scaleArbitrary(b),
    })
    .map(({ replicas, cpuMillis, scale }) => ({ replicas, cpuMillis, ...scaled(scale) }));
}

function jobArbitrary(b: WorldBounds): fc.Arbitrary<WorldJob> {
  return fc.record({
    completions: fc.integer({ min: 1, max: b.maxReplicas }),
    parallelism: fc.integer({ min: 1, max: 2 }),
    runS: fc.integer({ min: 1, max: 20 }),
    cpuMillis: fc.constantFrom(100, 250),
  });
}

function burstArbitrary(b: WorldBounds): fc.Arbitrary<WorldBurst> {
  return fc.record({
    replicas: fc.integer({ min: 2, max: b.maxReplicas + 2 }),
    deleteAtS: fc.integer({ min: 10, max: b.safetyS - 1 }),
    bindSlow: fc.constantFrom(0.5, 0.8),
    bindError: fc.constantFrom(0.2, 0.5),
  });
}

/**
 * How often a site fires when on: rarely or often, but a 429 (which costs its client a second)
 * only rarely, or nothing else would happen in the world.
 */
const SITE_PROBABILITIES: Record<BuggifySite, readonly [number, ...number[]]> = {
  'scheduler.bind-error': [0.05, 0.2, 0.5],
  'scheduler.bind-slow': [0.2, 0.5],
  'apiserver.throttle': [0.01, 0.05],
  'apiserver.conflict': [0.05, 0.2],
  'apiserver.watch-early-close': [0.05, 0.2, 0.5],
};

/**
 * Buggify sites: each on in about half the worlds, firing rarely or often. Shrinks towards
 * none, so a shrunk world keeps only the sites its failure needs.
 */
function buggifyArbitrary(): fc.Arbitrary<World['buggify']> {
  return sometimes(
    1,
    2,
    fc
      .record(
        Object.fromEntries(
          BUGGIFY_SITE_NAMES.map((site) => [
            site,
            sometimes(1, 1, fc.constantFrom(...SITE_PROBABILITIES[site])),
          ]),
        ) as Record<BuggifySite, fc.Arbitrary<number | undefined>>,
      )
      .map((sites) => Object.fromEntries(Object.entries(sites).filter(([, p]) => p !== undefined))),
  ).map((b) => (b === undefined || Object.keys(b).length === 0 ? undefined : b));
}

/**
 * Every world of the given bounds. Node capacity is drawn so that every ReplicaSet at its
 * largest fits at most half the cluster's cpu: a correct cluster always converges.
 */
export function worldArbitrary(b: WorldBounds = DEFAULT_WORLD_BOUNDS): fc.Arbitrary<World> {
  return fc
    .record({
      storeMembers: fc.constantFrom(1 as const, 3 as const),
      schedulers: fc.integer({ min: 1, max: 2 }),
      controllerManagers: fc.integer({ min: 1, max: 2 }),
      nodes: fc.integer({ min: 1, max: b.maxNodes }),
      replicaSets: fc.array(replicaSetArbitrary(b), { minLength: 1, maxLength: b.maxReplicaSets }),
      deployments: fc.array(deploymentArbitrary(b), { maxLength: b.maxWorkloads ?? 0 }),
      statefulSets: fc.array(statefulSetArbitrary(b), { maxLength: b.maxWorkloads ?? 0 }),
      jobs: fc.array(jobArbitrary(b), { maxLength: b.maxWorkloads ?? 0 }),
      sharedConfigMap: sometimes(1, 1, fc.constant(true as const)),
      buggify: buggifyArbitrary(),
      compactionS: sometimes(1, 1, fc.constantFrom(10, 30)),
      watchCacheSize: sometimes(1, 1, fc.constantFrom(10, 50)),
      faults: fc.array(faultArbitrary(b.safetyS), { maxLength: b.maxFaults }),
      quota: sometimes(
        1,
        2,
        fc.record({
          pods: fc.integer({ min: 0, max: 1 }),
          liftAtS: fc.integer({ min: 5, max: Math.max(5, b.safetyS - 10) }),
        }),
      ),
      // Drawn last, so that the fields above draw what they drew before it existed.
      burst: sometimes(1, 1, burstArbitrary(b)),
      // The same, after the burst. Its steps take a few election timeouts: it starts in the
      // first half, once the cluster is up.
      figureEightAtS: sometimes(
        FIGURE_EIGHT_WITHOUT,
        1,
        fc.integer({ min: 5, max: Math.max(5, Math.floor(b.safetyS / 2)) }),
      ),
    })
    .map(
      ({
        quota,
        burst,
        figureEightAtS,
        faults,
        deployments,
        statefulSets,
        jobs,
        sharedConfigMap,
        buggify,
        compactionS,
        watchCacheSize,
        ...w
      }) => ({
        ...w,
        ...(compactionS === undefined ? {} : { compactionS }),
        ...(watchCacheSize === undefined ? {} : { watchCacheSize }),
        ...(deployments.length === 0 ? {} : { deployments }),
        ...(statefulSets.length === 0 ? {} : { statefulSets }),
        ...(jobs.length === 0 ? {} : { jobs }),
        ...(sharedConfigMap === true && w.replicaSets.length >= 2 ? { sharedConfigMap } : {}),
        ...(buggify === undefined ? {} : { buggify }),
        faults: faults.map((f) => resolveFault(f, faultableProcesses(w))),
        ...(quota === undefined ? {} : { quota }),
        ...(burst === undefined ? {} : { burst }),
        ...(figureEightAtS === undefined || w.storeMembers !== 3 ? {} : { figureEightAtS }),
        nodeCpuMillis: roomyCpu(
          podSets({ replicaSets: w.replicaSets, deployments, statefulSets, jobs }),
          w.nodes,
        ),
        safetyS: b.safetyS,
        livenessS: b.livenessS,
      }),
    );
}

/** Of the worlds with 3 members, one in FIGURE_EIGHT_WITHOUT + 1 has the Figure 8 shape. */
const FIGURE_EIGHT_WITHOUT = 2;

/** What a workload can ask of the nodes at most: pods of one size. */
interface PodSet {
  readonly replicas: number;
  readonly scaleTo?: number;
  readonly cpuMillis: number;
}

/**
 * Every workload as its largest number of pods at once: a rollout surges by a quarter (25%,
 * rounded up) and a Job's completed pods may still be counted on their nodes.
 */
function podSets(w: {
  readonly replicaSets: readonly WorldReplicaSet[];
  readonly deployments?: readonly WorldDeployment[];
  readonly statefulSets?: readonly WorldStatefulSet[];
  readonly jobs?: readonly WorldJob[];
}): PodSet[] {
  return [
    ...w.replicaSets,
    ...(w.deployments ?? []).map((d) => {
      const most = Math.max(d.replicas, d.scaleTo ?? 0);
      return { replicas: most + Math.ceil(most / 4), cpuMillis: d.cpuMillis };
    }),
    ...(w.statefulSets ?? []),
    ...(w.jobs ?? []).map((j) => ({ replicas: j.completions, cpuMillis: j.cpuMillis })),
  ];
}

/** Cpu per node (whole cores) for twice the largest demand the workloads can make. */
function roomyCpu(sets: readonly PodSet[], nodes: number): number {
  const demand = sets.reduce((n, s) => n + Math.max(s.replicas, s.scaleTo ?? 0) * s.cpuMillis, 0);
  return Math.max(2000, Math.ceil((2 * demand) / nodes / 1000) * 1000);
}

/**
 * Pods per node: just enough for what the workloads ask for at the end (ReplicaSets at their
 * final size, deleted ones at none; the others at their largest). Until a ReplicaSet is
 * deleted or scaled down, pods may wait for room, so the scheduler places pods while others
 * are still being bound; pods are all the same size there (nothing fragments), and a correct
 * scheduler fits them all once the room is there.
 */
function tightPods(w: World): number {
  const final: PodSet[] = w.replicaSets.map((s) => ({
    replicas: s.deleteAtS !== undefined ? 0 : (s.scaleTo ?? s.replicas),
    cpuMillis: s.cpuMillis,
  }));
  const sets = [...final, ...podSets({ ...w, replicaSets: [] })];
  const most = sets.reduce((n, s) => n + Math.max(s.replicas, s.scaleTo ?? 0), 0);
  return Math.max(1, Math.ceil(most / w.nodes));
}

const rsName = (i: number): string => `rs-${i}`;

/** The burst's ReplicaSet: its pods wait for room the other workloads hold until it goes. */
const BURST = 'burst';
const BURST_CPU_MILLIS = 100;

/** The world's buggify sites: those drawn, and the scheduler's under a burst. */
export function worldBuggify(w: World): World['buggify'] {
  if (w.burst === undefined) return w.buggify;
  return {
    ...w.buggify,
    'scheduler.bind-slow': w.burst.bindSlow,
    'scheduler.bind-error': w.burst.bindError,
  };
}

/** The scenario document of a world: what `ksim run` reads from a file. */
export function scenarioOf(w: World, name = 'fuzz-world'): Record<string, unknown> {
  const endS = w.safetyS + w.livenessS;
  const buggify = worldBuggify(w);
  const at = (s: number): string => `${s}s`;
  const actions: Record<string, unknown>[] = [];
  w.replicaSets.forEach((rs, i) => {
    if (rs.scaleAtS !== undefined && rs.scaleTo !== undefined)
      actions.push({
        at: at(rs.scaleAtS),
        scale: { kind: 'ReplicaSet', namespace: 'default', name: rsName(i), replicas: rs.scaleTo },
      });
    if (rs.deleteAtS !== undefined)
      actions.push({
        at: at(rs.deleteAtS),
        delete: {
          kind: 'ReplicaSet',
          namespace: 'default',
          name: rsName(i),
          propagationPolicy: 'Background',
        },
      });
  });
  actions.push(...workloadActions(w));
  if (w.burst !== undefined)
    actions.push({
      at: at(w.burst.deleteAtS),
      delete: {
        kind: 'ReplicaSet',
        namespace: 'default',
        name: BURST,
        propagationPolicy: 'Background',
      },
    });
  if (w.quota !== undefined)
    actions.push({
      at: at(w.quota.liftAtS),
      delete: { kind: 'ResourceQuota', namespace: 'default', name: 'pods' },
    });
  const crashed = new Set<string>();
  for (const f of w.faults) actions.push(...faultActions(f, w.safetyS, crashed));
  if (w.figureEightAtS !== undefined)
    actions.push({
      at: at(w.figureEightAtS),
      fault: {
        kind: 'figure-8',
        // Every writer with the old leader: the API server, and its clients too (the
        // components and the kubelets write through it), so the old leader appends entries.
        clients: faultableProcesses(w).filter((p) => !p.startsWith(STORE_MEMBER_PREFIX)),
        duration: at(w.safetyS - w.figureEightAtS),
      },
    });
  // The heal: every network fault ends, the link is the default again, every crashed process
  // comes back.
  actions.push({ at: at(w.safetyS), fault: { kind: 'heal' } });
  actions.push({ at: at(w.safetyS), fault: { kind: 'link', lossProbability: 0 } });
  for (const p of [...crashed].sort())
    actions.push({ at: at(w.safetyS), fault: { kind: 'restart', process: p } });
  actions.sort((a, b) => parseInt(a.at as string) - parseInt(b.at as string));
  return {
    apiVersion: 'ksim.io/v1alpha1',
    kind: 'Scenario',
    metadata: {
      name,
      description: `A fuzzed world: safety phase of ${w.safetyS}s under faults, heal, then ${w.livenessS}s to converge.`,
    },
    spec: {
      duration: at(endS),
      cluster: {
        store: { members: w.storeMembers },
        ...(w.compactionS === undefined && w.watchCacheSize === undefined
          ? {}
          : {
              apiServer: {
                ...(w.compactionS === undefined ? {} : { compactionInterval: `${w.compactionS}s` }),
                ...(w.watchCacheSize === undefined ? {} : { watchCacheSize: w.watchCacheSize }),
              },
            }),
        ...(w.schedulers > 1 || w.controllerManagers > 1
          ? { controlPlane: { schedulers: w.schedulers, controllerManagers: w.controllerManagers } }
          : {}),
        nodes: [
          {
            namePrefix: 'node',
            count: w.nodes,
            capacity: {
              cpu: `${w.nodeCpuMillis}m`,
              memory: '16Gi',
              pods: String(tightPods(w)),
            },
          },
        ],
      },
      objects: [
        ...(w.quota === undefined ? [] : [podQuota(w.quota.pods)]),
        ...w.replicaSets.flatMap((rs, i) => [replicaSet(rsName(i), rs), service(rsName(i))]),
        ...(w.burst === undefined
          ? []
          : [replicaSet(BURST, { replicas: w.burst.replicas, cpuMillis: BURST_CPU_MILLIS })]),
        ...(w.sharedConfigMap === true ? [sharedConfigMap()] : []),
        ...workloadObjects(w),
      ],
      actions,
      expect: [
        ...w.replicaSets.map((rs, i) => {
          const want = rs.deleteAtS !== undefined ? 0 : (rs.scaleTo ?? rs.replicas);
          return workloadExpectation('ReplicaSet', rsName(i), want);
        }),
        ...workloadExpectations(w),
        ...(w.burst === undefined ? [] : [workloadExpectation('ReplicaSet', BURST, 0)]),
      ],
      ...(buggify === undefined ? {} : { buggify }),
    },
  };
}

function faultActions(
  f: WorldFault,
  safetyS: number,
  crashed: Set<string>,
): Record<string, unknown>[] {
  const at = (s: number): string => `${s}s`;
  const endS = f.atS + f.forS;
  switch (f.kind) {
    case 'crash': {
      // Restarted after its time or at the heal, whichever is first (a restart of a running
      // process does nothing, so the heal restarts every process that ever crashed).
      crashed.add(f.process);
      return [
        { at: at(f.atS), fault: { kind: 'crash', process: f.process } },
        ...(endS < safetyS
          ? [{ at: at(endS), fault: { kind: 'restart', process: f.process } }]
          : []),
      ];
    }
    case 'isolate':
      // Heal ends every isolation at once; an isolation that would outlast the safety phase
      // ends at the heal.
      return [
        { at: at(f.atS), fault: { kind: 'isolate', process: f.process } },
        ...(endS < safetyS ? [{ at: at(endS), fault: { kind: 'heal' } }] : []),
      ];
    case 'clog':
      return [
        {
          at: at(f.atS),
          fault: {
            kind: 'clog',
            process: f.process,
            duration: at(Math.min(f.forS, safetyS - f.atS)),
          },
        },
      ];
    case 'loss':
      return [
        { at: at(f.atS), fault: { kind: 'link', lossProbability: f.probability } },
        ...(endS < safetyS ? [{ at: at(endS), fault: { kind: 'link', lossProbability: 0 } }] : []),
      ];
  }
}

const deployName = (i: number): string => `deploy-${i}`;
const stsName = (i: number): string => `sts-${i}`;
const jobName = (i: number): string => `job-${i}`;

function workloadObjects(w: World): Record<string, unknown>[] {
  return [
    ...(w.deployments ?? []).map((d, i) => deployment(deployName(i), d)),
    ...(w.statefulSets ?? []).flatMap((st, i) => [
      headlessService(stsName(i)),
      statefulSet(stsName(i), st),
    ]),
    ...(w.jobs ?? []).map((j, i) => job(jobName(i), j)),
  ];
}

/** Rollouts (a new image through a strategic merge patch) and scales during the safety phase. */
function workloadActions(w: World): Record<string, unknown>[] {
  const at = (s: number): string => `${s}s`;
  const scale = (kind: string, name: string, to: number, atS: number) => ({
    at: at(atS),
    scale: { kind, namespace: 'default', name, replicas: to },
  });
  const actions: Record<string, unknown>[] = [];
  (w.deployments ?? []).forEach((d, i) => {
    if (d.rolloutAtS !== undefined)
      actions.push({
        at: at(d.rolloutAtS),
        patch: {
          kind: 'Deployment',
          namespace: 'default',
          name: deployName(i),
          patch: {
            spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } },
          },
        },
      });
    if (d.scaleTo !== undefined && d.scaleAtS !== undefined)
      actions.push(scale('Deployment', deployName(i), d.scaleTo, d.scaleAtS));
  });
  // The scale action knows ReplicaSets and Deployments: a StatefulSet is scaled by a patch.
  (w.statefulSets ?? []).forEach((st, i) => {
    if (st.scaleTo !== undefined && st.scaleAtS !== undefined)
      actions.push({
        at: at(st.scaleAtS),
        patch: {
          kind: 'StatefulSet',
          namespace: 'default',
          name: stsName(i),
          patch: { spec: { replicas: st.scaleTo } },
        },
      });
  });
  return actions;
}

function workloadExpectations(w: World): Record<string, unknown>[] {
  return [
    ...(w.deployments ?? []).map((d, i) =>
      workloadExpectation('Deployment', deployName(i), d.scaleTo ?? d.replicas),
    ),
    ...(w.statefulSets ?? []).map((st, i) =>
      workloadExpectation('StatefulSet', stsName(i), st.scaleTo ?? st.replicas),
    ),
    ...(w.jobs ?? []).map((j, i) => workloadExpectation('Job', jobName(i), j.completions)),
  ];
}

type WorkloadKind = 'ReplicaSet' | 'Deployment' | 'StatefulSet' | 'Job';

/**
 * What a workload must have reached by the end of the liveness phase: `count` Running pods
 * (labelled app=name), or for a Job its `count` completions (its Complete condition).
 */
function workloadExpectation(kind: WorkloadKind, name: string, count: number) {
  if (kind === 'Job')
    return {
      name: `${name} complete (${count} completions) after the heal`,
      eventually: { condition: { kind, namespace: 'default', name, condition: 'Complete' } },
    };
  return {
    name: `${name} converged to ${count} Running pods after the heal`,
    pods: { namespace: 'default', labelSelector: `app=${name}`, phase: 'Running', count },
  };
}

function podSpec(cpuMillis: number, env?: Record<string, string>): Record<string, unknown> {
  return {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        resources: { requests: { cpu: `${cpuMillis}m`, memory: '64Mi' } },
        ...(env === undefined
          ? {}
          : { env: Object.entries(env).map(([name, value]) => ({ name, value })) }),
      },
    ],
  };
}

function deployment(name: string, d: WorldDeployment): Record<string, unknown> {
  return replicated('Deployment', name, d.replicas, podSpec(d.cpuMillis));
}

/** A Deployment or ReplicaSet of `replicas` pods labelled app=`name`, in default. */
function replicated(
  kind: 'Deployment' | 'ReplicaSet',
  name: string,
  replicas: number,
  pod: ReturnType<typeof podSpec>,
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: pod },
    },
  };
}

function headlessService(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: name }, ports: [{ port: 80, targetPort: 80 }] },
  };
}

function statefulSet(name: string, st: WorldStatefulSet): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas: st.replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec(st.cpuMillis) },
    },
  };
}

function job(name: string, j: WorldJob): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      completions: j.completions,
      parallelism: j.parallelism,
      backoffLimit: 100,
      template: {
        spec: {
          ...podSpec(j.cpuMillis, { KSIM_EXIT_AFTER_SECONDS: String(j.runS) }),
          restartPolicy: 'OnFailure',
        },
      },
    },
  };
}

/**
 * A ConfigMap owned by rs-0 and rs-1. The runner fills in the owners' uids at creation (an
 * ownerReference without a uid names its owner by kind and name in a scenario).
 */
function sharedConfigMap(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'shared',
      namespace: 'default',
      ownerReferences: [0, 1].map((i) => ({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: rsName(i),
      })),
    },
    data: { owners: `${rsName(0)},${rsName(1)}` },
  };
}

function podQuota(pods: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'pods', namespace: 'default' },
    spec: { hard: { pods: String(pods) } },
  };
}

/** A ClusterIP Service over a ReplicaSet's pods: kube-proxy on every node routes to them. */
function service(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 80 }] },
  };
}

/** One crash (exit 1) in 10 s of running, on average every 30 s. */
const CRASHING_ENV = { KSIM_CRASH_PROBABILITY: '0.3', KSIM_CRASH_INTERVAL_SECONDS: '10' };

function replicaSet(name: string, rs: WorldReplicaSet): Record<string, unknown> {
  const env = rs.crashing === true ? CRASHING_ENV : undefined;
  return replicated('ReplicaSet', name, rs.replicas, podSpec(rs.cpuMillis, env));
}
