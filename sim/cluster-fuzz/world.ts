/**
 * A whole simulated world drawn from one seed, as TigerBeetle's VOPR draws one: the cluster's
 * shape (store members, control-plane replicas, nodes and their capacity), a workload of
 * ReplicaSets (each behind a Service) that are scaled and deleted, and a fault schedule (crashes, isolations, clogs,
 * packet loss) over a safety phase; then a heal of everything and a liveness phase at whose end
 * every ReplicaSet must have exactly its replicas Running.
 *
 * The world IS a scenario document (what a scenario YAML file holds), so a failing world, once
 * fast-check has shrunk it, is written as a file `ksim run` reproduces. The generators are
 * fast-check arbitraries: fast-check draws them from the seed and shrinks them.
 */
import fc from 'fast-check';

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

/** What a seed draws; `scenarioOf` turns it into the scenario document. */
export interface World {
  readonly storeMembers: 1 | 3;
  readonly schedulers: number;
  readonly controllerManagers: number;
  readonly nodes: number;
  readonly nodeCpuMillis: number;
  readonly replicaSets: readonly WorldReplicaSet[];
  readonly faults: readonly WorldFault[];
  readonly quota?: WorldQuota;
  /** The safety phase, in virtual seconds; the heal comes at its end. */
  readonly safetyS: number;
  /** The liveness phase: convergence is required by its end. */
  readonly livenessS: number;
}

export interface WorldBounds {
  readonly maxNodes: number;
  readonly maxReplicaSets: number;
  readonly maxReplicas: number;
  readonly maxFaults: number;
  readonly safetyS: number;
  readonly livenessS: number;
}

export const DEFAULT_WORLD_BOUNDS: WorldBounds = {
  maxNodes: 5,
  maxReplicaSets: 3,
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
    .map(({ replicas, cpuMillis, scale, deleteAtS }) => ({
      replicas,
      cpuMillis,
      ...(scale === undefined ? {} : { scaleTo: scale.to, scaleAtS: scale.atS }),
      ...(deleteAtS === undefined ? {} : { deleteAtS }),
    }));
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
      faults: fc.array(faultArbitrary(b.safetyS), { maxLength: b.maxFaults }),
      quota: sometimes(
        1,
        2,
        fc.record({
          pods: fc.integer({ min: 0, max: 1 }),
          liftAtS: fc.integer({ min: 5, max: Math.max(5, b.safetyS - 10) }),
        }),
      ),
    })
    .map(({ quota, faults, ...w }) => ({
      ...w,
      faults: faults.map((f) => resolveFault(f, faultableProcesses(w))),
      ...(quota === undefined ? {} : { quota }),
      nodeCpuMillis: roomyCpu(w.replicaSets, w.nodes),
      safetyS: b.safetyS,
      livenessS: b.livenessS,
    }));
}

/** Cpu per node (whole cores) for twice the largest demand the ReplicaSets can make. */
function roomyCpu(sets: readonly WorldReplicaSet[], nodes: number): number {
  const demand = sets.reduce((n, s) => n + Math.max(s.replicas, s.scaleTo ?? 0) * s.cpuMillis, 0);
  return Math.max(2000, Math.ceil((2 * demand) / nodes / 1000) * 1000);
}

/**
 * Pods per node: just enough for the largest number of pods the ReplicaSets can ask for at
 * once, so that the scheduler fills nodes to their pod limit (pods are all the same size there:
 * nothing fragments, a correct scheduler always fits them).
 */
function tightPods(sets: readonly WorldReplicaSet[], nodes: number): number {
  const most = sets.reduce((n, s) => n + Math.max(s.replicas, s.scaleTo ?? 0), 0);
  return Math.max(1, Math.ceil(most / nodes));
}

const rsName = (i: number): string => `rs-${i}`;

/** The scenario document of a world: what `ksim run` reads from a file. */
export function scenarioOf(w: World, name = 'fuzz-world'): Record<string, unknown> {
  const endS = w.safetyS + w.livenessS;
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
  if (w.quota !== undefined)
    actions.push({
      at: at(w.quota.liftAtS),
      delete: { kind: 'ResourceQuota', namespace: 'default', name: 'pods' },
    });
  const crashed = new Set<string>();
  for (const f of w.faults) actions.push(...faultActions(f, w.safetyS, crashed));
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
              pods: String(tightPods(w.replicaSets, w.nodes)),
            },
          },
        ],
      },
      objects: [
        ...(w.quota === undefined ? [] : [podQuota(w.quota.pods)]),
        ...w.replicaSets.flatMap((rs, i) => [replicaSet(rsName(i), rs), service(rsName(i))]),
      ],
      actions,
      expect: w.replicaSets.map((rs, i) => {
        const want = rs.deleteAtS !== undefined ? 0 : (rs.scaleTo ?? rs.replicas);
        return {
          name: `${rsName(i)} converged to ${want} Running pods after the heal`,
          pods: {
            namespace: 'default',
            labelSelector: `app=${rsName(i)}`,
            phase: 'Running',
            count: want,
          },
        };
      }),
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

function replicaSet(name: string, rs: WorldReplicaSet): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas: rs.replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              resources: { requests: { cpu: `${rs.cpuMillis}m`, memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}
