import { describe, expect, it } from 'vitest';
import {
  addDefaultTolerations,
  defaultNamespace,
  defaultNode,
  defaultPod,
  defaultPullPolicy,
  defaultReplicaSet,
  imageTag,
} from '../../../core/api/defaults.ts';
import { defaultObject } from '../../../core/api/kinds/index.ts';
import type { Pod } from '../../../core/api/pod-types.ts';

describe('image pull policy', () => {
  const table: [string, string, string][] = [
    ['nginx', 'latest', 'Always'],
    ['nginx:latest', 'latest', 'Always'],
    ['nginx:1.25', '1.25', 'IfNotPresent'],
    ['registry:5000/team/app', 'latest', 'Always'],
    ['registry:5000/team/app:v2', 'v2', 'IfNotPresent'],
    ['app@sha256:abcd', '', 'IfNotPresent'],
    ['app:v1@sha256:abcd', 'v1', 'IfNotPresent'],
  ];
  it.each(table)('%s', (image, tag, policy) => {
    expect(imageTag(image)).toBe(tag);
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});

describe('defaultPod', () => {
  const input: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
        },
      ],
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
    },
  };
  const frozen = structuredClone(input);
  const out = defaultPod(input);

  it('fills upstream defaults', () => {
    expect(out.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
    });
    expect(out.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      // Requests default from limits only where a request is missing.
      resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
    });
    expect(out.spec.initContainers?.[0]?.imagePullPolicy).toBe('IfNotPresent');
  });

  it('does not mutate its input and keeps explicit values', () => {
    expect(input).toEqual(frozen);
    const explicit = defaultPod({
      ...input,
      spec: { ...input.spec, restartPolicy: 'Never', priority: 7, schedulerName: 'mine' },
    });
    expect(explicit.spec).toMatchObject({
      restartPolicy: 'Never',
      priority: 7,
      schedulerName: 'mine',
    });
    expect(defaultPod(out)).toEqual(out);
  });

  it('hostNetwork copies containerPort into hostPort', () => {
    const hn = defaultPod({ ...input, spec: { ...input.spec, hostNetwork: true } });
    expect(hn.spec.containers[0]?.ports?.[0]).toEqual({
      containerPort: 80,
      protocol: 'TCP',
      hostPort: 80,
    });
  });

  it('adds not-ready/unreachable tolerations once', () => {
    const t = addDefaultTolerations(out);
    expect(t.spec.tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    expect(addDefaultTolerations(t)).toBe(t);
  });
});

describe('other kinds', () => {
  it('ReplicaSet replicas default to 1 and the template is defaulted', () => {
    const rs = defaultReplicaSet({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'r', namespace: 'd' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { spec: { containers: [{ name: 'c', image: 'x:1' }] } },
      },
    });
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template?.spec.restartPolicy).toBe('Always');
    expect(defaultReplicaSet({ ...rs, spec: { ...rs.spec, replicas: 0 } }).spec.replicas).toBe(0);
  });

  it('Node allocatable defaults to capacity', () => {
    const n = defaultNode({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      status: { capacity: { cpu: '4' } },
    });
    expect(n.status?.allocatable).toEqual({ cpu: '4' });
  });

  it('Namespace gets phase Active and its name label', () => {
    const ns = defaultNamespace({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team' },
    });
    expect(ns.status?.phase).toBe('Active');
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team' });
  });

  it('defaultObject dispatches and leaves plain kinds alone', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l', namespace: 'd' },
    } as const;
    expect(defaultObject(lease)).toBe(lease);
  });
});
