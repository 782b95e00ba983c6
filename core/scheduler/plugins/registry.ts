/**
 * The in-tree plugin registry (pkg/scheduler/framework/plugins/registry.go): each plugin's
 * factory, the extension points it implements and its args parser.
 */
import type { ExtensionPoint, Registry, RegistryEntry } from '../framework/profile.ts';
import * as DefaultBinder from './default-binder/index.ts';
import * as DefaultPreemption from './default-preemption/index.ts';
import * as ImageLocality from './image-locality/index.ts';
import * as InterPodAffinity from './inter-pod-affinity/index.ts';
import * as names from './names/names.ts';
import * as NodeAffinity from './node-affinity/index.ts';
import * as NodeName from './node-name/index.ts';
import * as NodePorts from './node-ports/index.ts';
import * as BalancedAllocation from './node-resources-balanced-allocation/index.ts';
import * as NodeResourcesFit from './node-resources-fit/index.ts';
import * as NodeUnschedulable from './node-unschedulable/index.ts';
import * as PodTopologySpread from './pod-topology-spread/index.ts';
import * as PrioritySort from './priority-sort/index.ts';
import * as SchedulingGates from './scheduling-gates/index.ts';
import * as TaintToleration from './taint-toleration/index.ts';
import * as VolumeBinding from './volume-binding/index.ts';
import * as VolumeRestrictions from './volume-restrictions/index.ts';

function entry(
  points: readonly ExtensionPoint[],
  factory: RegistryEntry['factory'],
  args?: Pick<RegistryEntry, 'argsKind' | 'parseArgs'>,
): RegistryEntry {
  return { points, factory, ...args };
}

/** Accepted in configurations for compatibility; plugins for what ksim does not model never act. */
const inert: RegistryEntry = entry([], () => ({ name: 'inert' }));

export const IN_TREE_REGISTRY: Registry = new Map<string, RegistryEntry>([
  [names.PRIORITY_SORT, entry(['queueSort'], () => PrioritySort.New())],
  [names.SCHEDULING_GATES, entry(['preEnqueue'], () => SchedulingGates.New())],
  [names.NODE_UNSCHEDULABLE, entry(['filter'], () => NodeUnschedulable.New())],
  [names.NODE_NAME, entry(['preFilter', 'filter'], () => NodeName.New())],
  [names.NODE_PORTS, entry(['preFilter', 'filter'], () => NodePorts.New())],
  [
    names.NODE_AFFINITY,
    entry(['preFilter', 'filter', 'preScore', 'score'], (a) => NodeAffinity.New(a), {
      argsKind: 'NodeAffinityArgs',
      parseArgs: NodeAffinity.parseArgs,
    }),
  ],
  [names.TAINT_TOLERATION, entry(['filter', 'preScore', 'score'], () => TaintToleration.New())],
  [
    names.NODE_RESOURCES_FIT,
    entry(['preFilter', 'filter', 'preScore', 'score'], (a) => NodeResourcesFit.New(a), {
      argsKind: 'NodeResourcesFitArgs',
      parseArgs: NodeResourcesFit.parseFitArgs,
    }),
  ],
  [
    names.NODE_RESOURCES_BALANCED_ALLOCATION,
    entry(['preScore', 'score'], (a) => BalancedAllocation.New(a), {
      argsKind: 'NodeResourcesBalancedAllocationArgs',
      parseArgs: NodeResourcesFit.parseBalancedAllocationArgs,
    }),
  ],
  [names.IMAGE_LOCALITY, entry(['score'], (a, h) => ImageLocality.New(a, h))],
  [
    names.POD_TOPOLOGY_SPREAD,
    entry(['preFilter', 'filter', 'preScore', 'score'], (a, h) => PodTopologySpread.New(a, h), {
      argsKind: 'PodTopologySpreadArgs',
      parseArgs: PodTopologySpread.parsePodTopologySpreadArgs,
    }),
  ],
  [
    names.INTER_POD_AFFINITY,
    entry(['preFilter', 'filter', 'preScore', 'score'], (a, h) => InterPodAffinity.New(a, h), {
      argsKind: 'InterPodAffinityArgs',
      parseArgs: InterPodAffinity.parseInterPodAffinityArgs,
    }),
  ],
  [
    names.DEFAULT_PREEMPTION,
    entry(['postFilter'], (a, h) => DefaultPreemption.New(a, h), {
      argsKind: 'DefaultPreemptionArgs',
      parseArgs: DefaultPreemption.parseDefaultPreemptionArgs,
    }),
  ],
  [names.DEFAULT_BINDER, entry(['bind'], (a, h) => DefaultBinder.New(a, h))],
  [names.VOLUME_RESTRICTIONS, entry(['preFilter'], (a, h) => VolumeRestrictions.New(a, h))],
  [names.NODE_VOLUME_LIMITS, inert],
  [
    names.VOLUME_BINDING,
    entry(['preFilter', 'filter', 'reserve', 'preBind'], (a, h) => VolumeBinding.New(a, h)),
  ],
  [names.VOLUME_ZONE, inert],
  [names.DYNAMIC_RESOURCES, inert],
]);
