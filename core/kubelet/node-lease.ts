/**
 * The node lease heartbeat (staging/src/k8s.io/component-helpers/apimachinery/lease/controller.go):
 * every renew interval (10 s, jittered by 4%) the kubelet sets renewTime on the Lease
 * kube-node-lease/<node>, creating it when missing. An update that conflicts re-reads the lease
 * and tries again, up to 5 times; failing to get or create it backs off 200 ms doubling to 7 s.
 */
import type { Lease } from '../api/cluster-types.ts';
import { formatMicroTime } from '../api/time.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { KubeletConfig } from './config.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const MAX_UPDATE_RETRIES = 5;
const ENSURE_BACKOFF_INITIAL_US = 200_000;
const ENSURE_BACKOFF_MAX_US = 7_000_000;

export class NodeLease {
  private lease: Lease | undefined;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly config: KubeletConfig,
    private readonly nodeUid: () => string | undefined,
  ) {}

  start(): void {
    this.ports.spawn(async () => {
      for (;;) {
        if (this.lease === undefined) await this.ensureLease();
        await this.renew();
        const jitter = this.ports.random.float() * this.config.nodeLeaseRenewJitter;
        await this.ports.clock.sleep(
          Math.round(this.config.nodeLeaseRenewIntervalUs * (1 + jitter)),
        );
      }
    });
  }

  /** Gets the lease, or creates it with renewTime now; retries with backoff until it has one. */
  private async ensureLease(): Promise<void> {
    let backoffUs = ENSURE_BACKOFF_INITIAL_US;
    while (this.lease === undefined) {
      const got = await this.api.get('Lease', NODE_LEASE_NAMESPACE, this.config.nodeName);
      if (got.ok) {
        this.lease = got.value;
        return;
      }
      if (got.status === 404) {
        const created = await this.api.create(this.desired(undefined));
        if (created.ok) {
          this.lease = created.value;
          return;
        }
      }
      await this.ports.clock.sleep(backoffUs);
      backoffUs = Math.min(backoffUs * 2, ENSURE_BACKOFF_MAX_US);
    }
  }

  private async renew(): Promise<void> {
    for (let attempt = 0; attempt < MAX_UPDATE_RETRIES && this.lease !== undefined; attempt++) {
      const r = await this.api.update(this.desired(this.lease));
      if (r.ok) {
        this.lease = r.value;
        if (this.ports.trace.debugEnabled) {
          this.ports.trace.debug('kubelet.lease-renewed', { node: this.config.nodeName });
        }
        return;
      }
      if (r.status === 404) {
        this.lease = undefined;
        return;
      }
      if (r.status === 409) {
        const got = await this.api.get('Lease', NODE_LEASE_NAMESPACE, this.config.nodeName);
        this.lease = got.ok ? got.value : undefined;
      }
    }
  }

  private desired(base: Lease | undefined): Lease {
    const uid = this.nodeUid();
    const ownerReferences =
      base?.metadata.ownerReferences ??
      (uid === undefined
        ? undefined
        : [{ apiVersion: 'v1', kind: 'Node', name: this.config.nodeName, uid }]);
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...base?.metadata,
        name: this.config.nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        ...(ownerReferences === undefined ? {} : { ownerReferences }),
      },
      spec: {
        ...base?.spec,
        holderIdentity: this.config.nodeName,
        leaseDurationSeconds: this.config.nodeLeaseDurationSeconds,
        renewTime: formatMicroTime(this.ports.clock.now()),
      },
    };
  }
}
