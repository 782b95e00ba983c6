/**
 * `ksim import` of a captured `kubectl get ... -A -o yaml` (test/fixtures/import), run as a
 * scenario: the kubelets start the bound pods on the nodes they were on, the controllers adopt
 * them instead of making more, and the scheduler places only what was pending.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  importCluster,
  ImportError,
  readKubectlOutput,
} from '../../../sim/import/kubectl-import.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const FIXTURE = new URL('../../fixtures/import/kubectl-get-all.yaml', import.meta.url).pathname;
const text = readFileSync(FIXTURE, 'utf8');

type Pod = {
  kind: string;
  metadata: { namespace?: string; name: string };
  spec: { nodeName?: string };
};

function imported() {
  const objects = readKubectlOutput(text, 'kubectl-get-all.yaml');
  const result = importCluster(objects, { name: 'imported', duration: '40s' });
  return { objects, result, yaml: stringify(result.scenario) };
}

describe('ksim import', () => {
  it('keeps what the user made and leaves to the cluster what it makes', () => {
    const { result } = imported();
    expect(result).toMatchObject({ nodes: 3, pools: 2, objects: 9 });
    expect(result.skipped).toEqual([
      'Namespace default: a system namespace',
      'ConfigMap shop/kube-root-ca.crt: made by the cluster',
      'ServiceAccount shop/default: made by the cluster',
      'Service default/kubernetes: made by the cluster',
      'Endpoints shop/web: made by the cluster',
      'EndpointSlice shop/web-x7k2p: made by the cluster',
      'Event shop/web-6d4cf56db6-2xq9v.18b2f1c3a0d4e5f6: made by the cluster',
      'Job shop/migrate: finished (Complete): it would run again',
      'Pod shop/migrate-7wq5d: finished (Succeeded)',
    ]);
    const spec = result.scenario.spec as { objects: Record<string, unknown>[] };
    expect(spec.objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ConfigMap',
      'Service',
      'Pod',
      'Pod',
      'Pod',
      'Pod',
      'ReplicaSet',
      'Deployment',
    ]);
    const json = JSON.stringify(spec.objects);
    for (const serverSet of [
      '"uid"',
      'resourceVersion',
      'creationTimestamp',
      'managedFields',
      'ownerReferences',
      '"status"',
      'kube-api-access',
      '10.96.112.40',
      'config.mirror',
    ])
      expect(json).not.toContain(serverSet);
  });

  it('makes a pool per node shape, with per-node label values and the taints', () => {
    const { result } = imported();
    const pools = (result.scenario.spec as { cluster: { nodes: unknown[] } }).cluster.nodes;
    expect(pools).toEqual([
      {
        namePrefix: 'pool-1',
        names: ['cp-1'],
        capacity: {
          cpu: '2',
          'ephemeral-storage': '47227284Ki',
          'hugepages-2Mi': '0',
          memory: '3926328Ki',
          pods: '110',
        },
        labels: {
          'node-role.kubernetes.io/control-plane': '',
          'topology.kubernetes.io/zone': 'eu-west-1a',
        },
        taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      },
      {
        namePrefix: 'pool-2',
        names: ['worker-a', 'worker-b'],
        capacity: {
          cpu: '3800m',
          'ephemeral-storage': '47227284Ki',
          'hugepages-2Mi': '0',
          memory: '15491720Ki',
          pods: '110',
        },
        labels: {
          'node.kubernetes.io/instance-type': 'm5.xlarge',
          'topology.kubernetes.io/zone': { roundRobin: ['eu-west-1a', 'eu-west-1b'] },
        },
      },
    ]);
  });

  it('runs: bound pods start where they were, the ReplicaSet adopts them, pending pods are scheduled', async () => {
    const { objects, yaml } = imported();
    const lines: string[] = [];
    const report = await runScenario(parseScenario(yaml, 'imported.yaml'), {
      seed: 3,
      traceSink: (l) => lines.push(l),
    });
    const records = (kind: string) =>
      lines
        .filter((l) => l.includes(`"k":"${kind}"`))
        .map((l) => JSON.parse(l) as Record<string, string>);
    const wanted = (objects as unknown as Pod[])
      .filter(
        (o) =>
          o.kind === 'Pod' && o.spec.nodeName !== undefined && o.metadata.name !== 'migrate-7wq5d',
      )
      .map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.spec.nodeName])
      .sort();
    const started = records('kubelet.pod-started')
      .map((r) => [r.pod, r.node])
      .sort();
    expect(started).toEqual(wanted);
    // Nothing was scheduled: the imported bindings stood, and the ReplicaSet made no pods.
    expect(records('scheduler.bind')).toEqual([]);
    expect(report.pods.filter((p) => p.labels.app === 'web')).toHaveLength(2);
    const refused = records('scheduler.unschedulable').filter((r) => r.pod === 'shop/batch-big');
    expect(refused[0]?.message).toContain('Insufficient cpu');
    expect(report.rejections).toEqual([]);
  });

  it('says which node a pod is bound to that the input lacks', () => {
    const objects = readKubectlOutput(text, 'f.yaml').filter(
      (o) => o.metadata && (o.metadata as { name?: string }).name !== 'worker-b',
    );
    expect(() => importCluster(objects, { name: 'x', duration: '1m' })).toThrow(
      'Pod shop/web-6d4cf56db6-k8m4t is bound to node worker-b, which the input does not have',
    );
  });

  it('reads multi-document YAML and typed lists, and refuses what is not kubectl output', () => {
    const docs =
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p}\n  spec: {containers: [{name: c, image: x}]}\n';
    expect(readKubectlOutput(docs, 'd.yaml').map((o) => o.kind)).toEqual(['Namespace', 'Pod']);
    expect(() => readKubectlOutput('- 1\n- 2\n', 'x.yaml')).toThrow(
      'x.yaml: document 1: expected an object with kind, got [1,2]',
    );
    expect(() => readKubectlOutput('metadata: {name: a}\n', 'y.yaml')).toThrow(
      'y.yaml: document 1: an object needs apiVersion and kind',
    );
    expect(() => readKubectlOutput('', 'e.yaml')).toThrow(ImportError);
  });
});

describe('node pools with names', () => {
  const scenario = (pools: string) =>
    `apiVersion: ksim.io/v1alpha1\nkind: Scenario\nmetadata: {name: n}\nspec:\n  duration: 1s\n  cluster:\n    nodes:\n${pools}`;
  const problems = (pools: string): string[] => {
    try {
      parseScenario(scenario(pools), 's.yaml');
      return [];
    } catch (e) {
      if (e instanceof ScenarioError) return [...e.problems];
      throw e;
    }
  };

  it('accepts names alone, or with a matching count', () => {
    expect(problems('      - names: [a, b]\n      - {count: 2, names: [c, d]}\n')).toEqual([]);
  });

  it('refuses a count that differs, a name used twice, a bad name, a clash with a pool', () => {
    expect(problems('      - {count: 3, names: [a, b]}\n')).toEqual([
      's.yaml:8: spec.cluster.nodes[0]: count must equal the number of names',
    ]);
    expect(problems('      - names: [a, b]\n      - names: [b]\n').join('\n')).toContain(
      'node b is named twice',
    );
    expect(problems('      - names: [Bad_Name]\n').join('\n')).toContain(
      '"Bad_Name" is not a valid node name',
    );
    expect(problems('      - names: [node-2]\n      - count: 3\n').join('\n')).toContain(
      'node node-2 is also in the pool node',
    );
    expect(problems('      - names: [scheduler]\n').join('\n')).toContain(
      'scheduler is a control-plane process',
    );
  });
});
