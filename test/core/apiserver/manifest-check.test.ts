import { describe, expect, it } from 'vitest';
import { DEFINITIONS, definitionForVersion } from '../../../core/api/kinds/index.ts';
import type { KObject } from '../../../core/api/types.ts';
import { checkManifest, fieldSteps } from '../../../core/apiserver/registry/manifest-check.ts';
import { withApi } from './fixtures.ts';

const deployment = (spec: Record<string, unknown> = {}, cpu = '500m'): KObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }] },
      },
      ...spec,
    },
  }) as unknown as KObject;

/** Manifests of served kinds and versions, each as a strict create answers it. */
const CASES: readonly { name: string; manifest: unknown; problems: readonly unknown[] }[] = [
  {
    name: 'a valid Deployment',
    manifest: deployment({ replicas: 3 }),
    problems: [],
  },
  {
    name: 'negative replicas and a malformed quantity, each at its field',
    manifest: deployment({ replicas: -2 }, '1.5.5'),
    problems: [
      {
        field: ['spec', 'replicas'],
        message: 'Invalid value: -2: must be greater than or equal to 0',
        type: 'FieldValueInvalid',
      },
      {
        field: ['spec', 'template', 'spec', 'containers', 0, 'resources', 'requests', 'cpu'],
        message: expect.stringMatching(/^Invalid value: "1\.5\.5": quantities must match/),
        type: 'FieldValueInvalid',
      },
    ],
  },
  {
    name: 'a misspelled field (strict field validation)',
    manifest: deployment({ replica: 3 }),
    problems: [{ field: ['spec', 'replica'], message: 'unknown field' }],
  },
  {
    name: 'a member of the wrong JSON type, located through list indexes',
    manifest: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 'http' }] }] },
    },
    problems: [
      {
        field: ['spec', 'containers', 0, 'ports', 0, 'containerPort'],
        message: expect.stringMatching(/Pod in version "v1" cannot be handled as a Pod: json: /),
      },
    ],
  },
  {
    name: 'a Pod with a malformed quantity: a decoding error (crashed the QoS class of PrepareForCreate)',
    manifest: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { memory: '1.5.5' } } }] },
    },
    problems: [
      {
        field: [],
        message: `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      },
    ],
  },
  {
    name: 'a Pod without a spec (crashed the API server: defaulting read spec.hostNetwork)',
    manifest: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
    problems: [
      { field: ['spec', 'containers'], message: 'Required value', type: 'FieldValueRequired' },
    ],
  },
  {
    name: 'a Job with generateName: the create names it and gives it a uid before validation',
    manifest: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { generateName: 'pi-' },
      spec: {
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] },
        },
      },
    },
    problems: [],
  },
  {
    name: 'a Service, whose cluster IP the create allocates after this check',
    manifest: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    },
    problems: [],
  },
  {
    name: 'a ClusterRoleBinding without a roleRef (crashed defaulting too)',
    manifest: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
    },
    problems: [
      expect.objectContaining({ field: ['roleRef', 'kind'] }),
      expect.objectContaining({ field: ['roleRef', 'name'] }),
    ],
  },
];

describe('checkManifest: a create checked without a cluster', () => {
  it.each(CASES)('$name', ({ manifest, problems }) => {
    expect(checkManifest(manifest)).toEqual(problems);
  });

  it('names what is served when the kind or its version is not', () => {
    expect(checkManifest({ apiVersion: 'apps/v2', kind: 'Deployment' })).toEqual([
      {
        field: ['apiVersion'],
        message: '"apps/v2" is not a served version of Deployment (served: apps/v1)',
      },
    ]);
    expect(checkManifest({ kind: 'Pod' })).toEqual([
      { field: ['apiVersion'], message: 'apiVersion is required (Pod is served as v1)' },
    ]);
    const [unknown] = checkManifest({ apiVersion: 'example.com/v1', kind: 'Widget' });
    expect(unknown?.field).toEqual(['kind']);
    expect(unknown?.message).toMatch(
      /^kind Widget is not served \(served kinds: Binding, CertificateSigningRequest, ClusterRole, .*Deployment, .*StorageClass, SubjectAccessReview\)$/,
    );
    expect(checkManifest('web')[0]?.message).toMatch(/must be a mapping/);
  });

  it('agrees with a strict create on a running API server', async () => {
    await withApi(async (api) => {
      for (const { name, manifest } of CASES) {
        const m = manifest as KObject;
        const def = definitionForVersion(m.apiVersion, m.kind);
        const r = def?.resource;
        const base = r?.group === '' ? `/api/${r?.version}` : `/apis/${r?.group}/${r?.version}`;
        const path = `${base}${r?.namespaced ? '/namespaces/default' : ''}/${r?.resource}`;
        const created = await api.request('POST', path, {
          body: m,
          query: { fieldValidation: 'Strict' },
        });
        expect(created.ok, `${name}: ${created.ok ? '' : created.error.message}`).toBe(
          checkManifest(m).length === 0,
        );
      }
    });
  });

  it('survives an envelope-only or empty-spec body of every served kind', () => {
    for (const d of DEFINITIONS) {
      const { apiVersion, kind } = d.resource;
      for (const extra of [{}, { spec: {} }, { spec: { template: {} } }]) {
        const m = { apiVersion, kind, metadata: { name: 'x' }, ...extra };
        expect(
          () => checkManifest(m),
          `${apiVersion} ${kind} ${JSON.stringify(extra)}`,
        ).not.toThrow();
      }
    }
  });

  it('reads upstream field paths as steps', () => {
    expect(fieldSteps('spec.containers[0].resources.requests[cpu]')).toEqual([
      'spec',
      'containers',
      0,
      'resources',
      'requests',
      'cpu',
    ]);
    expect(fieldSteps('metadata.labels[app.kubernetes.io/name]')).toEqual([
      'metadata',
      'labels',
      'app.kubernetes.io/name',
    ]);
    expect(fieldSteps('')).toEqual([]);
  });
});
