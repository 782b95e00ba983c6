/**
 * Event TTL (kube-apiserver --event-ttl, 1 h): Events are stored on store leases, reused for a
 * minute and granted for TTL + 60 s, so the store deletes an Event between 60 and 61 minutes
 * after its last write; watchers see it DELETED, and other kinds live on.
 */
import { describe, expect, it } from 'vitest';
import type { Event } from '../../../core/api/cluster-types.ts';
import type { WatchFrame } from '../../../core/api/http.ts';
import { formatTime } from '../../../core/api/time.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok, pod } from './fixtures.ts';

const MINUTE_US = 60_000_000;

const event = (name: string, nowUs: number): Event => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1' },
  reason: 'Pulled',
  message: 'Container image pulled',
  source: { component: 'kubelet', host: 'node-1' },
  firstTimestamp: formatTime(nowUs),
  lastTimestamp: formatTime(nowUs),
  count: 1,
  type: 'Normal',
});

/** When each watched Event was DELETED, by name. */
function watchDeletions(api: ApiClient, ports: ProcessPorts): Map<string, number> {
  const deleted = new Map<string, number>();
  api.watch(
    'Event',
    'default',
    {},
    {
      onFrame: (f: WatchFrame) => {
        const name = (f.object as Event).metadata.name ?? '';
        if (f.type === 'DELETED') deleted.set(name, ports.clock.now());
      },
      onClose: () => {},
    },
  );
  return deleted;
}

describe('Event TTL', () => {
  it('the store deletes an Event an hour after its last write; other kinds stay', async () => {
    const sim = controlPlane({ storeMembers: 3 });
    // Nobody asks the API server to delete: the store does, when the lease expires.
    const deletes: string[] = [];
    sim.trace.addSink((l) => {
      if (l.includes('"api.request"') && l.includes('"verb":"DELETE"')) deletes.push(l);
    });
    await runScript(
      sim,
      async (api, ports) => {
        // The Raft members elect a leader, then the API server makes the default namespace.
        while (!(await api.get('Namespace', undefined, 'default')).ok) {
          await ports.clock.sleep(1_000_000);
        }
        const deleted = watchDeletions(api, ports);
        await ports.clock.sleep(1_000_000);
        const t0 = ports.clock.now();
        ok(await api.create(event('early', t0)));
        ok(await api.create(event('same-minute', t0)));
        ok(await api.create(pod('stays')));
        // Written again 30 minutes on: its life starts again.
        await ports.clock.sleep(30 * MINUTE_US);
        const renewed = ok(await api.get('Event', 'default', 'same-minute'));
        ok(await api.update<Event>({ ...renewed, count: 2 }));
        const t1 = ports.clock.now();

        await ports.clock.sleep(t0 + 60 * MINUTE_US - ports.clock.now() - 1_000_000);
        expect(ok(await api.get('Event', 'default', 'early')).metadata.name).toBe('early');
        expect(deleted.size).toBe(0);

        await ports.clock.sleep(t0 + 62 * MINUTE_US - ports.clock.now());
        const gone = await api.get('Event', 'default', 'early');
        expect(gone.ok ? 200 : gone.status).toBe(404);
        const at = deleted.get('early');
        expect(at).toBeDefined();
        expect(at! - t0).toBeGreaterThanOrEqual(60 * MINUTE_US);
        expect(at! - t0).toBeLessThanOrEqual(61 * MINUTE_US + 2_000_000);
        expect(ok(await api.get('Event', 'default', 'same-minute')).count).toBe(2);
        expect(ok(await api.get('Pod', 'default', 'stays')).metadata.name).toBe('stays');

        await ports.clock.sleep(t1 + 62 * MINUTE_US - ports.clock.now());
        expect(deleted.has('same-minute')).toBe(true);
        expect(deleted.get('same-minute')! - t1).toBeGreaterThanOrEqual(60 * MINUTE_US);
        expect(ok(await api.get('Pod', 'default', 'stays')).metadata.name).toBe('stays');
        expect(deletes).toEqual([]);
      },
      { deadlineUs: 100 * MINUTE_US },
    );
  }, 600_000);
});
