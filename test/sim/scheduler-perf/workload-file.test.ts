/**
 * scheduler_perf's configuration format: the shipped files parse, and every mistake is reported
 * with the file, the test case and the path of the offending field.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkloadFile } from '../../../sim/scheduler-perf/load.ts';
import {
  matchesLabelFilter,
  parseGoDuration,
  parseWorkloadFile,
  WorkloadFileError,
  type WorkloadFile,
} from '../../../sim/scheduler-perf/workload-file.ts';

const BENCH = join(import.meta.dirname, '../../../scenarios/bench/scheduler');
const FILES = ['misc', 'affinity', 'topology_spreading'].map((d) =>
  join(BENCH, d, 'performance-config.yaml'),
);

const POD = `
apiVersion: v1
kind: Pod
metadata: {generateName: pod-}
spec:
  containers: [{name: c, image: pause}]
`;
const NODE = `
apiVersion: v1
kind: Node
metadata: {generateName: node-}
status: {capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
`;

/** Parses `text` as "perf.yaml" with templates from `files` (by relative path). */
function parse(
  text: string,
  files: Record<string, string> = { 'pod.yaml': POD, 'node.yaml': NODE },
): WorkloadFile {
  return parseWorkloadFile(text, {
    file: 'perf.yaml',
    templates: { resolve: (p) => `/t/${p}`, read: (p) => files[p.slice(3)] },
  });
}

function errorsOf(text: string, files?: Record<string, string>): string[] {
  try {
    parse(text, files);
  } catch (e) {
    if (e instanceof WorkloadFileError) return [...e.errors];
    throw e;
  }
  return [];
}

const BASIC = (ops: string, params = '{nodes: 5, pods: 10}', extra = '') => `
- name: Basic
  defaultPodTemplatePath: pod.yaml
  workloadTemplate:
${ops}
  workloads:
  - name: small
    params: ${params}${extra}
`;

const OK_OPS = `
  - opcode: createNodes
    countParam: $nodes
  - opcode: createPods
    countParam: $pods
    collectMetrics: true`;

describe('the shipped workload files', () => {
  it.each(FILES)('%s parses', (file) => {
    expect(loadWorkloadFile(file).testCases.length).toBeGreaterThan(0);
  });

  it('provide the workloads the benchmarks issue asks for, with upstream thresholds', () => {
    const all = new Map<string, number>();
    for (const f of FILES)
      for (const tc of loadWorkloadFile(f).testCases)
        for (const w of tc.workloads) all.set(`${tc.name}/${w.name}`, w.threshold);
    expect(Object.fromEntries([...all].filter(([, t]) => t > 0))).toEqual({
      'SchedulingBasic/5000Nodes_10000Pods': 680,
      'SchedulingBasic/5000Nodes_50000Pods': 810,
      'SchedulingDaemonset/15000Nodes': 1100,
      'PreemptionAsync/5000Nodes': 570,
      'Unschedulable/5kNodes/100Init/10kPods': 590,
      'Unschedulable/5kNodes/20kInit/10kPods': 600,
      'SchedulingPodAntiAffinity/5000Nodes_2000Pods': 60,
      'SchedulingPodAffinity/5000Nodes_5000Pods': 35,
      'SchedulingPreferredPodAffinity/5000Nodes_5000Pods': 90,
      'SchedulingPreferredPodAntiAffinity/5000Nodes_5000Pods': 90,
      'MixedSchedulingBasePod/5000Nodes_5000Pods': 140,
      'TopologySpreading/5000Nodes_5000Pods': 460,
    });
    expect(all.has('PreemptionBasic/5000Nodes')).toBe(true);
  });

  it('keeps upstream op semantics in the parsed form', () => {
    const misc = loadWorkloadFile(FILES[0] as string);
    const basic = misc.testCases.find((t) => t.name === 'SchedulingBasic');
    expect(basic?.workloadTemplate.map((o) => o.opcode)).toEqual([
      'createNodes',
      'createPods',
      'createPods',
    ]);
    const measure = basic?.workloadTemplate[2];
    expect(measure).toMatchObject({
      opcode: 'createPods',
      count: { param: 'measurePods' },
      collectMetrics: true,
    });
    expect(
      measure?.opcode === 'createPods' && measure.podTemplate.render({}).metadata.generateName,
    ).toBe('pod-');
    const unsched = misc.testCases.find((t) => t.name === 'Unschedulable');
    expect(unsched?.workloadTemplate[2]).toMatchObject({
      opcode: 'churn',
      mode: 'create',
      intervalUs: 200_000,
    });
  });
});

describe('workload file errors', () => {
  it('accepts a well-formed file', () => {
    expect(errorsOf(BASIC(OK_OPS))).toEqual([]);
  });

  it('names an unknown opcode and where it is', () => {
    expect(errorsOf(BASIC(`${OK_OPS}\n  - opcode: createFoo`))).toEqual([
      expect.stringMatching(
        /^perf\.yaml: \[0\] \(Basic\)\.workloadTemplate\[2\]\.opcode: unknown opcode "createFoo" \(known: createNodes, /,
      ),
    ]);
  });

  it('keeps a test case with a step ksim does not model, with the reason naming the step', () => {
    const f = parse(
      BASIC(
        `${OK_OPS}\n  - opcode: createPodGroups\n    countParam: $groups\n  - opcode: createPods\n    count: 1\n    steadyState: true`,
        '{nodes: 5, pods: 10, groups: 2}',
      ),
    );
    expect(f.testCases[0]?.unsupported).toEqual([
      '[0] (Basic).workloadTemplate[2].opcode: createPodGroups: ksim models no PodGroups (gang scheduling)',
      '[0] (Basic).workloadTemplate[3].steadyState: steady-state pod creation is not implemented',
    ]);
  });

  it('keeps a createAny of a kind ksim does not hold as unsupported, and checks its own kinds', () => {
    const files = {
      'pod.yaml': POD,
      'node.yaml': NODE,
      'claim.yaml': 'apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: c}\n',
      'svc.yaml':
        'apiVersion: v1\nkind: Service\nmetadata: {generateName: s-}\nspec: {selectr: {}}\n',
    };
    const f = parse(
      BASIC(`${OK_OPS}\n  - opcode: createAny\n    templatePath: claim.yaml\n    namespace: ns`),
      files,
    );
    expect(f.testCases[0]?.unsupported).toEqual([
      "[0] (Basic).workloadTemplate[2].templatePath: template claim.yaml holds a ResourceClaim; ksim's scheduler_perf harness holds Pod, Node, Namespace, Service only",
    ]);
    expect(
      errorsOf(BASIC(`${OK_OPS}\n  - opcode: createAny\n    templatePath: svc.yaml`), files),
    ).toEqual([expect.stringContaining('template svc.yaml: unknown field "spec.selectr"')]);
  });

  it('names a missing template with the field that references it', () => {
    const errors = errorsOf(
      BASIC(
        `${OK_OPS}\n  - opcode: createPods\n    count: 1\n    podTemplatePath: ../templates/nope.yaml`,
      ),
    );
    expect(errors).toEqual([
      'perf.yaml: [0] (Basic).workloadTemplate[2].podTemplatePath: template ../templates/nope.yaml not found (looked for /t/../templates/nope.yaml)',
    ]);
  });

  it('checks a template is the kind the op creates', () => {
    expect(
      errorsOf(
        BASIC(`  - opcode: createNodes\n    count: 1\n    nodeTemplatePath: pod.yaml${OK_OPS}`),
      ),
    ).toEqual([
      expect.stringContaining(
        'workloadTemplate[0].nodeTemplatePath: template pod.yaml has kind "Pod", expected Node',
      ),
    ]);
  });

  it('expands Go templates per object, and skips a test case using constructs ksim lacks', () => {
    const files = {
      'pod.yaml': POD,
      'idx.yaml': POD.replace('pod-', 'pod-{{.Index}}-of-{{.Count}}-{{.size}}-'),
      'range.yaml': POD.replace('pod-', '{{range .x}}{{end}}pod-'),
    };
    const f = parse(
      BASIC(
        `${OK_OPS}\n  - opcode: createPods\n    count: 1\n    podTemplatePath: idx.yaml\n    templateParams: {size: $pods}`,
      ),
      files,
    );
    const op = f.testCases[0]?.workloadTemplate[2];
    expect(op?.opcode === 'createPods' && op.podTemplate.dynamic).toBe(true);
    const pod =
      op?.opcode === 'createPods'
        ? op.podTemplate.render({ Index: 3, Count: 4, size: 9 })
        : undefined;
    expect(pod?.metadata.generateName).toBe('pod-3-of-4-9-');
    const skipped = parse(
      BASIC(`${OK_OPS}\n  - opcode: createPods\n    count: 1\n    podTemplatePath: range.yaml`),
      files,
    );
    expect(skipped.testCases[0]?.unsupported).toEqual([
      '[0] (Basic).workloadTemplate[2].podTemplatePath: template: range.yaml:4: {{range}} is not supported by ksim',
    ]);
  });

  it('accepts a Namespace template without a name and decodes members as Go does', () => {
    const files = {
      'pod.yaml': POD.replace('spec:', 'spec:\n  NodeName: ""'),
      'node.yaml': NODE,
      'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {labels: {team: devops}}\n',
    };
    const f = parse(
      BASIC(
        `${OK_OPS}\n  - opcode: createNamespaces\n    prefix: p\n    count: 1\n    namespaceTemplatePath: ns.yaml`,
      ),
      files,
    );
    const op = f.testCases[0]?.workloadTemplate[1];
    const pod = op?.opcode === 'createPods' ? op.podTemplate.render({}) : undefined;
    expect(pod?.spec).toHaveProperty('nodeName', '');
    expect(pod?.spec).not.toHaveProperty('NodeName');
  });

  it('names an undefined parameter reference per workload', () => {
    expect(
      errorsOf(
        BASIC(OK_OPS.replace('$pods', '$podz'), '{nodes: 5, podz: 1}').replace(
          'podz: 1',
          'pods: 1',
        ),
      ),
    ).toEqual([
      "perf.yaml: [0] (Basic/small): workloadTemplate[1].countParam: parameter podz is undefined in the workload's params",
      'perf.yaml: [0] (Basic/small): params.pods: defined but unused by the workload template (a typo?)',
    ]);
  });

  it('requires $ on parameter references and integers for counts', () => {
    expect(errorsOf(BASIC(OK_OPS.replace('$nodes', 'nodes')))).toEqual([
      expect.stringContaining(
        'workloadTemplate[0].countParam: expected a parameter reference like $name, got "nodes"',
      ),
      expect.stringContaining('params.nodes: defined but unused'),
    ]);
    expect(errorsOf(BASIC(OK_OPS, '{nodes: five, pods: 10}'))).toEqual([
      expect.stringContaining(
        'workloadTemplate[0].countParam: parameter nodes must be a non-negative integer, got "five"',
      ),
    ]);
  });

  it('refuses unknown fields like upstream (DisallowUnknownFields)', () => {
    expect(errorsOf(BASIC(OK_OPS.replace('collectMetrics: true', 'collectMetric: true')))).toEqual([
      expect.stringContaining(
        '[0] (Basic).workloadTemplate[1].collectMetric: unknown field (allowed: opcode, count, countParam,',
      ),
    ]);
    expect(errorsOf(BASIC(OK_OPS, '{nodes: 5, pods: 10}', '\n    treshold: 5'))).toEqual([
      expect.stringContaining('[0] (Basic).workloads[0].treshold: unknown field'),
    ]);
  });

  it('checks op options', () => {
    expect(
      errorsOf(
        BASIC(
          `${OK_OPS}\n  - opcode: createPods\n    count: 1\n    skipWaitToCompletion: true\n    collectMetrics: true`,
        ),
      ),
    ).toEqual([
      expect.stringContaining(
        'workloadTemplate[2].collectMetrics: collectMetrics and skipWaitToCompletion cannot be true at the same time',
      ),
      expect.stringContaining('workloadTemplate: more than one op collects metrics'),
    ]);
    expect(
      errorsOf(
        BASIC(`${OK_OPS}\n  - opcode: churn\n    mode: burst\n    templatePaths: [pod.yaml]`),
      ),
    ).toEqual([
      expect.stringContaining(
        'workloadTemplate[2].mode: invalid mode "burst": must be one of create, recreate',
      ),
    ]);
    expect(errorsOf(BASIC(`${OK_OPS}\n  - opcode: barrier\n    stageRequirement: Bound`))).toEqual([
      expect.stringContaining(
        'workloadTemplate[2].stageRequirement: expected Scheduled or Attempted, got "Bound"',
      ),
    ]);
    expect(errorsOf(BASIC(`${OK_OPS}\n  - opcode: sleep\n    duration: soon`))).toEqual([
      expect.stringContaining(
        'workloadTemplate[2].duration: expected a duration such as 500ms or 2s, got "soon"',
      ),
    ]);
  });

  it('reports every problem at once, and bad YAML shapes plainly', () => {
    const errors = errorsOf(`
- name: A
  workloadTemplate: [{opcode: nope}, {opcode: createPods}]
  workloads: [{name: w}, {name: w}]
`);
    expect(errors).toEqual([
      expect.stringContaining('[0] (A).workloadTemplate[0].opcode: unknown opcode "nope"'),
      expect.stringContaining(
        '[0] (A).workloadTemplate[1]: one of count or countParam is required',
      ),
      expect.stringContaining('[0] (A).workloads[1].name: workload name w is not unique'),
    ]);
    expect(errorsOf('name: not-a-list')).toEqual([
      expect.stringContaining('perf.yaml: expected a list of test cases'),
    ]);
  });
});

describe('helpers', () => {
  it.each([
    ['performance', ['performance'], true],
    ['performance', ['integration-test', 'short'], false],
    ['performance,-short', ['performance', 'short'], false],
    ['+integration-test,short', ['integration-test', 'short'], true],
    ['', ['anything'], true],
  ] as const)('label filter %j on %j -> %s', (filter, labels, want) => {
    expect(matchesLabelFilter(filter, labels)).toBe(want);
  });

  it('parses Go durations', () => {
    expect(parseGoDuration('1m30s')).toBe(90_000_000);
    expect(parseGoDuration('500ms')).toBe(500_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('x')).toBeUndefined();
  });
});
