/**
 * A whole cluster in a simulation: the plans of the one cluster assembly (core/cluster), each
 * started as a simulated process, with the simulated machine under every node.
 */
import {
  planCluster,
  type ClusterHost,
  type ClusterLayout,
  type ClusterSpec,
  type NodeIdentity,
  type NodeMachine,
} from '../core/cluster/assembly.ts';
import type { ProcessPorts } from '../core/ports/process.ts';
import { SimNetfilter } from './netfilter.ts';
import { SIM_SIGNER } from './signer.ts';
import { SimRuntime, type SimRuntimeOptions } from './runtime.ts';
import {
  costModelSpec,
  cpuProfiles,
  type CostModelName,
  type CostModelSpec,
} from './cost-model.ts';
import type { Simulation } from './simulation.ts';

/** A simulated node's machine options: the container runtime's latencies and faults. */
export type SimMachineOptions = Partial<SimRuntimeOptions>;

/**
 * A simulated cluster: the assembly's spec, plus the CPU cost model of its processes (default
 * `zero`: work is free).
 */
export type SimClusterSpec = ClusterSpec<SimMachineOptions> & {
  readonly costModel?: CostModelName | CostModelSpec;
};

/** A simulated node's machine: its container runtime and its packet filter. */
export interface SimMachine extends NodeMachine {
  readonly runtime: SimRuntime;
  readonly netfilter: SimNetfilter;
}

/**
 * Builds a node's machine on the node process's own ports, so a crash of the process loses the
 * containers and the rules, as a machine crash does.
 */
export function simMachine(
  ports: ProcessPorts,
  node: NodeIdentity,
  options: SimMachineOptions | undefined,
): SimMachine {
  const runtime = new SimRuntime(ports, options);
  return {
    runtime,
    netfilter: new SimNetfilter(ports, { localAddresses: [node.internalIP] }),
    probes: runtime,
  };
}

/** The simulator as a cluster host. */
export const SIM_HOST: ClusterHost<SimMachineOptions> = {
  machine: simMachine,
  signer: SIM_SIGNER,
};

/** Starts every process of the cluster now, in the assembly's order. */
export function buildCluster(sim: Simulation, spec: SimClusterSpec): ClusterLayout {
  const plan = planCluster(spec, SIM_HOST);
  const cpu = cpuProfiles(costModelSpec(spec.costModel));
  for (const p of plan.processes) {
    if (sim.hasProcess(p.name)) throw new Error(`a process named ${p.name} already exists`);
  }
  for (const p of plan.processes) sim.spawnProcess(p.name, p.start, cpu(p.role));
  return plan.layout;
}
