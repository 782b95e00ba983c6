import { describe, expect, it } from 'vitest';
import type { ResourceQuota } from '../../../core/api/kinds/resource-quota.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import {
  calculateDelta,
  calculateUsage,
  evaluatorFor,
  POD_EVALUATOR,
  PVC_EVALUATOR,
  quotaEvaluators,
  quotaMatches,
  SERVICE_EVALUATOR,
} from '../../../core/api/quota/evaluators.ts';
import {
  exceeded,
  fromList,
  prettyPrint,
  subtractNonNegative,
  toList,
} from '../../../core/api/quota/resource-lists.ts';
import { parseTime } from '../../../core/api/time.ts';
import type { KObject } from '../../../core/api/types.ts';

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(
  containers: Resources[],
  extra: { init?: (Resources & { sidecar?: boolean })[]; spec?: Partial<Pod['spec']> } = {},
  status: Pod['status'] = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', resourceVersion: '5' },
    spec: {
      containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'i', resources })),
      ...(extra.init === undefined
        ? {}
        : {
            initContainers: extra.init.map(({ sidecar, ...resources }, i) => ({
              name: `i${i}`,
              image: 'i',
              resources,
              ...(sidecar === true ? { restartPolicy: 'Always' } : {}),
            })),
          }),
      ...extra.spec,
    },
    status,
  };
}

const RESOURCES: Record<string, string> = {
  Pod: 'pods',
  Service: 'services',
  PersistentVolumeClaim: 'persistentvolumeclaims',
};
const usage = (obj: KObject, nowUs = 0) =>
  toList(evaluatorFor('', RESOURCES[obj.kind] ?? '').usage(obj, nowUs));

function quota(hard: Record<string, string>, spec: Partial<ResourceQuota['spec']> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: 'default' },
    spec: { hard, ...spec },
    status: { hard, used: {} },
  } as ResourceQuota;
}

describe('quota evaluators (pkg/quota/v1/evaluator/core)', () => {
  it('charges a pod its requests and limits, init containers raising the peak, overhead on requests', () => {
    const p = pod(
      [
        { requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '200m' } },
        { requests: { cpu: '100m' }, limits: { cpu: '300m', memory: '2Gi' } },
      ],
      {
        init: [{ requests: { cpu: '1' }, limits: { cpu: '1' } }],
        spec: { overhead: { cpu: '10m' } },
      },
    );
    expect(usage(p)).toEqual({
      'count/pods': '1',
      cpu: '1010m',
      'limits.cpu': '1010m',
      'limits.memory': '2Gi',
      memory: '1Gi',
      pods: '1',
      'requests.cpu': '1010m',
      'requests.memory': '1Gi',
    });
  });

  it('adds sidecars to the steady state, and extended resources only as requests.*', () => {
    const p = pod([{ requests: { cpu: '100m', 'example.com/gpu': '2' } }], {
      init: [{ requests: { cpu: '50m' }, sidecar: true }],
    });
    expect(usage(p)).toMatchObject({ cpu: '150m', 'requests.example.com/gpu': '2' });
    expect(usage(p)['example.com/gpu']).toBeUndefined();
  });

  it('stops charging compute for terminal pods and for pods past their deletion grace', () => {
    expect(usage(pod([{ requests: { cpu: '1' } }], {}, { phase: 'Succeeded' }))).toEqual({
      'count/pods': '1',
    });
    const deleting: Pod = {
      ...pod([{ requests: { cpu: '1' } }]),
      metadata: {
        name: 'p',
        namespace: 'default',
        deletionTimestamp: '2026-01-01T00:00:10Z',
        deletionGracePeriodSeconds: 30,
      },
    };
    const epochUs = parseTime('2026-01-01T00:00:00Z')!;
    expect(usage(deleting, epochUs + 39_000_000)).toHaveProperty('cpu', '1');
    expect(usage(deleting, epochUs + 41_000_000)).toEqual({ 'count/pods': '1' });
  });

  it('requires cpu and memory of every container when a quota tracks them (must specify ...)', () => {
    const p = pod([{ requests: { cpu: '1' } }, {}], { init: [{ requests: { memory: '1' } }] });
    expect(POD_EVALUATOR.constraints(['requests.cpu', 'pods'], p)).toBe(
      'must specify requests.cpu for: c1,i0',
    );
    expect(POD_EVALUATOR.constraints(['requests.memory', 'limits.cpu'], p)).toBe(
      'must specify limits.cpu for: c0,c1,i0; requests.memory for: c0,c1',
    );
    expect(POD_EVALUATOR.constraints(['pods', 'requests.storage'], p)).toBeUndefined();
  });

  it('matches scopes: Terminating, BestEffort, PriorityClass selectors', () => {
    const bestEffort = pod([{}]);
    const burstable = pod([{ requests: { cpu: '1' } }], {
      spec: { activeDeadlineSeconds: 30, priorityClassName: 'high' },
    });
    const scoped = (scopes: string[]) => quota({ pods: '5' }, { scopes });
    expect(quotaMatches(scoped(['BestEffort']), bestEffort, POD_EVALUATOR)).toBe(true);
    expect(quotaMatches(scoped(['BestEffort']), burstable, POD_EVALUATOR)).toBe(false);
    expect(quotaMatches(scoped(['NotBestEffort', 'Terminating']), burstable, POD_EVALUATOR)).toBe(
      true,
    );
    expect(quotaMatches(scoped(['NotTerminating']), burstable, POD_EVALUATOR)).toBe(false);
    const byClass = (operator: string, values?: string[]) =>
      quota(
        { pods: '5' },
        {
          scopeSelector: {
            matchExpressions: [{ scopeName: 'PriorityClass', operator, ...(values && { values }) }],
          },
        },
      );
    expect(quotaMatches(byClass('In', ['high', 'low']), burstable, POD_EVALUATOR)).toBe(true);
    expect(quotaMatches(byClass('In', ['low']), burstable, POD_EVALUATOR)).toBe(false);
    expect(quotaMatches(byClass('NotIn', ['low']), bestEffort, POD_EVALUATOR)).toBe(true);
    expect(quotaMatches(byClass('Exists'), bestEffort, POD_EVALUATOR)).toBe(false);
    expect(quotaMatches(byClass('DoesNotExist'), bestEffort, POD_EVALUATOR)).toBe(true);
    // A quota naming nothing the evaluator counts does not match; scopes never match Services.
    expect(quotaMatches(quota({ services: '1' }), bestEffort, POD_EVALUATOR)).toBe(false);
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {} } as KObject;
    expect(
      quotaMatches(quota({ services: '1' }, { scopes: ['BestEffort'] }), svc, SERVICE_EVALUATOR),
    ).toBe(false);
  });

  it('counts Service node ports and load balancers by type', () => {
    const svc = (spec: Record<string, unknown>) =>
      ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec }) as KObject;
    const ports = [{ port: 80 }, { port: 443, nodePort: 30443 }];
    expect(usage(svc({ type: 'ClusterIP', ports }))).toEqual({
      'count/services': '1',
      services: '1',
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
    expect(usage(svc({ type: 'NodePort', ports }))['services.nodeports']).toBe('2');
    expect(usage(svc({ type: 'LoadBalancer', ports }))).toMatchObject({
      'services.loadbalancers': '1',
      'services.nodeports': '2',
    });
    const noAlloc = svc({ type: 'LoadBalancer', ports, allocateLoadBalancerNodePorts: false });
    expect(usage(noAlloc)['services.nodeports']).toBe('1');
    // NodePort to ClusterIP frees its ports: the update's delta is zero, never negative.
    const delta = calculateDelta(
      SERVICE_EVALUATOR,
      svc({ type: 'ClusterIP', ports }),
      { ...svc({ type: 'NodePort', ports }), metadata: { name: 's', resourceVersion: '3' } },
      0,
    );
    expect(delta.kind === 'usage' && toList(delta.usage)).toEqual({
      'count/services': '0',
      services: '0',
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
  });

  it('charges claims their storage rounded up to whole bytes, also per storage class', () => {
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c' },
      spec: { storageClassName: 'gold', resources: { requests: { storage: '1500m' } } },
      status: {},
    } as KObject;
    expect(usage(pvc)).toEqual({
      'count/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
      'gold.storageclass.storage.k8s.io/requests.storage': '2',
      persistentvolumeclaims: '1',
      'requests.storage': '2',
    });
    expect(
      PVC_EVALUATOR.matchingResources([
        'bronze.storageclass.storage.k8s.io/requests.storage',
        'pods',
      ]),
    ).toEqual(['bronze.storageclass.storage.k8s.io/requests.storage']);
  });

  it('counts any other resource as objects, with the legacy names where upstream has them', () => {
    expect(toList(evaluatorFor('', 'configmaps').usage({} as KObject, 0))).toEqual({
      configmaps: '1',
      'count/configmaps': '1',
    });
    const deployments = evaluatorFor('apps', 'deployments');
    expect(toList(deployments.usage({} as KObject, 0))).toEqual({ 'count/deployments.apps': '1' });
    expect(deployments.handles('UPDATE', '')).toBe(false);
    const served = (group: string, resource: string) =>
      ['deployments.apps', 'configmaps.'].includes(`${resource}.${group}`);
    expect(
      quotaEvaluators(
        ['pods', 'count/deployments.apps', 'configmaps', 'count/widgets.x.io'],
        served,
      )
        .map((e) => `${e.resource}.${e.group}`)
        .sort(),
    ).toEqual(['configmaps.', 'deployments.apps', 'pods.']);
  });

  it('sums usage over the objects in scope, zero for tracked names nothing uses', () => {
    const q = quota(
      { pods: '10', 'requests.cpu': '4', 'count/configmaps': '3' },
      { scopes: ['NotBestEffort'] },
    );
    const pods = [
      pod([{ requests: { cpu: '1' } }]),
      pod([{}]),
      pod([{ requests: { cpu: '500m' } }]),
    ];
    const used = calculateUsage(
      q,
      Object.keys(q.spec!.hard!),
      [POD_EVALUATOR, evaluatorFor('', 'configmaps')],
      (e) => (e === POD_EVALUATOR ? pods : []),
      0,
    );
    // The scope is a pod scope: config maps never fall in it, so their count stays zero.
    expect(toList(used)).toEqual({ 'count/configmaps': '0', pods: '2', 'requests.cpu': '1500m' });
  });

  it('compares and prints lists as upstream', () => {
    const used = fromList({ pods: '3', 'requests.cpu': '2' });
    const hard = fromList({ pods: '2', 'requests.cpu': '2', memory: '1Gi' });
    expect(exceeded(used, hard)).toEqual(['pods']);
    expect(prettyPrint(used)).toBe('pods=3,requests.cpu=2');
    expect(toList(subtractNonNegative(fromList({ pods: '1', cpu: '1' }), used))).toEqual({
      cpu: '1',
      pods: '0',
    });
  });
});
