import type { Event } from '../../api/cluster-types.ts';
import type { GroupVersionKind } from '../../api/meta.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { nameSuffix } from '../../ports/random.ts';

export type EventType = 'Normal' | 'Warning';

/**
 * record.EventRecorder as controllers use it: Events about an object, written in the background
 * so a sync never waits on them, and dropped when the write fails (upstream's broadcaster also
 * gives up after a few tries; Events are best effort). No aggregation of repeats: every call is
 * one Event.
 */
export class EventRecorder {
  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    /** source.component, e.g. "deployment-controller". */
    private readonly component: string,
  ) {}

  event(
    obj: { readonly metadata: ObjectMeta },
    gvk: GroupVersionKind,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    const now = formatTime(this.ports.clock.now());
    const name = obj.metadata.name ?? '';
    const namespace = obj.metadata.namespace ?? 'default';
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${nameSuffix(this.ports.random, 10)}`, namespace },
      involvedObject: {
        apiVersion: gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`,
        kind: gvk.kind,
        namespace,
        name,
        uid: obj.metadata.uid ?? '',
        ...(obj.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: obj.metadata.resourceVersion }),
      },
      reason,
      message,
      type,
      source: { component: this.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.ports.spawn(() => this.api.create(ev));
  }
}
