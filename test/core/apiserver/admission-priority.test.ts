import { describe, expect, it } from 'vitest';
import type { PriorityClass } from '../../../core/api/kinds/priority-class.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { ok, withApi } from './fixtures.ts';

const pod = (name: string, extra: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }], ...extra },
});

const priorityClass = (name: string, value: number, extra: Partial<PriorityClass> = {}) =>
  ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    ...extra,
  }) as PriorityClass;

async function specOf(api: ApiClient, p: Pod): Promise<Pod['spec']> {
  return ok(await api.create(p)).spec;
}

describe('Priority admission', () => {
  it('resolves priorityClassName, the global default, and priority 0 without one', async () => {
    await withApi(async (api) => {
      expect(await specOf(api, pod('plain'))).toMatchObject({
        priority: 0,
        preemptionPolicy: 'PreemptLowerPriority',
      });
      const critical = await specOf(
        api,
        pod('crit', { priorityClassName: 'system-node-critical' }),
      );
      expect(critical).toMatchObject({
        priorityClassName: 'system-node-critical',
        priority: 2_000_001_000,
      });
      ok(await api.create(priorityClass('high', 1000, { preemptionPolicy: 'Never' })));
      ok(await api.create(priorityClass('fallback', 10, { globalDefault: true })));
      expect(await specOf(api, pod('high', { priorityClassName: 'high' }))).toMatchObject({
        priority: 1000,
        preemptionPolicy: 'Never',
      });
      expect(await specOf(api, pod('defaulted'))).toMatchObject({
        priorityClassName: 'fallback',
        priority: 10,
      });
    });
  });

  it('refuses a missing class and a priority or policy other than the class says', async () => {
    await withApi(async (api) => {
      const missing = await api.create(pod('m', { priorityClassName: 'nope' }));
      expect(!missing.ok && missing.error).toMatchObject({
        code: 403,
        message: 'pods "m" is forbidden: no PriorityClass with name nope was found',
      });
      const stated = await api.create(pod('s', { priority: 7 }));
      expect(!stated.ok && stated.error).toMatchObject({
        code: 403,
        message:
          'pods "s" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
      });
      const policy = await api.create(pod('n', { preemptionPolicy: 'Never' }));
      expect(!policy.ok && policy.error.message).toBe(
        'pods "n" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
      );
    });
  });

  it('keeps the priority creation set when an update leaves it out', async () => {
    await withApi(async (api) => {
      const created = ok(
        await api.create(pod('u', { priorityClassName: 'system-cluster-critical' })),
      );
      const { priority: _p, preemptionPolicy: _pp, ...spec } = created.spec; // eslint-disable-line
      const updated = ok(
        await api.update({
          ...created,
          metadata: { ...created.metadata, labels: { a: 'b' } },
          spec,
        }),
      );
      expect((updated as Pod).spec.priority).toBe(2_000_000_000);
      expect(updated.metadata.labels).toEqual({ a: 'b' });
    });
  });
});
