/**
 * The HTML report in a real browser (Debian's chromium, driven by playwright-core): the report
 * of a short deterministic scenario has the marks its trace implies, its event log filters, and
 * zooming one chart changes the shared time axis; a report of a 5,000-node trace renders. Each
 * view is captured into out/viz/ for people to look at.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../core/trace/types.ts';
import { ReportSink } from '../../sim/cli/report-command.ts';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';
import { formatLatency } from '../../viz/app/format.ts';
import { quantile } from '../../viz/model/stats.ts';
import { largeTrace } from './large-trace.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'out', 'viz');
const CHROMIUM = '/usr/bin/chromium';
const S = 1_000_000;

let browser: Browser;

beforeAll(async () => {
  // .ci/run installs it; a missing browser is a set-up error, not a reason to pass.
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless=new',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** Opens a report file; returns the page and the errors it raised. */
async function open(file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  // No request may leave the file: the report is self-contained.
  await page.route(/^(?!file:)/, (route) => {
    errors.push(`network request: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  return { page, errors };
}

async function domainOf(page: Page): Promise<[number, number]> {
  const d = (await page.getAttribute('#time-axis', 'data-domain')) as string;
  return d.split(',').map(Number) as [number, number];
}

describe('ksim report of scenarios/report-demo.yaml', () => {
  let lines: string[];
  let records: TraceRecord[];
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const file = join(ROOT, 'scenarios', 'report-demo.yaml');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    lines = [];
    const report = new ReportSink();
    const run = await runScenario(scenario, {
      seed: 1,
      traceSink: (l) => {
        lines.push(l);
        report.sink(l);
      },
    });
    expect(run.passed).toBe(true);
    records = lines.map((l) => JSON.parse(l) as TraceRecord);
    const html = join(OUT, 'report-demo.html');
    await report.write(html, 'report-demo', run.virtualTimeUs);
    ({ page, errors } = await open(html));
  });

  const of = <K extends TraceRecord['k']>(k: K) =>
    records.filter((r): r is Extract<TraceRecord, { k: K }> => r.k === k);

  it('renders every view without a browser error, and captures each into out/viz/', async () => {
    for (const id of [
      'verdicts',
      'pods',
      'nodes',
      'store',
      'api',
      'scheduling',
      'workload',
      'events',
    ]) {
      const view = page.locator(`#view-${id}`);
      expect(await view.count()).toBe(1);
      await view.screenshot({ path: join(OUT, `report-demo-${id}.png`) });
    }
    // Its trace has no service traffic, so there is no traffic view.
    expect(await page.locator('#view-traffic').count()).toBe(0);
    // The top of the page down to the store: docs/report.png is a copy of it.
    await page.evaluate('window.scrollTo(0, 0)');
    const store = (await page.locator('#view-store').boundingBox())!;
    await page.screenshot({
      path: join(OUT, 'report-demo-overview.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1400, height: store.y + store.height + 8 },
    });
    expect(errors).toEqual([]);
  });

  it('draws one Gantt bar per pod phase on a node', async () => {
    // Each web pod is bound (pending), then running; the pods of node-3 are evicted after its
    // crash and stay terminating (their kubelet is down), each replaced by a new pod bound
    // elsewhere: nine web pods plus one per eviction. too-big is never bound.
    const bound = new Set(of('scheduler.bind').map((r) => r.pod));
    const evicted = new Set(of('taint-eviction.delete').map((r) => r.pod));
    expect(evicted.size).toBeGreaterThan(0);
    expect(bound.size).toBe(9 + evicted.size);
    expect(await page.locator('rect.gantt-bar').count()).toBe(2 * bound.size + evicted.size);
    expect(await page.locator('rect.gantt-bar[data-phase=terminating]').count()).toBe(evicted.size);
    expect(bound.has('default/too-big')).toBe(false);
  });

  it('marks the store leader change when the leader is cut off at 30s', async () => {
    const changes = await page
      .locator('g.leader-change')
      .evaluateAll((gs) =>
        gs.map(
          (g) => [Number(g.getAttribute('data-t')), Number(g.getAttribute('data-to'))] as const,
        ),
      );
    // The first leader is elected at about 1s; the partition makes etcd-1 (id 2) step down and
    // another member win an election within a few seconds.
    expect(changes[0]).toEqual([expect.any(Number), 2]);
    const after = changes.filter(([t]) => t >= 30 * S && t < 35 * S);
    expect(after.map(([, to]) => to)).toContain(3);
    expect(await page.locator('#view-nodes rect.fault[data-kind=partition]').count()).toBe(1);
  });

  it("labels each API latency CDF with the p99 of the trace's requests", async () => {
    const posts = of('api.request')
      .filter((r) => r.verb === 'POST')
      .map((r) => r.latencyUs)
      .sort((a, b) => a - b);
    const label = await page.locator('text.cdf-p99-label[data-key=POST]').textContent();
    expect(label).toContain(`POST: p99 ${formatLatency(quantile(posts, 0.99))}`);
    expect(await page.locator('path.cdf-line').count()).toBeGreaterThanOrEqual(4);
  });

  it('filters the event log by object, component and reason', async () => {
    const rows = page.locator('#event-table tbody tr');
    const all = await rows.count();
    await page.fill('#filter-object', 'too-big');
    const objects = await page.locator('#event-table tbody tr td:nth-child(4)').allTextContents();
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.length).toBeLessThan(all);
    expect(objects.every((o) => o.includes('too-big'))).toBe(true);
    await page.fill('#filter-object', '');
    await page.fill('#filter-component', 'etcd-2');
    await page.fill('#filter-reason', 'role');
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => [tr.children[1]?.textContent, tr.children[2]?.textContent]),
    );
    const expected = of('store.member.role').filter((r) => r.p === 'etcd-2').length;
    expect(cells).toHaveLength(expected);
    expect(cells.every(([p, k]) => p === 'etcd-2' && k === 'store.member.role')).toBe(true);
    await page.fill('#filter-component', '');
    await page.fill('#filter-reason', '');
    expect(await rows.count()).toBe(all);
  });

  it('shows a pod and its events when the pointer is on its bar', async () => {
    const bar = page.locator('rect.gantt-bar[data-phase=terminating]').first();
    await bar.scrollIntoViewIfNeeded();
    await bar.hover();
    const tip = page.locator('.tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    const text = (await tip.textContent()) as string;
    const evicted = of('taint-eviction.delete').map((r) => r.pod);
    expect(evicted.some((pod) => text.includes(`${pod} on node-3`))).toBe(true);
    expect(text).toContain('taint-eviction.delete');
    await page.mouse.move(0, 0);
  });

  it('marks the time of an event on every time chart when its row is clicked', async () => {
    await page.fill('#filter-reason', 'process.crash');
    const row = page.locator('#event-table tbody tr').first();
    expect(await row.locator('td').nth(3).textContent()).toBe('node-3');
    await row.click();
    const charts = await page.locator('svg.time-chart').count();
    const cursors = page.locator('line.cursor');
    expect(await cursors.count()).toBe(charts);
    const xs = new Set(await cursors.evaluateAll((ls) => ls.map((l) => l.getAttribute('x1'))));
    expect(xs.size).toBe(1);
    expect(await page.locator('#event-table tbody tr.current').count()).toBe(1);
    await page.fill('#filter-reason', '');
  });

  it('zooms and pans every time chart together, and the event log follows the window', async () => {
    const [a0, b0] = await domainOf(page);
    const barX = () => page.locator('rect.gantt-bar').first().getAttribute('x');
    const x0 = await barX();
    expect([a0, b0]).toEqual([0, 480 * S]);
    const surface = page.locator('#view-store .zoom-surface');
    await surface.scrollIntoViewIfNeeded();
    const box = (await surface.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -600);
    await page.waitForTimeout(300);
    const [a1, b1] = await domainOf(page);
    expect(b1 - a1).toBeLessThan((b0 - a0) / 2);
    // The other charts drew against the new domain: the Gantt bars moved, the log narrowed.
    expect(await barX()).not.toBe(x0);
    const inView = (await page.locator('#event-status').textContent()) as string;
    expect(inView).not.toMatch(/^(\d[\d,]*) of \1 /);
    await page.mouse.move(box.x + box.width / 2, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 200, box.y + 10, { steps: 5 });
    await page.mouse.up();
    const [a2, b2] = await domainOf(page);
    expect(a2).toBeLessThan(a1);
    expect(b2 - a2).toBeCloseTo(b1 - a1, -3);
    await page.screenshot({ path: join(OUT, 'report-demo-zoomed.png') });
    await page.click('#reset-zoom');
    expect(await domainOf(page)).toEqual([0, 480 * S]);
  });
});

describe('ksim report of scenarios/service-traffic.yaml', () => {
  let windows: Extract<TraceRecord, { k: 'traffic.window' }>[];
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const file = join(ROOT, 'scenarios', 'service-traffic.yaml');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const lines: string[] = [];
    const report = new ReportSink();
    const run = await runScenario(scenario, {
      seed: scenario.spec.seed ?? 1,
      traceSink: (l) => {
        lines.push(l);
        report.sink(l);
      },
    });
    windows = lines
      .map((l) => JSON.parse(l) as TraceRecord)
      .filter((r): r is Extract<TraceRecord, { k: 'traffic.window' }> => r.k === 'traffic.window');
    const html = join(OUT, 'service-traffic.html');
    await report.write(html, 'service-traffic', run.virtualTimeUs);
    ({ page, errors } = await open(html));
  });

  it("draws requests per second and each backend's share of a Service", async () => {
    const view = page.locator('#view-traffic');
    expect(await view.count()).toBe(1);
    await view.screenshot({ path: join(OUT, 'service-traffic-traffic.png') });
    const web = page.locator('#view-traffic [data-service="default/web"]');
    expect(await web.count()).toBe(1);
    expect(await web.locator('path.series[data-name=requests]').count()).toBe(1);
    // Six backends after the scale-up, with the successful requests of the trace between them.
    const shares = await web
      .locator('rect.share')
      .evaluateAll((rs) =>
        rs.map((r) => [r.getAttribute('data-name'), Number(r.getAttribute('data-count'))] as const),
      );
    const backends = new Map<string, number>();
    for (const w of windows)
      for (const [pod, n] of Object.entries(w.backends))
        backends.set(pod, (backends.get(pod) ?? 0) + n);
    expect(shares).toHaveLength(6);
    expect(shares).toEqual([...backends].sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(errors).toEqual([]);
  });
});

describe('ksim report of a large run', () => {
  it('renders a 5,000-node, 150,000-pod trace without a browser error', async () => {
    const lines = largeTrace({ nodes: 5_000, pods: 150_000, durationUs: 20 * 60 * S });
    const report = new ReportSink();
    for (const l of lines) report.sink(l);
    const file = join(OUT, 'large.html');
    const bytes = await report.write(file, 'synthetic: 5,000 nodes, 150,000 pods');
    expect(statSync(file).size).toBe(bytes);
    // Wall-clock time is measured for the record, never asserted.
    const started = performance.now();
    const { page, errors } = await open(file);
    const loadMs = performance.now() - started;
    writeFileSync(
      join(OUT, 'large.json'),
      JSON.stringify({ records: lines.length, bytes, loadMs: Math.round(loadMs) }),
    );
    expect(errors).toEqual([]);
    expect(await page.getAttribute('canvas.heat', 'data-rows')).toBe('250');
    expect(await page.locator('rect.gantt-bar').count()).toBe(0);
    await page.screenshot({ path: join(OUT, 'large.png') });
    await page.close();
  });
});
