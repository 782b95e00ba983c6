import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../sim/scenario/scenario.ts';

/** One object of every core/v1 kind a user's manifests carry, as a scenario declares them. */
const SCENARIO = `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata:
  name: core-kinds
spec:
  duration: 20s
  cluster:
    store: { members: 1 }
    nodes:
      - namePrefix: node
        count: 1
        capacity: { cpu: '4', memory: 8Gi, pods: '110' }
  objects:
    - apiVersion: v1
      kind: Service
      metadata: { name: web, namespace: default }
      spec:
        selector: { app: web }
        ports: [{ port: 80, targetPort: 8080 }]
    - apiVersion: v1
      kind: Service
      metadata: { name: web-np, namespace: default }
      spec:
        type: NodePort
        selector: { app: web }
        ports: [{ port: 80, nodePort: 30080 }]
    - apiVersion: v1
      kind: Service
      metadata: { name: db, namespace: default }
      spec: { clusterIP: None, selector: { app: db } }
    - apiVersion: v1
      kind: Service
      metadata: { name: external, namespace: default }
      spec: { type: ExternalName, externalName: example.com }
    - apiVersion: v1
      kind: Endpoints
      metadata: { name: manual, namespace: default }
      subsets:
        - addresses: [{ ip: 10.244.1.5 }]
          ports: [{ port: 8080 }]
    - apiVersion: v1
      kind: Secret
      metadata: { name: creds, namespace: default }
      stringData: { password: hunter2 }
    - apiVersion: v1
      kind: Secret
      metadata: { name: cert, namespace: default }
      type: kubernetes.io/tls
      data: { tls.crt: Y2VydA==, tls.key: a2V5 }
    - apiVersion: v1
      kind: ServiceAccount
      metadata: { name: robot, namespace: default }
    - apiVersion: v1
      kind: ConfigMap
      metadata: { name: settings, namespace: default }
      data: { mode: fast }
    - apiVersion: v1
      kind: PersistentVolume
      metadata: { name: pv-1 }
      spec:
        capacity: { storage: 1Gi }
        accessModes: [ReadWriteOnce]
        hostPath: { path: /data/pv-1 }
    - apiVersion: v1
      kind: PersistentVolumeClaim
      metadata: { name: data, namespace: default }
      spec:
        accessModes: [ReadWriteOnce]
        resources: { requests: { storage: 1Gi } }
    - apiVersion: v1
      kind: ResourceQuota
      metadata: { name: quota, namespace: default }
      spec: { hard: { pods: '10', requests.cpu: '4' } }
    - apiVersion: v1
      kind: LimitRange
      metadata: { name: limits, namespace: default }
      spec:
        limits:
          - type: Container
            default: { cpu: 500m }
            defaultRequest: { cpu: 250m }
    - apiVersion: v1
      kind: ReplicationController
      metadata: { name: legacy, namespace: default }
      spec:
        replicas: 0
        template:
          metadata: { labels: { app: legacy } }
          spec: { containers: [{ name: c, image: nginx:1.25 }] }
    - apiVersion: v1
      kind: PodTemplate
      metadata: { name: tpl, namespace: default }
      template:
        metadata: { labels: { app: tpl } }
        spec: { containers: [{ name: c, image: nginx:1.25 }] }
`;

const KINDS = [
  'services',
  'endpoints',
  'secrets',
  'serviceaccounts',
  'configmaps',
  'persistentvolumes',
  'persistentvolumeclaims',
  'resourcequotas',
  'limitranges',
  'replicationcontrollers',
  'podtemplates',
];

describe('scenario files declare core/v1 objects', () => {
  it('creates every object in `objects:`, each answered 201', async () => {
    const lines: string[] = [];
    const report = await runScenario(parseScenario(SCENARIO, 'core-kinds.yaml'), {
      seed: 1,
      traceSink: (line) => lines.push(line),
    });
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.filter((r) => r.k === 'runner.apply-failed')).toEqual([]);
    const creates = records.filter(
      (r) =>
        r.k === 'api.request' &&
        r.verb === 'POST' &&
        KINDS.some((k) => String(r.path).endsWith(`/${k}`)),
    );
    // The runner's creates (the ServiceAccounts controller creates default ServiceAccounts too);
    // one that comes before the API server has made the default namespace is a 404, retried.
    const runner = creates.filter((r) => r.user === 'kubernetes-admin');
    expect(runner.filter((r) => r.code === 201)).toHaveLength(15);
    expect(runner.filter((r) => r.code !== 201 && r.code !== 404)).toEqual([]);
    for (const k of KINDS) {
      expect(
        creates.some((r) => String(r.path).endsWith(`/${k}`)),
        k,
      ).toBe(true);
    }
    expect(report.passed).toBe(true);
  });

  it('takes the Service ranges from spec.cluster.serviceNetwork and checks them before running', () => {
    const withRanges = (ranges: string) =>
      SCENARIO.replace(
        '    store: { members: 1 }',
        `    store: { members: 1 }\n    serviceNetwork: ${ranges}`,
      );
    const problems = (text: string): string[] => {
      try {
        parseScenario(text, 'core-kinds.yaml');
        return [];
      } catch (e) {
        if (e instanceof ScenarioError) return [...e.problems];
        throw e;
      }
    };
    expect(
      problems(withRanges('{ clusterIPRange: 10.0.0.0/16, nodePortRange: 30000-30100 }')),
    ).toEqual([]);
    expect(
      problems(withRanges('{ clusterIPRange: 10.0.0.0/8, nodePortRange: 30100-30000 }')),
    ).toEqual([
      'core-kinds.yaml:9: spec.cluster: serviceNetwork: specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12',
      'core-kinds.yaml:9: spec.cluster: serviceNetwork: --service-node-port-range: invalid port range "30100-30000"',
    ]);
  });
});
