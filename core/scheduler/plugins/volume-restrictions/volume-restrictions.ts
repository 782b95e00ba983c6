/**
 * VolumeRestrictions (pkg/scheduler/framework/plugins/volumerestrictions), its
 * ReadWriteOncePod half: a claim with that access mode serves one pod in the whole cluster, so
 * a pod whose such claim another pod (scheduled or assumed) already uses is turned down until
 * that pod goes. The inline-disk conflicts (GCE PD, AWS EBS, RBD, iSCSI sources) are not
 * modelled. No PreFilter extensions: preemption does not evict a claim's user to free it.
 */
import type { Pod } from '../../../api/pod-types.ts';
import { podClaimNames } from '../../../api/volume-binding.ts';
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState } from '../../framework/cycle-state.ts';
import type { Handle } from '../../framework/handle.ts';
import type { EnqueueExtensions, PreFilterPlugin } from '../../framework/interface.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { SKIP, Status, type MaybeStatus } from '../../framework/status.ts';
import { VOLUME_RESTRICTIONS } from '../names/names.ts';

export const NAME = VOLUME_RESTRICTIONS;
export const ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT =
  'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

const CONFLICT = Status.unresolvable(ERR_REASON_READ_WRITE_ONCE_POD_CONFLICT).withPlugin(NAME);

export class VolumeRestrictions implements PreFilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  constructor(private readonly handle: Handle) {}

  preFilter(_state: CycleState, pod: PodInfo): MaybeStatus {
    const listers = this.handle.listers.volumes;
    if (listers === undefined || pod.pod.spec.volumes === undefined) return SKIP;
    const names = podClaimNames(pod.pod);
    if (names.length === 0) return SKIP;
    const exclusive = names.filter((n) =>
      (listers.claim(pod.namespace, n)?.spec?.accessModes ?? []).includes('ReadWriteOncePod'),
    );
    if (exclusive.length === 0) return SKIP;
    const wanted = new Set(exclusive);
    for (const nodeInfo of this.handle.snapshot.list()) {
      for (const other of nodeInfo.pods) {
        if (other.key === pod.key || other.namespace !== pod.namespace) continue;
        if (podClaimNames(other.pod).some((n) => wanted.has(n))) return CONFLICT;
      }
    }
    return SKIP;
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      // The claim's other user went away.
      {
        event: { resource: 'AssignedPod', actionType: ActionType.Delete },
        hint: (_pod: Pod, oldObj: unknown) =>
          podClaimNames(oldObj as Pod).length > 0 ? 'Queue' : 'Skip',
      },
      { event: { resource: 'PersistentVolumeClaim', actionType: ActionType.Add } },
    ];
  }
}

export function New(_args: unknown, handle: Handle): VolumeRestrictions {
  return new VolumeRestrictions(handle);
}
