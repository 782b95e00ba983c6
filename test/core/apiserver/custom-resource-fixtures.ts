/** A CustomResourceDefinition with most features (Widget in example.com), and its establishment. */
import type { CustomResourceDefinition } from '../../../core/api/kinds/custom-resource-definition.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { ok } from './fixtures.ts';

export const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export function widgetCrd(
  over: Partial<CustomResourceDefinition['spec']> = {},
): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wd'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
          },
          additionalPrinterColumns: [
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'Color', type: 'string', jsonPath: '.spec.color', priority: 1 },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'integer', minimum: 1, maximum: 10 },
                    replicas: { type: 'integer', default: 1 },
                    color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                    name: { type: 'string', pattern: '^[a-z]+$' },
                    port: { 'x-kubernetes-int-or-string': true },
                    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  },
                },
                status: { type: 'object', properties: { replicas: { type: 'integer' } } },
              },
            },
          },
        },
      ],
      ...over,
    } as CustomResourceDefinition['spec'],
  };
}

/** Creates the CRD and waits until the server serves it. */
export async function establish(
  api: ApiClient,
  crd = widgetCrd(),
): Promise<CustomResourceDefinition> {
  ok(await api.request('POST', CRDS, { body: crd }));
  for (let i = 0; i < 50; i++) {
    const got = ok(
      await api.request<CustomResourceDefinition>('GET', `${CRDS}/${crd.metadata.name}`),
    );
    if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
      return got;
    }
    await api.request('GET', '/version');
  }
  throw new Error('CRD never Established');
}
