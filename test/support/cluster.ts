/**
 * Simulated clusters for tests, built piece by piece from the cluster assembly's plans
 * (core/cluster), so a test runs the same processes, names and identities as `ksim run`:
 * a control plane, then the nodes, scheduler or controller manager the test needs.
 */
import {
  apiServerPlan,
  controllerManagerPlan,
  inMemoryStorePlan,
  metricsServerPlan,
  nodeIdentity,
  nodePlan,
  schedulerPlan,
  storePlans,
  type ClusterHost,
  type NodePool,
  type ProcessPlan,
} from '../../core/cluster/assembly.ts';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import { ADMIN_IDENTITY, API_SERVER, storeMemberName } from '../../core/cluster/identities.ts';
import type { ApiServerOptions } from '../../core/apiserver/server.ts';
import { ApiClient } from '../../core/client/api-client.ts';
import type { ControllerManagerOptions } from '../../core/controllers/manager.ts';
import type { KubeletOptions } from '../../core/kubelet/config.ts';
import type { MetricsServerOptions } from '../../core/metrics-server/metrics-server.ts';
import type { ProcessPorts } from '../../core/ports/process.ts';
import type { Runtime } from '../../core/ports/runtime.ts';
import type { SchedulerOptions } from '../../core/scheduler/scheduler.ts';
import { SIM_HOST, simMachine, type SimMachineOptions } from '../../sim/cluster.ts';
import { SIM_SIGNER } from '../../sim/signer.ts';
import type { SimRuntime } from '../../sim/runtime.ts';
import { Simulation, type SimulationOptions } from '../../sim/simulation.ts';

export interface ControlPlaneOptions extends Partial<SimulationOptions> {
  readonly apiServer?: Omit<ApiServerOptions, 'storeMembers'>;
  /**
   * Authentication and Node,RBAC authorization as a cluster's API server has them. Without it
   * the API server authenticates credentials (so the trace names components) but lets anyone,
   * anonymous requests included, do anything.
   */
  readonly secure?: boolean;
  /** Raft store members ("etcd-0".."etcd-N-1") instead of the single in-memory store. */
  readonly storeMembers?: number;
}

/**
 * A simulation with a single in-memory store ("etcd-0", or `storeMembers` Raft members) and
 * an API server ("apiserver").
 */
export function controlPlane(options: ControlPlaneOptions = {}): Simulation {
  const { apiServer, secure, storeMembers, ...simOptions } = options;
  const sim = new Simulation({ seed: 1, ...simOptions });
  const stores =
    storeMembers === undefined
      ? [inMemoryStorePlan(storeMemberName(0))]
      : storePlans({ members: storeMembers });
  for (const plan of stores) start(sim, plan);
  const access = secure
    ? { signer: SIM_SIGNER, authorization: 'Node,RBAC' as const }
    : { signer: SIM_SIGNER, anonymous: true, authorization: 'AlwaysAllow' as const };
  start(sim, apiServerPlan({ access, ...apiServer, storeMembers: stores.map((p) => p.name) }));
  return sim;
}

/** A client with kubeadm's admin credential (system:masters). */
export function adminClient(ports: ProcessPorts): ApiClient {
  return new ApiClient(ports.transport, API_SERVER, {
    requestTimeoutUs: 10_000_000,
    credential: issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY),
  });
}

export interface TestNode {
  /** Default "node-1". */
  readonly name?: string;
  /** podCIDR defaults to 10.244.1.0/24. */
  readonly kubelet?: Partial<KubeletOptions>;
  readonly runtime?: SimMachineOptions;
  /** Stands between the kubelet and the machine's runtime (to record or disturb calls). */
  readonly wrapRuntime?: (runtime: SimRuntime, ports: ProcessPorts) => Runtime;
  /** kube-proxy settings, or false for a node without one. */
  readonly proxy?: NodePool['proxy'];
}

/** A node process: its simulated machine and its kubelet, as the assembly builds every node. */
export function spawnNode(sim: Simulation, spec: TestNode = {}): string {
  const nodeName = spec.name ?? 'node-1';
  const {
    podCIDR = '10.244.1.0/24',
    internalIP,
    capacity,
    labels,
    ...kubelet
  } = spec.kubelet ?? {};
  // A kubelet without a pod range (podCIDR '') gets one from node IPAM and needs its address.
  const identity =
    internalIP === undefined
      ? nodeIdentity(nodeName, podCIDR)
      : nodeIdentity(nodeName, podCIDR, internalIP);
  const pool = {
    kubelet,
    ...(capacity === undefined ? {} : { capacity }),
    ...(labels === undefined ? {} : { labels }),
    ...(spec.runtime === undefined ? {} : { machine: spec.runtime }),
    ...(spec.proxy === undefined ? {} : { proxy: spec.proxy }),
  };
  const wrap = spec.wrapRuntime;
  const host: ClusterHost<SimMachineOptions> =
    wrap === undefined
      ? SIM_HOST
      : {
          signer: SIM_HOST.signer,
          machine: (ports, node, options) => {
            const machine = simMachine(ports, node, options);
            return { ...machine, runtime: wrap(machine.runtime, ports) };
          },
        };
  start(sim, nodePlan(identity, pool, host));
  return nodeName;
}

export function startScheduler(sim: Simulation, options: SchedulerOptions = {}, name?: string) {
  start(sim, schedulerPlan(options, SIM_SIGNER, name));
}

export function startControllerManager(
  sim: Simulation,
  options: ControllerManagerOptions = {},
  name?: string,
): void {
  start(sim, controllerManagerPlan(options, SIM_SIGNER, name));
}

/**
 * metrics-server; the control plane must aggregate its API
 * (`controlPlane({ apiServer: { aggregated: [METRICS_API] } })`) for clients to reach it.
 */
export function startMetricsServer(
  sim: Simulation,
  options: Partial<MetricsServerOptions> = {},
): void {
  start(sim, metricsServerPlan(options, SIM_SIGNER));
}

function start(sim: Simulation, plan: ProcessPlan): void {
  sim.spawnProcess(plan.name, plan.start);
}

/**
 * Runs `script` in a process named `name` after the API server has had time to start, and
 * resolves when it finishes (or the virtual deadline passes: then it throws).
 */
export async function runScript(
  sim: Simulation,
  script: (api: ApiClient, ports: ProcessPorts) => Promise<void>,
  opts: { name?: string; deadlineUs?: number } = {},
): Promise<void> {
  let done = false;
  sim.spawnProcess(opts.name ?? 'script', (p) =>
    p.spawn(async () => {
      await p.clock.sleep(100_000);
      await script(adminClient(p), p);
      done = true;
    }),
  );
  await sim.run({ untilUs: sim.now + (opts.deadlineUs ?? 600_000_000), stopWhen: () => done });
  if (!done) throw new Error(`script did not finish by virtual time ${sim.now}us`);
}
