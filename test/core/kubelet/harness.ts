import type { Pod } from '../../../core/api/pod-types.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import { Kubelet } from '../../../core/kubelet/kubelet.ts';
import type { KubeletOptions } from '../../../core/kubelet/config.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { Runtime } from '../../../core/ports/runtime.ts';
import { SimRuntime, type SimRuntimeOptions } from '../../../sim/runtime.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import type { TraceRecord } from '../../../sim/trace.ts';

export interface NodeSpec {
  readonly name?: string;
  readonly kubelet?: Partial<KubeletOptions>;
  readonly runtime?: Partial<SimRuntimeOptions>;
  /** Stands between the kubelet and the machine's runtime (to record or disturb calls). */
  readonly wrapRuntime?: (runtime: SimRuntime, ports: ProcessPorts) => Runtime;
}

/**
 * A node process: the machine's runtime and the kubelet are built in the factory, so a crash of
 * the process loses the containers, as a machine crash does.
 */
export function spawnNode(sim: Simulation, spec: NodeSpec = {}): string {
  const name = spec.name ?? 'node-1';
  sim.spawnProcess(name, (p) => {
    const machine = new SimRuntime(p, spec.runtime);
    const runtime = spec.wrapRuntime?.(machine, p) ?? machine;
    const api = new ApiClient(p.transport, 'apiserver');
    return new Kubelet(p, runtime, api, {
      nodeName: name,
      podCIDR: '10.244.1.0/24',
      ...spec.kubelet,
    });
  });
  return name;
}

/** Collects every trace record of the run. */
export function recordTrace(sim: Simulation): TraceRecord[] {
  const records: TraceRecord[] = [];
  sim.trace.addSink((line) => records.push(JSON.parse(line) as TraceRecord));
  return records;
}

export function pod(name: string, spec: Partial<Pod['spec']> = {}, nodeName = 'node-1'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      containers: [
        {
          name: 'app',
          image: 'nginx:1.25',
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
        },
      ],
      ...spec,
    },
  };
}

/** Polls every `pollUs` until `check` returns a value; throws after `timeoutUs`. */
export async function waitFor<T>(
  ports: ProcessPorts,
  what: string,
  check: () => Promise<T | undefined>,
  timeoutUs: number,
  pollUs = 50_000,
): Promise<T> {
  const deadline = ports.clock.now() + timeoutUs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (ports.clock.now() >= deadline)
      throw new Error(`timed out waiting for ${what} at ${ports.clock.now()}us`);
    await ports.clock.sleep(pollUs);
  }
}

export async function getPod(api: ApiClient, name: string): Promise<Pod | undefined> {
  const r = await api.get('Pod', 'default', name);
  return r.ok ? r.value : undefined;
}

export function podInPhase(
  api: ApiClient,
  name: string,
  phase: string,
  extra: (p: Pod) => boolean = () => true,
) {
  return async (): Promise<Pod | undefined> => {
    const p = await getPod(api, name);
    return p?.status?.phase === phase && extra(p) ? p : undefined;
  };
}
