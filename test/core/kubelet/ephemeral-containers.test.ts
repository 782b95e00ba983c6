/**
 * Ephemeral containers (`kubectl debug`): the API takes them only through
 * pods/ephemeralcontainers, with upstream's validation (ValidatePodCreate,
 * ValidatePodEphemeralContainersUpdate); ksim's kubelet does not run them and says so once per
 * container with a Warning Event, starting nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Event } from '../../../core/api/cluster-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { pod, podInPhase, recordTrace, waitFor } from './harness.ts';

const PATH = '/api/v1/namespaces/default/pods/web/ephemeralcontainers';

const debugger1 = { name: 'debugger', image: 'busybox:1.36', targetContainerName: 'app' };

function addEphemeral(api: ApiClient, containers: readonly object[]) {
  return api.request<Pod>('PATCH', PATH, {
    body: { spec: { ephemeralContainers: containers } },
    contentType: 'application/strategic-merge-patch+json',
  });
}

async function ignoredEvents(api: ApiClient): Promise<Event[]> {
  const r = await api.list('Event', 'default');
  if (!r.ok) throw new Error('cannot list events');
  return (r.value.items as Event[]).filter((e) => e.reason === 'EphemeralContainerIgnored');
}

describe('ephemeral containers', () => {
  it('are refused on create, added through the subresource, validated, and reported not run by the kubelet', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, { runtime: { preloadedImages: ['nginx:1.25'] } });
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(1_000_000);
      const withEphemeral = pod('web', { ephemeralContainers: [debugger1] });
      const refused = await api.create(withEphemeral);
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.status).toBe(422);
        expect(refused.error.message).toContain(
          'spec.ephemeralContainers: Forbidden: cannot be set on create',
        );
      }

      expect((await api.create(pod('web'))).ok).toBe(true);
      await waitFor(ports, 'web Running', podInPhase(api, 'web', 'Running'), 5_000_000, 10_000);

      // Fields a debugging container may not have, a duplicate name, an unknown target.
      const bad = await addEphemeral(api, [
        { name: 'app', image: 'busybox:1.36', ports: [{ containerPort: 80 }] },
        { name: 'probe', image: 'busybox:1.36', readinessProbe: { exec: { command: ['true'] } } },
        { name: 'lost', image: 'busybox:1.36', targetContainerName: 'nope' },
      ]);
      expect(bad.ok).toBe(false);
      if (!bad.ok) {
        expect(bad.status).toBe(422);
        for (const text of [
          'spec.ephemeralContainers[0].name: Duplicate value: "app"',
          'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
          'spec.ephemeralContainers[1].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
          'spec.ephemeralContainers[2].targetContainerName: Not found: "nope"',
        ]) {
          expect(bad.error.message).toContain(text);
        }
      }

      const added = await addEphemeral(api, [debugger1]);
      expect(added.ok).toBe(true);
      if (added.ok) {
        expect(added.value.spec.ephemeralContainers?.[0]).toMatchObject({
          ...debugger1,
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePolicy: 'File',
        });
        // Nothing else of the pod changed through this subresource.
        expect(added.value.status?.phase).toBe('Running');
      }

      // An existing ephemeral container may not change (its image here).
      const changed = await api.request<Pod>('PATCH', PATH, {
        body: {
          spec: { ephemeralContainers: [{ ...debugger1, image: 'busybox:1.37' }] },
        },
        contentType: 'application/strategic-merge-patch+json',
      });
      expect(changed.ok).toBe(false);
      if (!changed.ok) {
        expect(changed.error.message).toContain(
          'spec.ephemeralContainers.debugger: Forbidden: existing ephemeral containers "debugger" may not be changed',
        );
      }
      // The main resource cannot add one either.
      const current = await api.get('Pod', 'default', 'web');
      if (!current.ok) throw new Error('no pod');
      const viaPut = await api.update({
        ...current.value,
        spec: {
          ...current.value.spec,
          ephemeralContainers: [
            ...(current.value.spec.ephemeralContainers ?? []),
            { name: 'second', image: 'busybox:1.36' },
          ],
        },
      });
      expect(viaPut.ok).toBe(false);

      await ports.clock.sleep(70_000_000); // past the kubelet's 1-minute resync
      const events = await ignoredEvents(api);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'Warning',
        involvedObject: { kind: 'Pod', name: 'web' },
        message:
          'Ephemeral container "debugger" is not started: ksim\'s kubelet does not run ephemeral containers',
      });
    });
    // The runtime started the pod's one container and nothing for the debugger.
    const starts = trace.filter((r) => r.k === 'kubelet.container-start');
    expect(starts.map((r) => ('container' in r ? r.container : ''))).toEqual(['app']);
  });
});
