import type { CertificateSigningRequest } from '../../api/kinds/certificate-signing-request.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { runWorker } from '../common/worker.ts';

/**
 * certificates.CertificateController (pkg/controller/certificates/certificate_controller.go):
 * the loop the approver and the signer share. Every CertificateSigningRequest added or changed
 * is handled by name; a handler's error requeues it with backoff (an approver whose review
 * said no tries again later, as upstream's ignorable errors do).
 */
export abstract class CsrController implements Controller {
  abstract readonly name: 'csrapproving' | 'csrsigning';
  protected readonly csrs: Informer<'CertificateSigningRequest'>;
  private readonly queue: WorkQueue<string>;

  constructor(
    protected readonly ports: ProcessPorts,
    protected readonly api: ApiClient,
    informers: SharedInformers,
  ) {
    this.queue = new WorkQueue(ports);
    this.csrs = informers.informer('CertificateSigningRequest');
    const enqueue = (csr: CertificateSigningRequest): void =>
      this.queue.add(csr.metadata.name ?? '');
    this.csrs.addEventHandler({ onAdd: enqueue, onUpdate: (_old, csr) => enqueue(csr) });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.csrs]);
    this.ports.spawn(() =>
      runWorker(
        this.queue,
        (name) => {
          const csr = this.csrs.get(name);
          return csr === undefined ? Promise.resolve(undefined) : this.handle(csr);
        },
        (csr, error) =>
          this.ports.trace.debug('csr.sync-error', { controller: this.name, csr, error }),
      ),
    );
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** What failed, or undefined. */
  protected abstract handle(csr: CertificateSigningRequest): Promise<string | undefined>;
}
