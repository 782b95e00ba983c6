import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';

/**
 * A scenario's `objects:` may declare the cluster-wide and networking kinds: each object is
 * created through the API server like a manifest applied with kubectl.
 */
const SCENARIO = `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata:
  name: cluster-kinds
spec:
  duration: 10s
  cluster:
    store: { members: 1 }
    nodes:
      - { namePrefix: node, count: 1 }
  objects:
    - apiVersion: scheduling.k8s.io/v1
      kind: PriorityClass
      metadata: { name: batch-low }
      value: 100
      globalDefault: true
      preemptionPolicy: Never
      description: Batch work that yields to everything else.
    - apiVersion: storage.k8s.io/v1
      kind: StorageClass
      metadata:
        name: local
        annotations: { storageclass.kubernetes.io/is-default-class: "true" }
      provisioner: rancher.io/local-path
      volumeBindingMode: WaitForFirstConsumer
    - apiVersion: networking.k8s.io/v1
      kind: IngressClass
      metadata: { name: nginx }
      spec: { controller: k8s.io/ingress-nginx }
    - apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: { name: web-from-frontend, namespace: default }
      spec:
        podSelector: { matchLabels: { app: web } }
        ingress:
          - from: [{ podSelector: { matchLabels: { role: frontend } } }]
            ports: [{ port: 8080 }]
    - apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: { name: web, namespace: default }
      spec:
        ingressClassName: nginx
        rules:
          - host: shop.example.com
            http:
              paths:
                - path: /
                  pathType: Prefix
                  backend: { service: { name: web, port: { number: 80 } } }
`;

/** A trace line: `k` is the record kind. */
interface Line {
  readonly k?: string;
  readonly verb?: string;
  readonly path?: string;
  readonly code?: number;
}

describe('scenario objects of the scheduling, storage and networking groups', () => {
  it('creates every declared object (201), with no failed apply', async () => {
    const lines: Line[] = [];
    const report = await runScenario(parseScenario(SCENARIO, 'cluster-kinds.yaml'), {
      seed: 1,
      traceSink: (line) => lines.push(JSON.parse(line) as Line),
    });
    expect(report.virtualTimeUs).toBe(10_000_000);
    expect(lines.filter((l) => l.k === 'runner.apply-failed')).toEqual([]);
    const created = lines
      .filter((l) => l.k === 'api.request' && l.verb === 'POST' && l.code === 201)
      .map((l) => l.path ?? '')
      .filter((path) => /^\/apis\/(scheduling|storage|networking)\.k8s\.io\//.test(path));
    expect(created).toEqual([
      '/apis/scheduling.k8s.io/v1/priorityclasses',
      '/apis/storage.k8s.io/v1/storageclasses',
      '/apis/networking.k8s.io/v1/ingressclasses',
      '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies',
      '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
    ]);
  });
});
