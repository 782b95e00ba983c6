/**
 * A user's controller, written with @kubernetes/client-node and run as its own process against
 * `ksim serve` (client-node.test.ts starts it): an informer on the ConfigMaps of one namespace
 * labelled `mirror=true`, and for each a reconcile that makes `<name>-mirror` hold the same data
 * (created if missing, replaced when it differs, owned by its source so the garbage collector
 * removes it with the source). It prints one line per change it made.
 *
 * Usage: node --import ./sim/cli/register.mjs mirror-controller.ts <kubeconfig> <namespace>
 */
import * as k8s from '@kubernetes/client-node';

const [kubeconfigPath, namespace] = process.argv.slice(2) as [string, string];
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);

const mirrorName = (source: k8s.V1ConfigMap): string => `${source.metadata?.name}-mirror`;

async function reconcile(source: k8s.V1ConfigMap): Promise<void> {
  const name = mirrorName(source);
  const desired: k8s.V1ConfigMap = {
    metadata: {
      name,
      namespace,
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: source.metadata?.name ?? '',
          uid: source.metadata?.uid ?? '',
        },
      ],
    },
    data: source.data ?? {},
  };
  let current: k8s.V1ConfigMap | undefined;
  try {
    current = await core.readNamespacedConfigMap({ name, namespace });
  } catch (e) {
    if ((e as { code?: number }).code !== 404) throw e;
  }
  if (current === undefined) {
    await core.createNamespacedConfigMap({ namespace, body: desired });
    console.log(`created ${name}`);
  } else if (JSON.stringify(current.data ?? {}) !== JSON.stringify(desired.data)) {
    await core.replaceNamespacedConfigMap({
      name,
      namespace,
      body: {
        ...desired,
        metadata: { ...desired.metadata, resourceVersion: current.metadata?.resourceVersion },
      },
    });
    console.log(`updated ${name}`);
  }
}

const informer = k8s.makeInformer(
  kc,
  `/api/v1/namespaces/${namespace}/configmaps`,
  () => core.listNamespacedConfigMap({ namespace, labelSelector: 'mirror=true' }),
  'mirror=true',
);
const handle = (source: k8s.V1ConfigMap): void => {
  reconcile(source).catch((e: unknown) => console.log(`error ${String(e)}`));
};
informer.on('add', handle);
informer.on('update', handle);
informer.on('error', (e: unknown) => {
  console.log(`informer error ${String(e)}`);
  setTimeout(() => void informer.start(), 1000);
});
await informer.start();
console.log('started');
