import { ApiServer } from '../../core/apiserver/server.ts';
import { ApiClient } from '../../core/client/api-client.ts';
import type { ProcessPorts } from '../../core/ports/process.ts';
import { KvService } from '../../core/store/kv-service.ts';
import { Simulation, type SimulationOptions } from '../../sim/simulation.ts';

/** A simulation with a single-member store ("etcd-0") and an API server ("apiserver"). */
export function controlPlane(options: Partial<SimulationOptions> = {}): Simulation {
  const sim = new Simulation({ seed: 1, ...options });
  sim.spawnProcess('etcd-0', (p) => new KvService(p));
  sim.spawnProcess('apiserver', (p) => new ApiServer(p, { storeMembers: ['etcd-0'] }));
  return sim;
}

/**
 * Runs `script` in a process named `name` after the API server has had time to start, and
 * resolves when it finishes (or the virtual deadline passes: then it throws).
 */
export async function runScript(
  sim: Simulation,
  script: (api: ApiClient, ports: ProcessPorts) => Promise<void>,
  opts: { name?: string; deadlineUs?: number } = {},
): Promise<void> {
  let done = false;
  sim.spawnProcess(opts.name ?? 'script', (p) =>
    p.spawn(async () => {
      await p.clock.sleep(100_000);
      await script(new ApiClient(p.transport, 'apiserver'), p);
      done = true;
    }),
  );
  await sim.run({ untilUs: sim.now + (opts.deadlineUs ?? 600_000_000), stopWhen: () => done });
  if (!done) throw new Error(`script did not finish by virtual time ${sim.now}us`);
}
