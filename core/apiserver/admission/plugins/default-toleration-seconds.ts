/**
 * DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds): a pod that does not
 * say how long it tolerates a not-ready or unreachable node tolerates it for 300 s
 * (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds).
 */
import {
  addDefaultTolerations,
  DEFAULT_NOT_READY_TOLERATION_SECONDS,
} from '../../../api/defaults.ts';
import type { Pod } from '../../../api/pod-types.ts';
import { ADMIT, coreResources, handlesOnly, type AdmissionPlugin } from '../attributes.ts';

export const DEFAULT_TOLERATION_SECONDS = 'DefaultTolerationSeconds';

export function defaultTolerationSeconds(
  seconds: number = DEFAULT_NOT_READY_TOLERATION_SECONDS,
): AdmissionPlugin {
  return {
    name: DEFAULT_TOLERATION_SECONDS,
    resources: coreResources('pods'),
    handles: handlesOnly('CREATE', 'UPDATE'),
    admit: (a) => {
      if (a.resource.group !== '' || a.resource.resource !== 'pods' || a.subresource !== '') {
        return ADMIT;
      }
      if (a.object?.kind !== 'Pod') return ADMIT;
      return { allowed: true, object: addDefaultTolerations(a.object as Pod, seconds) };
    },
  };
}
