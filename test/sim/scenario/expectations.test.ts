/**
 * Scenario expectations (eventually / always / never over pods, conditions, object counts and
 * JSONPath) and conditional actions (`when`, `after`), observed in the run's verdicts and
 * cross-checked against what the trace says happened: the kubelet's phase changes, the runner's
 * scale, the moment a condition was met.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario, type RunReport } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';
import { summary } from '../../../sim/cli/run-command.ts';

type TraceLine = Record<string, unknown> & { k: string; t: number };

const scenario = (rest: string): string => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: expectations }
spec:
  duration: 80s
  cluster:
    nodes: [{ namePrefix: node, count: 2, capacity: { cpu: '4', memory: 8Gi } }]
${rest}
`;

const DEPLOYMENT = `
      apply:
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web, namespace: default }
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec:
              containers:
                - { name: nginx, image: nginx:1.25, resources: { requests: { cpu: 250m } } }`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'expectations.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('expectation and condition errors at load', () => {
  const at = (expect: string, actions = '') =>
    problems(
      scenario(
        `  actions:\n    - at: 1s\n      cordon: { node: node-1 }\n${actions}  expect:\n${expect}`,
      ),
    );

  it.each([
    [
      '    - eventually: { pods: { count: 1 }, objects: { kind: Pod, count: 1 } }\n',
      'expectations.yaml:13: spec.expect[0].eventually: needs exactly one of pods, condition, objects, jsonPath (got pods, objects)',
    ],
    [
      '    - always: { pods: { count: 1 } }\n      never: { pods: { count: 1 } }\n',
      'expectations.yaml:13: spec.expect[0]: an expectation needs exactly one of eventually, always, never, pods (got always, never)',
    ],
    [
      '    - within: 5s\n      never: { pods: { count: 1 } }\n',
      'expectations.yaml:13: spec.expect[0].within: within goes with pods; with eventually, write eventually.within',
    ],
    [
      "    - never:\n        jsonPath: { kind: Pod, path: '$.items[0', equals: x }\n",
      'expectations.yaml:14: spec.expect[0].never.jsonPath.path: bad JSONPath: unclosed [',
    ],
    [
      '    - never:\n        jsonPath: { kind: Pod, path: $.items, atLeast: 1, atMost: 2 }\n',
      'expectations.yaml:14: spec.expect[0].never.jsonPath: needs exactly one of equals, matches, atLeast, atMost (got atLeast, atMost)',
    ],
    [
      "    - never:\n        jsonPath: { kind: Pod, path: $.items, matches: '(' }\n",
      'expectations.yaml:14: spec.expect[0].never.jsonPath.matches: bad regular expression',
    ],
    [
      "    - eventually: { pods: { labelSelector: 'app in (', count: 1 } }\n",
      'expectations.yaml:13: spec.expect[0].eventually.pods.labelSelector: bad label selector',
    ],
    [
      '    - eventually: { pods: { count: { atleast: 1 } } }\n',
      'expectations.yaml:13: spec.expect[0].eventually.pods.count',
    ],
    [
      '    - eventually: { condition: { kind: Deploymnet, name: web, condition: Available } }\n',
      'expectations.yaml:13: spec.expect[0].eventually.condition.kind: kind Deploymnet is not served',
    ],
  ])('%s', (expectation, message) => {
    const found = at(expectation);
    expect(
      found.some((p) => p.startsWith(message)),
      found.join('\n'),
    ).toBe(true);
  });

  it.each([
    [
      '    - scale: { kind: Deployment, name: web, replicas: 1 }\n',
      'expectations.yaml:12: spec.actions[1]: an action needs at or when',
    ],
    [
      '    - after: 5s\n      cordon: { node: node-1 }\n',
      'expectations.yaml:12: spec.actions[1].after: after goes with when',
    ],
    [
      '    - at: 1s\n      after: 5s\n      when: { pods: { count: 1 } }\n      cordon: { node: node-1 }\n',
      'expectations.yaml:13: spec.actions[1].after: give at or after, not both',
    ],
    [
      '    - after: 90s\n      when: { pods: { count: 1 } }\n      cordon: { node: node-1 }\n',
      'expectations.yaml:12: spec.actions[1].after: is after the end of the scenario (spec.duration)',
    ],
    [
      '    - when: { pods: { count: 1 } }\n      member: { kind: remove, name: etcd-0 }\n',
      'expectations.yaml:12: spec.actions[1].when: a member action needs at',
    ],
  ])('%s', (action, message) => {
    const found = at('    - pods: { count: 0 }\n', action);
    expect(
      found.some((p) => p.startsWith(message)),
      found.join('\n'),
    ).toBe(true);
  });
});

describe('expectations and conditional actions in a run', () => {
  const text = scenario(`  actions:
    - at: 10s${DEPLOYMENT}
    - at: 60s
      scale: { kind: Deployment, name: web, replicas: 1 }
    - when: { condition: { kind: Deployment, name: web, condition: Available } }
      apply: { apiVersion: v1, kind: ConfigMap, metadata: { name: web-available }, data: { a: b } }
    - when: { objects: { kind: Node, count: 2 } }
      after: 20s
      label: { kind: Node, name: node-1, set: { checked: 'yes' } }
    - when: { pods: { labelSelector: app=web, count: 5 } }
      cordon: { node: node-2 }
  expect:
    - name: two web pods run
      eventually: { within: 30s, pods: { labelSelector: app=web, phase: Running, count: 2 } }
    - name: two web pods run by 10.1s
      eventually: { within: 10100ms, pods: { labelSelector: app=web, phase: Running, count: 2 } }
    - name: web is Available
      eventually: { condition: { kind: Deployment, name: web, condition: Available } }
    - name: a Deployment that does not exist
      eventually: { within: 20s, condition: { kind: Deployment, name: nope, condition: Available } }
    - name: two web pods from 30s to 55s
      always: { from: 30s, until: 55s, pods: { labelSelector: app=web, count: 2, minNodes: 2, maxPerNode: 1 } }
    - name: two web pods from 30s on
      always: { from: 30s, pods: { labelSelector: app=web, count: 2 } }
    - name: no pod fails
      never: { pods: { phase: Failed, count: { atLeast: 1 } } }
    - name: replicas never drop to 1
      never: { jsonPath: { kind: Deployment, name: web, path: $.spec.replicas, equals: 1 } }
    - name: every pod Running from 30s to 59s
      always:
        from: 30s
        until: 59s
        jsonPath: { kind: Pod, namespace: default, path: '$.items[*].status.phase', equals: Running }
    - name: one ReplicaSet
      eventually: { objects: { kind: ReplicaSet, namespace: default, count: 1 } }
    - name: switched off
      enabled: false
      never: { pods: { count: { atLeast: 0 } } }
    - name: one web pod at the end
      pods: { labelSelector: app=web, count: 1 }
`);
  let ran: Promise<{ report: RunReport; trace: TraceLine[] }> | undefined;
  const run = () => {
    ran ??= (async () => {
      const lines: string[] = [];
      const report = await runScenario(parseScenario(text, 'expectations.yaml'), {
        seed: 2,
        traceSink: (l) => lines.push(l),
      });
      return { report, trace: lines.map((l) => JSON.parse(l) as TraceLine) };
    })();
    return ran;
  };
  const verdict = async (name: string) => {
    const { report } = await run();
    const v = report.expectations.find((e) => e.name === name);
    expect(v, name).toBeDefined();
    return v!;
  };
  /** When the kubelets reported the pods of `prefix` Running, in order. */
  const runningTimes = (trace: TraceLine[], prefix: string) =>
    trace
      .filter(
        (r) =>
          r.k === 'kubelet.pod-phase' && r.phase === 'Running' && String(r.pod).startsWith(prefix),
      )
      .map((r) => r.t);

  it('eventually: met when the informer saw the second pod Running, reported in the trace', async () => {
    const { trace } = await run();
    const v = await verdict('two web pods run');
    expect(v.passed).toBe(true);
    const running = runningTimes(trace, 'default/web-');
    expect(running).toHaveLength(2);
    // The kubelet's status update reaches the runner's watch after a round of the API.
    expect(v.metAtUs).toBeGreaterThan(Math.max(...running));
    expect(v.metAtUs! - Math.max(...running)).toBeLessThan(500_000);
    const record = trace.find((r) => r.k === 'runner.verdict' && r.name === 'two web pods run');
    expect(record?.metAtUs).toBe(v.metAtUs);
  });

  it('eventually: fails past its bound, saying what it saw', async () => {
    const { trace } = await run();
    expect(Math.min(...runningTimes(trace, 'default/web-'))).toBeGreaterThan(10_100_000);
    const v = await verdict('two web pods run by 10.1s');
    expect(v.passed).toBe(false);
    expect(v.metAtUs).toBeUndefined();
    expect(v.detail).toMatch(/^not met within 10.1s: 0 matching pods/);
    const missing = await verdict('a Deployment that does not exist');
    expect(missing).toMatchObject({
      passed: false,
      detail: 'not met within 20s: Deployment default/nope not found',
    });
  });

  it('a when action fires the moment its condition holds; eventually on the same condition agrees', async () => {
    const { report, trace } = await run();
    const available = await verdict('web is Available');
    expect(available.passed).toBe(true);
    const met = trace.filter((r) => r.k === 'runner.condition-met');
    expect(met.map((r) => r.action)).toEqual(['expectations.yaml:25', 'expectations.yaml:27']);
    expect(met[0]?.t).toBe(available.metAtUs);
    const applied = trace.find(
      (r) => r.k === 'runner.action' && r.kind === 'ConfigMap' && r.name === 'web-available',
    );
    expect(applied?.status).toBe(201);
    expect(applied!.t).toBeGreaterThan(met[0]!.t);
    expect(report.conditionalActions[0]).toMatchObject({ firedAtUs: available.metAtUs });
  });

  it('after: a condition that already holds fires at the lower bound', async () => {
    const { report, trace } = await run();
    const met = trace.filter((r) => r.k === 'runner.condition-met');
    expect(met[1]?.t).toBe(20_000_000);
    expect(report.conditionalActions[1]?.firedAtUs).toBe(20_000_000);
    const label = trace.find((r) => r.k === 'runner.action' && r.action === 'label');
    expect(label?.t).toBeGreaterThanOrEqual(20_000_000);
  });

  it('a condition that never holds: the action never fires, and the summary says so', async () => {
    const { report, trace } = await run();
    expect(report.conditionalActions[2]).toEqual({
      source: 'expectations.yaml:30',
      condition: '5 pods (app=web)',
      detail: '1 matching pods on 1 nodes',
    });
    expect(trace.some((r) => r.k === 'runner.action' && r.action === 'cordon')).toBe(false);
    expect(summary(report, 1, undefined, false)).toContain(
      'NEVER FIRED  expectations.yaml:30  when 5 pods (app=web)  (last seen: 1 matching pods on 1 nodes)',
    );
  });

  it('always: holds through a window that ends before the scale-down', async () => {
    const v = await verdict('two web pods from 30s to 55s');
    expect(v).toMatchObject({
      passed: true,
      detail: '2 matching pods on 2 nodes, at most 1 on one node',
    });
    expect(v.violatedAtUs).toBeUndefined();
  });

  it('always: violated by the pod the scale-down deletes, at the moment the runner sees it', async () => {
    const { report, trace } = await run();
    const v = await verdict('two web pods from 30s on');
    expect(v.passed).toBe(false);
    const scaled = trace.find((r) => r.k === 'runner.scale');
    expect(v.violatedAtUs).toBeGreaterThan(scaled!.t - 1_000_000);
    expect(v.violatedAtUs).toBeLessThan(62_000_000);
    expect(v.violatedAtUs).toBeGreaterThanOrEqual(60_000_000);
    expect(v.objects).toHaveLength(1);
    const deleted = v.objects![0]!;
    expect(deleted).toMatch(/^Pod\/default\/web-/);
    const terminating = trace.find((r) => r.k === 'kubelet.pod-terminating');
    expect(`Pod/${String(terminating?.pod)}`).toBe(deleted);
    const left = report.pods.filter((p) => p.name.startsWith('web-') && !p.terminating);
    expect(left.map((p) => `Pod/default/${p.name}`)).not.toContain(deleted);
    const record = trace.find((r) => r.k === 'runner.verdict' && r.name === v.name);
    expect(record).toMatchObject({
      passed: false,
      violatedAtUs: v.violatedAtUs,
      objects: v.objects,
    });
  });

  it('never: violated when the scale lands; never: holds when nothing fails', async () => {
    const { trace } = await run();
    const v = await verdict('replicas never drop to 1');
    expect(v.passed).toBe(false);
    expect(v.objects).toEqual(['Deployment/default/web']);
    const scaled = trace.find((r) => r.k === 'runner.scale');
    // The runner's informer sees the new spec before or as the scale's answer arrives.
    expect(v.violatedAtUs).toBeGreaterThanOrEqual(60_000_000);
    expect(v.violatedAtUs).toBeLessThanOrEqual(scaled!.t + 100_000);
    expect(await verdict('no pod fails')).toMatchObject({ passed: true });
  });

  it('JSONPath over a list, object counts, switched-off and end-of-run expectations', async () => {
    const list = await verdict('every pod Running from 30s to 59s');
    expect(list).toMatchObject({ passed: true, detail: 'found "Running", "Running"' });
    const count = await verdict('one ReplicaSet');
    expect(count.passed).toBe(true);
    expect(count.metAtUs).toBeGreaterThan(10_000_000);
    expect(await verdict('switched off')).toEqual({
      name: 'switched off',
      passed: true,
      disabled: true,
      detail: 'disabled',
    });
    const end = await verdict('one web pod at the end');
    expect(end).toMatchObject({ passed: true, metAtUs: 80_000_000 });
  });
});

describe('determinism with conditional actions and watched kinds', () => {
  it('same seed, same trace; another seed, another trace', async () => {
    const text = readFileSync('scenarios/expectations.yaml', 'utf8');
    const hash = async (seed: number) =>
      (
        await runScenario(parseScenario(text, 'scenarios/expectations.yaml'), {
          seed,
          traceLevel: 'debug',
        })
      ).traceHash;
    const [a, b, c] = [await hash(4), await hash(4), await hash(5)];
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  }, 120_000);
});
