/** The charts on the shared time axis: pods per node, node lanes, the store, binned series. */
import {
  curveStepAfter,
  interpolateYlGnBu,
  line,
  max,
  rgb,
  scaleLinear,
  select,
  type ScaleLinear,
} from 'd3';
import type { Bins, FaultBand, NamedBins, ReportData } from '../model/report-data.ts';
import { NODE_STATES, POD_PHASES } from '../model/report-data.ts';
import { formatTime } from './format.ts';
import { MARGIN_LEFT, type TimeChart, type Timeline } from './timeline.ts';
import { tooltip } from './tooltip.ts';

export const POD_COLORS: Readonly<Record<(typeof POD_PHASES)[number], string>> = {
  pending: '#f0ad4e',
  running: '#43a047',
  terminating: '#9e9e9e',
};
const NODE_COLORS: Readonly<Record<(typeof NODE_STATES)[number], string>> = {
  ready: '#c8e6c9',
  'not-ready': '#fb8c00',
  unknown: '#e53935',
  down: '#424242',
};
const ROLE_COLORS: Readonly<Record<string, string>> = {
  leader: '#1e88e5',
  follower: '#bbdefb',
  candidate: '#fdd835',
  'pre-candidate': '#fff59d',
  down: '#424242',
};
const FAULT_COLORS: Readonly<Record<string, string>> = {
  partition: 'rgba(142, 36, 170, 0.16)',
  crash: 'rgba(0, 0, 0, 0.06)',
  clog: 'rgba(30, 136, 229, 0.16)',
};
export const SERIES_COLORS = [
  '#1e88e5',
  '#e53935',
  '#43a047',
  '#fb8c00',
  '#8e24aa',
  '#00897b',
  '#6d4c41',
  '#3949ab',
  '#c0ca33',
  '#757575',
];

/** Fault bands behind the marks and the cursor line: every time chart has both. */
function frame(
  chart: TimeChart,
  x: ScaleLinear<number, number>,
  faults: readonly FaultBand[],
  cursor: number | undefined,
): void {
  chart.plot
    .selectAll('rect.fault')
    .data(faults)
    .join((enter) =>
      enter
        .append('rect')
        .attr('class', 'fault')
        .call((s) => s.append('title')),
    )
    .attr('x', (f) => x(f.startUs))
    .attr('width', (f) => Math.max(2, x(f.endUs) - x(f.startUs)))
    .attr('y', 0)
    .attr('height', chart.height)
    .attr('fill', (f) => FAULT_COLORS[f.kind] ?? 'rgba(255, 179, 0, 0.3)')
    .attr('data-kind', (f) => f.kind)
    .lower()
    .select('title')
    .text((f) => `${f.label} (${formatTime(f.startUs)} - ${formatTime(f.endUs)})`);
  chart.plot
    .selectAll('line.cursor')
    .data(cursor === undefined ? [] : [cursor])
    .join('line')
    .attr('class', 'cursor')
    .attr('x1', (t) => x(t))
    .attr('x2', (t) => x(t))
    .attr('y1', 0)
    .attr('y2', chart.height);
}

function laneLabels(
  chart: TimeChart,
  names: readonly string[],
  y: (i: number) => number,
  h: (i: number) => number,
): void {
  chart.labels
    .selectAll('text')
    .data(names)
    .join('text')
    .attr('x', MARGIN_LEFT - 6)
    .attr('y', (_n, i) => y(i) + h(i) / 2 + 4)
    .attr('text-anchor', 'end')
    .text((n) => n);
}

/** Pods per node: a Gantt of pod phases, or heat strips of node groups for large clusters. */
export function podsChart(
  tl: Timeline,
  host: HTMLElement,
  data: ReportData,
  podEvents: (pod: string) => string[],
): void {
  const view = data.pods;
  if (view.kind === 'heat') return heatChart(tl, host, data);
  const laneH = view.lanes.reduce((s, l) => s + l, 0) > 120 ? 4 : 9;
  const rowY: number[] = [];
  let y = 4;
  for (const l of view.lanes) {
    rowY.push(y);
    y += l * laneH + 6;
  }
  const height = Math.max(40, y);
  tl.chart(host, height, (chart, x) => {
    frame(chart, x, data.faults, tl.cursor);
    laneLabels(
      chart,
      data.nodes,
      (i) => rowY[i] ?? 0,
      (i) => (view.lanes[i] ?? 1) * laneH,
    );
    chart.plot
      .selectAll('rect.gantt-bar')
      .data(view.bars)
      .join((enter) =>
        enter
          .append('rect')
          .attr('class', 'gantt-bar')
          .attr('data-phase', (b) => POD_PHASES[b[3]])
          .attr('fill', (b) => POD_COLORS[POD_PHASES[b[3]]])
          .on('mouseover', (e: MouseEvent, b) => {
            const pod = view.pods[b[0]] ?? '';
            const events = podEvents(pod);
            tooltip.show(e, [
              `<b>${pod}</b> on ${data.nodes[b[1]]}`,
              `${POD_PHASES[b[3]]} ${formatTime(b[4])} - ${formatTime(b[5])}`,
              ...events.slice(0, 10),
              events.length > 10 ? `... ${events.length - 10} more in the event log` : '',
            ]);
          })
          .on('mouseout', () => tooltip.hide()),
      )
      .attr('x', (b) => x(b[4]))
      .attr('width', (b) => Math.max(1, x(b[5]) - x(b[4])))
      .attr('y', (b) => (rowY[b[1]] ?? 0) + b[2] * laneH)
      .attr('height', laneH - 1);
  });
}

/** Shades of the heat strips' colour scale. */
const HEAT_SHADES = 32;

/**
 * The heat strips at one pixel per cell (bin x row), on a canvas of their own that each draw
 * scales onto the chart: one drawImage per zoom step instead of a fill per cell (250 rows x
 * 400 bins took about 300 ms per draw cell by cell). Colours in HEAT_SHADES steps.
 */
function cellImage(running: readonly (readonly number[])[], max: number): HTMLCanvasElement {
  const shades = Array.from({ length: HEAT_SHADES + 1 }, (_s, i) =>
    rgb(interpolateYlGnBu(0.15 + (0.85 * i) / HEAT_SHADES)),
  );
  const bins = Math.max(1, ...running.map((r) => r.length));
  const canvas = document.createElement('canvas');
  canvas.width = bins;
  canvas.height = Math.max(1, running.length);
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const image = ctx.createImageData(canvas.width, canvas.height);
  running.forEach((row, r) =>
    row.forEach((v, i) => {
      if (v === 0) return;
      const shade = Math.max(1, Math.ceil(HEAT_SHADES * Math.min(1, v / Math.max(1, max)) - 1e-9));
      const c = shades[shade]!;
      const o = 4 * (r * bins + i);
      image.data[o] = c.r;
      image.data[o + 1] = c.g;
      image.data[o + 2] = c.b;
      image.data[o + 3] = 255;
    }),
  );
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** Heat strips: rows of node groups, colour = running pods per node (time-averaged per bin). */
function heatChart(tl: Timeline, host: HTMLElement, data: ReportData): void {
  const view = data.pods;
  if (view.kind !== 'heat') return;
  const rowH = view.rows.length > 120 ? 2 : 4;
  const height = view.rows.length * rowH + 8;
  const wrap = select(host)
    .append('div')
    .attr('class', 'canvas-wrap')
    .style('height', `${height}px`);
  const canvas = wrap
    .append('canvas')
    .attr('class', 'heat')
    .attr('width', tl.width)
    .attr('height', height)
    .node() as HTMLCanvasElement;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const cells = cellImage(view.running, view.max);
  tl.chart(wrap.node() as HTMLElement, height, (chart, x) => {
    frame(chart, x, data.faults, tl.cursor);
    chart.labels
      .selectAll('text')
      .data([view.rows[0], view.rows[view.rows.length - 1]])
      .join('text')
      .attr('x', MARGIN_LEFT - 6)
      .attr('y', (_r, i) => (i === 0 ? 10 : height - 2))
      .attr('text-anchor', 'end')
      .text((r) => (r === undefined ? '' : `${r[0]}${r[2] > 1 ? ` .. ${r[1]}` : ''}`));
    ctx.clearRect(0, 0, tl.width, height);
    // The bins in view, scaled onto the plot without smoothing: each cell stays a sharp block.
    const [a, b] = x.domain() as [number, number];
    const s0 = Math.max(0, a / view.widthUs);
    const s1 = Math.min(cells.width, b / view.widthUs);
    if (s1 <= s0) return;
    const x0 = x(s0 * view.widthUs);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(
      cells,
      s0,
      0,
      s1 - s0,
      cells.height,
      x0,
      4,
      x(s1 * view.widthUs) - x0,
      view.rows.length * rowH,
    );
  });
  select(canvas).attr('data-rows', view.rows.length);
}

/** Node lanes (few nodes) or counts of nodes per state (many), with taints. */
export function nodesChart(tl: Timeline, host: HTMLElement, data: ReportData): void {
  const v = data.nodeStates;
  if (v.segments === undefined || v.taints === undefined)
    return seriesChart(tl, host, data, [
      { name: 'NotReady', ...v.notReady },
      { name: 'Unknown', ...v.unknown },
      { name: 'down', ...v.down },
      { name: 'tainted', ...v.tainted },
    ]);
  const segments = v.segments;
  const taints = v.taints;
  const laneH = 14;
  const height = data.nodes.length * (laneH + 6) + 8;
  tl.chart(host, height, (chart, x) => {
    frame(chart, x, data.faults, tl.cursor);
    laneLabels(
      chart,
      data.nodes,
      (i) => 4 + i * (laneH + 6),
      () => laneH,
    );
    chart.plot
      .selectAll('rect.node-state')
      .data(segments)
      .join((enter) =>
        enter
          .append('rect')
          .attr('class', 'node-state')
          .call((s) => s.append('title')),
      )
      .attr('x', (s) => x(s[2]))
      .attr('width', (s) => Math.max(1, x(s[3]) - x(s[2])))
      .attr('y', (s) => 4 + s[0] * (laneH + 6))
      .attr('height', laneH - 4)
      .attr('fill', (s) => NODE_COLORS[NODE_STATES[s[1]]])
      .attr('data-state', (s) => NODE_STATES[s[1]])
      .select('title')
      .text(
        (s) =>
          `${data.nodes[s[0]]}: ${NODE_STATES[s[1]]} ${formatTime(s[2])} - ${formatTime(s[3])}`,
      );
    chart.plot
      .selectAll('rect.taint')
      .data(taints)
      .join((enter) =>
        enter
          .append('rect')
          .attr('class', 'taint')
          .call((s) => s.append('title')),
      )
      .attr('x', (s) => x(s[2]))
      .attr('width', (s) => Math.max(1, x(s[3]) - x(s[2])))
      .attr('y', (s) => 4 + s[0] * (laneH + 6) + laneH - 3)
      .attr('height', 3)
      .select('title')
      .text((s) => `${data.nodes[s[0]]} tainted ${s[1]}`);
  });
}

/** Store members: role lanes, leader changes, elections, and commit index progress. */
export function storeChart(tl: Timeline, host: HTMLElement, data: ReportData): void {
  const s = data.store;
  const laneH = 18;
  const lanesH = s.members.length * (laneH + 4) + 8;
  const height = lanesH + 110;
  const maxCommit = Math.max(1, ...s.progress.flat().map((p) => p[2]));
  const yCommit = scaleLinear()
    .domain([0, maxCommit])
    .range([height - 4, lanesH + 10]);
  tl.chart(host, height, (chart, x) => {
    frame(chart, x, data.faults, tl.cursor);
    laneLabels(
      chart,
      [...s.members.map((m) => `${m.process} (id ${m.id})`), `commit index (${maxCommit})`],
      (i) => (i < s.members.length ? 4 + i * (laneH + 4) : lanesH + 40),
      () => laneH,
    );
    chart.plot
      .selectAll('rect.role')
      .data(s.roles)
      .join((enter) =>
        enter
          .append('rect')
          .attr('class', 'role')
          .call((e) => e.append('title')),
      )
      .attr('x', (r) => x(r[3]))
      .attr('width', (r) => Math.max(1, x(r[4]) - x(r[3])))
      .attr('y', (r) => 4 + r[0] * (laneH + 4))
      .attr('height', laneH)
      .attr('fill', (r) => ROLE_COLORS[r[1]] ?? '#eee')
      .attr('data-role', (r) => r[1])
      .select('title')
      .text(
        (r) =>
          `${s.members[r[0]]?.process}: ${r[1]}, term ${r[2]}, ${formatTime(r[3])} - ${formatTime(r[4])}`,
      );
    chart.plot
      .selectAll('text.term')
      .data(
        s.roles.filter((r) => Math.min(x(r[4]), tl.width) - Math.max(x(r[3]), MARGIN_LEFT) > 40),
      )
      .join('text')
      .attr('class', 'term')
      .attr('x', (r) => Math.max(x(r[3]), MARGIN_LEFT) + 3)
      .attr('y', (r) => 4 + r[0] * (laneH + 4) + laneH - 5)
      .text((r) => `${r[1] === 'leader' ? 'leader ' : ''}t${r[2]}`);
    chart.plot
      .selectAll('g.leader-change')
      .data(s.leaderChanges)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'leader-change');
        g.append('line').attr('y1', 0).attr('y2', lanesH);
        g.append('title');
        return g;
      })
      .attr('data-t', (c) => c.t)
      .attr('data-to', (c) => c.to)
      .attr('transform', (c) => `translate(${x(c.t)},0)`)
      .select('title')
      .text(
        (c) =>
          `${formatTime(c.t)}: leader ${c.from === 0 ? 'none' : c.from} -> ${c.to === 0 ? 'none' : c.to} (term ${c.term})`,
      );
    chart.plot
      .selectAll('circle.election')
      .data(s.elections)
      .join('circle')
      .attr('class', 'election')
      .attr('cx', (e) => x(e[0]))
      .attr('cy', (e) => {
        const i = s.members.findIndex((m) => m.id === e[1]);
        return 4 + i * (laneH + 4) + laneH / 2;
      })
      .attr('r', 3);
    const commitLine = line<readonly [number, number, number]>()
      .x((p) => x(p[0]))
      .y((p) => yCommit(p[2]))
      .curve(curveStepAfter);
    chart.plot
      .selectAll('path.commit')
      .data(s.progress)
      .join('path')
      .attr('class', 'commit')
      .attr('stroke', (_p, i) => SERIES_COLORS[i % SERIES_COLORS.length] as string)
      .attr('d', (p) => commitLine(p));
    chart.plot
      .selectAll('text.conf')
      .data(s.confChanges)
      .join('text')
      .attr('class', 'conf')
      .attr('x', (c) => x(c[0]))
      .attr('y', lanesH + 8)
      .text('◆')
      .append('title')
      .text((c) => c[1]);
  });
}

export interface Series extends Bins {
  readonly name: string;
  readonly color?: string;
}

const colorOf = (s: Series, i: number): string =>
  s.color ?? (SERIES_COLORS[i % SERIES_COLORS.length] as string);

/** Binned series as step lines, y from 0 to the largest value in view; legend with totals. */
export function seriesChart(
  tl: Timeline,
  host: HTMLElement,
  data: ReportData,
  series: readonly Series[],
  options: { perSecond?: boolean; height?: number; total?: (s: Series) => string } = {},
): void {
  const height = options.height ?? 130;
  const scaleOf = (s: Series) => (options.perSecond ? 1_000_000 / s.widthUs : 1);
  const legend = select(host).append('div').attr('class', 'legend');
  series.forEach((s, i) =>
    legend
      .append('span')
      .html(
        `<i style="background:${colorOf(s, i)}"></i>${s.name}${options.total ? ` (${options.total(s)})` : ''}`,
      ),
  );
  tl.chart(host, height, (chart, x) => {
    frame(chart, x, data.faults, tl.cursor);
    const [a, b] = x.domain() as [number, number];
    const visible = (s: Series) =>
      s.values.filter((_v, i) => (i + 1) * s.widthUs >= a && i * s.widthUs <= b);
    const top = Math.max(1, max(series, (s) => (max(visible(s)) ?? 0) * scaleOf(s)) ?? 1);
    const y = scaleLinear()
      .domain([0, top])
      .nice()
      .range([height - 16, 6]);
    chart.labels
      .selectAll('text')
      .data(y.ticks(3))
      .join('text')
      .attr('x', MARGIN_LEFT - 6)
      .attr('y', (v) => y(v) + 4)
      .attr('text-anchor', 'end')
      .text((v) => `${v}${options.perSecond ? '/s' : ''}`);
    chart.plot
      .selectAll('path.series')
      .data(series)
      .join('path')
      .attr('class', 'series')
      .attr('data-name', (s) => s.name)
      .attr('stroke', colorOf)
      .attr('d', (s) =>
        line<number>()
          .x((_v, i) => x(i * s.widthUs))
          .y((v) => y(v * scaleOf(s)))
          .curve(curveStepAfter)([...s.values, s.values[s.values.length - 1] ?? 0]),
      );
  });
}

export function named(n: readonly NamedBins[], widthUs: number): Series[] {
  return n.map((s) => ({ name: s.name, widthUs, values: s.values }));
}
