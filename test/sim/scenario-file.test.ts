import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../sim/scenario/scenario.ts';
import { parseDuration } from '../../sim/scenario/schema.ts';

const base = readFileSync(new URL('../../scenarios/quickstart.yaml', import.meta.url), 'utf8');

function problems(text: string): string[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('scenario files', () => {
  it('accepts the shipped scenarios', () => {
    for (const name of ['quickstart', 'node-crash', 'store-failover', 'deployment', 'drain']) {
      const path = new URL(`../../scenarios/${name}.yaml`, import.meta.url).pathname;
      expect(parseScenario(readFileSync(path, 'utf8'), path).metadata.name).toBe(name);
    }
    expect(parseScenario(base).spec.duration).toBe(120_000_000);
  });

  it('reports an unknown field with its line and path', () => {
    const text = base.replace('count: 3', 'count: 3\n        cpus: 4');
    const line = text.split('\n').findIndex((l) => l.includes('cpus: 4')) + 1;
    expect(problems(text)).toEqual([
      `test.yaml:${line}: spec.cluster.nodes[0].cpus: unknown field (expected one of: namePrefix, count, names, capacity, labels, imagePullSeconds, imageSizes, inodes, staticPods, kubeletConfig, taints, unschedulable)`,
    ]);
  });

  it('checks the cluster with the assembly before anything runs: the pod network must hold every node', () => {
    const tight = base.replace(
      '  cluster:',
      '  cluster:\n    podNetwork: { clusterCIDR: 10.0.0.0/24, nodeCIDRMaskSize: 26 }',
    );
    expect(problems(tight)).toEqual([]);
    expect(problems(tight.replace('count: 3', 'count: 5'))).toEqual([
      expect.stringMatching(
        /spec\.cluster: 5 nodes do not fit the pod network 10\.0\.0\.0\/24 with a \/26 per node \(room for 4\)/,
      ),
    ]);
    expect(problems(base.replace('count: 3', 'count: 1025'))).toEqual([
      expect.stringMatching(/1025 nodes do not fit the pod network 10\.244\.0\.0\/14/),
    ]);
  });

  it('refuses a pod network over the service range when the file is read, and takes 5,000 nodes on a wide one', () => {
    const wide = (cidr: string): string =>
      base
        .replace('  cluster:', `  cluster:\n    podNetwork: { clusterCIDR: ${cidr} }`)
        .replace('count: 3', 'count: 5000');
    expect(problems(wide('10.0.0.0/11'))).toEqual([]);
    const line =
      wide('10.0.0.0/8')
        .split('\n')
        .findIndex((l) => l.includes('podNetwork:')) + 1;
    expect(problems(wide('10.0.0.0/8'))).toEqual([
      `test.yaml:${line}: spec.cluster: podNetwork: clusterCIDR 10.0.0.0/8 overlaps the service range 10.96.0.0/12 (serviceNetwork.clusterIPRange): pick a pod network clear of it`,
    ]);
  });

  it('reports wrong types, bad durations and quantities, and missing fields', () => {
    const text = base
      .replace('count: 3', 'count: three')
      .replace('duration: 2m', 'duration: 2 minutes')
      .replace('memory: 8Gi', 'memory: 8 gigs')
      .replace('name: quickstart', 'title: quickstart');
    const got = problems(text);
    expect(got).toHaveLength(5);
    expect(got.join('\n')).toMatch(
      /spec\.cluster\.nodes\[0\]\.count: expected a number, got string/,
    );
    expect(got.join('\n')).toMatch(
      /spec\.duration: expected a duration such as 500ms, 30s, 5m or 1h30m, got "2 minutes"/,
    );
    expect(got.join('\n')).toMatch(
      /spec\.cluster\.nodes\[0\]\.capacity\.memory: expected a resource quantity/,
    );
    expect(got.join('\n')).toMatch(/metadata\.title: unknown field/);
    expect(got.join('\n')).toMatch(/metadata\.name: required field is missing/);
  });

  it('checks actions: exactly one effect, a known fault kind, a time inside the run', () => {
    const text = base.replace(
      '  objects:',
      '  actions:\n    - at: 10s\n    - at: 3m\n      fault: { kind: crash, process: node-1 }\n    - at: 5s\n      fault: { kind: explode }\n  objects:',
    );
    const got = problems(text).join('\n');
    expect(got).toMatch(
      /spec\.actions\[0\]: an action needs exactly one of fault, apply, delete, scale, patch, cordon, uncordon, drain, taint, label, restart, member \(got none\)/,
    );
    expect(got).toMatch(/spec\.actions\[1\]\.at: is after the end of the scenario/);
    expect(got).toMatch(/spec\.actions\[2\]\.fault\.kind: expected one of crash, restart/);
  });

  it('words ranges, integers, enums and a fault without its process plainly', () => {
    const text = base
      .replace('count: 3', 'count: 0')
      .replace('phase: Running', 'phase: Runing')
      .replace(
        '  objects:',
        '  actions:\n    - { at: 5s, fault: { kind: crash } }\n    - { at: 6s, scale: { kind: Deployment, name: web, replicas: 1.5 } }\n  objects:',
      );
    const got = problems(text).join('\n');
    expect(got).toMatch(/spec\.cluster\.nodes\[0\]\.count: must be >= 1, got 0/);
    expect(got).toMatch(
      /spec\.expect\[0\]\.pods\.phase: expected one of Pending, Running, Succeeded, Failed, Unknown, got "Runing"/,
    );
    expect(got).toMatch(
      /spec\.actions\[0\]\.fault: a crash needs exactly one of process and leaderOf/,
    );
    expect(got).toMatch(/spec\.actions\[1\]\.scale\.replicas: expected an integer, got 1\.5/);
  });

  it('reports YAML syntax errors with a line', () => {
    expect(problems('spec: [unclosed')[0]).toMatch(/^test\.yaml:1: YAML syntax/);
  });

  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250_000);
    expect(parseDuration('1.5s')).toBe(1_500_000);
    expect(parseDuration('1h30m')).toBe(5_400_000_000);
    expect(parseDuration('100us')).toBe(100);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});
