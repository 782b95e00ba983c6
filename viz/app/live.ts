/**
 * The live view in the browser: reports arrive over server-sent events (one per wall second
 * while the simulation produces records) and the page is drawn again for each, keeping what the
 * user set: the zoomed window (or, when nothing is zoomed, the whole run as it grows), the
 * cursor, the event log's filters and the scroll position. The control bar sends pause, resume
 * and speed changes and shows the pacing the server reports back.
 */
import { select } from 'd3';
import type { LiveConfig, LiveStatus, ReportData } from '../model/report-data.ts';
import { formatTime } from './format.ts';
import { drawReport } from './report-page.ts';
import type { Timeline } from './timeline.ts';

/** The event log's filter inputs (tables.ts), kept across redraws. */
const FILTERS = ['filter-object', 'filter-component', 'filter-reason'] as const;

interface Kept {
  readonly domain?: readonly [number, number];
  readonly cursor?: number;
  readonly filters: readonly string[];
  readonly windowOnly: boolean;
  readonly focus: string | undefined;
  readonly scrollY: number;
}

function input(id: string): HTMLInputElement | null {
  return document.getElementById(id) as HTMLInputElement | null;
}

function keep(tl: Timeline | undefined): Kept {
  const focused = document.activeElement;
  return {
    ...(tl === undefined || tl.whole ? {} : { domain: tl.domain }),
    ...(tl?.cursor === undefined ? {} : { cursor: tl.cursor }),
    filters: FILTERS.map((id) => input(id)?.value ?? ''),
    windowOnly: input('filter-window')?.checked ?? true,
    focus: focused instanceof HTMLInputElement && focused.id !== '' ? focused.id : undefined,
    scrollY: window.scrollY,
  };
}

function restore(k: Kept): void {
  FILTERS.forEach((id, i) => {
    const el = input(id);
    if (el !== null) el.value = k.filters[i] ?? '';
  });
  const w = input('filter-window');
  if (w !== null) w.checked = k.windowOnly;
  // The table renders on input: one event applies all the filters.
  input(FILTERS[0])?.dispatchEvent(new Event('input'));
  if (k.focus !== undefined) input(k.focus)?.focus({ preventScroll: true });
  window.scrollTo(0, k.scrollY);
}

function showStatus(s: LiveStatus): void {
  select('#live-clock')
    .attr('data-virtual-us', s.virtualUs)
    .attr('data-speed', s.speed)
    .attr('data-paused', String(s.paused))
    .text(`virtual ${formatTime(s.virtualUs)} · ${s.speed}× · ${s.paused ? 'paused' : 'running'}`);
  select('#live-pause').property('disabled', s.paused);
  select('#live-resume').property('disabled', !s.paused);
  select('#live-bar')
    .selectAll<HTMLButtonElement, unknown>('button.live-speed')
    .classed('active', function () {
      return Number(this.dataset['speed']) === s.speed;
    });
  // Tests wait for the n-th status to know that a fresh one arrived.
  const body = select(document.body);
  body.attr('data-statuses', Number(body.attr('data-statuses') ?? 0) + 1);
}

function control(config: LiveConfig, body: unknown): void {
  fetch(config.control, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
    .then(async (r) => {
      const answer = (await r.json()) as LiveStatus | { error: string };
      if ('error' in answer) throw new Error(answer.error);
      select('#live-error').text('');
      showStatus(answer);
    })
    .catch((e: unknown) => select('#live-error').text(`control failed: ${String(e)}`));
}

export function startLive(config: LiveConfig): void {
  let tl: Timeline | undefined;
  let updates = 0;
  select('#live-pause').on('click', () => control(config, { action: 'pause' }));
  select('#live-resume').on('click', () => control(config, { action: 'resume' }));
  select('#live-bar')
    .selectAll<HTMLButtonElement, unknown>('button.live-speed')
    .on('click', function () {
      control(config, { action: 'speed', speed: Number(this.dataset['speed']) });
    });
  const events = new EventSource(config.events);
  events.addEventListener('status', (e) => {
    select('#live-error').text('');
    showStatus(JSON.parse((e as MessageEvent<string>).data) as LiveStatus);
  });
  // Reports that arrive while the page is busy drawing (a large run, a slow machine) are not
  // drawn one after another: the next frame draws the latest and the others are dropped.
  let latest: string | undefined;
  const draw = (): void => {
    if (latest === undefined) return;
    const data = JSON.parse(latest) as ReportData;
    latest = undefined;
    const k = keep(tl);
    tl = drawReport(data, {
      live: true,
      ...(k.domain === undefined ? {} : { domain: k.domain }),
      ...(k.cursor === undefined ? {} : { cursor: k.cursor }),
    });
    restore(k);
    select(document.body).attr('data-updates', ++updates);
  };
  events.addEventListener('report', (e) => {
    if (latest === undefined) requestAnimationFrame(draw);
    latest = (e as MessageEvent<string>).data;
  });
  // EventSource reconnects by itself; say so meanwhile.
  events.addEventListener('error', () =>
    select('#live-error').text('disconnected from ksim serve; retrying...'),
  );
}
