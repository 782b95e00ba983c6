import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod, PodSpec } from '../../../core/api/pod-types.ts';
import { admitPod, emptyUsage, usageOf } from '../../../core/kubelet/admission.ts';
import {
  backoffSinceEndsAt,
  backoffSinceUpdateEndsAt,
  nextBackoff,
} from '../../../core/kubelet/backoff.ts';
import { nodeAllocatable, resolveKubeletConfig } from '../../../core/kubelet/config.ts';
import { ipInCidr, parseCidr } from '../../../core/kubelet/pod-ip.ts';
import { podDnsConfig, podHostname } from '../../../core/kubelet/pod-network.ts';
import { getPhase } from '../../../core/kubelet/pod-status.ts';
import { formatGoDuration } from '../../../core/kubelet/sync-pod.ts';

const S = 1_000_000;
const POLICY = { initialUs: 10 * S, maxUs: 300 * S };

describe('admission', () => {
  const allocatable = usageOf({ cpu: '2', memory: '1Gi', pods: '2', 'ephemeral-storage': '10Gi' });
  it.each([
    [
      { cpu: 500, memory: 0, ephemeralStorage: 0, pods: 1 },
      { cpu: 1000, memory: 0, ephemeralStorage: 0, pods: 1 },
      undefined,
    ],
    [
      { cpu: 1500, memory: 0, ephemeralStorage: 0, pods: 1 },
      { cpu: 1000, memory: 0, ephemeralStorage: 0, pods: 1 },
      'OutOfcpu',
    ],
    [
      { cpu: 0, memory: 2 ** 30, ephemeralStorage: 0, pods: 1 },
      { cpu: 0, memory: 1, ephemeralStorage: 0, pods: 0 },
      'OutOfmemory',
    ],
    [
      { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 1 },
      { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 2 },
      'OutOfpods',
    ],
    [
      { cpu: 5000, memory: 0, ephemeralStorage: 0, pods: 1 },
      { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 2 },
      'OutOfpods',
    ],
  ])('request %j with %j used -> %s', (request, used, reason) => {
    const r = admitPod(request, used, allocatable);
    expect(r.admit ? undefined : r.reason).toBe(reason);
  });

  it('words the rejection as upstream', () => {
    const r = admitPod({ ...emptyUsage(), pods: 1 }, { ...emptyUsage(), pods: 2 }, allocatable);
    expect(r.admit ? '' : r.message).toBe(
      "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2",
    );
  });
});

describe('backoff', () => {
  it('doubles from 10 s to 5 min and resets after 10 min without an update', () => {
    let e = nextBackoff(undefined, 0, POLICY);
    const delays = [e.delayUs];
    for (let i = 0; i < 6; i++) {
      e = nextBackoff(e, e.lastUpdateUs + 1, POLICY);
      delays.push(e.delayUs);
    }
    expect(delays.map((d) => d / S)).toEqual([10, 20, 40, 80, 160, 300, 300]);
    expect(nextBackoff(e, e.lastUpdateUs + 600 * S + 1, POLICY).delayUs).toBe(10 * S);
  });

  it('is in backoff from an event until event + delay', () => {
    const e = nextBackoff(undefined, 100 * S, POLICY);
    expect(backoffSinceEndsAt(undefined, 200 * S, 200 * S, POLICY)).toBeUndefined();
    expect(backoffSinceEndsAt(e, 150 * S, 155 * S, POLICY)).toBe(160 * S);
    expect(backoffSinceEndsAt(e, 150 * S, 160 * S, POLICY)).toBeUndefined();
    expect(backoffSinceUpdateEndsAt(e, 105 * S, POLICY)).toBe(110 * S);
    expect(backoffSinceUpdateEndsAt(e, 110 * S, POLICY)).toBeUndefined();
  });

  it.each([
    [10 * S, '10s'],
    [80 * S, '1m20s'],
    [300 * S, '5m0s'],
  ])('formats %i us as Go does: %s', (us, text) => expect(formatGoDuration(us)).toBe(text));
});

describe('pod CIDRs', () => {
  it('parse IPv4 networks with room for a gateway and a pod', () => {
    const cidr = parseCidr('10.244.7.0/29');
    expect(cidr).toEqual({ base: (10 * 256 + 244) * 65536 + 7 * 256, prefixLength: 29 });
    expect(ipInCidr('10.244.7.6', cidr!)).toBe(true);
    expect(ipInCidr('10.244.8.1', cidr!)).toBe(false);
    expect(parseCidr('10.244.0.0/31')).toBeUndefined();
    expect(parseCidr('300.0.0.0/24')).toBeUndefined();
  });
});

describe('allocatable', () => {
  it('is capacity minus reservations and hard eviction thresholds', () => {
    const config = resolveKubeletConfig({
      nodeName: 'n',
      podCIDR: '10.244.0.0/24',
      capacity: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' },
      kubeReserved: { cpu: '100m', memory: '256Mi' },
      systemReserved: { cpu: '200m', memory: '512Mi' },
    });
    expect(nodeAllocatable(config)).toEqual({
      cpu: '3700m',
      memory: '7324Mi',
      pods: '110',
      'ephemeral-storage': '90Gi',
    });
  });
});

describe('getPhase', () => {
  const spec = (restartPolicy: PodSpec['restartPolicy'], n = 1): PodSpec => ({
    restartPolicy,
    containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'i' })),
  });
  const st = (
    name: string,
    state: ContainerStatus['state'],
    lastState: ContainerStatus['lastState'] = {},
  ): ContainerStatus => ({
    name,
    state,
    lastState,
    ready: false,
    restartCount: 0,
    image: 'i',
    imageID: '',
  });
  const running = { running: {} };
  const exited = (exitCode: number) => ({ terminated: { exitCode } });
  const waiting = { waiting: { reason: 'ContainerCreating' } };
  it.each([
    ['Always', [running], false, 'Running'],
    ['Always', [waiting], false, 'Pending'],
    ['Always', [exited(1)], false, 'Running'],
    ['Never', [exited(0)], false, 'Succeeded'],
    ['Never', [exited(2)], false, 'Failed'],
    ['OnFailure', [exited(2)], false, 'Running'],
    ['OnFailure', [exited(0)], false, 'Succeeded'],
    ['Always', [exited(0)], true, 'Succeeded'],
    ['Always', [exited(137)], true, 'Failed'],
  ] as const)('%s with %j (terminal %s) is %s', (policy, states, terminal, phase) => {
    const statuses = states.map((s, i) => st(`c${i}`, s));
    expect(getPhase(spec(policy, states.length), [], statuses, terminal)).toBe(phase);
  });

  it('counts a waiting container with a previous exit as stopped, and a failed init under Never as Failed', () => {
    expect(getPhase(spec('Always'), [], [st('c0', waiting, exited(255))], false)).toBe('Running');
    const withInit: PodSpec = { ...spec('Never'), initContainers: [{ name: 'init', image: 'i' }] };
    expect(getPhase(withInit, [st('init', exited(1))], [st('c0', waiting)], false)).toBe('Failed');
    expect(getPhase(withInit, [st('init', running)], [st('c0', waiting)], false)).toBe('Pending');
  });
});

describe('pod DNS config (GetPodDNS)', () => {
  const config = resolveKubeletConfig({ nodeName: 'n', podCIDR: '10.244.0.0/24' });
  const cluster = ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];
  const host = { servers: [], searches: [], options: [] };
  const withSpec = (spec: Partial<PodSpec>): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns1' },
    spec: { containers: [], ...spec },
  });
  it.each<[string, Partial<PodSpec>, ReturnType<typeof podDnsConfig>]>([
    ['ClusterFirst', {}, { servers: ['10.96.0.10'], searches: cluster, options: ['ndots:5'] }],
    ['ClusterFirst on the host network falls back to the node', { hostNetwork: true }, host],
    [
      'ClusterFirstWithHostNet',
      { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' },
      { servers: ['10.96.0.10'], searches: cluster, options: ['ndots:5'] },
    ],
    ['Default', { dnsPolicy: 'Default' }, host],
    [
      'None takes only dnsConfig, at most 3 nameservers',
      {
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9', '1.0.0.1'],
          searches: ['example.com'],
          options: [{ name: 'edns0' }, { name: 'ndots', value: '1' }],
        },
      },
      {
        servers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'],
        searches: ['example.com'],
        options: ['edns0', 'ndots:1'],
      },
    ],
    [
      'dnsConfig is merged into ClusterFirst, its options winning by name',
      {
        dnsConfig: {
          nameservers: ['10.96.0.10'],
          searches: ['svc.cluster.local', 'x.y'],
          options: [{ name: 'ndots', value: '2' }],
        },
      },
      { servers: ['10.96.0.10'], searches: [...cluster, 'x.y'], options: ['ndots:2'] },
    ],
  ])('%s', (_, spec, expected) => expect(podDnsConfig(withSpec(spec), config)).toEqual(expected));

  it('names the sandbox after spec.hostname or the pod, within 63 characters', () => {
    expect(podHostname(withSpec({ hostname: 'db-0' }))).toBe('db-0');
    expect(podHostname(withSpec({}))).toBe('p');
    expect(podHostname(withSpec({ hostNetwork: true }))).toBe('');
    const long = { ...withSpec({}), metadata: { name: `${'a'.repeat(62)}-b` } };
    expect(podHostname(long)).toBe('a'.repeat(62));
  });
});
