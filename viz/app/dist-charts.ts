/** Distributions over the whole run: latency CDFs against SLO thresholds, histograms. */
import {
  axisBottom,
  axisLeft,
  curveStepAfter,
  line,
  max,
  scaleBand,
  scaleLinear,
  scaleLog,
  select,
} from 'd3';
import type { Histogram, LatencySeries } from '../model/report-data.ts';
import { formatLatency } from './format.ts';
import { SERIES_COLORS } from './time-charts.ts';

const W = 560;
const H = 300;
const M = { top: 14, right: 16, bottom: 36, left: 48 };

/** Latency CDF per request class (log x), each with its SLO threshold and its p99 labelled. */
export function cdfChart(host: HTMLElement, series: readonly LatencySeries[]): void {
  if (series.length === 0) {
    select(host).append('p').attr('class', 'empty').text('No API requests in this trace.');
    return;
  }
  const lo = Math.max(1, Math.min(...series.map((s) => s.cdf[0]?.[0] ?? 1)));
  const hi = Math.max(...series.map((s) => Math.max(s.maxUs, s.thresholdUs)));
  const x = scaleLog()
    .domain([lo, hi * 1.2])
    .range([M.left, W - M.right])
    .clamp(true);
  const y = scaleLinear()
    .domain([0, 1])
    .range([H - M.bottom, M.top]);
  const svg = select(host)
    .append('svg')
    .attr('class', 'cdf')
    .attr('width', W)
    .attr('height', H + series.length * 16);
  svg
    .append('g')
    .attr('transform', `translate(0,${H - M.bottom})`)
    .call(axisBottom(x).ticks(6, (v: number) => formatLatency(v)));
  svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(5, '%'));
  svg
    .append('text')
    .attr('x', W / 2)
    .attr('y', H - 4)
    .attr('text-anchor', 'middle')
    .text('latency (log scale)');
  series.forEach((s, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length] as string;
    const g = svg.append('g').attr('class', 'cdf-series').attr('data-key', s.key);
    g.append('path')
      .attr('class', 'cdf-line')
      .attr('stroke', color)
      .attr(
        'd',
        line<readonly [number, number]>()
          .x((p) => x(Math.max(lo, p[0])))
          .y((p) => y(p[1]))
          .curve(curveStepAfter)([[lo, 0], ...s.cdf]),
      );
    g.append('line')
      .attr('class', 'slo-threshold')
      .attr('stroke', color)
      .attr('x1', x(s.thresholdUs))
      .attr('x2', x(s.thresholdUs))
      .attr('y1', M.top)
      .attr('y2', H - M.bottom)
      .append('title')
      .text(`${s.key} SLO: p99 <= ${formatLatency(s.thresholdUs)}`);
    g.append('circle')
      .attr('cx', x(Math.max(lo, s.p99Us)))
      .attr('cy', y(0.99))
      .attr('r', 3.5)
      .attr('fill', color);
    g.append('text')
      .attr('class', 'cdf-p99-label')
      .attr('data-key', s.key)
      .attr('x', M.left)
      .attr('y', H + 8 + i * 16)
      .attr('fill', color)
      .text(
        `${s.key}: p99 ${formatLatency(s.p99Us)} (p50 ${formatLatency(s.p50Us)}, max ${formatLatency(s.maxUs)}, ${s.count.toLocaleString('en-US')} calls; SLO ${formatLatency(s.thresholdUs)} ${s.p99Us <= s.thresholdUs ? 'met' : 'MISSED'})`,
      );
  });
}

/** A histogram over log-spaced buckets, with p50/p99 and an optional threshold. */
export function histogramChart(
  host: HTMLElement,
  h: Histogram,
  what: string,
  thresholdUs?: number,
): void {
  if (h.count === 0) {
    select(host).append('p').attr('class', 'empty').text(`No ${what} in this trace.`);
    return;
  }
  const last = h.counts.reduce((l, c, i) => (c > 0 ? i : l), 0);
  const bounds = h.boundsUs.slice(
    0,
    Math.max(
      last + 2,
      thresholdUs === undefined ? 0 : h.boundsUs.findIndex((b) => b >= thresholdUs) + 1,
    ),
  );
  const x = scaleBand<number>()
    .domain(bounds.map((_b, i) => i))
    .range([M.left, W - M.right])
    .padding(0.1);
  const y = scaleLinear()
    .domain([0, max(h.counts) ?? 1])
    .nice()
    .range([H - M.bottom, M.top]);
  const svg = select(host)
    .append('svg')
    .attr('class', 'histogram')
    .attr('width', W)
    .attr('height', H + 18);
  svg
    .append('g')
    .attr('transform', `translate(0,${H - M.bottom})`)
    .call(
      axisBottom(x)
        .tickFormat((i) => `≤${formatLatency(bounds[i] as number)}`)
        .tickValues(bounds.map((_b, i) => i).filter((i) => i % Math.ceil(bounds.length / 8) === 0)),
    );
  svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(5));
  svg
    .selectAll('rect.bucket')
    .data(bounds)
    .join('rect')
    .attr('class', 'bucket')
    .attr('x', (_b, i) => x(i) as number)
    .attr('width', x.bandwidth())
    .attr('y', (_b, i) => y(h.counts[i] ?? 0))
    .attr('height', (_b, i) => y(0) - y(h.counts[i] ?? 0))
    .append('title')
    .text(
      (b, i) =>
        `${h.counts[i] ?? 0} ${what} in (${formatLatency(i === 0 ? 0 : (bounds[i - 1] as number))}, ${formatLatency(b)}]`,
    );
  if (thresholdUs !== undefined) {
    const i = bounds.findIndex((b) => b >= thresholdUs);
    if (i >= 0) {
      const tx = (x(i) as number) + x.bandwidth();
      svg
        .append('line')
        .attr('class', 'slo-threshold')
        .attr('x1', tx)
        .attr('x2', tx)
        .attr('y1', M.top)
        .attr('y2', H - M.bottom);
    }
  }
  svg
    .append('text')
    .attr('class', 'histogram-label')
    .attr('x', M.left)
    .attr('y', H + 10)
    .text(
      `${h.count.toLocaleString('en-US')} ${what}: p50 ${formatLatency(h.p50Us)}, p90 ${formatLatency(h.p90Us)}, p99 ${formatLatency(h.p99Us)}${thresholdUs === undefined ? '' : `; SLO p99 <= ${formatLatency(thresholdUs)} ${h.p99Us <= thresholdUs ? 'met' : 'MISSED'}`}`,
    );
}
