/**
 * The live view's routes on the HTTP front (no browser, no simulation): the page, the event
 * stream, the control and its refusals, beside an API that still answers its own paths.
 */
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../core/api/http.ts';
import { startApiFront, type ApiFront } from '../../real/http/api-front.ts';
import { LiveView, parseControl, type LiveControl } from '../../viz/live.ts';
import { ReportBuilder } from '../../viz/model/report-builder.ts';
import type { LiveConfig, LiveStatus, ReportData } from '../../viz/model/report-data.ts';

/** A source whose state the test sets: records, virtual time, pacing. */
const state = { virtualUs: 5_000_000, speed: 1, paused: false, records: 1, snapshots: 0 };
const controls: LiveControl[] = [];
const live = new LiveView({
  snapshot: () => {
    state.snapshots++;
    return new ReportBuilder().finish(`snapshot at ${state.records}`, state.virtualUs);
  },
  status: () => ({
    virtualUs: state.virtualUs,
    speed: state.speed,
    paused: state.paused,
    records: state.records,
  }),
  control: (c) => {
    if (c.action === 'speed' && c.speed > 1000) return 'too fast';
    controls.push(c);
    if (c.action === 'speed') state.speed = c.speed;
    else state.paused = c.action === 'pause';
    return undefined;
  },
});
const apiRequests: ApiRequest[] = [];
let front: ApiFront;

beforeAll(async () => {
  front = await startApiFront(
    {
      request: async (req) => {
        apiRequests.push(req);
        return { kind: 'reply', body: { status: 200, body: { kind: 'NamespaceList', items: [] } } };
      },
      watch: () => ({ close: () => {} }),
    },
    { extraRoutes: (req, res) => live.handle(req, res) },
  );
});

afterAll(async () => {
  live.close();
  await front.close();
});

async function call(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const r = await fetch(`${front.url}${path}`, {
    method,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return { status: r.status, text: await r.text() };
}

/** Events read from an open stream, parsed as they arrive. */
function openEvents(): { events: { event: string; data: unknown }[]; close(): void } {
  const events: { event: string; data: unknown }[] = [];
  let buffer = '';
  const req = http.get(`${front.url}/ui/events`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as unknown;
        events.push({ event, data });
      }
    });
  });
  req.on('error', () => {});
  return { events, close: () => req.destroy() };
}

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(f()).toBe(true);
}

describe('the live view on the HTTP front', () => {
  it('serves the report page in live mode at /ui, and leaves other paths to the API', async () => {
    const page = await call('GET', '/ui');
    expect(page.status).toBe(200);
    const config = JSON.parse(
      /<script id="live-config" type="application\/json">(.*?)<\/script>/s.exec(page.text)![1]!,
    ) as LiveConfig;
    expect(config).toEqual({
      events: '/ui/events',
      control: '/ui/control',
      speeds: [0.5, 1, 2, 10, 100],
    });
    expect(page.text).not.toContain('id="report-data"');
    expect(page.text).toContain('id="live-pause"');
    const api = await call('GET', '/api/v1/namespaces');
    expect(api.status).toBe(200);
    expect(apiRequests.map((r) => r.path)).toEqual(['/api/v1/namespaces']);
    // Paths that only look alike are the API's.
    await call('GET', '/uix');
    expect(apiRequests.map((r) => r.path)).toEqual(['/api/v1/namespaces', '/uix']);
    expect((await call('GET', '/ui/nothing')).status).toBe(404);
    expect(apiRequests.length).toBe(2);
  });

  it('streams the status and the report on connect, then again only when records came', async () => {
    const stream = openEvents();
    await until(() => stream.events.length === 2);
    expect(stream.events.map((e) => e.event)).toEqual(['status', 'report']);
    expect((stream.events[1]!.data as ReportData).meta.title).toBe('snapshot at 1');
    live.publish();
    await until(() => stream.events.length === 3);
    expect(stream.events[2]!.event).toBe('status');
    state.records = 7;
    state.virtualUs = 6_000_000;
    const before = state.snapshots;
    live.publish();
    await until(() => stream.events.length === 5);
    expect(stream.events.slice(3).map((e) => e.event)).toEqual(['status', 'report']);
    expect((stream.events[4]!.data as ReportData).meta.endUs).toBe(6_000_000);
    // A second page connecting now shares the snapshot already made.
    const other = openEvents();
    await until(() => other.events.length === 2);
    expect(state.snapshots).toBe(before + 1);
    other.close();
    stream.close();
  });

  it('applies controls, answers with the status and tells open pages at once', async () => {
    const stream = openEvents();
    await until(() => stream.events.length === 2);
    const json = { 'Content-Type': 'application/json' };
    const pause = await call('POST', '/ui/control', {
      body: JSON.stringify({ action: 'pause' }),
      headers: json,
    });
    expect(pause.status).toBe(200);
    expect((JSON.parse(pause.text) as LiveStatus).paused).toBe(true);
    await until(() => stream.events.length === 3);
    expect((stream.events[2]!.data as LiveStatus).paused).toBe(true);
    const speed = await call('POST', '/ui/control', {
      body: JSON.stringify({ action: 'speed', speed: 10 }),
      headers: json,
    });
    expect((JSON.parse(speed.text) as LiveStatus).speed).toBe(10);
    expect(JSON.parse((await call('GET', '/ui/control')).text)).toMatchObject({
      speed: 10,
      paused: true,
    });
    expect(controls).toEqual([{ action: 'pause' }, { action: 'speed', speed: 10 }]);
    stream.close();
  });

  it('refuses controls it cannot apply and requests to other hosts', async () => {
    const json = { 'Content-Type': 'application/json' };
    const refusals = [
      await call('POST', '/ui/control', { body: '{"action":"pause"}' }),
      await call('POST', '/ui/control', { body: '{"action":"stop"}', headers: json }),
      await call('POST', '/ui/control', { body: '{"action":"speed","speed":0}', headers: json }),
      await call('POST', '/ui/control', { body: '{"action":"speed","speed":5000}', headers: json }),
      await call('POST', '/ui/control', { body: 'x'.repeat(2_000), headers: json }),
      await call('DELETE', '/ui/control'),
    ];
    expect(refusals.map((r) => r.status)).toEqual([415, 400, 400, 400, 413, 405]);
    expect(JSON.parse(refusals[3]!.text)).toEqual({ error: 'too fast' });
    const rebound = await new Promise<number>((resolve) =>
      http
        .get(`${front.url}/ui`, { headers: { Host: 'attacker.example:80' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', () => resolve(0)),
    );
    expect(rebound).toBe(403);
    expect(controls.length).toBe(2);
  });

  it('parses control bodies', () => {
    expect(parseControl('{"action":"resume"}')).toEqual({ action: 'resume' });
    expect(parseControl('{"action":"speed","speed":0.5}')).toEqual({ action: 'speed', speed: 0.5 });
    for (const bad of ['', 'null', '[]', '{"action":"speed"}', '{"action":"speed","speed":"2"}'])
      expect(typeof parseControl(bad)).toBe('string');
  });
});
