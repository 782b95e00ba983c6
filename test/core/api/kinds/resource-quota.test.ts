import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  RESOURCE_QUOTA,
  validateResourceQuota,
  validateResourceQuotaUpdate,
  type ResourceQuota,
} from '../../../../core/api/kinds/resource-quota.ts';

type Spec = NonNullable<ResourceQuota['spec']>;

const rq = (spec: Spec, status?: ResourceQuota['status']): ResourceQuota => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'quota', namespace: 'default' },
  spec,
  ...(status ? { status } : {}),
});

describe('ResourceQuota validation (ValidateResourceQuota), upstream paths and messages', () => {
  it.each<[string, ResourceQuota, string[]]>([
    [
      'compute and object counts',
      rq({
        hard: {
          pods: '10',
          'requests.cpu': '4',
          'limits.memory': '8Gi',
          'count/deployments.apps': '3',
        },
      }),
      [],
    ],
    [
      'a resource quota does not know',
      rq({ hard: { nodes: '1' } }),
      [
        'spec.hard[nodes]: Invalid value: "nodes": must be a standard resource type or fully qualified',
        'spec.hard[nodes]: Invalid value: "nodes": must be a standard resource for quota',
      ],
    ],
    [
      'a negative and a fractional count',
      rq({ hard: { 'requests.cpu': '-1', pods: '1500m' } }),
      [
        'spec.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0',
        'spec.hard[pods]: Invalid value: "1500m": must be an integer',
      ],
    ],
    [
      'an unknown scope',
      rq({ hard: { pods: '1' }, scopes: ['Sometimes'] }),
      ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"Sometimes"}: unsupported scope'],
    ],
    [
      'a scope that does not fit a resource',
      rq({ hard: { 'requests.cpu': '1' }, scopes: ['BestEffort'] }),
      [
        'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
      ],
    ],
    [
      'conflicting scopes',
      rq({ hard: { pods: '1' }, scopes: ['Terminating', 'NotTerminating'] }),
      [
        'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating"}: conflicting scopes',
      ],
    ],
    [
      'negative usage in status',
      rq({ hard: { pods: '1' } }, { used: { pods: '-1' } }),
      ['status.used[pods]: Invalid value: "-1": must be greater than or equal to 0'],
    ],
  ])('%s', (_name, obj, expected) => {
    expect(validateResourceQuota(obj).map(formatFieldError)).toEqual(expected);
  });

  it('keeps its scopes', () => {
    const old = rq({ hard: { pods: '1' }, scopes: ['NotTerminating'] });
    const next = rq({ hard: { pods: '1' }, scopes: ['Terminating'] });
    expect(validateResourceQuotaUpdate(next, old).map(formatFieldError)).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating"}: field is immutable',
    ]);
  });

  it('prints used/hard per resource, limits apart (printResourceQuota)', () => {
    const obj = rq(
      { hard: {} },
      {
        hard: { pods: '10', 'requests.cpu': '4', 'limits.cpu': '8' },
        used: { pods: '2', 'limits.cpu': '500m' },
      },
    );
    expect(RESOURCE_QUOTA.table.map((c) => c.name)).toEqual(['Name', 'Age', 'Request', 'Limit']);
    expect(RESOURCE_QUOTA.table.map((c) => c.cell(obj, 0))).toEqual([
      'quota',
      '<unknown>',
      'pods: 2/10, requests.cpu: 0/4',
      'limits.cpu: 500m/8',
    ]);
  });
});
