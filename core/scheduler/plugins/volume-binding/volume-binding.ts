/**
 * VolumeBinding (pkg/scheduler/framework/plugins/volumebinding: volume_binding.go, binder.go):
 * a pod's PersistentVolumeClaims decide where it may run. PreFilter sorts them into bound,
 * unbound WaitForFirstConsumer ("delay") and unbound Immediate claims, and turns the pod away
 * while an Immediate claim is unbound (the PV binder must bind it first). Filter checks, per
 * node, that every bound claim's volume is reachable from the node (its node affinity) and that
 * every delay claim gets a matching unbound volume or can be provisioned there. Reserve
 * remembers the choice, so the next pods do not take the same volumes; PreBind writes it (a
 * volume's claimRef, or a claim's selected-node annotation that asks for provisioning) and
 * waits until the PV binder has bound every claim; Unreserve forgets it.
 *
 * The volume-capacity score is behind an alpha feature gate upstream (off), so there is none.
 */
import type { PersistentVolume } from '../../../api/kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from '../../../api/kinds/persistent-volume-claim.ts';
import type { StorageClass } from '../../../api/kinds/storage-class.ts';
import { objectKey } from '../../../api/meta.ts';
import type { Node } from '../../../api/node-types.ts';
import type { Pod } from '../../../api/pod-types.ts';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_SELECTED_NODE,
  claimClass,
  findMatchingVolume,
  isDelayBinding,
  NO_PROVISIONER,
  podClaimNames,
  requestedStorage,
  volumeFitsNode,
} from '../../../api/volume-binding.ts';
import { cmp } from '../../../api/quantity.ts';
import { ActionType, UPDATE, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState, StateData } from '../../framework/cycle-state.ts';
import type { Handle } from '../../framework/handle.ts';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreBindPlugin,
  PreFilterPlugin,
  ReservePlugin,
} from '../../framework/interface.ts';
import type { VolumeListers } from '../../framework/listers.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { SKIP, Status, type MaybeStatus } from '../../framework/status.ts';
import { VOLUME_BINDING } from '../names/names.ts';

export const NAME = VOLUME_BINDING;

export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_REASON_PV_NOT_EXIST =
  'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/** DefaultBindTimeoutSeconds: how long PreBind waits for the PV binder. */
export const BIND_TIMEOUT_US = 600_000_000;
/** checkBindings is polled every second. */
const BIND_POLL_US = 1_000_000;

const STATE_KEY = `PreFilter${NAME}`;

interface StaticBinding {
  readonly volume: PersistentVolume;
  readonly claim: PersistentVolumeClaim;
}

/** What binding a node needs: volumes to pre-bind and claims to provision. */
interface PodVolumes {
  readonly staticBindings: readonly StaticBinding[];
  readonly provisions: readonly PersistentVolumeClaim[];
}

interface VolumeState extends StateData {
  readonly bound: readonly PersistentVolumeClaim[];
  /** Unbound delay claims, smallest request first (byPVCSize). */
  readonly toBind: readonly PersistentVolumeClaim[];
  readonly byNode: Map<string, PodVolumes>;
}

export class VolumeBinding
  implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions
{
  readonly name = NAME;
  /** Volumes reserved for a claim but perhaps not yet pre-bound in the cache (AssumePodVolumes). */
  private readonly assumedVolumes = new Map<string, string>();

  constructor(private readonly handle: Handle) {}

  private get listers(): VolumeListers | undefined {
    return this.handle.listers.volumes;
  }

  preFilter(state: CycleState, pod: PodInfo): MaybeStatus {
    const listers = this.listers;
    if (listers === undefined || pod.pod.spec.volumes === undefined) return SKIP;
    const names = podClaimNames(pod.pod);
    if (names.length === 0) return SKIP;
    const bound: PersistentVolumeClaim[] = [];
    const toBind: PersistentVolumeClaim[] = [];
    let immediate = false;
    for (const name of names) {
      const claim = listers.claim(pod.namespace, name);
      if (claim === undefined) {
        return Status.unresolvable(`persistentvolumeclaim "${name}" not found`);
      }
      if (claim.metadata.deletionTimestamp) {
        return Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      }
      if (fullyBound(claim)) bound.push(claim);
      else if (!claim.spec?.volumeName && isDelayBinding(claim, classOf(listers, claim))) {
        toBind.push(claim);
      } else immediate = true;
    }
    if (immediate) return Status.unresolvable(ERR_UNBOUND_IMMEDIATE);
    toBind.sort((a, b) => {
      const x = requestedStorage(a);
      const y = requestedStorage(b);
      return x === undefined || y === undefined ? 0 : cmp(x, y);
    });
    state.write<VolumeState>(STATE_KEY, { bound, toBind, byNode: new Map() });
    return undefined;
  }

  filter(state: CycleState, _pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const s = state.read<VolumeState>(STATE_KEY);
    const listers = this.listers;
    const node = nodeInfo.node;
    if (s === undefined || listers === undefined || node === undefined) return undefined;
    const reasons: string[] = [];
    for (const claim of s.bound) {
      const volume = listers.volume(claim.spec?.volumeName ?? '');
      if (volume === undefined) {
        reasons.push(ERR_REASON_PV_NOT_EXIST);
        break;
      }
      if (!volumeFitsNode(volume, node)) {
        reasons.push(ERR_REASON_NODE_CONFLICT);
        break;
      }
    }
    const found = this.findPodVolumes(listers, s.toBind, node);
    if (typeof found === 'string') return Status.error(found);
    if (found === undefined) reasons.push(ERR_REASON_BIND_CONFLICT);
    if (reasons.length > 0) return Status.unresolvable(...reasons);
    if (found !== undefined) s.byNode.set(node.metadata.name ?? '', found);
    return undefined;
  }

  /**
   * findMatchingVolumes, then checkVolumeProvisions for what is left: undefined when some
   * claim can neither bind nor be provisioned on the node, a string on a lookup failure.
   */
  private findPodVolumes(
    listers: VolumeListers,
    toBind: readonly PersistentVolumeClaim[],
    node: Node,
  ): PodVolumes | undefined | string {
    const staticBindings: StaticBinding[] = [];
    const provisions: PersistentVolumeClaim[] = [];
    const chosen = new Set(this.assumedVolumes.keys());
    const all = listers.volumes();
    for (const claim of toBind) {
      const volume = findMatchingVolume(claim, all, node, true, chosen);
      if (volume !== undefined) {
        chosen.add(volume.metadata.name ?? '');
        staticBindings.push({ volume, claim });
        continue;
      }
      const className = claimClass(claim);
      const cls = listers.storageClass(className);
      if (cls === undefined) return `failed to find storage class "${className}"`;
      if (!cls.provisioner || cls.provisioner === NO_PROVISIONER) return undefined;
      if (!matchesTopology(cls, node)) return undefined;
      provisions.push(claim);
    }
    return { staticBindings, provisions };
  }

  reserve(state: CycleState, _pod: PodInfo, nodeName: string): MaybeStatus {
    const chosen = state.read<VolumeState>(STATE_KEY)?.byNode.get(nodeName);
    for (const b of chosen?.staticBindings ?? []) {
      this.assumedVolumes.set(b.volume.metadata.name ?? '', claimKey(b.claim));
    }
    return undefined;
  }

  unreserve(state: CycleState, _pod: PodInfo, nodeName: string): void {
    this.forget(state, nodeName);
  }

  private forget(state: CycleState, nodeName: string): void {
    const chosen = state.read<VolumeState>(STATE_KEY)?.byNode.get(nodeName);
    for (const b of chosen?.staticBindings ?? []) {
      const name = b.volume.metadata.name ?? '';
      if (this.assumedVolumes.get(name) === claimKey(b.claim)) this.assumedVolumes.delete(name);
    }
  }

  /** Only pods with claims still to bind wait in PreBind. */
  preBindPreFlight(state: CycleState): MaybeStatus {
    const s = state.read<VolumeState>(STATE_KEY);
    return s === undefined || s.toBind.length === 0 ? SKIP : undefined;
  }

  /** BindPodVolumes: write the bindings, then wait for the PV binder to complete them. */
  async preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<MaybeStatus> {
    const s = state.read<VolumeState>(STATE_KEY);
    const chosen = s?.byNode.get(nodeName);
    const listers = this.listers;
    if (s === undefined || listers === undefined || s.toBind.length === 0) return undefined;
    if (chosen === undefined) return Status.error('no binding decisions for the node');
    const write = this.handle.actions.updateVolumeObject;
    if (write === undefined) return Status.error('volume binding needs an API server');
    try {
      for (const b of chosen.staticBindings) {
        const current = listers.volume(b.volume.metadata.name ?? '') ?? b.volume;
        const failed = await write(preBound(current, b.claim));
        if (failed !== undefined) return failed;
      }
      for (const claim of chosen.provisions) {
        const current = listers.claim(pod.namespace, claim.metadata.name ?? '') ?? claim;
        const failed = await write({
          ...current,
          metadata: {
            ...current.metadata,
            annotations: { ...current.metadata.annotations, [ANN_SELECTED_NODE]: nodeName },
          },
        });
        if (failed !== undefined) return failed;
      }
      return await this.waitForBindings(listers, pod.pod, chosen);
    } finally {
      this.forget(state, nodeName);
    }
  }

  /** checkBindings until every claim of the pod is bound, or the bind timeout. */
  private async waitForBindings(
    listers: VolumeListers,
    pod: Pod,
    chosen: PodVolumes,
  ): Promise<MaybeStatus> {
    const clock = this.handle.clock;
    const deadlineUs = clock.now() + BIND_TIMEOUT_US;
    const provisioned = new Set(chosen.provisions.map((c) => c.metadata.name ?? ''));
    // A claim's annotation counts as reset only once the cache has shown it: right after the
    // write the cache may not have caught up yet.
    const annotated = new Set<string>();
    const namespace = pod.metadata.namespace ?? '';
    while (true) {
      let waiting = false;
      for (const name of podClaimNames(pod)) {
        const claim = listers.claim(namespace, name);
        if (claim === undefined) return Status.error(`pvc "${namespace}/${name}" was deleted`);
        if (provisioned.has(name) && !fullyBound(claim)) {
          const has = claim.metadata.annotations?.[ANN_SELECTED_NODE] !== undefined;
          if (has) annotated.add(name);
          else if (annotated.has(name)) {
            return Status.error(`selectedNode annotation reset for PVC "${name}"`);
          }
        }
        if (!fullyBound(claim)) waiting = true;
      }
      if (!waiting) return undefined;
      if (clock.now() >= deadlineUs) {
        return Status.error('binding volumes: timed out waiting for the condition');
      }
      await clock.sleep(BIND_POLL_US);
    }
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      // A claim bound, created or provisioned; a volume added or freed; a class added.
      { event: { resource: 'PersistentVolumeClaim', actionType: ActionType.Add | UPDATE } },
      { event: { resource: 'PersistentVolume', actionType: ActionType.Add | UPDATE } },
      { event: { resource: 'StorageClass', actionType: ActionType.Add | UPDATE } },
      // Node labels decide node affinity and allowed topologies.
      { event: { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeLabel } },
    ];
  }
}

function claimKey(claim: PersistentVolumeClaim): string {
  return objectKey(claim.metadata.namespace, claim.metadata.name ?? '');
}

function classOf(listers: VolumeListers, claim: PersistentVolumeClaim): StorageClass | undefined {
  const name = claimClass(claim);
  return name === '' ? undefined : listers.storageClass(name);
}

/** isPVCFullyBound: a volume named and the binder's bind-completed annotation. */
function fullyBound(claim: PersistentVolumeClaim): boolean {
  return !!claim.spec?.volumeName && claim.metadata.annotations?.[ANN_BIND_COMPLETED] !== undefined;
}

/** The volume with its claimRef set as the PV binder would (the scheduler's static binding). */
function preBound(volume: PersistentVolume, claim: PersistentVolumeClaim): PersistentVolume {
  return {
    ...volume,
    metadata: {
      ...volume.metadata,
      annotations: { ...volume.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' },
    },
    spec: {
      ...volume.spec,
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: claim.metadata.namespace ?? '',
        name: claim.metadata.name ?? '',
        uid: claim.metadata.uid ?? '',
        resourceVersion: claim.metadata.resourceVersion ?? '',
      },
    },
  };
}

/** MatchTopologySelectorTerms: no terms match every node; terms are ORed, expressions ANDed. */
function matchesTopology(cls: StorageClass, node: Node): boolean {
  const terms = cls.allowedTopologies ?? [];
  if (terms.length === 0) return true;
  const labels = node.metadata.labels ?? {};
  return terms.some((t) =>
    (t.matchLabelExpressions ?? []).every((e) => {
      const v = labels[e.key];
      return v !== undefined && e.values.includes(v);
    }),
  );
}

export function New(_args: unknown, handle: Handle): VolumeBinding {
  return new VolumeBinding(handle);
}
