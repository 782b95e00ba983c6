import type { Namespace } from '../../api/cluster-types.ts';
import type { ConfigMap } from '../../api/kinds/config-map.ts';
import { objectKey } from '../../api/meta.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { runWorker } from '../common/worker.ts';

/** RootCACertConfigMapName. */
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal ' +
  'endpoints such as the internal service IP or kubernetes.default.svc. No other usage is ' +
  'guaranteed across distributions of Kubernetes clusters.';

/**
 * The root CA certificate publisher (pkg/controller/certificates/rootcacertpublisher): every
 * active namespace holds a `kube-root-ca.crt` ConfigMap whose `ca.crt` is the API server's CA
 * bundle, which pods' projected ServiceAccount volumes mount. A ConfigMap deleted or changed by
 * someone is put back. The bundle is the host's (upstream: --root-ca-file or the controller
 * manager's kubeconfig), so the controller runs only where the cluster has one.
 */
export class RootCaCertPublisher implements Controller {
  readonly name = 'root-ca-cert-publisher';
  private readonly namespaces: Informer<'Namespace'>;
  private readonly configMaps: Informer<'ConfigMap'>;
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly rootCA: string,
  ) {
    this.queue = new WorkQueue(ports);
    this.namespaces = informers.informer('Namespace');
    this.configMaps = informers.informer('ConfigMap');
    this.namespaces.addEventHandler({
      onAdd: (ns: Namespace) => this.queue.add(ns.metadata.name ?? ''),
      onUpdate: (_old, ns: Namespace) => {
        if (ns.status?.phase === 'Active') this.queue.add(ns.metadata.name ?? '');
      },
    });
    const ours = (cm: ConfigMap): void => {
      if (cm.metadata.name === ROOT_CA_CONFIG_MAP) this.queue.add(cm.metadata.namespace ?? '');
    };
    this.configMaps.addEventHandler({ onUpdate: (_old, cm) => ours(cm), onDelete: ours });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.namespaces, this.configMaps]);
    this.ports.spawn(() =>
      runWorker(
        this.queue,
        (namespace) => this.syncNamespace(namespace),
        (namespace, error) =>
          this.ports.trace.debug('root-ca-cert-publisher.sync-error', { namespace, error }),
      ),
    );
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** syncNamespace: what failed, or undefined. */
  private async syncNamespace(namespace: string): Promise<string | undefined> {
    const data = { 'ca.crt': this.rootCA };
    const cm = this.configMaps.get(objectKey(namespace, ROOT_CA_CONFIG_MAP));
    if (cm === undefined) {
      const r = await this.api.create<ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: ROOT_CA_CONFIG_MAP,
          namespace,
          annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION },
        },
        data,
      });
      // Not retried when the namespace is gone or terminating.
      if (r.ok || r.status === 404 || terminating(r)) return undefined;
      return `create ${namespace}/${ROOT_CA_CONFIG_MAP}: ${describeFailure(r)}`;
    }
    const sameData = Object.keys(cm.data ?? {}).length === 1 && cm.data?.['ca.crt'] === this.rootCA;
    if (sameData && (cm.metadata.annotations?.[DESCRIPTION_ANNOTATION] ?? '') !== '') {
      return undefined;
    }
    const r = await this.api.update<ConfigMap>({
      ...cm,
      metadata: {
        ...cm.metadata,
        annotations: { ...cm.metadata.annotations, [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION },
      },
      data,
    });
    return r.ok ? undefined : `update ${namespace}/${ROOT_CA_CONFIG_MAP}: ${describeFailure(r)}`;
  }
}

/** HasStatusCause(err, NamespaceTerminatingCause). */
function terminating(r: {
  ok: false;
  error: { details?: { causes?: readonly { reason?: string }[] } };
}): boolean {
  return (r.error.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}
