/**
 * The pure half of the DaemonSet controller (pkg/controller/daemon/util/daemonset_util.go and
 * NodeShouldRunDaemonPod of daemon_controller.go): which nodes a DaemonSet's pod belongs on,
 * the tolerations every daemon pod gets, the node-name affinity that lets the scheduler place
 * it, and which pods are of the current template.
 */
import { TEMPLATE_GENERATION_ANNOTATION, type DaemonSet } from '../../api/kinds/daemon-set.ts';
import {
  findUntoleratedTaint,
  podMatchesNodeSelectorAndAffinity,
} from '../../api/node-affinity.ts';
import type { Node } from '../../api/node-types.ts';
import type {
  Affinity,
  NodeSelectorRequirement,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Toleration,
} from '../../api/pod-types.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history/controller-history.ts';

export const DAEMON_SET_GVK = { group: 'apps', version: 'v1', kind: 'DaemonSet' } as const;
/** extensions.DaemonSetTemplateGenerationKey: the label of the (deprecated) template generation. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
const MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
const PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/**
 * AddOrUpdateDaemonPodTolerations: a daemon pod stays on a node that is not ready or
 * unreachable (NoExecute, no time limit), and is placed on nodes under disk, memory or PID
 * pressure and on cordoned ones (NoSchedule); a host-network pod also on nodes whose network
 * is not set up yet, since it may be what sets it up.
 */
export function daemonPodTolerations(spec: PodSpec): Toleration[] {
  const added: Toleration[] = [
    { key: NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
    ...(spec.hostNetwork === true
      ? [{ key: NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' } as const]
      : []),
  ];
  let tolerations = [...(spec.tolerations ?? [])];
  for (const t of added) tolerations = addOrUpdateToleration(tolerations, t);
  return tolerations;
}

/**
 * v1helper.AddOrUpdateTolerationInPodSpec: a toleration with the same key, operator, value and
 * effect is replaced (dropping its tolerationSeconds, so it holds forever), otherwise appended.
 */
function addOrUpdateToleration(tolerations: Toleration[], t: Toleration): Toleration[] {
  const same = (o: Toleration) =>
    (o.key ?? '') === (t.key ?? '') &&
    (o.operator ?? 'Equal') === (t.operator ?? 'Equal') &&
    (o.value ?? '') === (t.value ?? '') &&
    (o.effect ?? '') === (t.effect ?? '');
  return tolerations.some(same) ? tolerations.map((o) => (same(o) ? t : o)) : [...tolerations, t];
}

/** NewPod: the pod the DaemonSet would run on `nodeName`, as the eligibility checks see it. */
export function newDaemonPod(ds: DaemonSet, nodeName: string): Pod {
  const template = ds.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, namespace: ds.metadata.namespace ?? 'default' },
    spec: { ...template.spec, nodeName, tolerations: daemonPodTolerations(template.spec) },
  } as Pod;
}

export interface ShouldRun {
  /** A daemon pod should be placed on the node. */
  readonly shouldRun: boolean;
  /** A daemon pod already there may stay (it tolerates the node's NoExecute taints). */
  readonly shouldContinueRunning: boolean;
}

/**
 * NodeShouldRunDaemonPod: a node whose name (spec.nodeName of the template), labels (node
 * selector, required node affinity) or taints rule the pod out gets none; one whose NoSchedule
 * taints alone rule it out keeps a pod already there.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): ShouldRun {
  const name = node.metadata.name ?? '';
  const fixed = ds.spec.template.spec.nodeName;
  if (fixed !== undefined && fixed !== '' && fixed !== name)
    return { shouldRun: false, shouldContinueRunning: false };
  const pod = newDaemonPod(ds, name);
  if (!podMatchesNodeSelectorAndAffinity(pod, node))
    return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  const tolerations = pod.spec.tolerations;
  const blocking = findUntoleratedTaint(
    taints,
    tolerations,
    (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  if (blocking === undefined) return { shouldRun: true, shouldContinueRunning: true };
  const evicting = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
  return { shouldRun: false, shouldContinueRunning: evicting === undefined };
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity narrowed to the
 * one node by a metadata.name field term, in every term (their label expressions kept), so
 * the scheduler can place it nowhere else.
 */
export function nodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const byName: NodeSelectorRequirement = {
    key: 'metadata.name',
    operator: 'In',
    values: [nodeName],
  };
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required?.nodeSelectorTerms ?? [];
  const nodeSelectorTerms =
    terms.length === 0
      ? [{ matchFields: [byName] }]
      : terms.map((t) => ({ ...t, matchFields: [byName] }));
  return {
    ...affinity,
    nodeAffinity: {
      ...affinity?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms },
    },
  };
}

/** GetTargetNodeName: spec.nodeName, or the node the metadata.name affinity names. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    for (const f of t.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1)
        return f.values[0];
    }
  }
  return undefined;
}

/**
 * CreatePodTemplate: the template with the daemon tolerations, the template generation and
 * the current revision's hash as labels.
 */
export function daemonPodTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const t = ds.spec.template;
  const generation = templateGenerationOf(ds);
  return {
    ...t,
    metadata: {
      ...t.metadata,
      labels: {
        ...t.metadata?.labels,
        ...(generation === undefined ? {} : { [TEMPLATE_GENERATION_LABEL]: String(generation) }),
        ...(hash === '' ? {} : { [CONTROLLER_REVISION_HASH_LABEL]: hash }),
      },
    },
    spec: { ...t.spec, tolerations: daemonPodTolerations(t.spec) },
  };
}

/** IsPodUpdated: the pod carries the current hash (or the current template generation). */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels;
  const byGeneration =
    generation !== undefined && labels?.[TEMPLATE_GENERATION_LABEL] === String(generation);
  const byHash = hash !== '' && labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash;
  return byHash || byGeneration;
}

/** podByCreationTimestampAndPhase: scheduled before unscheduled, then oldest first, then by name. */
export function compareByCreationAndPhase(a: Pod, b: Pod): number {
  const sa = (a.spec.nodeName ?? '') !== '';
  const sb = (b.spec.nodeName ?? '') !== '';
  if (sa !== sb) return sa ? -1 : 1;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** GetTemplateGeneration: the deprecated generation annotation, undefined when absent or bad. */
export function templateGenerationOf(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (v === undefined || !/^-?[0-9]+$/.test(v)) return undefined;
  return Number(v);
}
