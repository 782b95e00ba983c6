/**
 * Every record the system emits matches its definition in core/trace: representative runs
 * (the shipped scenarios, which must also meet their own expectations, a scenario that walks through the runner's actions and every fault,
 * a store fuzz run with membership changes, kubelets with runtime faults, controllers under
 * message loss; scenarios/service-traffic.yaml emits traffic.window), all at debug level, go
 * through a TraceChecker. Then every defined kind must have been seen in some run, so a
 * definition cannot outlive its emitter unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ResourceQuota } from '../../../core/api/kinds/resource-quota.ts';
import { describe, expect, it } from 'vitest';
import {
  API_SERVER,
  CONTROLLER_MANAGER,
  storeMemberName,
} from '../../../core/cluster/identities.ts';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import type { OwnerReference } from '../../../core/api/meta-types.ts';
import { traceJsonSchema } from '../../../core/trace/docs.ts';
import {
  encodeCertificateRequest,
  standInCredential,
} from '../../../core/api/kinds/certificate-signing-request.ts';
import { standInSigner } from '../../../core/cluster/stand-in-signer.ts';
import { bootstrapTokenSecret, KUBEADM_JOIN_BINDINGS } from '../../../core/cluster/join.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import {
  kubeletClientRequest,
  requestNodeCredential,
} from '../../../core/kubelet/tls-bootstrap.ts';
import {
  CertificateManager,
  type CertificateValidity,
} from '../../../core/kubelet/certificate-manager.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import type { CronJob } from '../../../core/api/kinds/cron-job.ts';
import { parseTraceRecord, TRACE_DEFINITIONS, TraceChecker } from '../../../core/trace/index.ts';
import { DEFAULT_LINK, DEFAULT_NETWORK } from '../../../sim/network.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';
import { runStoreFuzz } from '../../../sim/store-fuzz/run-store-fuzz.ts';
import { Simulation } from '../../../sim/simulation.ts';
import { ClusterInvariants } from '../../../sim/invariants/cluster-invariants.ts';
import type { Entry, Index, NodeId, Term } from '../../../core/raft/types.ts';
import { encodeEntryOp } from '../../../core/store/member/op-codec.ts';
import type { Revision } from '../../../core/store/types.ts';
import type { TraceSink } from '../../../sim/trace.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import { getPod, pod, waitFor } from '../kubelet/harness.ts';
import {
  boundPod,
  FakeKubelet,
  mustCreate,
  mustUpdate,
  PodMonitor,
  replicaSet,
  replicationController,
  waitFor as waitUntil,
} from '../controllers/harness.ts';
import { deployment, FakeKubelets, withImage } from '../controllers/workloads.ts';

const S = 1_000_000;
const SCENARIOS = join(import.meta.dirname, '..', '..', '..', 'scenarios');

/** Kinds seen over every run of this file. */
const seen = new Set<string>();

/** The published JSON Schema must accept the same lines, for readers in other languages. */
const matchesJsonSchema = new Ajv2020({ strict: false }).compile(traceJsonSchema());

/** A sink for one run: checks each line, collects the problems and the kinds seen. */
function checked(): { sink: TraceSink; problems: string[] } {
  const checker = new TraceChecker();
  const problems: string[] = [];
  const sink: TraceSink = (line) => {
    const r = checker.line(line);
    if (r.ok) seen.add(r.record.k);
    else if (problems.length < 20) problems.push(r.problem);
    if (!matchesJsonSchema(JSON.parse(line)) && problems.length < 20)
      problems.push(`not valid against docs/trace.schema.json: ${line}`);
  };
  return { sink, problems };
}

function watch(sim: Simulation): string[] {
  const { sink, problems } = checked();
  sim.trace.addSink(sink);
  return problems;
}

/**
 * A tour of what a scenario can do: every action and fault kind, a PodDisruptionBudget,
 * preemption, a pod the kubelet must reject, a refused object, and a node that comes back
 * before its pods' tolerations run out. Long enough for the API server's first compaction.
 */
const TOUR = `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: trace-tour }
spec:
  seed: 7
  duration: 11m
  buggify: { apiserver.watch-early-close: 0.05 } # buggify.fired
  cluster:
    store: { members: 3 }
    nodes:
      - { namePrefix: node, count: 2, capacity: { cpu: '2', memory: 4Gi, pods: '110' } }
  objects:
    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: { name: web, namespace: default }
      spec:
        replicas: 3
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec:
            containers:
              - { name: nginx, image: nginx:1.25, resources: { requests: { cpu: 100m } } }
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: { name: web, namespace: default }
      spec: { minAvailable: 1, selector: { matchLabels: { app: web } } }
    - apiVersion: scheduling.k8s.io/v1
      kind: PriorityClass
      metadata: { name: vip }
      value: 1000
    - apiVersion: v1
      kind: Pod
      metadata: { name: lost, namespace: missing }
      spec: { containers: [{ name: app, image: nginx:1.25 }] }
    - apiVersion: v1
      kind: Pod
      metadata: { name: too-big, namespace: default }
      spec:
        nodeName: node-1
        containers: [{ name: app, image: nginx:1.25, resources: { requests: { cpu: '64' } } }]
    - apiVersion: v1
      kind: Pod
      metadata: { name: nowhere, namespace: default }
      spec:
        nodeSelector: { disk: none }
        containers: [{ name: app, image: nginx:1.25 }]
  actions:
    - at: 20s
      apply:
        apiVersion: v1
        kind: Pod
        metadata: { name: filler-1, namespace: default }
        spec:
          containers: [{ name: app, image: nginx:1.25, resources: { requests: { cpu: 1500m } } }]
    - at: 20s
      apply:
        apiVersion: v1
        kind: Pod
        metadata: { name: filler-2, namespace: default }
        spec:
          containers: [{ name: app, image: nginx:1.25, resources: { requests: { cpu: 1500m } } }]
    - at: 30s
      apply:
        apiVersion: v1
        kind: Pod
        metadata: { name: vip, namespace: default }
        spec:
          priorityClassName: vip
          containers: [{ name: app, image: nginx:1.25, resources: { requests: { cpu: 1500m } } }]
    - { at: 40s, delete: { kind: Pod, name: vip } }
    - { at: 45s, scale: { kind: ReplicaSet, name: web, replicas: 2 } }
    - { at: 50s, fault: { kind: partition, groups: [[etcd-0], [etcd-1, etcd-2]] } }
    - { at: 52s, fault: { kind: heal } }
    - { at: 53s, fault: { kind: block, from: node-1, to: apiserver } }
    - { at: 54s, fault: { kind: clog, process: scheduler, duration: 1s } }
    - { at: 55s, fault: { kind: link, lossProbability: 0.01 } }
    - { at: 56s, fault: { kind: heal } }
    - at: 57s
      fault: { kind: disk-faults, process: etcd-1, tornWriteProbability: 1, readErrorProbability: 0.5 }
    - { at: 58s, fault: { kind: crash, process: etcd-1 } }
    - { at: 59s, fault: { kind: restart, process: etcd-1 } }
    - { at: 60s, fault: { kind: wipe-disk, process: node-2 } }
    - { at: 61s, fault: { kind: clock-jump, process: node-2, by: 1s } }
    - { at: 62s, fault: { kind: clock-rate, process: node-2, rate: 1.01 } }
    - { at: 63s, cordon: { node: node-1 } }
    - { at: 63s, uncordon: { node: node-1 } }
    - { at: 64s, taint: { node: node-1, add: ['team=a:PreferNoSchedule'] } }
    - { at: 64s, label: { kind: Node, name: node-1, set: { zone: a } } }
    - at: 65s
      patch: { kind: ReplicaSet, name: web, type: merge, patch: { metadata: { annotations: { a: b } } } }
    - { at: 66s, drain: { node: node-1 } }
    - { at: 70s, fault: { kind: crash, process: node-2 } }
    - { at: 200s, fault: { kind: restart, process: node-2 } }
`;

describe('every emitted trace record matches its definition', () => {
  const scenarioFiles = readdirSync(SCENARIOS)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  it('the shipped scenarios are all here', () => {
    expect(scenarioFiles).toContain('quickstart.yaml');
  });

  // README points users at these files: each must also run to its end at its own seed with
  // every expectation met and every always-on invariant holding. (One run serves both checks:
  // the trace level changes what is written, never what happens.)
  it.each(scenarioFiles)(
    'scenarios/%s at debug level, meeting its expectations',
    async (file) => {
      const path = join(SCENARIOS, file);
      const scenario = parseScenario(readFileSync(path, 'utf8'), path);
      const { sink, problems } = checked();
      const report = await runScenario(scenario, {
        seed: scenario.spec.seed ?? 1,
        traceLevel: 'debug',
        traceSink: sink,
      });
      expect(problems).toEqual([]);
      expect(report.expectations.length).toBeGreaterThan(0);
      expect(report.expectations.filter((e) => !e.passed)).toEqual([]);
      expect(report.invariants.filter((v) => v.violations > 0)).toEqual([]);
    },
    120_000,
  );

  it('a scenario with every action and fault kind', async () => {
    const { sink, problems } = checked();
    await runScenario(parseScenario(TOUR, 'tour.yaml'), {
      seed: 7,
      traceLevel: 'debug',
      traceSink: sink,
    });
    expect(problems).toEqual([]);
    expect(seen.has('buggify.fired')).toBe(true);
  });

  it('a store fuzz run with leader faults and membership changes', async () => {
    const { sink, problems } = checked();
    const report = await runStoreFuzz({
      seed: 5,
      members: 3,
      durationUs: 7 * S,
      clients: 3,
      tuning: { snapshotEntries: 20, catchUpEntries: 5 },
      traceLevel: 'debug',
      traceSink: sink,
      faultSchedule: [
        // The first leader is elected at about 1.6 s.
        { atUs: 2_000_000, fault: { kind: 'isolate-leader', clients: ['client-0'] } },
        { atUs: 3_000_000, fault: { kind: 'heal' } },
        { atUs: 3_500_000, fault: { kind: 'crash-leader', restartAfterUs: 300_000 } },
        { atUs: 4_000_000, fault: { kind: 'replace-member', process: 'etcd-0' } },
        { atUs: 5_000_000, fault: { kind: 'lose-member', process: 'etcd-1' } },
        { atUs: 5_100_000, fault: { kind: 'crash', process: 'etcd-1' } },
      ],
    });
    expect(problems).toEqual([]);
    expect(report.violations).toEqual([]);
  });

  it('kubelets with runtime faults and a pod CIDR with room for one pod', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    const faults = {
      imagePullFailureProbability: 0.3,
      containerStartFailureProbability: 0.3,
      crashAfterStartProbability: 0.5,
      crashWithinUs: 2 * S,
    };
    spawnNode(sim, { name: 'node-1', runtime: { faults } });
    spawnNode(sim, { name: 'node-2', kubelet: { podCIDR: '10.244.2.0/30' } });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(S);
      for (const name of ['a', 'b', 'c']) await api.create(pod(name));
      for (const name of ['d', 'e']) await api.create(pod(name, {}, 'node-2'));
      await ports.clock.sleep(30 * S);
      await api.delete('Pod', 'default', 'd');
      await waitFor(
        ports,
        'd gone',
        async () => ((await getPod(api, 'd')) ? undefined : true),
        60 * S,
      );
    });
    expect(problems).toEqual([]);
  });

  it('controllers under message loss, cut off from the API server at the worst moments', async () => {
    const sim = controlPlane({
      seed: 21,
      traceLevel: 'debug',
      network: { ...DEFAULT_NETWORK, link: { ...DEFAULT_LINK, lossProbability: 0.05 } },
    });
    const problems = watch(sim);
    // When the first taint eviction is due, the controller manager is cut off from the API
    // server for two minutes: the eviction fails for good (taint-eviction.delete-failed), every
    // node then looks down (FullDisruption), and lifting the NoExecute taints fails too
    // (node-lifecycle.taint-error).
    let cutAtUs: number | undefined;
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k !== 'taint-eviction.scheduled' || cutAtUs !== undefined) return;
      // fireAtUs is the controller's clock reading (Unix µs); the cut is in virtual time.
      cutAtUs = r.fireAtUs - sim.epochUs - 1_000;
      sim.at(cutAtUs, () => sim.network.block(CONTROLLER_MANAGER, API_SERVER));
      sim.at(cutAtUs + 120 * S, () => sim.network.heal());
    });
    startControllerManager(sim);
    const monitor = new PodMonitor(sim);
    await runScript(
      sim,
      async (api, ports) => {
        const a = new FakeKubelet(ports, 'node-a');
        const b = new FakeKubelet(ports, 'node-b');
        await a.register();
        await b.register();
        await mustCreate(ports, api, boundPod('on-b', 'node-b'));
        await mustCreate(ports, api, replicaSet('web', 4));
        await waitUntil(ports, () => monitor.activeOf('web').length === 4, 120 * S, '4 pods');
        await mustUpdate(ports, api, 'ReplicaSet', 'default', 'web', (rs) => ({
          ...rs,
          spec: { ...rs.spec, replicas: 2 },
        }));
        await waitUntil(ports, () => monitor.activeOf('web').length === 2, 120 * S, '2 pods');
        b.running = false;
        await ports.clock.sleep(600 * S);
      },
      { deadlineUs: 2_000 * S },
    );
    expect(problems).toEqual([]);
    expect(cutAtUs).toBeDefined();
  });

  it('a ReplicaSet whose pod creates time out, so the controller lists to resolve them', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    // The store holds every message for 30 s from the controller's first create on: the create
    // outlives the controller's 10 s request timeout by far (so the pod cannot reach its
    // informer first), and the controller then lists the pods to learn what its create did
    // (rs.expectations-resolved).
    let clogged = false;
    let resolved = 0;
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'rs.expectations-resolved') resolved++;
      if (r.k !== 'rs.create-pods' || clogged) return;
      clogged = true;
      sim.network.clog(storeMemberName(0), 30 * S);
    });
    startControllerManager(sim);
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, replicaSet('web', 2));
      await ports.clock.sleep(60 * S);
    });
    expect(problems).toEqual([]);
    expect(resolved).toBeGreaterThan(0);
  });

  it('a ReplicationController whose pod creates time out, then scaled down', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    // As the ReplicaSet run above, for the ReplicationController's own records.
    let clogged = false;
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k !== 'rc.create-pods' || clogged) return;
      clogged = true;
      sim.network.clog(storeMemberName(0), 30 * S);
    });
    startControllerManager(sim, { controllers: ['replicationcontroller'] });
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, replicationController('web', 2));
      await ports.clock.sleep(60 * S);
      await mustUpdate(ports, api, 'ReplicationController', 'default', 'web', (rc) => ({
        ...rc,
        spec: { ...rc.spec, replicas: 0 },
      }));
      await ports.clock.sleep(10 * S);
    });
    expect(problems).toEqual([]);
  });

  it('a Deployment rolled out and updated behind a Service (stale caches make syncs fail and retry)', async () => {
    const sim = controlPlane({ seed: 3, traceLevel: 'debug' });
    const problems = watch(sim);
    const syncErrors = { deployment: 0, endpointslice: 0, endpoints: 0 };
    sim.trace.addSink((line) => {
      const k = parseTraceRecord(line).k;
      if (k === 'deployment.sync-error') syncErrors.deployment++;
      if (k === 'endpointslice.sync-error') syncErrors.endpointslice++;
      if (k === 'endpoints.sync-error') syncErrors.endpoints++;
    });
    startControllerManager(sim, {
      controllers: ['replicaset', 'deployment', 'endpointslice', 'endpoint'],
    });
    new FakeKubelets(sim);
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      });
      await mustCreate(ports, api, deployment('web', 4));
      // The pods become ready while the controller manager's requests cannot get through.
      await ports.clock.sleep(1 * S);
      sim.network.block(CONTROLLER_MANAGER, API_SERVER);
      await ports.clock.sleep(15 * S);
      sim.network.heal();
      await ports.clock.sleep(20 * S);
      await mustUpdate(ports, api, 'Deployment', 'default', 'web', (d) =>
        withImage(d, 'nginx:1.26'),
      );
      await ports.clock.sleep(60 * S);
    });
    expect(problems).toEqual([]);
    expect(syncErrors.deployment).toBeGreaterThan(0);
    expect(syncErrors.endpointslice).toBeGreaterThan(0);
    expect(syncErrors.endpoints).toBeGreaterThan(0);
  });

  it('Jobs on a node: one completes, one runs past its deadline (its pods deleted), a CronJob starts one late', async () => {
    const sim = controlPlane({ seed: 3, traceLevel: 'debug' });
    const problems = watch(sim);
    let syncErrors = 0;
    let cronSyncErrors = 0;
    sim.trace.addSink((line) => {
      const k = parseTraceRecord(line).k;
      if (k === 'job.sync-error') syncErrors++;
      if (k === 'cronjob.sync-error') cronSyncErrors++;
    });
    startScheduler(sim);
    startControllerManager(sim, { controllers: ['job', 'ttl-after-finished', 'cronjob'] });
    // The CronJob's first activation (60 s) finds the API server unreachable for a while.
    sim.at(59 * S, () => sim.network.block('controller-manager', 'apiserver'));
    sim.at(66 * S, () => sim.network.heal());
    spawnNode(sim);
    const job = (name: string, spec: object, command: string[]) => ({
      apiVersion: 'batch/v1' as const,
      kind: 'Job' as const,
      metadata: { name, namespace: 'default' },
      spec: {
        ...spec,
        template: {
          spec: {
            restartPolicy: 'Never' as const,
            containers: [{ name: 'work', image: 'busybox:1.36', command }],
          },
        },
      },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      await mustCreate(
        ports,
        api,
        job('done', { completions: 3, parallelism: 3, ttlSecondsAfterFinished: 5 }, ['sleep', '2']),
      );
      await mustCreate(ports, api, job('late', { activeDeadlineSeconds: 5 }, ['sleep', '60']));
      await mustCreate(ports, api, {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'minutely', namespace: 'default' },
        spec: { schedule: '* * * * *', jobTemplate: job('t', {}, ['sleep', '1']) },
      } as unknown as CronJob);
      await ports.clock.sleep(75 * S);
    });
    expect(problems).toEqual([]);
    expect(syncErrors).toBeGreaterThan(0);
    expect(cronSyncErrors).toBeGreaterThan(0);
  });

  it('a StatefulSet and a DaemonSet on two nodes, scaled down and updated, cut off for a while', async () => {
    // Seed 6: at seeds 4 and 5 the controller manager's pod watch, reopened with client-go's
    // backoff (0.8 s doubling to 30 s), tries again 0.1 s before the second cut heals, times out
    // and waits another 28 s; meanwhile the StatefulSet controller creates db-0 into 409s (its
    // cache lacks the db-0 whose create reply the cut lost) and the run ends before the
    // scale-down (statefulset.delete-pod) this test needs to see.
    const sim = controlPlane({ seed: 6, traceLevel: 'debug' });
    const problems = watch(sim);
    const syncErrors = { statefulset: 0, daemonset: 0 };
    const cut = new Set<string>();
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'statefulset.sync-error') syncErrors.statefulset++;
      if (r.k === 'daemonset.sync-error') syncErrors.daemonset++;
      // Each controller's first create goes out and is lost: its sync fails and retries.
      if ((r.k === 'statefulset.create-pod' || r.k === 'daemonset.create-pods') && !cut.has(r.k)) {
        cut.add(r.k);
        sim.network.block(CONTROLLER_MANAGER, API_SERVER);
        sim.at(sim.now + 15 * S, () => sim.network.heal());
      }
    });
    startScheduler(sim);
    startControllerManager(sim, { controllers: ['statefulset', 'daemonset'] });
    spawnNode(sim, { name: 'node-1', kubelet: { podCIDR: '10.244.1.0/24' } });
    spawnNode(sim, { name: 'node-2', kubelet: { podCIDR: '10.244.2.0/24' } });
    const template = (app: string, image: string) => ({
      metadata: { labels: { app } },
      spec: { containers: [{ name: 'c', image }] },
    });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      await mustCreate(ports, api, {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'default' },
        spec: {
          replicas: 2,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: template('db', 'nginx:1.25'),
        },
      });
      await mustCreate(ports, api, {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: template('agent', 'busybox:1.36'),
        },
      });
      await ports.clock.sleep(60 * S);
      await mustUpdate(ports, api, 'StatefulSet', 'default', 'db', (ss) => ({
        ...ss,
        spec: { ...ss.spec, replicas: 1 },
      }));
      await mustUpdate(ports, api, 'DaemonSet', 'default', 'agent', (ds) => ({
        ...ds,
        spec: { ...ds.spec, template: template('agent', 'busybox:1.37') },
      }));
      await ports.clock.sleep(60 * S);
    });
    expect(problems).toEqual([]);
    expect(syncErrors.statefulset).toBeGreaterThan(0);
    expect(syncErrors.daemonset).toBeGreaterThan(0);
  });

  it('the garbage collector, namespace, ServiceAccounts and root CA controllers, cut off for a while', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    startControllerManager(sim, {
      controllers: ['garbagecollector', 'namespace', 'serviceaccount', 'root-ca-cert-publisher'],
      rootCA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
    await runScript(sim, async (api, ports) => {
      const cm = (name: string, namespace: string, owners: OwnerReference[] = []) =>
        mustCreate(ports, api, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace, ownerReferences: owners },
        } as ConfigMap);
      const ref = (o: ConfigMap): OwnerReference => ({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: o.metadata.name ?? '',
        uid: o.metadata.uid ?? '',
        blockOwnerDeletion: true,
      });
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'b' },
      });
      for (const policy of ['Background', 'Foreground', 'Orphan'] as const) {
        const owner = await cm(`owner-${policy.toLowerCase()}`, 'default');
        await cm(`dependent-${policy.toLowerCase()}`, 'default', [ref(owner)]);
        await ports.clock.sleep(1 * S);
        await api.delete('ConfigMap', 'default', owner.metadata.name ?? '', {
          propagationPolicy: policy,
        });
      }
      // An owner in another namespace (gc.invalid-owner-ref), and one of a kind nobody serves,
      // which the collector retries (gc.sync-error).
      const here = await cm('here', 'default');
      await ports.clock.sleep(1 * S);
      await cm('there', 'b', [ref(here)]);
      await cm('widget-part', 'default', [
        { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'w-uid' },
      ]);
      // The controller manager is cut off while the namespace controller empties b and the
      // ServiceAccounts controller creates c's default ServiceAccount: their requests time out
      // (namespace.sync-error, serviceaccount.sync-error, root-ca-cert-publisher.sync-error), and
      // all finish after the heal.
      await api.delete('Namespace', undefined, 'b');
      await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } });
      await ports.clock.sleep(20_000);
      sim.network.block(CONTROLLER_MANAGER, API_SERVER);
      // A namespace whose quota refuses ConfigMaps: the root CA publisher's create fails there
      // (root-ca-cert-publisher.sync-error) and is retried.
      // (No quota controller runs here: the quota's status is written as it would.)
      await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'q' } });
      const quota = await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'no-configmaps', namespace: 'q' },
        spec: { hard: { 'count/configmaps': '0' } },
      } as ResourceQuota);
      await api.updateStatus({
        ...quota,
        status: { hard: { 'count/configmaps': '0' }, used: { 'count/configmaps': '0' } },
      });
      await ports.clock.sleep(15 * S);
      sim.network.heal();
      await ports.clock.sleep(60 * S);
    });
    expect(problems).toEqual([]);
  });

  it('a ResourceQuota charged by admission while the quota controller recounts it', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    let syncErrors = 0;
    sim.trace.addSink((line) => {
      if (parseTraceRecord(line).k === 'resourcequota.sync-error') syncErrors++;
    });
    startControllerManager(sim, { controllers: ['resourcequota'] });
    await runScript(sim, async (api, ports) => {
      const cm = (name: string) =>
        ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
        }) as ConfigMap;
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'q', namespace: 'default' },
        spec: { hard: { 'count/configmaps': '100' } },
      });
      await ports.clock.sleep(2 * S);
      // Each delete makes the controller recount while admission charges the creates: the
      // controller's status update carries a version admission has moved on from (a 409).
      for (let i = 0; i < 40; i++) await mustCreate(ports, api, cm(`old-${i}`));
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          await api.delete('ConfigMap', 'default', `old-${i}`);
          await api.create(cm(`new-${i}`));
        }),
      );
      await ports.clock.sleep(5 * S);
    });
    expect(problems).toEqual([]);
    expect(syncErrors).toBeGreaterThan(0);
  });

  it('two controller managers under leader election, the leader cut off for a while', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    startControllerManager(sim, { controllers: ['replicaset'], leaderElection: true }, 'kcm-a');
    startControllerManager(sim, { controllers: ['replicaset'], leaderElection: true }, 'kcm-b');
    let leader: string | undefined;
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'leader-election.acquired' && leader === undefined) leader = r.p;
    });
    await runScript(sim, async (_api, ports) => {
      await ports.clock.sleep(5 * S);
      sim.network.block(leader ?? '', API_SERVER);
      await ports.clock.sleep(30 * S);
      sim.network.heal();
      await ports.clock.sleep(10 * S);
    });
    expect(problems).toEqual([]);
  });

  it('the pod garbage collector cut off while it deletes finished pods', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    startControllerManager(sim, { controllers: ['podgc'], podGc: { terminatedPodThreshold: 1 } });
    await runScript(sim, async (api, ports) => {
      for (const name of ['done-1', 'done-2', 'done-3']) {
        const created = await mustCreate(ports, api, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: 'default' },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        });
        await api.updateStatus({ ...created, status: { phase: 'Succeeded' } });
      }
      // A pass falls inside the cut (passes are 20 s apart): its deletes fail (podgc.error);
      // the next one after the heal deletes them (podgc.delete).
      sim.network.block(CONTROLLER_MANAGER, API_SERVER);
      await ports.clock.sleep(25 * S);
      sim.network.heal();
      await ports.clock.sleep(30 * S);
    });
    expect(problems).toEqual([]);
  });

  it('the PersistentVolume binder and the protection controllers', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    startControllerManager(sim, {
      controllers: ['persistentvolume-binder', 'pvc-protection', 'pv-protection'],
    });
    const claim = (name: string, extra: object = {}, annotations: object = {}) => ({
      apiVersion: 'v1' as const,
      kind: 'PersistentVolumeClaim' as const,
      metadata: { name, namespace: 'default', annotations: { ...annotations } },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        ...extra,
      },
    });
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'sim' },
        provisioner: 'ksim.io/simulated',
        volumeBindingMode: 'Immediate',
      });
      // Provisioned and bound (pv.provision, pv.bind), then released and deleted (pv.reclaim)
      // once the protection controllers let the claim and the volume go.
      await mustCreate(ports, api, claim('data', { storageClassName: 'sim' }));
      await mustCreate(ports, api, {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'taken' },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          hostPath: { path: '/data/taken' },
          claimRef: { namespace: 'default', name: 'other' },
        },
      });
      // Marked as bound by the controller to a volume that names another claim: an invalid
      // binding, a sync error on every try (pv.sync-error).
      await mustCreate(
        ports,
        api,
        claim(
          'misbound',
          { storageClassName: '', volumeName: 'taken' },
          { 'pv.kubernetes.io/bound-by-controller': 'yes' },
        ),
      );
      await ports.clock.sleep(5 * S);
      await api.delete('PersistentVolumeClaim', 'default', 'data');
      await ports.clock.sleep(10 * S);
    });
    expect(problems).toEqual([]);
  });

  it('node IPAM with room for two nodes: a kubelet without a range takes one (kubelet.pod-cidr), nodeipam.allocate, then nodeipam.sync-error', async () => {
    const sim = controlPlane({ traceLevel: 'debug' });
    const problems = watch(sim);
    startControllerManager(sim, {
      controllers: ['nodeipam'],
      allocateNodeCIDRs: { clusterCIDR: '10.200.0.0/23', nodeCIDRMaskSize: 24 },
    });
    spawnNode(sim, { name: 'c', kubelet: { podCIDR: '', internalIP: '172.20.9.2' } });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(15 * S);
      for (const name of ['a', 'b']) {
        await mustCreate(ports, api, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
      }
      await ports.clock.sleep(5 * S);
    });
    expect(
      ['nodeipam.allocate', 'nodeipam.sync-error', 'kubelet.pod-cidr'].filter((k) => !seen.has(k)),
    ).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('TLS bootstrap: csr.approve and csr.sign for a joining node, its certificate rotated once and then not installed, csr.sync-error for a request its requester may not make', async () => {
    const sim = controlPlane({
      traceLevel: 'debug',
      apiServer: {
        access: { signer: SIM_SIGNER, authorization: 'Node,RBAC', enableBootstrapTokenAuth: true },
      },
    });
    const problems = watch(sim);
    startControllerManager(sim, {
      controllers: ['csrapproving', 'csrsigning'],
      clusterSigning: standInSigner(SIM_SIGNER),
    });
    await runScript(sim, async (api, ports) => {
      const token = 'abcdef.0123456789abcdef';
      await mustCreate(ports, api, bootstrapTokenSecret({ token }));
      for (const b of KUBEADM_JOIN_BINDINGS) await mustCreate(ports, api, b);
      await ports.clock.sleep(S);
      const bootstrap = new ApiClient(ports.transport, API_SERVER, {
        requestTimeoutUs: 10 * S,
        credential: token,
      });
      const issued = await requestNodeCredential(ports, bootstrap, 'joiner', {
        pollUs: S,
        timeoutUs: 30 * S,
      });
      expect(issued.ok).toBe(true);
      const credential = issued.ok ? standInCredential(issued.certificate) : undefined;
      if (!credential?.ok) throw new Error('no credential');
      // The certificate manager: a certificate past its rotation deadline is rotated
      // (kubelet.certificate-rotate); the next one the keeper will not install
      // (kubelet.certificate-rotate-error).
      const spent = (): CertificateValidity => ({
        notBeforeUs: ports.clock.now() - 100 * S,
        notAfterUs: ports.clock.now() + S,
      });
      let installs = 0;
      const manager = new CertificateManager(
        ports,
        new ApiClient(ports.transport, API_SERVER, {
          requestTimeoutUs: 10 * S,
          credential: credential.value,
        }),
        'joiner',
        kubeletClientRequest('joiner'),
        {
          current: spent,
          request: encodeCertificateRequest,
          install: () =>
            ++installs === 1
              ? { ok: true, validity: spent() }
              : { ok: false, message: 'the issued certificate is not for the key' },
        },
        { pollUs: S, timeoutUs: 30 * S, initialBackoffUs: S, maxBackoffUs: S },
      );
      manager.start();
      while (installs < 2) await ports.clock.sleep(S);
      manager.stop();
      // A token allowed to ask (system:node-bootstrapper) but not to have node requests approved.
      const plain = 'plains.0123456789abcdef';
      await mustCreate(ports, api, bootstrapTokenSecret({ token: plain, groups: [] }));
      await mustCreate(ports, api, {
        ...KUBEADM_JOIN_BINDINGS[0]!,
        metadata: { name: 'plain-bootstrap' },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:bootstrap:plains' },
        ],
      });
      await ports.clock.sleep(S);
      await mustCreate(
        ports,
        new ApiClient(ports.transport, API_SERVER, { requestTimeoutUs: 10 * S, credential: plain }),
        {
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { name: 'plain' },
          spec: {
            request: encodeCertificateRequest({
              commonName: 'system:node:x',
              organizations: ['system:nodes'],
            }),
            signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
            usages: ['digital signature', 'client auth'],
          },
        },
      );
      await ports.clock.sleep(5 * S);
    });
    expect(
      [
        'csr.approve',
        'csr.sign',
        'csr.sync-error',
        'kubelet.certificate-rotate',
        'kubelet.certificate-rotate-error',
      ].filter((k) => !seen.has(k)),
    ).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a committed history that moves a bound pod: invariant.violation', async () => {
    const sim = new Simulation({ seed: 1 });
    const problems = watch(sim);
    const invariants = new ClusterInvariants(sim, { enabled: {} });
    let index = 0;
    const bind = (nodeName: string): void => {
      index++;
      const value = JSON.stringify({
        kind: 'Pod',
        metadata: { name: 'a', namespace: 'default', uid: 'uid-a' },
        spec: { nodeName, containers: [{ name: 'c', image: 'i' }] },
      });
      const data = encodeEntryOp({ kind: 'put', key: '/registry/pods/default/a', value });
      const entry: Entry = { type: 'normal', data, term: 1 as Term, index: index as Index };
      invariants.probe.applied(1 as NodeId, entry, (index + 1) as Revision, 1 as Term);
    };
    bind('node-1');
    bind('node-2');
    sim.at(S, () => {});
    await sim.run({ untilUs: S });
    expect(invariants.finish().find((r) => r.name === 'pod-bound-once')?.violations).toBe(1);
    expect(problems).toEqual([]);
  });

  // Needs the runs above (vitest runs a file's tests in order): run the file, not this test.
  it('saw every defined record kind in some run above', () => {
    const missing = [...TRACE_DEFINITIONS.keys()].filter((kind) => !seen.has(kind));
    expect(missing, 'defined kinds no run emitted: extend a run, or drop the kind').toEqual([]);
  });
});
