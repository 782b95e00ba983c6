/**
 * Manifests in scenarios, checked when the file is loaded: inline or from files and
 * directories, each problem with its file, line and path, before anything runs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError, type Scenario } from '../../../sim/scenario/scenario.ts';

const HEAD = `apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: manifests }
spec:
  duration: 1m
  cluster:
    nodes: [{ count: 2 }]
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: nginx
          image: nginx:1.25
          resources: { requests: { cpu: 500m } }
`;

/** The manifest indented as an item of a list at `indent` spaces. */
const item = (manifest: string, indent: number): string =>
  manifest
    .trimEnd()
    .split('\n')
    .map((l, i) => `${' '.repeat(indent)}${i === 0 ? '- ' : '  '}${l}`)
    .join('\n');

function problems(text: string, file = 'test.yaml', options = {}): string[] {
  try {
    parseScenario(text, file, options);
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

const lineOf = (text: string, needle: string): number =>
  text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('manifests checked at load', () => {
  it("reports the issue's examples with file, line and path", () => {
    const text = `${HEAD}  objects:
${item(DEPLOYMENT.replace('replicas: 2', 'replicas: -2').replace('cpu: 500m', 'cpu: 1.5.5'), 4)}
${item(DEPLOYMENT.replace('apps/v1', 'apps/v2').replace('{ name: web }', '{ name: v2 }'), 4)}
    - { kind: Pod }
${item(DEPLOYMENT.replace('replicas: 2', 'replica: 2').replace('{ name: web }', '{ name: typo }'), 4)}
`;
    expect(problems(text)).toEqual([
      `test.yaml:${lineOf(text, 'replicas: -2')}: spec.objects[0].spec.replicas: Invalid value: -2: must be greater than or equal to 0`,
      expect.stringMatching(
        new RegExp(
          `^test\\.yaml:${lineOf(text, '1.5.5')}: spec\\.objects\\[0\\]\\.spec\\.template\\.spec\\.containers\\[0\\]\\.resources\\.requests\\.cpu: Invalid value: "1\\.5\\.5": quantities must match`,
        ),
      ),
      `test.yaml:${lineOf(text, 'apps/v2')}: spec.objects[1].apiVersion: "apps/v2" is not a served version of Deployment (served: apps/v1)`,
      `test.yaml:${lineOf(text, 'kind: Pod')}: spec.objects[2].apiVersion: apiVersion is required (Pod is served as v1)`,
      `test.yaml:${lineOf(text, 'replica: 2')}: spec.objects[3].spec.replica: unknown field`,
    ]);
  });

  it('names the kinds served when a kind is not', () => {
    const text = `${HEAD}  objects:
    - { apiVersion: example.com/v1, kind: Widget, metadata: { name: w } }
`;
    const [p] = problems(text);
    expect(p).toMatch(
      /^test\.yaml:9: spec\.objects\[0\]\.kind: kind Widget is not served \(served kinds: Binding, .*Deployment, .*Pod, /,
    );
  });

  it('checks apply actions too; an apply of an object that exists by then only for the fields it sets', () => {
    const text = `${HEAD}  objects:
${item(DEPLOYMENT, 4)}
  actions:
    - at: 10s
      apply: { apiVersion: apps/v1, kind: Deployment, metadata: { name: web }, spec: { replicas: 3 } }
    - at: 11s
      apply: { apiVersion: apps/v1, kind: Deployment, metadata: { name: web }, spec: { replicas: -1 } }
    - at: 12s
      apply: { apiVersion: v1, kind: Node, metadata: { name: node-2 }, spec: { unschedulable: true } }
    - at: 13s
      apply: { apiVersion: v1, kind: Pod, metadata: { name: new } }
    - at: 14s
      apply: { apiVersion: v1, kind: Pod, metadata: { generateName: new- } }
`;
    expect(problems(text)).toEqual([
      `test.yaml:${lineOf(text, 'replicas: -1')}: spec.actions[1].apply.spec.replicas: Invalid value: -1: must be greater than or equal to 0`,
      `test.yaml:${lineOf(text, 'name: new }')}: spec.actions[3].apply.spec.containers: Required value`,
      `test.yaml:${lineOf(text, 'generateName')}: spec.actions[4].apply.metadata.name: apply needs a name (generateName only works with objects, which are created)`,
    ]);
  });

  it('refuses the same object twice in objects', () => {
    const text = `${HEAD}  objects:
${item(DEPLOYMENT, 4)}
${item(DEPLOYMENT, 4)}
`;
    expect(problems(text)).toEqual([
      `test.yaml:${lineOf(text, 'apiVersion: apps') + 13}: spec.objects[1]: the same object as test.yaml:9`,
    ]);
  });

  it('checks the actions: nodes by name, taints, kinds, patch shapes, one effect each', () => {
    const text = `${HEAD}  actions:
    - { at: 1s, cordon: { node: node-9 } }
    - { at: 2s, taint: { node: node-1, add: ['gpu=true:Sometimes', 'no-effect'] } }
    - { at: 3s, label: { kind: Widget, name: w, set: { a: b } } }
    - { at: 4s, patch: { kind: Deployment, name: web, type: json, patch: { spec: {} } } }
    - { at: 5s, patch: { kind: Deployment, name: web, patch: [] } }
    - { at: 6s, delete: { kind: Pod, name: p, propagationPolicy: Later } }
    - { at: 7s, drain: { node: node-1 }, cordon: { node: node-1 } }
    - { at: 8s, restart: { kind: ReplicaSet, name: web } }
`;
    const got = problems(text).join('\n');
    expect(got).toMatch(
      /test\.yaml:10: spec\.actions\[1\]\.taint\.add\[0\]: unknown effect "Sometimes" \(expected NoSchedule, PreferNoSchedule, NoExecute\) in "gpu=true:Sometimes"/,
    );
    expect(got).toMatch(/spec\.actions\[1\]\.taint\.add\[1\]: a taint needs an effect/);
    expect(got).toMatch(
      /spec\.actions\[2\]\.label\.kind: kind Widget is not served \(served kinds: /,
    );
    expect(got).toMatch(
      /spec\.actions\[5\]\.delete\.propagationPolicy: expected one of Foreground, Background, Orphan/,
    );
    expect(got).toMatch(
      /spec\.actions\[6\]: an action needs exactly one of .* \(got cordon, drain\)/,
    );
    expect(got).toMatch(
      /spec\.actions\[7\]\.restart\.kind: expected one of Deployment, DaemonSet, StatefulSet/,
    );
    // Node names and patch shapes are checked once the rest of the file is sound.
    const sound = `${HEAD}  actions:
    - { at: 1s, cordon: { node: node-9 } }
    - { at: 4s, patch: { kind: Deployment, name: web, type: json, patch: { spec: {} } } }
    - { at: 5s, patch: { kind: Deployment, name: web, patch: [] } }
`;
    expect(problems(sound)).toEqual([
      'test.yaml:9: spec.actions[0]: no node named "node-9" (nodes: node-1, node-2)',
      'test.yaml:10: spec.actions[1].patch.patch: a json patch is a list of operations such as {op: replace, path: /spec/replicas, value: 3}',
      'test.yaml:11: spec.actions[2].patch.patch: a strategic patch is a mapping of the fields to change',
    ]);
  });
});

describe('manifests from files and directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ksim-manifests-'));
  mkdirSync(join(dir, 'manifests'));
  writeFileSync(
    join(dir, 'manifests', 'a-web.yaml'),
    `${DEPLOYMENT}---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: web }
spec: { minAvailable: 1, selector: { matchLabels: { app: web } } }
---
`,
  );
  writeFileSync(
    join(dir, 'manifests', 'b-config.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }),
  );
  writeFileSync(join(dir, 'manifests', 'notes.txt'), 'not a manifest');
  writeFileSync(
    join(dir, 'bad.yaml'),
    `apiVersion: v1
kind: ConfigMap
metadata: { name: ok }
---
${DEPLOYMENT.replace('replicas: 2', 'replicas: -2')}`,
  );
  writeFileSync(
    join(dir, 'node.yaml'),
    'apiVersion: v1\nkind: Node\nmetadata: { name: node-1 }\nspec: { unschedulable: true }\n',
  );
  const scenarioFile = join(dir, 'scenario.yaml');

  it('reads every document of the files of a directory, in name order, relative to the scenario', () => {
    const text = `${HEAD}  objects:
    - file: manifests/
  actions:
    - { at: 5s, apply: { file: node.yaml } }
`;
    const s: Scenario = parseScenario(text, scenarioFile, { shownFrom: dir });
    expect(s.spec.objects.map((m) => [m.object.kind, m.source])).toEqual([
      ['Deployment', 'manifests/a-web.yaml:1'],
      ['PodDisruptionBudget', 'manifests/a-web.yaml:15'],
      ['ConfigMap', 'manifests/b-config.json:1'],
    ]);
    expect(s.spec.actions[0]?.apply?.map((m) => m.object.metadata.name)).toEqual(['node-1']);
    expect(s.spec.actions[0]?.source).toBe(`${scenarioFile}:11`);
  });

  it('names the manifest file and line of a problem in it, and an unreadable path', () => {
    const text = `${HEAD}  objects:
    - file: bad.yaml
    - file: missing/
`;
    expect(problems(text, scenarioFile, { shownFrom: dir })).toEqual([
      `${scenarioFile}:10: spec.objects[1].file: cannot read missing/: ENOENT: no such file or directory, stat '${join(dir, 'missing')}'`,
      'bad.yaml:9: spec.replicas: Invalid value: -2: must be greater than or equal to 0',
    ]);
  });

  it('takes plain manifest files after spec.objects (ksim run --objects)', () => {
    const s = parseScenario(HEAD, scenarioFile, {
      shownFrom: dir,
      objectFiles: ['manifests/b-config.json'],
    });
    expect(s.spec.objects.map((m) => m.object.metadata.name)).toEqual(['c']);
    expect(problems(HEAD, scenarioFile, { shownFrom: dir, objectFiles: ['bad.yaml'] })).toEqual([
      'bad.yaml:9: spec.replicas: Invalid value: -2: must be greater than or equal to 0',
    ]);
  });
});
