import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';

/** One object of each kind, as a user writes them in a scenario's `objects:`. */
const SCENARIO = `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata:
  name: workload-kinds
spec:
  duration: 5s
  cluster:
    store: { members: 1 }
    nodes:
      - namePrefix: node
        count: 1
        capacity: { cpu: '4', memory: 8Gi, pods: '110' }
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web, namespace: default }
      spec:
        replicas: 2
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: nginx, image: 'nginx:1.25' }] }
    - apiVersion: apps/v1
      kind: StatefulSet
      metadata: { name: db, namespace: default }
      spec:
        serviceName: db
        selector: { matchLabels: { app: db } }
        template:
          metadata: { labels: { app: db } }
          spec: { containers: [{ name: db, image: 'postgres:16' }] }
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: { name: agent, namespace: default }
      spec:
        selector: { matchLabels: { app: agent } }
        template:
          metadata: { labels: { app: agent } }
          spec: { containers: [{ name: agent, image: 'busybox:1.36' }] }
    - apiVersion: apps/v1
      kind: ControllerRevision
      metadata: { name: db-7b9c5, namespace: default }
      data: { spec: { template: { metadata: { labels: { app: db } } } } }
      revision: 1
    - apiVersion: batch/v1
      kind: Job
      metadata: { name: migrate, namespace: default }
      spec:
        template:
          spec:
            restartPolicy: Never
            containers: [{ name: migrate, image: 'busybox:1.36' }]
    - apiVersion: batch/v1
      kind: CronJob
      metadata: { name: nightly, namespace: default }
      spec:
        schedule: '0 3 * * *'
        timeZone: Europe/Paris
        jobTemplate:
          spec:
            template:
              spec:
                restartPolicy: OnFailure
                containers: [{ name: backup, image: 'busybox:1.36' }]
    - apiVersion: autoscaling/v2
      kind: HorizontalPodAutoscaler
      metadata: { name: web, namespace: default }
      spec:
        scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
        minReplicas: 2
        maxReplicas: 10
    - apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: { name: web-abcde, namespace: default, labels: { kubernetes.io/service-name: web } }
      addressType: IPv4
      endpoints:
        - addresses: [10.244.0.5]
          conditions: { ready: true }
      ports: [{ name: http, port: 80 }]
    - apiVersion: events.k8s.io/v1
      kind: Event
      metadata: { name: web.1, namespace: default }
      eventTime: '2026-01-01T00:00:00.000000Z'
      reportingController: example.com/operator
      reportingInstance: operator-0
      action: Reconcile
      reason: Ready
      regarding: { apiVersion: apps/v1, kind: Deployment, namespace: default, name: web }
      note: web is ready
      type: Normal
`;

interface Record {
  readonly k: string;
  readonly verb?: string;
  readonly path?: string;
  readonly code?: number;
}

describe('scenario objects', () => {
  it('a scenario file declares every workload, batch, autoscaling, discovery and events kind', async () => {
    const lines: string[] = [];
    await runScenario(parseScenario(SCENARIO, 'workload-kinds.yaml'), {
      seed: 1,
      traceSink: (line) => lines.push(line),
    });
    const records = lines.map((l) => JSON.parse(l) as Record);
    expect(records.filter((r) => r.k === 'runner.apply-failed')).toEqual([]);
    const created = records
      .filter((r) => r.k === 'api.request' && r.verb === 'POST' && r.code === 201)
      .map((r) => r.path);
    expect(created).toEqual(
      expect.arrayContaining([
        '/apis/apps/v1/namespaces/default/deployments',
        '/apis/apps/v1/namespaces/default/statefulsets',
        '/apis/apps/v1/namespaces/default/daemonsets',
        '/apis/apps/v1/namespaces/default/controllerrevisions',
        '/apis/batch/v1/namespaces/default/jobs',
        '/apis/batch/v1/namespaces/default/cronjobs',
        '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers',
        '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
        '/apis/events.k8s.io/v1/namespaces/default/events',
      ]),
    );
  });
});
