import type { Pod } from '../../../core/api/pod-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { parseTraceRecord, type TraceRecord } from '../../../core/trace/index.ts';

/** Collects every trace record of the run. */
export function recordTrace(sim: Simulation): TraceRecord[] {
  const records: TraceRecord[] = [];
  sim.trace.addSink((line) => records.push(parseTraceRecord(line)));
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
