import { checkManifest } from '../core/apiserver/registry/manifest-check.ts';
const dep = (spec: any) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '1.5.5' } } }] } }, ...spec } });
for (const m of [
  { kind: 'Pod' }, { apiVersion: 'v1', kind: 'Pod' }, { apiVersion: 'apps/v2', kind: 'Deployment' }, { apiVersion: 'v1', kind: 'Foo' },
  dep({ replicas: -2 }), dep({ replica: 3 }), dep({replicas: 'x'}),
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
  { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'j-' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-2' }, spec: { unschedulable: true } },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } },
]) console.log(JSON.stringify(checkManifest(m)));
