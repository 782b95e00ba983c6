/** Verdicts, SLOs and the event log, whose rows follow the time window and set the cursor. */
import { select } from 'd3';
import type { EventRow, ReportData, Verdict } from '../model/report-data.ts';
import { formatTime } from './format.ts';
import type { Timeline } from './timeline.ts';

/** Rows drawn at once; the count of the others is shown. */
const MAX_ROWS_SHOWN = 500;

/** `noVerdicts`: what to say when there are none (default: the scenario states none). */
export function verdictTable(host: HTMLElement, data: ReportData, noVerdicts?: string): void {
  const h = select(host);
  if (data.verdicts.length === 0)
    h.append('p')
      .attr('class', 'empty')
      .text(
        noVerdicts ??
          'The scenario states no expectations (or the trace is not from a scenario run).',
      );
  else {
    const t = h.append('table').attr('id', 'verdicts');
    t.append('thead').html(
      '<tr><th></th><th>expectation</th><th>met / violated at</th><th>observed</th></tr>',
    );
    const rows = t
      .append('tbody')
      .selectAll('tr')
      .data(data.verdicts)
      .join('tr')
      .attr('class', (v) => (v.passed ? 'pass' : 'fail'));
    rows.append('td').text((v) => (v.passed ? 'PASS' : 'FAIL'));
    rows.append('td').text((v) => v.name);
    rows.append('td').text((v) => verdictTime(v));
    rows.append('td').text((v) => v.detail);
  }
  const s = h.append('table').attr('id', 'slos');
  s.append('thead').html('<tr><th></th><th>SLO</th><th>target</th><th>observed</th></tr>');
  const rows = s
    .append('tbody')
    .selectAll('tr')
    .data(data.slos)
    .join('tr')
    .attr('class', (v) => (v.reportedOnly ? 'info' : v.passed ? 'pass' : 'fail'));
  rows.append('td').text((v) => (v.reportedOnly ? '-' : v.passed ? 'PASS' : 'FAIL'));
  rows.append('td').text((v) => v.name);
  rows.append('td').text((v) => v.target);
  rows.append('td').text((v) => v.observed);
}

/** The event log: filters by object, component and reason (kind), limited to the time window. */
export function eventTable(host: HTMLElement, data: ReportData, tl: Timeline): void {
  const h = select(host);
  const controls = h.append('div').attr('class', 'filters');
  const input = (id: string, label: string) => {
    const l = controls.append('label').text(`${label} `);
    return l
      .append('input')
      .attr('id', id)
      .attr('type', 'search')
      .attr('placeholder', 'contains...');
  };
  const object = input('filter-object', 'object');
  const component = input('filter-component', 'component');
  const reason = input('filter-reason', 'reason');
  const windowOnly = controls
    .append('label')
    .text(' only the visible time window ')
    .append('input')
    .attr('id', 'filter-window')
    .attr('type', 'checkbox')
    .property('checked', true);
  const status = h.append('p').attr('id', 'event-status');
  const table = h
    .append('div')
    .attr('class', 'event-scroll')
    .append('table')
    .attr('id', 'event-table');
  table
    .append('thead')
    .html('<tr><th>time</th><th>component</th><th>reason</th><th>object</th><th>detail</th></tr>');
  const body = table.append('tbody');
  const value = (s: typeof object) => String(s.property('value')).toLowerCase();

  const render = (): void => {
    const [a, b] = tl.domain;
    const o = value(object);
    const c = value(component);
    const r = value(reason);
    const w = windowOnly.property('checked') as boolean;
    const matches = data.events.rows.filter(
      (e) =>
        (!w || (e[0] >= a && e[0] <= b)) &&
        e[3].toLowerCase().includes(o) &&
        e[1].toLowerCase().includes(c) &&
        e[2].toLowerCase().includes(r),
    );
    const shown = matches.slice(0, MAX_ROWS_SHOWN);
    status.text(
      `${matches.length.toLocaleString('en-US')} of ${data.events.rows.length.toLocaleString('en-US')} events match${matches.length > shown.length ? `; the first ${shown.length} are shown` : ''}${data.events.omitted > 0 ? `. The log holds the ${data.events.keeps} ${data.events.rows.length.toLocaleString('en-US')} events of the trace; ${data.events.omitted.toLocaleString('en-US')} ${data.events.keeps === 'first' ? 'more are in the trace file' : 'earlier ones are in the trace (ksim serve --trace)'}` : ''}. Click a row to mark its time on every chart.`,
    );
    body
      .selectAll<HTMLTableRowElement, EventRow>('tr')
      .data(shown)
      .join('tr')
      .classed('current', (e) => e[0] === tl.cursor)
      .on('click', (_ev, e) => tl.setCursor(e[0]))
      .html(null)
      .call((tr) => {
        tr.append('td').text((e) => formatTime(e[0]));
        tr.append('td').text((e) => e[1]);
        tr.append('td').text((e) => e[2]);
        tr.append('td').text((e) => e[3]);
        tr.append('td').text((e) => e[4]);
      });
  };
  for (const i of [object, component, reason]) i.on('input', render);
  windowOnly.on('change', render);
  tl.onChange(render);
  render();
}

/** When an expectation was met, or first violated and by which objects. */
function verdictTime(v: Verdict): string {
  if (v.metAtUs !== undefined) return formatTime(v.metAtUs);
  if (v.violatedAtUs === undefined) return '';
  return `violated at ${formatTime(v.violatedAtUs)} by ${(v.objects ?? []).join(', ')}`;
}
