/**
 * A whole cluster in a simulation: the plans of the one cluster assembly (core/cluster), each
 * started as a simulated process, with the simulated machine under every node.
 */
import {
  planCluster,
  type ClusterHost,
  type ClusterLayout,
  type ClusterSpec,
} from '../core/cluster/assembly.ts';
import { SimRuntime, type SimRuntimeOptions } from './runtime.ts';
import type { Simulation } from './simulation.ts';

/** A simulated node's machine options: the container runtime's latencies and faults. */
export type SimMachineOptions = Partial<SimRuntimeOptions>;

export type SimClusterSpec = ClusterSpec<SimMachineOptions>;

/** The simulator's machines: a SimRuntime per node process, on the process's own ports. */
export const SIM_HOST: ClusterHost<SimMachineOptions> = {
  machine: (ports, _node, options) => ({ runtime: new SimRuntime(ports, options) }),
};

/** Starts every process of the cluster now, in the assembly's order. */
export function buildCluster(sim: Simulation, spec: SimClusterSpec): ClusterLayout {
  const plan = planCluster(spec, SIM_HOST);
  for (const p of plan.processes) {
    if (sim.hasProcess(p.name)) throw new Error(`a process named ${p.name} already exists`);
  }
  for (const p of plan.processes) sim.spawnProcess(p.name, p.start);
  return plan.layout;
}
