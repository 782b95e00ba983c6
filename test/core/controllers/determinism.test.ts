import { describe, expect, it } from 'vitest';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import { DEFAULT_LINK, DEFAULT_NETWORK } from '../../../sim/network.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import {
  boundPod,
  FakeKubelet,
  mustCreate,
  mustUpdate,
  PodMonitor,
  replicaSet,
  waitFor,
} from './harness.ts';

const S = 1_000_000;

/** Both controllers under message loss: an RS scaled up and down, and a node that goes silent. */
async function scenario(
  seed: number,
): Promise<{ digest: string; records: number; kinds: string[] }> {
  const lossy = { ...DEFAULT_LINK, lossProbability: 0.05 };
  // Debug level records every message, so the digests compare the whole run, not just the outcomes.
  const sim = controlPlane({
    seed,
    network: { ...DEFAULT_NETWORK, link: lossy },
    traceLevel: 'debug',
  });
  startControllerManager(sim);
  const kinds = new Set<string>();
  sim.trace.addSink((line) => kinds.add(parseTraceRecord(line).k));
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
      await waitFor(ports, () => monitor.activeOf('web').length === 4, 120 * S, '4 pods');
      await mustUpdate(ports, api, 'ReplicaSet', 'default', 'web', (rs) => ({
        ...rs,
        spec: { ...rs.spec, replicas: 2 },
      }));
      await waitFor(ports, () => monitor.activeOf('web').length === 2, 120 * S, '2 pods');
      b.running = false;
      await ports.clock.sleep(500 * S);
    },
    { deadlineUs: 2_000 * S },
  );
  return { digest: sim.trace.digest(), records: sim.trace.records, kinds: [...kinds].sort() };
}

describe('determinism', () => {
  it('gives the same trace for the same seed and a different one for another seed', async () => {
    // A seed whose run shows every record kind below: under 5% loss some seeds lose the reply
    // to the status write that marks the node Unknown, and the record with it (seed 22 did
    // until the Endpoints, ReplicationController and HPA controllers joined the default set).
    const first = await scenario(26);
    const again = await scenario(26);
    const other = await scenario(27);
    expect(again).toEqual(first);
    expect(other.digest).not.toBe(first.digest);
    expect(first.kinds).toEqual(
      expect.arrayContaining([
        'rs.create-pods',
        'rs.delete-pods',
        'node-lifecycle.node-unknown',
        'node-lifecycle.taint',
        'taint-eviction.delete',
      ]),
    );
  });
});
