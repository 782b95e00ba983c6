import type { Namespace } from '../../api/cluster-types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { NamespacedResourcesDeleter } from './namespaced-resources-deleter.ts';

export interface NamespaceControllerOptions {
  /** --concurrent-namespace-syncs. */
  readonly workers: number;
}

export const DEFAULT_NAMESPACE_CONTROLLER: NamespaceControllerOptions = { workers: 10 };

/** nsControllerRateLimiter's per-item part: 5 ms doubling to 60 s. */
const BASE_DELAY_US = 5_000;
const MAX_DELAY_US = 60_000_000;

/**
 * The namespace controller (pkg/controller/namespace/namespace_controller.go): a namespace
 * marked for deletion is emptied and then finalized. While content remains (pods within their
 * grace period, objects held by finalizers) it looks again after half the estimate plus a
 * second; a failure is retried with backoff.
 */
export class NamespaceController implements Controller {
  readonly name = 'namespace';
  private readonly informer: Informer<'Namespace'>;
  private readonly queue: WorkQueue<string>;
  private readonly deleter: NamespacedResourcesDeleter;

  constructor(
    private readonly ports: ProcessPorts,
    api: ApiClient,
    informers: SharedInformers,
    private readonly options: NamespaceControllerOptions = DEFAULT_NAMESPACE_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports, BASE_DELAY_US, MAX_DELAY_US);
    this.deleter = new NamespacedResourcesDeleter(api, () => ports.clock.now());
    this.informer = informers.informer('Namespace');
    const enqueue = (ns: Namespace): void => {
      if (ns.metadata.deletionTimestamp !== undefined) this.queue.add(ns.metadata.name ?? '');
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.informer]);
    for (let i = 0; i < this.options.workers; i++) this.ports.spawn(() => this.worker());
  }

  stop(): void {
    this.queue.shutDown();
  }

  private async worker(): Promise<void> {
    while (true) {
      const name = await this.queue.get();
      if (name === undefined) return;
      const r = await this.deleter.delete(name);
      switch (r.kind) {
        case 'done':
          this.queue.forget(name);
          if (r.finalized) this.ports.trace.emit('namespace.finalized', { namespace: name });
          break;
        case 'remaining':
          this.queue.forget(name);
          this.queue.addAfter(name, (Math.floor(r.estimateSeconds / 2) + 1) * 1_000_000);
          break;
        case 'error':
          this.ports.trace.debug('namespace.sync-error', { namespace: name, error: r.message });
          this.queue.addRateLimited(name);
          break;
      }
      this.queue.done(name);
    }
  }
}
