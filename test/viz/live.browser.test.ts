/**
 * The live view of `ksim serve` in a real browser (Debian's chromium, driven by playwright-core):
 * a served report-demo scenario at /ui, over the default HTTPS listener. The Gantt grows as pods
 * start, a pause stops the virtual clock, resume and a speed change reach the server, and a
 * zoomed window survives the page's redraws. The page is captured into out/viz/live.png.
 *
 * Nothing here times the wall clock beyond "a wall second apart": the test waits for what the
 * server reports, not for durations.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveStatus } from '../../viz/model/report-data.ts';
import { serve, type ServedCluster } from '../real/http/serve-process.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'out', 'viz');
const CHROMIUM = '/usr/bin/chromium';
const S = 1_000_000;

let browser: Browser;
let context: BrowserContext;
let server: ServedCluster;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  mkdirSync(OUT, { recursive: true });
  [server, browser] = await Promise.all([
    // Held still until the page is open, so the test sees the first pods start.
    serve(join(ROOT, 'scenarios', 'report-demo.yaml'), ['--speed', '1', '--paused']),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--headless=new',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    }),
  ]);
  // The serving certificate is made by ksim serve for itself.
  context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1400, height: 900 },
  });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${server.url}/ui`);
  await page.waitForSelector('body[data-updates]', { timeout: 30_000 });
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  if (server !== undefined) expect(await server.stop()).toBe(0);
});

async function control(body: object): Promise<LiveStatus> {
  const r = await context.request.post(`${server.url}/ui/control`, { data: body });
  expect(r.status()).toBe(200);
  return (await r.json()) as LiveStatus;
}

async function serverStatus(): Promise<LiveStatus> {
  return (await (await context.request.get(`${server.url}/ui/control`)).json()) as LiveStatus;
}

const bars = () => page.locator('#view-pods rect.gantt-bar').count();
const shownUs = async () => Number(await page.getAttribute('#live-clock', 'data-virtual-us'));
const statuses = async () => Number(await page.getAttribute('body', 'data-statuses'));
const updates = async () => Number(await page.getAttribute('body', 'data-updates'));

async function domainOf(): Promise<[number, number]> {
  const d = (await page.getAttribute('#time-axis', 'data-domain')) as string;
  return d.split(',').map(Number) as [number, number];
}

/** Polls `f` until it holds (the page updates once per wall second). */
async function until(f: () => Promise<boolean>, what: string, tries = 60): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await f()) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('the live view of ksim serve', () => {
  it('opens at /ui with the control bar and the report of the run so far', async () => {
    expect(await page.locator('#live-bar button.live-speed').count()).toBe(5);
    expect(await page.getAttribute('#live-clock', 'data-paused')).toBe('true');
    // Started paused: the virtual clock has not moved.
    expect(await shownUs()).toBe(0);
    expect(await bars()).toBe(0);
  });

  it('draws more Gantt bars as pods start', async () => {
    await page.click('#live-resume');
    await until(async () => (await bars()) > 0, 'the first pods are bound');
    const first = await bars();
    await until(async () => (await bars()) > first, 'more bars are drawn');
    expect(await page.getAttribute('#live-clock', 'data-paused')).toBe('false');
  });

  it('stops the virtual clock on pause, and starts it again on resume', async () => {
    await page.click('#live-pause');
    await until(
      async () => (await page.getAttribute('#live-clock', 'data-paused')) === 'true',
      'the server reports the pause',
    );
    const before = await shownUs();
    const seen = await statuses();
    // A wall second later, with a fresh status from the server, the clock has not moved.
    await page.waitForTimeout(1_000);
    await until(async () => (await statuses()) > seen + 1, 'two more statuses arrive');
    expect(await shownUs()).toBe(before);
    expect((await serverStatus()).virtualUs).toBe(before);
    await page.click('#live-resume');
    await until(async () => (await shownUs()) > before, 'the clock moves again');
  });

  it('changes the speed, and the server reports the new speed', async () => {
    // Another client's change reaches the open page.
    expect((await control({ action: 'speed', speed: 2 })).speed).toBe(2);
    await until(
      async () => (await page.getAttribute('#live-clock', 'data-speed')) === '2',
      'the page shows 2x set elsewhere',
    );
    await page.click('#live-bar button.live-speed[data-speed="10"]');
    await until(
      async () => (await page.getAttribute('#live-clock', 'data-speed')) === '10',
      'the page shows the server reporting 10x',
    );
    expect(await serverStatus()).toMatchObject({ speed: 10, paused: false });
    expect(await page.getAttribute('#live-bar button.active', 'data-speed')).toBe('10');
  });

  it('keeps the zoomed window and the event filter across updates, and follows the run when nothing is zoomed', async () => {
    const [, wholeEnd] = await domainOf();
    await until(async () => (await domainOf())[1] > wholeEnd, 'the axis grows with the run');
    const surface = page.locator('#view-store .zoom-surface');
    await surface.scrollIntoViewIfNeeded();
    const box = (await surface.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -600);
    await page.waitForTimeout(200);
    const zoomed = await domainOf();
    expect(zoomed[0]).toBeGreaterThan(0);
    // The whole log, not the zoomed window: the scheduler bound pods at 10s.
    await page.uncheck('#filter-window');
    await page.fill('#filter-component', 'scheduler');
    const n = await updates();
    await until(async () => (await updates()) >= n + 2, 'two more reports are drawn');
    expect(await domainOf()).toEqual(zoomed);
    // The event log's filter stayed, and the redrawn table applies it.
    expect(await page.inputValue('#filter-component')).toBe('scheduler');
    expect(await page.isChecked('#filter-window')).toBe(false);
    const components = await page
      .locator('#event-table tbody tr td:nth-child(2)')
      .evaluateAll((tds) => tds.map((td) => td.textContent));
    expect(components.length).toBeGreaterThan(0);
    expect(new Set(components)).toEqual(new Set(['scheduler']));
    await page.fill('#filter-component', '');
    await page.check('#filter-window');
    // The scale-up at 60s has placed nine web pods by now, or will soon at 10x.
    await until(async () => (await serverStatus()).virtualUs > 70 * S, 'the scale-up is past');
    await page.click('#reset-zoom');
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(OUT, 'live.png') });
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
