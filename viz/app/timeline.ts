/**
 * The shared virtual-time axis: every time chart draws against one x scale; a wheel or drag on
 * any of them zooms or pans all of them, and the sticky axis at the top shows the domain.
 */
import {
  axisTop,
  scaleLinear,
  select,
  zoom,
  zoomIdentity,
  type ScaleLinear,
  type Selection,
  type ZoomBehavior,
  type ZoomTransform,
} from 'd3';
import { formatTime } from './format.ts';

export const MARGIN_LEFT = 150;
export const MARGIN_RIGHT = 24;

type Draw = (x: ScaleLinear<number, number>) => void;

export interface TimeChart {
  readonly svg: Selection<SVGSVGElement, unknown, null, undefined>;
  /** Marks go here, clipped to the plot area. */
  readonly plot: Selection<SVGGElement, unknown, null, undefined>;
  /** Labels left of the plot (lanes, axis). */
  readonly labels: Selection<SVGGElement, unknown, null, undefined>;
  readonly height: number;
}

export class Timeline {
  readonly width: number;
  private readonly x0: ScaleLinear<number, number>;
  private x: ScaleLinear<number, number>;
  private readonly draws: Draw[] = [];
  private readonly surfaces: Element[] = [];
  private readonly zoomer: ZoomBehavior<Element, unknown>;
  private readonly axis: Selection<SVGSVGElement, unknown, null, undefined>;
  private cursorUs: number | undefined;
  private clipId = 0;

  /**
   * `keep`: the visible window and cursor to start with (the live view redraws the page every
   * second and keeps what the user zoomed to); by default the whole run.
   */
  constructor(
    axisHost: HTMLElement,
    endUs: number,
    keep: { readonly domain?: readonly [number, number]; readonly cursor?: number } = {},
  ) {
    this.width = Math.max(640, axisHost.clientWidth);
    this.x0 = scaleLinear()
      .domain([0, endUs])
      .range([MARGIN_LEFT, this.width - MARGIN_RIGHT]);
    this.x = this.x0.copy();
    const [r0, r1] = this.x0.range() as [number, number];
    this.zoomer = zoom<Element, unknown>()
      .scaleExtent([1, Math.max(1, endUs / 10_000)])
      .extent([
        [r0, 0],
        [r1, 1],
      ])
      .translateExtent([
        [r0, -Infinity],
        [r1, Infinity],
      ])
      .on('zoom', (e: { transform: ZoomTransform }) => this.apply(e.transform));
    this.axis = select(axisHost)
      .append('svg')
      .attr('id', 'time-axis')
      .attr('width', this.width)
      .attr('height', 28);
    this.axis.append('g').attr('class', 'axis').attr('transform', 'translate(0,24)');
    this.cursorUs = keep.cursor;
    if (keep.domain !== undefined) this.x = this.transformFor(...keep.domain).rescaleX(this.x0);
    this.redraw();
  }

  /** The whole run is in view (nothing zoomed or panned; a zoom back out may be off by a hair). */
  get whole(): boolean {
    const [a, b] = this.domain;
    const [a0, b0] = this.x0.domain() as [number, number];
    const slack = (b0 - a0) * 1e-6;
    return a <= a0 + slack && b >= b0 - slack;
  }

  /** The visible domain, in virtual microseconds. */
  get domain(): [number, number] {
    return this.x.domain() as [number, number];
  }

  /** A new chart of `height` pixels under `host`; `draw` is called now and at every zoom. */
  chart(
    host: HTMLElement,
    height: number,
    draw: (chart: TimeChart, x: ScaleLinear<number, number>) => void,
  ): TimeChart {
    const svg = select(host)
      .append('svg')
      .attr('class', 'time-chart')
      .attr('width', this.width)
      .attr('height', height);
    const id = `clip-${this.clipId++}`;
    const [r0, r1] = this.x0.range() as [number, number];
    svg
      .append('clipPath')
      .attr('id', id)
      .append('rect')
      .attr('x', r0)
      .attr('y', 0)
      .attr('width', r1 - r0)
      .attr('height', height);
    // The zoom listens on the whole chart, so marks keep their hover and a wheel or drag on a
    // mark still zooms or pans; the transparent surface under the marks catches the rest.
    svg
      .append('rect')
      .attr('class', 'zoom-surface')
      .attr('x', r0)
      .attr('y', 0)
      .attr('width', r1 - r0)
      .attr('height', height)
      .attr('fill', 'transparent');
    const labels = svg.append('g').attr('class', 'labels');
    const plot = svg.append('g').attr('class', 'plot').attr('clip-path', `url(#${id})`);
    const chart: TimeChart = { svg, plot, labels, height };
    svg.call(this.zoomer as unknown as (s: typeof svg) => void);
    svg.property('__zoom', this.transform());
    this.surfaces.push(svg.node() as Element);
    const d: Draw = (x) => draw(chart, x);
    this.draws.push(d);
    d(this.x);
    return chart;
  }

  /** Shows [a, b] (microseconds) in every chart. */
  setDomain(a: number, b: number): void {
    this.apply(this.transformFor(a, b));
  }

  private transformFor(a: number, b: number): ZoomTransform {
    const [r0, r1] = this.x0.range() as [number, number];
    const k = (r1 - r0) / Math.max(1, this.x0(b) - this.x0(a));
    return zoomIdentity.translate(r0 - k * this.x0(a), 0).scale(k);
  }

  reset(): void {
    this.apply(zoomIdentity);
  }

  /** Marks `t` in every chart, moving the window to it when it is outside. */
  setCursor(t: number): void {
    this.cursorUs = t;
    const [a, b] = this.domain;
    if (t < a || t > b) {
      const half = (b - a) / 2;
      const end = this.x0.domain()[1] as number;
      const start = Math.min(Math.max(0, t - half), Math.max(0, end - 2 * half));
      this.setDomain(start, start + 2 * half);
    } else this.redraw();
  }

  get cursor(): number | undefined {
    return this.cursorUs;
  }

  onChange(f: () => void): void {
    this.draws.push(() => f());
  }

  private transform(): ZoomTransform {
    return this.transformFor(...this.domain);
  }

  private apply(t: ZoomTransform): void {
    this.x = t.rescaleX(this.x0);
    for (const s of this.surfaces) (s as unknown as { __zoom: ZoomTransform }).__zoom = t;
    this.redraw();
  }

  private redraw(): void {
    const [a, b] = this.domain;
    this.axis
      .attr('data-domain', `${Math.round(a)},${Math.round(b)}`)
      .select<SVGGElement>('g.axis')
      .call(
        axisTop(this.x)
          .ticks(Math.floor(this.width / 110))
          .tickFormat((v) => formatTime(Number(v))),
      );
    for (const d of this.draws) d(this.x);
  }
}
