import type { Namespace } from '../../api/cluster-types.ts';
import type { ServiceAccount } from '../../api/kinds/service-account.ts';
import { objectKey } from '../../api/meta.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';

/** The service account every namespace gets (DefaultServiceAccountName). */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

/**
 * The ServiceAccounts controller (pkg/controller/serviceaccount/serviceaccounts_controller.go):
 * every active namespace has a `default` ServiceAccount, created when the namespace appears and
 * again whenever it is deleted. One worker, as kube-controller-manager starts it.
 */
export class ServiceAccountsController implements Controller {
  readonly name = 'serviceaccount';
  private readonly namespaces: Informer<'Namespace'>;
  private readonly serviceAccounts: Informer<'ServiceAccount'>;
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
  ) {
    this.queue = new WorkQueue(ports);
    this.namespaces = informers.informer('Namespace');
    this.serviceAccounts = informers.informer('ServiceAccount');
    const enqueue = (ns: Namespace): void => this.queue.add(ns.metadata.name ?? '');
    this.namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
    this.serviceAccounts.addEventHandler({
      onDelete: (sa: ServiceAccount) => {
        if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT)
          this.queue.add(sa.metadata.namespace ?? '');
      },
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.namespaces, this.serviceAccounts]);
    this.ports.spawn(() => this.worker());
  }

  stop(): void {
    this.queue.shutDown();
  }

  private async worker(): Promise<void> {
    while (true) {
      const namespace = await this.queue.get();
      if (namespace === undefined) return;
      const error = await this.syncNamespace(namespace);
      if (error === undefined) this.queue.forget(namespace);
      else {
        this.ports.trace.debug('serviceaccount.sync-error', { namespace, error });
        this.queue.addRateLimited(namespace);
      }
      this.queue.done(namespace);
    }
  }

  /** syncNamespace: what failed, or undefined. */
  private async syncNamespace(namespace: string): Promise<string | undefined> {
    const ns = this.namespaces.get(namespace);
    // Nothing is created in a namespace that is gone or terminating.
    if (ns === undefined || ns.status?.phase !== 'Active') return undefined;
    if (this.serviceAccounts.get(objectKey(namespace, DEFAULT_SERVICE_ACCOUNT)) !== undefined)
      return undefined;
    const r = await this.api.create<ServiceAccount>({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace },
    });
    if (r.ok || r.status === 409) return undefined;
    // A namespace that started terminating meanwhile refuses it: nothing to do.
    if (r.status === 403 && (r.error.message ?? '').includes('because it is being terminated'))
      return undefined;
    return `create ${namespace}/${DEFAULT_SERVICE_ACCOUNT}: ${describeFailure(r)}`;
  }
}
