/** Permit: a user-defined plugin (registered next to the in-tree ones) approves, denies or waits. */
import { describe, expect, it } from 'vitest';
import type {
  Plugin,
  PermitOutcome,
  PermitPlugin,
} from '../../../core/scheduler/framework/interface.ts';
import type { Registry, RegistryEntry } from '../../../core/scheduler/framework/profile.ts';
import { Status } from '../../../core/scheduler/framework/status.ts';
import { IN_TREE_REGISTRY } from '../../../core/scheduler/plugins/registry.ts';
import { makeEngine, node, pod } from './fixtures.ts';

const S = 1_000_000;

class Gate implements PermitPlugin {
  readonly name = 'Gate';
  constructor(private readonly verdict: () => PermitOutcome) {}
  permit(): PermitOutcome {
    return this.verdict();
  }
}

function engineWith(verdict: () => PermitOutcome) {
  const entry: RegistryEntry = { points: ['permit'], factory: (): Plugin => new Gate(verdict) };
  const registry: Registry = new Map([...IN_TREE_REGISTRY, ['Gate', entry]]);
  const t = makeEngine(
    {
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      profiles: [{ plugins: { permit: { enabled: [{ name: 'Gate' }] } } }],
    },
    1,
    undefined,
    registry,
  );
  t.engine.onNodeAdd(node('a', { cpu: '1' }));
  return t;
}

describe('Permit', () => {
  it('approves', async () => {
    const t = engineWith(() => ({ status: undefined, timeoutUs: 0 }));
    t.engine.onPodAdd(pod('p', { cpu: '1' }));
    const d = t.engine.scheduleOne();
    if (d?.kind !== 'assumed') throw new Error('not assumed');
    expect((await t.engine.runBindingCycle(d)).kind).toBe('bound');
  });

  it('denies: the reservation is undone and the pod waits unschedulable', () => {
    const t = engineWith(() => ({ status: Status.unschedulable('not now'), timeoutUs: 0 }));
    t.engine.onPodAdd(pod('p', { cpu: '1' }));
    const d = t.engine.scheduleOne();
    expect(d?.kind === 'failed' && d.message).toBe('not now');
    expect(t.engine.cache.getNodeInfo('a')?.pods.length).toBe(0);
    expect(t.engine.queue.whereIs('uid-default-p')).toBe('unschedulable');
  });

  it('waits until allowed; the node stays reserved meanwhile', async () => {
    const t = engineWith(() => ({ status: Status.of('Wait'), timeoutUs: 10 * S }));
    t.engine.onPodAdd(pod('p', { cpu: '1' }));
    t.engine.onPodAdd(pod('q', { cpu: '1' }));
    const d = t.engine.scheduleOne();
    if (d?.kind !== 'assumed') throw new Error('not assumed');
    const binding = t.engine.runBindingCycle(d);
    // The waiting pod holds the cpu: the next pod does not fit.
    expect(t.engine.scheduleOne()?.kind).toBe('failed');
    d.fwk.getWaitingPod(d.qpi.key)?.allow('Gate');
    expect((await binding).kind).toBe('bound');
  });

  it('rejects a waiting pod at the timeout', async () => {
    const t = engineWith(() => ({ status: Status.of('Wait'), timeoutUs: 10 * S }));
    t.engine.onPodAdd(pod('p', { cpu: '1' }));
    const d = t.engine.scheduleOne();
    if (d?.kind !== 'assumed') throw new Error('not assumed');
    const binding = t.engine.runBindingCycle(d);
    t.clock.advance(10 * S);
    const r = await binding;
    expect(r.kind === 'failed' && r.failure.message).toBe(
      'rejected due to timeout after waiting 10s at plugin Gate',
    );
    expect(t.engine.cache.getNodeInfo('a')?.pods.length).toBe(0);
    expect(t.actions.binds).toEqual([]);
  });
});
