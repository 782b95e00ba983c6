/**
 * `ksim run` with manifests: a bad manifest stops the command with exit code 2 and its file
 * and line before anything runs; `--objects` adds plain manifest files; `--pods` and `--json`
 * show the pods and the nodes' state.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKsim as ksim } from '../../support/ksim-cli.ts';

/** Runs the CLI: `output` is what it wrote to stdout, `errors` what it wrote to stderr. */
const dir = mkdtempSync(join(tmpdir(), 'ksim-cli-manifests-'));

const SCENARIO = `apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: cli-manifests }
spec:
  duration: 20s
  cluster:
    nodes: [{ count: 2 }]
`;

const POD = (name: string, cpu: string) => `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers:
    - name: c
      image: nginx:1.25
      resources: { requests: { cpu: ${cpu} } }
`;

describe('ksim run with manifests', () => {
  it('exits 2 before running, naming the manifest file, line and path', async () => {
    const scenario = join(dir, 'bad-objects.yaml');
    writeFileSync(join(dir, 'bad-pod.yaml'), `${POD('ok', '100m')}---\n${POD('bad', '1.5.5')}`);
    writeFileSync(
      scenario,
      `${SCENARIO}  objects:\n    - file: bad-pod.yaml\n    - { kind: Pod }\n`,
    );
    const { code, output, errors } = await ksim('run', scenario);
    expect(code).toBe(2);
    expect(output).toBe('');
    expect(errors).toContain(`ksim: ${scenario}: invalid scenario`);
    // Upstream's decoder refuses a malformed quantity before anything reads the pod (a 400).
    expect(errors).toContain(
      `bad-pod.yaml:10: Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression`,
    );
    expect(errors).toContain(
      `${scenario}:10: spec.objects[1].apiVersion: apiVersion is required (Pod is served as v1)`,
    );
    expect(errors).not.toMatch(/virtual time/);
  });

  it('adds plain manifests with --objects, and lists pods and node state', async () => {
    const scenario = join(dir, 'plain.yaml');
    writeFileSync(scenario, SCENARIO);
    writeFileSync(join(dir, 'pods.yaml'), `${POD('one', '100m')}---\n${POD('two', '100m')}`);
    const text = await ksim('run', scenario, '--objects', join(dir, 'pods.yaml'), '--pods');
    expect(text.code).toBe(0);
    expect(text.output).toMatch(/default\/one +Running +node-\d +0/);
    expect(text.output).toMatch(/default\/two +Running +node-\d +0/);
    expect(text.output).toMatch(/node-1 +(\d+ +){6}Ready/);

    const json = await ksim('run', scenario, '--objects', join(dir, 'pods.yaml'), '--json');
    const report = JSON.parse(json.output) as {
      nodes: { name: string; ready: string; unschedulable: boolean; taints: string[] }[];
      pods: { name: string; restarts: number }[];
      rejections: unknown[];
    };
    expect(report.nodes).toEqual([
      { name: 'node-1', ready: 'True', unschedulable: false, taints: [] },
      { name: 'node-2', ready: 'True', unschedulable: false, taints: [] },
    ]);
    expect(report.pods.map((p) => [p.name, p.restarts]).sort()).toEqual([
      ['one', 0],
      ['two', 0],
    ]);
    expect(report.rejections).toEqual([]);

    const bad = await ksim('run', scenario, '--objects', join(dir, 'bad-pod.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.errors).toMatch(/bad-pod\.yaml:10: Pod in version "v1" cannot be handled/);
  });
});
