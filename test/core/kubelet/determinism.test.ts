import { describe, expect, it } from 'vitest';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { pod } from './harness.ts';

/** Two nodes, pods that run, crash, complete and get deleted, and a node crash in between. */
async function scenario(seed: number): Promise<string> {
  const sim = controlPlane({ seed });
  spawnNode(sim, {
    name: 'node-1',
    runtime: {
      faults: {
        imagePullFailureProbability: 0.3,
        containerStartFailureProbability: 0.1,
        crashAfterStartProbability: 0.2,
        crashWithinUs: 20_000_000,
      },
    },
  });
  spawnNode(sim, { name: 'node-2', kubelet: { podCIDR: '10.244.2.0/24' } });
  await runScript(sim, async (api, ports) => {
    await ports.clock.sleep(1_000_000);
    for (let i = 0; i < 6; i++) {
      await api.create(
        pod(
          `p${i}`,
          { containers: [{ name: 'app', image: `img-${i % 3}:1` }] },
          i % 2 === 0 ? 'node-1' : 'node-2',
        ),
      );
    }
    await api.create(
      pod(
        'job',
        {
          restartPolicy: 'Never',
          containers: [{ name: 'app', image: 'img-0:1', command: ['sleep', '3'] }],
        },
        'node-2',
      ),
    );
    await ports.clock.sleep(15_000_000);
    await api.delete('Pod', 'default', 'p1');
    sim.crash('node-1');
    await ports.clock.sleep(5_000_000);
    sim.restart('node-1');
    await ports.clock.sleep(60_000_000);
  });
  return sim.trace.digest();
}

describe('kubelet determinism', () => {
  it('gives the same trace hash for the same seed and a different one for another seed', async () => {
    const a = await scenario(7);
    const b = await scenario(7);
    const c = await scenario(8);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});
