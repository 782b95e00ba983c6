import { describe, expect, it } from 'vitest';
import { defaultPod, defaultReplicaSet } from '../../../core/api/defaults.ts';
import { formatFieldError, type FieldError } from '../../../core/api/field-error.ts';
import type { Lease, Namespace } from '../../../core/api/cluster-types.ts';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod, PodSpec } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import { validateObject, validateObjectUpdate } from '../../../core/api/kinds/index.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function pod(
  spec: Partial<PodSpec> = {},
  meta: Pod['metadata'] = { name: 'web', namespace: 'default' },
): Pod {
  return defaultPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta,
    spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...spec },
  });
}

function messages(errs: readonly FieldError[]): string[] {
  return errs.map(formatFieldError);
}

describe('object meta', () => {
  const table: [string, Pod['metadata'], string[]][] = [
    ['valid', { name: 'web', namespace: 'default' }, []],
    [
      'upper-case name',
      { name: 'Foo', namespace: 'default' },
      [`metadata.name: Invalid value: "Foo": ${SUBDOMAIN_MSG}`],
    ],
    [
      'no name',
      { namespace: 'default' },
      ['metadata.name: Required value: name or generateName is required'],
    ],
    ['generateName ending in dash', { generateName: 'web-', namespace: 'default' }, []],
    [
      'bad generateName',
      { generateName: 'Web-', namespace: 'default' },
      [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MSG}`],
    ],
    ['no namespace', { name: 'web' }, ['metadata.namespace: Required value']],
    [
      'bad namespace',
      { name: 'web', namespace: 'a.b' },
      ['metadata.namespace: Invalid value: "a.b": must not contain dots'],
    ],
    [
      'bad label value',
      { name: 'web', namespace: 'default', labels: { app: 'a b' } },
      [
        `metadata.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ],
    [
      'bad label key',
      { name: 'web', namespace: 'default', labels: { '/x': 'y' } },
      ['metadata.labels: Invalid value: "/x": prefix part must be non-empty'],
    ],
    [
      'upper-case annotation key is fine',
      { name: 'web', namespace: 'default', annotations: { 'Example.com/Key': 'v' } },
      [],
    ],
    [
      'non-qualified finalizer',
      { name: 'web', namespace: 'default', finalizers: ['cleanup'] },
      [
        'metadata.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
      ],
    ],
    [
      'standard finalizer',
      { name: 'web', namespace: 'default', finalizers: ['foregroundDeletion', 'example.com/x'] },
      [],
    ],
  ];
  it.each(table)('%s', (_name, meta, want) => {
    expect(messages(validateObject(pod({}, meta)))).toEqual(want);
  });

  it('namespaces are DNS labels and cluster-scoped', () => {
    const ns = (name: string, namespace?: string): Namespace => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, ...(namespace ? { namespace } : {}) },
    });
    expect(messages(validateObject(ns('team-a')))).toEqual([]);
    expect(messages(validateObject(ns('Team')))).toEqual([
      `metadata.name: Invalid value: "Team": ${LABEL_MSG}`,
    ]);
    expect(messages(validateObject(ns('x', 'default')))).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });
});

describe('pod', () => {
  const table: [string, Partial<PodSpec>, string[]][] = [
    ['minimal', {}, []],
    ['no containers', { containers: [] }, ['spec.containers: Required value']],
    [
      'container without name or image',
      { containers: [{ name: '', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }] },
      ['spec.containers[0].name: Required value', 'spec.containers[0].image: Required value'],
    ],
    [
      'duplicate container names across init and regular',
      { initContainers: [{ name: 'app', image: 'busybox' }] },
      ['spec.containers[0].name: Duplicate value: "app"'],
    ],
    [
      'bad container name',
      { containers: [{ name: 'App_1', image: 'x' }] },
      [`spec.containers[0].name: Invalid value: "App_1": ${LABEL_MSG}`],
    ],
    [
      'bad restart policy',
      { restartPolicy: 'Sometimes' as never },
      [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ],
    ],
    [
      'bad quantity',
      { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1 core' } } }] },
      [
        `spec.containers[0].resources.requests[cpu]: Invalid value: "1 core": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      ],
    ],
    [
      'negative quantity',
      { containers: [{ name: 'app', image: 'x', resources: { limits: { memory: '-1Mi' } } }] },
      [
        'spec.containers[0].resources.limits[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
      ],
    ],
    [
      'request above limit',
      {
        containers: [
          { name: 'app', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
        ],
      },
      [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      ],
    ],
    [
      'extended resource must be integer and equal',
      {
        containers: [
          {
            name: 'app',
            image: 'x',
            resources: { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '2' } },
          },
        ],
      },
      [
        'spec.containers[0].resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2',
      ],
    ],
    [
      'non-standard resource',
      { containers: [{ name: 'app', image: 'x', resources: { requests: { gpu: '1' } } }] },
      [
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      ],
    ],
    [
      'port out of range',
      { containers: [{ name: 'app', image: 'x', ports: [{ containerPort: 70000 }] }] },
      [
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      ],
    ],
    [
      'bad protocol',
      {
        containers: [
          { name: 'app', image: 'x', ports: [{ containerPort: 80, protocol: 'HTTP' as never }] },
        ],
      },
      [
        'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
    [
      'toleration with empty key needs Exists',
      { tolerations: [{ operator: 'Equal', value: 'x' }] },
      [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ],
    ],
    [
      'toleration effect enum',
      { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoWay' as never }] },
      [
        'spec.tolerations[0].effect: Unsupported value: "NoWay": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    ],
    [
      'toleration operator enum',
      { tolerations: [{ key: 'k', operator: 'Gte' as never }] },
      [
        'spec.tolerations[0].operator: Unsupported value: "Gte": supported values: "Equal", "Exists"',
      ],
    ],
    [
      'tolerationSeconds needs NoExecute',
      {
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }],
      },
      [
        'spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set',
      ],
    ],
    ['priority with priorityClassName is fine', { priority: 10, priorityClassName: 'high' }, []],
    [
      'topology spread',
      {
        topologySpreadConstraints: [
          { maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'Maybe' as never },
        ],
      },
      [
        'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
        'spec.topologySpreadConstraints[0].topologyKey: Required value: can not be empty',
        'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"',
      ],
    ],
    [
      'affinity weights and topology keys',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }],
          },
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: '' }],
          },
        },
      },
      [
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
        'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
      ],
    ],
    [
      'duplicate scheduling gates',
      { schedulingGates: [{ name: 'example.com/a' }, { name: 'example.com/a' }] },
      ['spec.schedulingGates[1]: Duplicate value: "example.com/a"'],
    ],
  ];
  it.each(table)('%s', (_name, spec, want) => {
    expect(messages(validateObject(pod(spec)))).toEqual(want);
  });

  it('requires defaulted fields, as upstream validates after defaulting', () => {
    const raw: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'd' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    expect(messages(validateObject(raw))).toEqual([
      'spec.containers[0].imagePullPolicy: Required value',
      "spec.containers[0].terminationMessagePolicy: Required value: must be 'File' or 'FallbackToLogsOnError'",
      'spec.restartPolicy: Required value',
      'spec.dnsPolicy: Required value',
    ]);
  });
});

describe('pod update', () => {
  const base = pod(
    {
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
      schedulingGates: [{ name: 'example.com/g' }],
    },
    { name: 'web', namespace: 'default', uid: 'u1' },
  );
  const withSpec = (spec: Partial<PodSpec>, meta: Partial<Pod['metadata']> = {}): Pod => ({
    ...base,
    metadata: { ...base.metadata, ...meta },
    spec: { ...base.spec, ...spec },
  });
  const FORBIDDEN_PREFIX = 'spec: Forbidden: pod updates may not change fields other than';

  const table: [string, Pod, string[]][] = [
    ['no change', base, []],
    [
      'image change',
      withSpec({ containers: [{ ...base.spec.containers[0]!, image: 'nginx:1.26' }] }),
      [],
    ],
    [
      'add toleration',
      withSpec({ tolerations: [...base.spec.tolerations!, { key: 'x', operator: 'Exists' }] }),
      [],
    ],
    [
      'shrink tolerationSeconds',
      withSpec({ tolerations: [{ ...base.spec.tolerations![0]!, tolerationSeconds: 10 }] }),
      [],
    ],
    ['remove scheduling gate', withSpec({ schedulingGates: [] }), []],
    ['set activeDeadlineSeconds', withSpec({ activeDeadlineSeconds: 30 }), []],
  ];
  it.each(table)('allowed: %s', (_name, next, want) => {
    expect(messages(validateObjectUpdate(next, base))).toEqual(want);
  });

  it('forbids other spec changes, including nodeName', () => {
    for (const next of [
      withSpec({ nodeName: 'node-1' }),
      withSpec({ restartPolicy: 'Never' }),
      withSpec({ priority: 5 }),
    ]) {
      const msgs = messages(validateObjectUpdate(next, base));
      expect(msgs).toHaveLength(1);
      expect(msgs[0]?.startsWith(FORBIDDEN_PREFIX)).toBe(true);
    }
  });

  it('guards tolerations, gates, identity', () => {
    expect(messages(validateObjectUpdate(withSpec({ tolerations: [] }), base))).toEqual([
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
    expect(
      messages(
        validateObjectUpdate(
          withSpec({ schedulingGates: [{ name: 'example.com/g' }, { name: 'example.com/h' }] }),
          base,
        ),
      ),
    ).toEqual([
      "spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/h'",
    ]);
    expect(messages(validateObjectUpdate(withSpec({}, { uid: 'u2' }), base))).toEqual([
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
    expect(messages(validateObjectUpdate(withSpec({}, { name: 'other' }), base))).toEqual([
      'metadata.name: Invalid value: "other": field is immutable',
    ]);
    expect(
      messages(
        validateObjectUpdate(
          withSpec({ containers: [{ ...base.spec.containers[0]!, image: '' }] }),
          base,
        ),
      ),
    ).toEqual(['spec.containers[0].image: Required value']);
  });
});

describe('replica set', () => {
  const rs = (
    spec: Partial<ReplicaSet['spec']>,
    tplLabels: Record<string, string> = { app: 'web' },
  ): ReplicaSet =>
    defaultReplicaSet({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: tplLabels },
          spec: { containers: [{ name: 'app', image: 'nginx' }] },
        },
        ...spec,
      },
    });

  const table: [string, ReplicaSet, string[]][] = [
    ['valid', rs({}), []],
    [
      'negative replicas',
      rs({ replicas: -1 }),
      ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'selector mismatch',
      rs({}, { app: 'db' }),
      [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"db"}: `selector` does not match template `labels`',
      ],
    ],
    [
      // Upstream reports both: an absent selector selects nothing, so the template cannot match.
      'missing selector',
      rs({ selector: undefined as never }),
      [
        'spec.selector: Required value',
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
    [
      'empty selector',
      rs({ selector: {} }),
      ['spec.selector: Invalid value: {}: empty selector is invalid for deployment'],
    ],
  ];
  it.each(table)('%s', (_name, obj, want) => {
    expect(messages(validateObject(obj))).toEqual(want);
  });

  it('requires restartPolicy Always in the template', () => {
    const bad = rs({});
    const next: ReplicaSet = {
      ...bad,
      spec: {
        ...bad.spec,
        template: {
          ...bad.spec.template!,
          spec: { ...bad.spec.template!.spec, restartPolicy: 'Never' },
        },
      },
    };
    expect(messages(validateObject(next))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('selector is immutable', () => {
    const old = rs({});
    const next = rs({ selector: { matchLabels: { app: 'web', v: '2' } } }, { app: 'web', v: '2' });
    expect(messages(validateObjectUpdate(next, old))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","v":"2"}}: field is immutable',
    ]);
    expect(messages(validateObjectUpdate(rs({ replicas: 5 }), old))).toEqual([]);
  });
});

describe('node and lease', () => {
  it('validates taints', () => {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: {
        taints: [
          { key: 'k', effect: 'NoSchedule' },
          { key: 'k', effect: 'NoSchedule' },
          { key: 'bad key', effect: 'Sometimes' as never },
        ],
      },
      status: { capacity: { cpu: '4', memory: 'lots' } },
    };
    expect(messages(validateObject(node))).toEqual([
      'spec.taints[1]: Duplicate value: {"key":"k","effect":"NoSchedule"}: taints must be unique by key and effect pair',
      `spec.taints[2].key: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      'spec.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      `status.capacity[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ]);
  });

  it('accepts pods in node capacity and allocatable, but not in container resources', () => {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { pods: '110', 'example.com/gpu': '2' },
      },
    };
    expect(messages(validateObject(node))).toEqual([]);
    const badNode: Node = { ...node, status: { capacity: { widgets: '3' } } };
    expect(messages(validateObject(badNode))).toEqual([
      'status.capacity[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified',
    ]);
  });

  it('validates lease durations', () => {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'node-1', namespace: 'kube-node-lease' },
      spec: { leaseDurationSeconds: 0, leaseTransitions: -1 },
    };
    expect(messages(validateObject(lease))).toEqual([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
});
