/**
 * ksim's own kubelet (core/kubelet) on the containerd runtime: a simulated control plane paced
 * to the wall clock, one node whose runtime is real, one pod. The kubelet runs the pod's
 * container in a real pod namespace and reports it Running with the IP the runtime gave it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import type { ProbeNetwork } from '../../../core/ports/probe-network.ts';
import type { Transport } from '../../../core/ports/transport.ts';
import { LOCAL_IMAGE } from '../../../real/image/oci-image.ts';
import { HostProbeNetwork } from '../../../real/runtime/probe-network.ts';
import { OutsideRequests } from '../../../sim/outside-requests.ts';
import { runPaced, type WallClock } from '../../../sim/paced-run.ts';
import { nodeIdentity, nodePlan, type ClusterHost } from '../../../core/cluster/assembly.ts';
import { SIM_HOST, simMachine, type SimMachineOptions } from '../../../sim/cluster.ts';
import { adminClient, controlPlane } from '../../support/cluster.ts';
import { startRuntimeFixture, type RuntimeFixture } from './fixture.ts';
import { realRuntimeUnavailable } from './host.ts';

const unavailable = realRuntimeUnavailable();

const WALL: WallClock = {
  nowMs: () => performance.now(),
  sleep: (ms, wake) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void wake.then(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
};

/**
 * How long (wall time) the pod may take to be Running and Ready: generous, as the suite runs
 * the host tests beside the simulations, which keep both cores busy.
 */
const RUNNING_WITHIN_MS = 120_000;

describe.skipIf(unavailable !== undefined)('the kubelet on containerd (as root)', () => {
  let fx: RuntimeFixture | undefined;
  // The runtime reports times on the kubelet's clock (the simulation's, paced to the wall).
  let kubeletNowUs: () => number = () => Date.now() * 1000;

  beforeAll(async () => {
    fx = await startRuntimeFixture(() => kubeletNowUs());
  });

  afterAll(async () => {
    await fx?.tearDown();
  });

  it('runs a pod: Running and Ready through real probes, with the pod IP of a real namespace', async () => {
    const sim = controlPlane();
    // Real probes, counting the answers the kubelet got over the pod network.
    const real = new HostProbeNetwork();
    const httpAnswers: number[] = [];
    const probes: ProbeNetwork = {
      httpGet: async (request, timeoutUs) => {
        const answer = await real.httpGet(request, timeoutUs);
        if (answer.kind === 'response') httpAnswers.push(answer.statusCode);
        return answer;
      },
      tcpConnect: (host, port, timeoutUs) => real.tcpConnect(host, port, timeoutUs),
      grpcHealthCheck: (host, port, service, timeoutUs) =>
        real.grpcHealthCheck(host, port, service, timeoutUs),
    };
    // The node's machine: the simulated one's packet filter, the real runtime and real probes.
    const host: ClusterHost<SimMachineOptions> = {
      signer: SIM_HOST.signer,
      machine: (ports, node, options) => {
        kubeletNowUs = () => ports.clock.now();
        const simulated = simMachine(ports, node, options);
        return { ...simulated, runtime: fx!.runtime, probes };
      },
    };
    const plan = nodePlan(nodeIdentity('node-1', fx!.podCIDR), {}, host);
    sim.spawnProcess(plan.name, plan.start);
    const manifest: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        nodeName: 'node-1',
        containers: [
          {
            name: 'httpd',
            image: LOCAL_IMAGE,
            command: [
              'sh',
              '-c',
              'echo real > /var/www/index.html && exec httpd -f -p 8080 -h /var/www',
            ],
            resources: { limits: { cpu: '200m', memory: '64Mi' } },
            ports: [{ containerPort: 8080 }],
            // Readiness over HTTP from the node, liveness as a task exec in the container.
            readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
            livenessProbe: { exec: { command: ['cat', '/var/www/index.html'] }, periodSeconds: 1 },
          },
        ],
      },
    };
    let running: Pod | undefined;
    let failure: unknown;
    let transport: Transport | undefined;
    sim.spawnProcess('script', (p) => {
      transport = p.transport;
      p.spawn(async () => {
        try {
          await p.clock.sleep(100_000);
          const api = adminClient(p);
          const created = await api.create(manifest);
          if (!created.ok) throw new Error(`create: ${JSON.stringify(created)}`);
          for (;;) {
            const got = await api.get('Pod', 'default', 'web');
            const ready = got.ok
              ? got.value.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
              : false;
            if (got.ok && got.value.status?.phase === 'Running' && ready) {
              running = got.value;
              return;
            }
            await p.clock.sleep(100_000);
          }
        } catch (e) {
          failure = e;
        }
      });
    });
    const startMs = performance.now();
    const outside = new OutsideRequests(sim, transport!, API_SERVER);
    await runPaced(sim, outside, WALL, {
      speed: 1,
      stop: () =>
        running !== undefined ||
        failure !== undefined ||
        performance.now() - startMs > RUNNING_WITHIN_MS,
    });
    expect(failure).toBeUndefined();
    expect(running?.status?.phase).toBe('Running');
    expect(httpAnswers).toContain(200);
    const ip = running?.status?.podIP ?? '';
    const sandboxes = await fx!.runtime.listPodSandboxes();
    const sandbox = sandboxes.ok ? sandboxes.value.find((s) => s.name === 'web') : undefined;
    expect(sandbox?.network).toMatchObject({ kind: 'pod', ip });
    const answer = await new HostProbeNetwork().httpGet(
      { scheme: 'http', host: ip, port: 8080, path: '/', headers: [] },
      2_000_000,
    );
    expect(answer).toMatchObject({ kind: 'response', statusCode: 200, body: 'real\n' });
  }, 180_000);
});
