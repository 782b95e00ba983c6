import { describe, expect, it } from 'vitest';
import type { Event, Lease, Namespace } from '../../../../core/api/cluster-types.ts';
import { mustDefinitionFor, type TableCell } from '../../../../core/api/kinds/index.ts';
import type { Node } from '../../../../core/api/node-types.ts';
import type { Pod } from '../../../../core/api/pod-types.ts';
import type { PodDisruptionBudget } from '../../../../core/api/policy-types.ts';
import type { ReplicaSet } from '../../../../core/api/replica-set-types.ts';
import { formatTime } from '../../../../core/api/time.ts';
import type { KObject } from '../../../../core/api/types.ts';

const S = 1_000_000;
/** Objects are created at virtual time 0 and printed 5 minutes later unless a test says else. */
const NOW = 300 * S;
const CREATED = formatTime(0);

/** The header and the cells of one object, as `kubectl get` (or `-o wide`) prints them. */
function table(obj: KObject, wide = false, nowUs = NOW): { header: string[]; cells: TableCell[] } {
  const columns = mustDefinitionFor(obj.kind).table.filter((c) => wide || c.priority === 0);
  return {
    header: columns.map((c) => c.name),
    cells: columns.map((c) => c.cell(obj as never, nowUs)),
  };
}

const runningPod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', creationTimestamp: CREATED },
  spec: { nodeName: 'node-1', containers: [{ name: 'nginx', image: 'nginx:1.25' }] },
  status: {
    phase: 'Running',
    podIP: '10.244.1.5',
    podIPs: [{ ip: '10.244.1.5' }],
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'nginx',
        ready: true,
        restartCount: 0,
        image: 'nginx:1.25',
        imageID: '',
        state: { running: { startedAt: CREATED } },
      },
    ],
  },
};

describe('server-side printing columns (upstream pkg/printers/internalversion)', () => {
  it('pods: NAME READY STATUS RESTARTS AGE, and IP NODE NOMINATED NODE READINESS GATES wide', () => {
    expect(table(runningPod)).toEqual({
      header: ['Name', 'Ready', 'Status', 'Restarts', 'Age'],
      cells: ['web-1', '1/1', 'Running', '0', '5m'],
    });
    expect(table(runningPod, true).cells.slice(5)).toEqual([
      '10.244.1.5',
      'node-1',
      '<none>',
      '<none>',
    ]);
  });

  it('pods: waiting reasons, restarts with their age, init containers and deletion', () => {
    const crashing: Pod = {
      ...runningPod,
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'nginx',
            ready: false,
            restartCount: 3,
            image: 'nginx:1.25',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, finishedAt: formatTime(240 * S) } },
          },
        ],
      },
    };
    expect(table(crashing).cells).toEqual([
      'web-1',
      '0/1',
      'CrashLoopBackOff',
      '3 (60s ago)',
      '5m',
    ]);
    const initializing: Pod = {
      ...runningPod,
      spec: { ...runningPod.spec, initContainers: [{ name: 'init', image: 'busybox' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'init',
            ready: false,
            restartCount: 0,
            image: 'busybox',
            imageID: '',
            state: { running: {} },
          },
        ],
      },
    };
    expect(table(initializing).cells.slice(1, 3)).toEqual(['0/1', 'Init:0/1']);
    const terminating: Pod = {
      ...runningPod,
      metadata: { ...runningPod.metadata, deletionTimestamp: formatTime(330 * S) },
    };
    expect(table(terminating).cells[2]).toBe('Terminating');
    const completed: Pod = {
      ...runningPod,
      status: {
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'nginx',
            ready: false,
            restartCount: 0,
            image: 'nginx:1.25',
            imageID: '',
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
      },
    };
    expect(table(completed).cells.slice(1, 3)).toEqual(['0/1', 'Completed']);
  });

  it('nodes: NAME STATUS ROLES AGE VERSION', () => {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'node-1',
        creationTimestamp: CREATED,
        labels: { 'node-role.kubernetes.io/control-plane': '' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
        nodeInfo: {
          machineID: '',
          systemUUID: '',
          bootID: '',
          kernelVersion: '6.1.0',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          containerRuntimeVersion: 'containerd://1.6.20',
          kubeletVersion: 'v1.32.0',
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    };
    expect(table(node, false, 3 * 86_400 * S)).toEqual({
      header: ['Name', 'Status', 'Roles', 'Age', 'Version'],
      cells: ['node-1', 'Ready,SchedulingDisabled', 'control-plane', '3d', 'v1.32.0'],
    });
    expect(table(node, true).cells.slice(5)).toEqual([
      '10.0.0.1',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0',
      'containerd://1.6.20',
    ]);
    const fresh: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } };
    expect(table(fresh, false, 90 * S).cells).toEqual(['n2', 'Unknown', '<none>', '<unknown>', '']);
  });

  it('replica sets: NAME DESIRED CURRENT READY AGE, and CONTAINERS IMAGES SELECTOR wide', () => {
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-7d4b9', namespace: 'default', creationTimestamp: CREATED },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.25' },
              { name: 'log', image: 'busybox' },
            ],
          },
        },
      },
      status: { replicas: 3, readyReplicas: 2 },
    };
    expect(table(rs, true, 3 * 3600 * S + 5 * 60 * S)).toEqual({
      header: ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector'],
      cells: ['web-7d4b9', 3, 3, 2, '3h5m', 'nginx,log', 'nginx:1.25,busybox', 'app=web'],
    });
  });

  it('namespaces: NAME STATUS AGE', () => {
    const ns: Namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team', creationTimestamp: CREATED },
      status: { phase: 'Active' },
    };
    expect(table(ns, false, 45 * S)).toEqual({
      header: ['Name', 'Status', 'Age'],
      cells: ['team', 'Active', '45s'],
    });
  });

  it('leases: NAME HOLDER AGE', () => {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'node-1', namespace: 'kube-node-lease', creationTimestamp: CREATED },
      spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 },
    };
    expect(table(lease, false, 12 * 3600 * S)).toEqual({
      header: ['Name', 'Holder', 'Age'],
      cells: ['node-1', 'node-1', '12h'],
    });
  });

  it('events: LAST SEEN TYPE REASON OBJECT MESSAGE, and the wide columns', () => {
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.17a', namespace: 'default', creationTimestamp: CREATED },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
      reason: 'Scheduled',
      message: 'Successfully assigned default/web-1 to node-1 ',
      source: { component: 'default-scheduler' },
      type: 'Normal',
      firstTimestamp: formatTime(0),
      lastTimestamp: formatTime(200 * S),
    };
    expect(table(ev)).toEqual({
      header: ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
      cells: [
        '100s',
        'Normal',
        'Scheduled',
        'pod/web-1',
        'Successfully assigned default/web-1 to node-1',
      ],
    });
    expect(table(ev, true).cells).toEqual([
      '100s',
      'Normal',
      'Scheduled',
      'pod/web-1',
      '',
      'default-scheduler',
      'Successfully assigned default/web-1 to node-1',
      '5m',
      1,
      'web-1.17a',
    ]);
  });

  it('pod disruption budgets: NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE', () => {
    const pdb: PodDisruptionBudget = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: CREATED },
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
      status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 },
    };
    expect(table(pdb)).toEqual({
      header: ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'],
      cells: ['web', '50%', 'N/A', 1, '5m'],
    });
  });

  it('bindings have no printer: the default Name and Created At', () => {
    const b: KObject = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'web-1', namespace: 'default', creationTimestamp: CREATED },
      target: { kind: 'Node', name: 'node-1' },
    };
    expect(table(b)).toEqual({ header: ['Name', 'Created At'], cells: ['web-1', CREATED] });
  });
});
