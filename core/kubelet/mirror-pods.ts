/**
 * The kubelet's mirror pods (pkg/kubelet/pod/mirror_client.go and the static pod steps of
 * kubelet.go SyncPod and HandlePodCleanups): the API server's view of this node's static pods.
 * - sync, after each sync of a static pod: a mirror that is being deleted or carries another
 *   hash is deleted (grace 0, UID precondition); a missing one is created once the Node is
 *   registered, owned by it; a failure (the API server down) is retried at the next sync;
 * - a static pod's status goes to its mirror pod, and to a mirror created later;
 * - a mirror pod no static pod of this kubelet stands for is an orphan and is deleted.
 */
import type { Pod, PodStatus } from '../api/pod-types.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { isMirrorPodOf, mirrorPodFor } from './static-pods.ts';
import type { StatusManager } from './status-manager.ts';

export interface MirrorPodsHost {
  readonly nodeName: string;
  /** The registered Node's UID (the mirrors' owner), once known. */
  nodeUid(): string | undefined;
  /** Something about the static pod changed: sync it. */
  wake(uid: string): void;
}

const keyOf = (pod: Pod): string => `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;

export class MirrorPods {
  /** Static pod UID by "namespace/name". */
  private readonly staticByKey = new Map<string, string>();
  /** The mirror pods the API server has for this node, by "namespace/name". */
  private readonly mirrors = new Map<string, Pod>();
  /** Each static pod's latest status, for a mirror pod created later. */
  private readonly statuses = new Map<string, PodStatus>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly statusManager: StatusManager,
    private readonly host: MirrorPodsHost,
  ) {}

  addStatic(pod: Pod): void {
    this.staticByKey.set(keyOf(pod), pod.metadata.uid ?? '');
  }

  async sync(pod: Pod): Promise<void> {
    const key = keyOf(pod);
    let mirror = this.mirrors.get(key);
    if (
      mirror !== undefined &&
      (mirror.metadata.deletionTimestamp !== undefined || !isMirrorPodOf(mirror, pod))
    ) {
      await this.delete(mirror);
      mirror = undefined;
    }
    if (mirror !== undefined) return;
    const nodeUid = this.host.nodeUid();
    if (nodeUid === undefined) return;
    const created = await this.api.create(
      mirrorPodFor(pod, { name: this.host.nodeName, uid: nodeUid }),
    );
    if (!created.ok) return;
    this.trace(key, 'created');
    this.seen(created.value);
  }

  /** A mirror pod of this node as the API server has it now (informer add or update). */
  seen(mirror: Pod): void {
    const key = keyOf(mirror);
    const known = this.mirrors.get(key);
    if (
      known !== undefined &&
      known.metadata.uid === mirror.metadata.uid &&
      Number(mirror.metadata.resourceVersion) < Number(known.metadata.resourceVersion)
    )
      return;
    this.mirrors.set(key, mirror);
    this.statusManager.podUpdated(mirror);
    const uid = this.staticByKey.get(key);
    if (uid === undefined) {
      this.ports.spawn(() => this.delete(mirror));
      return;
    }
    const status = this.statuses.get(uid);
    const healthy = mirror.metadata.deletionTimestamp === undefined;
    if (healthy && status !== undefined) this.statusManager.setStatus(mirror, status);
    if (!healthy || !this.statusManager.isDesired(mirror)) this.host.wake(uid);
  }

  gone(mirror: Pod): void {
    const key = keyOf(mirror);
    if (this.mirrors.get(key)?.metadata.uid !== mirror.metadata.uid) return;
    this.mirrors.delete(key);
    this.statusManager.forget(mirror.metadata.uid ?? '');
    const uid = this.staticByKey.get(key);
    if (uid !== undefined) this.host.wake(uid);
  }

  /** A static pod's status: kept, and written to its mirror pod if it has a healthy one. */
  setStatus(pod: Pod, status: PodStatus): void {
    this.statuses.set(pod.metadata.uid ?? '', status);
    const mirror = this.mirrors.get(keyOf(pod));
    if (mirror !== undefined && mirror.metadata.deletionTimestamp === undefined)
      this.statusManager.setStatus(mirror, status);
  }

  /** DeleteMirrorPod: grace 0, only that instance (UID precondition). */
  private async delete(mirror: Pod): Promise<void> {
    const r = await this.api.delete('Pod', mirror.metadata.namespace, mirror.metadata.name ?? '', {
      gracePeriodSeconds: 0,
      preconditions: { uid: mirror.metadata.uid ?? '' },
    });
    if (!r.ok && r.status !== 404 && r.status !== 409) return;
    this.trace(keyOf(mirror), 'deleted');
    this.gone(mirror);
  }

  private trace(pod: string, action: 'created' | 'deleted'): void {
    this.ports.trace.emit('kubelet.mirror-pod', { pod, node: this.host.nodeName, action });
  }
}
