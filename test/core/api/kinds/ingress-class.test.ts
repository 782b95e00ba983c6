import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  INGRESS_CLASS,
  validateIngressClass,
  validateIngressClassUpdate,
  type IngressClass,
} from '../../../../core/api/kinds/ingress-class.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

type Spec = NonNullable<IngressClass['spec']>;

const ic = (spec: Spec = { controller: 'k8s.io/ingress-nginx' }): IngressClass => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name: 'nginx' },
  spec,
});

const errors = (errs: readonly FieldError[]) => errs.map(formatFieldError);
const validate = (spec: Spec) => errors(validateIngressClass(INGRESS_CLASS.defaults(ic(spec))));
const controller = 'k8s.io/ingress-nginx';

describe('IngressClass validation (pkg/apis/networking/validation)', () => {
  it.each([
    ['a controller alone', { controller }, []],
    [
      'cluster-scoped parameters (the default scope)',
      {
        controller,
        parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' },
      },
      [],
    ],
    [
      'namespaced parameters',
      {
        controller,
        parameters: { kind: 'ConfigMap', name: 'p', scope: 'Namespace', namespace: 'ingress' },
      },
      [],
    ],
    ['no controller', {}, ['spec.controller: Required value']],
    [
      'a controller without a domain',
      { controller: 'nginx' },
      [
        'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
      ],
    ],
    [
      'a controller with an upper-case domain',
      { controller: 'K8s.io/nginx' },
      [
        "spec.controller: Invalid value: \"K8s.io\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    [
      'a controller path with a space',
      { controller: 'k8s.io/ingress nginx' },
      [
        "spec.controller: Invalid value: \"ingress nginx\": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')",
      ],
    ],
    [
      'a controller over 250 characters',
      { controller: `k8s.io/${'x'.repeat(250)}` },
      ['spec.controller: Too long: must have at most 250 bytes'],
    ],
    [
      'parameters without a kind, a name with a slash, a bad API group',
      { controller, parameters: { apiGroup: 'K8s', kind: '', name: 'a/b' } },
      [
        "spec.parameters.apiGroup: Invalid value: \"K8s\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        'spec.parameters.kind: Required value',
        'spec.parameters.name: Invalid value: "a/b": may not contain \'/\'',
      ],
    ],
    [
      'a namespace scope without a namespace',
      { controller, parameters: { kind: 'ConfigMap', name: 'p', scope: 'Namespace' } },
      ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"],
    ],
    [
      'a cluster scope with a namespace',
      {
        controller,
        parameters: { kind: 'ConfigMap', name: 'p', scope: 'Cluster', namespace: 'x' },
      },
      ["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"],
    ],
    [
      'an unknown scope',
      { controller, parameters: { kind: 'ConfigMap', name: 'p', scope: 'Global' } },
      [
        'spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"',
      ],
    ],
  ] as const)('%s', (_name, spec, expected) => {
    expect(validate(spec as Spec)).toEqual(expected);
  });

  it('defaults the scope of parameters to Cluster', () => {
    const obj = INGRESS_CLASS.defaults(ic({ controller, parameters: { kind: 'K', name: 'p' } }));
    expect(obj.spec?.parameters?.scope).toBe('Cluster');
    expect(INGRESS_CLASS.defaults(ic())).toEqual(ic());
  });

  it('keeps the controller immutable and revalidates the rest', () => {
    const old = ic();
    expect(
      validateIngressClassUpdate(
        ic({ controller, parameters: { kind: 'K', name: 'p', scope: 'Cluster' } }),
        old,
      ),
    ).toEqual([]);
    expect(
      errors(validateIngressClassUpdate(ic({ controller: 'example.com/other' }), old)),
    ).toEqual(['spec.controller: Invalid value: "example.com/other": field is immutable']);
  });

  it('prints Name, Controller, Parameters (Kind.group/name) and Age', () => {
    expect(INGRESS_CLASS.table.map((c) => c.name)).toEqual([
      'Name',
      'Controller',
      'Parameters',
      'Age',
    ]);
    const cells = (obj: IngressClass) => INGRESS_CLASS.table.slice(0, 3).map((c) => c.cell(obj, 0));
    expect(cells(ic())).toEqual(['nginx', controller, '<none>']);
    expect(
      cells(
        ic({
          controller,
          parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' },
        }),
      ),
    ).toEqual(['nginx', controller, 'IngressParameters.k8s.example.com/p']);
    expect(cells(ic({ controller, parameters: { kind: 'ConfigMap', name: 'p' } }))[2]).toBe(
      'ConfigMap/p',
    );
  });

  it('is served by the API server: defaulted, 422 on a controller change', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const created = await api.create(
        ic({ controller, parameters: { kind: 'ConfigMap', name: 'p' } }),
      );
      if (!created.ok) throw new Error(created.error.message);
      expect(created.value.spec?.parameters?.scope).toBe('Cluster');
      expect(created.value.metadata.generation).toBe(1);
      const changed = await api.update({ ...created.value, spec: { controller: 'example.com/x' } });
      expect(changed.ok ? '' : changed.error.message).toBe(
        'IngressClass.networking.k8s.io "nginx" is invalid: spec.controller: Invalid value: "example.com/x": field is immutable',
      );
    });
  });
});
