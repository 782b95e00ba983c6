/** How a total splits over parts (requests over a Service's backends): one stacked bar. */
import { scaleLinear, select } from 'd3';
import { escapeHtml } from './format.ts';
import { SERIES_COLORS } from './time-charts.ts';
import { tooltip } from './tooltip.ts';

const W = 560;
const H = 22;

export function shareBar(
  host: HTMLElement,
  parts: readonly (readonly [name: string, count: number])[],
  what: string,
): void {
  const total = parts.reduce((n, [, c]) => n + c, 0);
  if (total === 0) {
    select(host).append('p').attr('class', 'empty').text(`No ${what} in this trace.`);
    return;
  }
  const x = scaleLinear().domain([0, total]).range([0, W]);
  let at = 0;
  const segments = parts.map(([name, count], i) => {
    const s = { name, count, start: at, color: SERIES_COLORS[i % SERIES_COLORS.length] as string };
    at += count;
    return s;
  });
  const percent = (c: number): string => `${((100 * c) / total).toFixed(1)}%`;
  select(host)
    .append('svg')
    .attr('class', 'share-bar')
    .attr('width', W)
    .attr('height', H)
    .selectAll('rect')
    .data(segments)
    .join('rect')
    .attr('class', 'share')
    .attr('data-name', (s) => s.name)
    .attr('data-count', (s) => s.count)
    .attr('x', (s) => x(s.start))
    .attr('width', (s) => Math.max(0.5, x(s.count) - 0.5))
    .attr('height', H)
    .attr('fill', (s) => s.color)
    .on('mousemove', (e: MouseEvent, s) =>
      tooltip.show(e, [`${escapeHtml(s.name)}: ${s.count} ${what} (${percent(s.count)})`]),
    )
    .on('mouseleave', () => tooltip.hide());
  const legend = select(host).append('div').attr('class', 'legend');
  for (const s of segments)
    legend
      .append('span')
      .html(`<i style="background:${s.color}"></i>${escapeHtml(s.name)} ${percent(s.count)}`);
}
