/**
 * Bind: POST pods/{name}/binding through the scheduler's effects sink
 * (pkg/scheduler/framework/plugins/defaultbinder/default_binder.go).
 */
import type { CycleState } from '../../framework/cycle-state.ts';
import type { Handle } from '../../framework/handle.ts';
import type { BindPlugin } from '../../framework/interface.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import type { MaybeStatus } from '../../framework/status.ts';
import { DEFAULT_BINDER } from '../names/names.ts';

export const NAME = DEFAULT_BINDER;

export class DefaultBinder implements BindPlugin {
  readonly name = NAME;

  constructor(private readonly handle: Handle) {}

  bind(_state: CycleState, pod: PodInfo, nodeName: string): Promise<MaybeStatus> {
    return this.handle.actions.bind(pod.pod, nodeName);
  }
}

export function New(_args: unknown, handle: Handle): DefaultBinder {
  return new DefaultBinder(handle);
}
