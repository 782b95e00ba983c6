import { describe, expect, it } from 'vitest';
import type { Event } from '../../../core/api/cluster-types.ts';
import type { WatchFrame } from '../../../core/api/http.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import type { EventsV1Event } from '../../../core/api/kinds/events-v1-event.ts';
import type { KList } from '../../../core/api/meta-types.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok } from './fixtures.ts';

const V1 = '/apis/events.k8s.io/v1/namespaces/default/events';
const CORE = '/api/v1/namespaces/default/events';

const newEvent = (name: string): EventsV1Event => ({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  eventTime: '2026-01-01T00:00:00.100000Z',
  reportingController: 'default-scheduler',
  reportingInstance: 'default-scheduler-cp-1',
  action: 'Binding',
  reason: 'Scheduled',
  regarding: { kind: 'Pod', namespace: 'default', name: 'web-1', apiVersion: 'v1' },
  note: 'Successfully assigned default/web-1 to node-1',
  type: 'Normal',
});

describe('events.k8s.io/v1 and core/v1 Events: one storage, two representations', () => {
  it('an Event written through either version reads back through both', async () => {
    await runScript(controlPlane(), async (api) => {
      const created = ok(
        await api.request<EventsV1Event>('POST', V1, { body: newEvent('scheduled') }),
      );
      expect(created.apiVersion).toBe('events.k8s.io/v1');
      expect(created.note).toBe('Successfully assigned default/web-1 to node-1');
      expect(created.metadata.uid).toBeDefined();

      const asCore = ok(await api.get('Event', 'default', 'scheduled'));
      expect(asCore).toMatchObject({
        apiVersion: 'v1',
        kind: 'Event',
        message: 'Successfully assigned default/web-1 to node-1',
        involvedObject: { kind: 'Pod', name: 'web-1' },
        reportingComponent: 'default-scheduler',
        eventTime: '2026-01-01T00:00:00.100000Z',
      });
      expect(asCore.metadata).toEqual(created.metadata);

      const legacy: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'pulled', namespace: 'default' },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1' },
        reason: 'Pulled',
        message: 'Container image pulled',
        source: { component: 'kubelet', host: 'node-1' },
        count: 1,
        type: 'Normal',
      };
      ok(await api.create(legacy));
      const asV1 = ok(await api.request<EventsV1Event>('GET', `${V1}/pulled`));
      expect(asV1).toMatchObject({
        apiVersion: 'events.k8s.io/v1',
        eventTime: null,
        note: 'Container image pulled',
        regarding: legacy.involvedObject,
        deprecatedSource: { component: 'kubelet', host: 'node-1' },
        deprecatedCount: 1,
      });

      const list = ok(await api.request<KList<EventsV1Event>>('GET', V1));
      expect(list.apiVersion).toBe('events.k8s.io/v1');
      expect(list.kind).toBe('EventList');
      expect(list.items.map((e) => [e.metadata.name, e.apiVersion, e.note])).toEqual([
        ['pulled', 'events.k8s.io/v1', 'Container image pulled'],
        ['scheduled', 'events.k8s.io/v1', 'Successfully assigned default/web-1 to node-1'],
      ]);
      const coreList = ok(await api.request<KList<Event>>('GET', CORE));
      expect(coreList.items.map((e) => e.apiVersion)).toEqual(['v1', 'v1']);

      // Field selectors use the labels of the request's version.
      const bySelector = ok(
        await api.request<KList<EventsV1Event>>('GET', V1, {
          query: { fieldSelector: 'reportingController=default-scheduler' },
        }),
      );
      expect(bySelector.items.map((e) => e.metadata.name)).toEqual(['scheduled']);
      const unsupported = await api.request('GET', V1, {
        query: { fieldSelector: 'involvedObject.name=web-1' },
      });
      expect(unsupported.status).toBe(400);
    });
  });

  it('applies the version’s rules: strict validation, immutable fields, patches of its shape', async () => {
    await runScript(controlPlane(), async (api) => {
      const noAction = { ...newEvent('bad'), action: undefined };
      const refused = await api.request('POST', V1, { body: noAction });
      expect(refused.status).toBe(422);
      expect(!refused.ok && refused.error.message).toBe(
        'Event.events.k8s.io "bad" is invalid: action: Required value',
      );

      ok(await api.request('POST', V1, { body: newEvent('scheduled') }));
      const series = { count: 2, lastObservedTime: '2026-01-01T00:00:30.000000Z' };
      const patched = ok(
        await api.request<EventsV1Event>('PATCH', `${V1}/scheduled`, { body: { series } }),
      );
      expect(patched.series).toEqual(series);
      expect(ok(await api.get('Event', 'default', 'scheduled'))).toMatchObject({ series });

      const renote = await api.request('PATCH', `${V1}/scheduled`, { body: { note: 'other' } });
      expect(renote.status).toBe(422);
      expect(!renote.ok && renote.error.message).toBe(
        'Event.events.k8s.io "scheduled" is invalid: message: Invalid value: "other": field is immutable',
      );

      const deleted = ok(await api.request<EventsV1Event>('DELETE', `${V1}/scheduled`));
      expect(deleted.apiVersion).toBe('events.k8s.io/v1');
    });
  });

  it('checks fields and applies every patch type against the events.k8s.io/v1 shape', async () => {
    await runScript(controlPlane(), async (api) => {
      const strict = { fieldValidation: 'Strict' };
      // Fields of the request's version are known, though the store holds core/v1 Events.
      ok(await api.request('POST', V1, { body: newEvent('scheduled'), query: strict }));
      const unknown = await api.request('POST', V1, {
        body: { ...newEvent('odd'), message: 'core/v1 name' },
        query: strict,
      });
      expect(!unknown.ok && unknown.error.message).toBe(
        'strict decoding error: unknown field "message"',
      );
      const series = (count: number) => ({
        count,
        lastObservedTime: '2026-01-01T00:00:30.000000Z',
      });
      ok(
        await api.request('PATCH', `${V1}/scheduled`, {
          body: [{ op: 'add', path: '/series', value: series(2) }],
          contentType: 'application/json-patch+json',
          query: strict,
        }),
      );
      ok(
        await api.request('PATCH', `${V1}/scheduled`, {
          body: { series: series(3) },
          contentType: 'application/strategic-merge-patch+json',
          query: strict,
        }),
      );
      const applied = ok(
        await api.request<EventsV1Event>('PATCH', `${V1}/scheduled`, {
          body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', series: series(4) },
          contentType: 'application/apply-patch+yaml',
          query: { ...strict, fieldManager: 'tester' },
        }),
      );
      expect(applied.apiVersion).toBe('events.k8s.io/v1');
      expect(applied.series?.count).toBe(4);
      expect(applied.note).toBe('Successfully assigned default/web-1 to node-1');
      expect(ok(await api.get('Event', 'default', 'scheduled'))).toMatchObject({
        series: series(4),
        message: 'Successfully assigned default/web-1 to node-1',
      });
    });
  });

  it('a watch of events.k8s.io/v1 sees Events written through core/v1 in its own shape', async () => {
    const sim = controlPlane();
    const frames: WatchFrame[] = [];
    await runScript(sim, async (api, ports) => {
      ports.transport.openStream(
        API_PROTOCOL,
        'apiserver',
        { kind: 'http', method: 'GET', path: V1, query: { watch: 'true' } },
        { onMessage: (f) => frames.push(f as WatchFrame), onClose: () => undefined },
      );
      await ports.clock.sleep(100_000);
      ok(
        await api.create({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'pulled', namespace: 'default' },
          involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1' },
          reason: 'Pulled',
          message: 'pulled',
        }),
      );
      await ports.clock.sleep(100_000);
    });
    expect(frames.map((f) => [f.type, (f.object as EventsV1Event).apiVersion])).toEqual([
      ['ADDED', 'events.k8s.io/v1'],
    ]);
    expect((frames[0]?.object as EventsV1Event).note).toBe('pulled');
  });
});
