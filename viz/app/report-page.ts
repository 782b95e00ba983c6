/**
 * The report's views, drawn from its data. Time charts share one zoomable axis (timeline.ts);
 * distributions and tables cover the whole run, except the event log, which follows the visible
 * time window. The live view draws the page again for every update, keeping the user's zoom.
 */
import { select } from 'd3';
import type { ReportData } from '../model/report-data.ts';
import { cdfChart, histogramChart } from './dist-charts.ts';
import { escapeHtml, formatLatency, formatTime } from './format.ts';
import { shareBar } from './share-bar.ts';
import { eventTable, verdictTable } from './tables.ts';
import {
  named,
  nodesChart,
  POD_COLORS,
  podsChart,
  seriesChart,
  storeChart,
} from './time-charts.ts';
import { Timeline } from './timeline.ts';

function section(id: string, title: string, note: string): HTMLElement {
  const s = select('#views').append('section').attr('class', 'view').attr('id', id);
  s.append('h2').text(title);
  if (note !== '') s.append('p').attr('class', 'note').text(note);
  return s.node() as HTMLElement;
}

function sub(host: HTMLElement, title: string): HTMLElement {
  const d = select(host).append('div').attr('class', 'sub');
  d.append('h3').text(title);
  return d.node() as HTMLElement;
}

export interface DrawOptions {
  /** The page of a running simulation: verdicts come at its end. */
  readonly live?: boolean;
  /** The time window and cursor to keep (default: the whole run, no cursor). */
  readonly domain?: readonly [number, number];
  readonly cursor?: number;
}

/** Draws every view into the page, replacing what was there; returns the time axis. */
export function drawReport(data: ReportData, options: DrawOptions = {}): Timeline {
  select('#views').selectAll('*').remove();
  select('#axis').selectAll('*').remove();
  const m = data.meta;
  document.title = `ksim ${options.live === true ? 'live' : 'report'}: ${m.title}`;
  select('#title').text(m.title);
  select('#meta').text(
    `seed ${m.seed} · ${m.records.toLocaleString('en-US')} trace records (${m.level}) · virtual time ${formatTime(m.endUs)} · ${data.nodes.length.toLocaleString('en-US')} nodes · ${data.podTotals.placed.toLocaleString('en-US')} pods placed · ksim ${m.ksimVersion}, trace schema ${m.schemaVersion}`,
  );
  const tl = new Timeline(document.getElementById('axis') as HTMLElement, m.endUs, {
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
  });
  select('#reset-zoom').on('click', () => tl.reset());

  const podEventIndex = new Map<string, string[]>();
  for (const e of data.events.rows) {
    if (e[3] === '') continue;
    let l = podEventIndex.get(e[3]);
    if (l === undefined) podEventIndex.set(e[3], (l = []));
    l.push(escapeHtml(`${formatTime(e[0])} ${e[2]} ${e[4]}`));
  }
  const w = data.podTotals.pending.widthUs;

  verdictTable(
    section(
      'view-verdicts',
      'Verdicts and SLOs',
      'The expectations of the scenario, then the SLOs ksim checks in every run (upstream sig-scalability definitions).',
    ),
    data,
    options.live === true
      ? 'The scenario’s expectations are judged when the run ends (stop ksim serve to see them); the SLOs below cover the run so far.'
      : undefined,
  );

  const pods = section(
    'view-pods',
    'Pods per node',
    data.pods.kind === 'bars'
      ? 'One bar per pod and phase: orange bound but not yet running, green running, grey terminating. Hover a bar for the pod and its events. Shaded bands are faults.'
      : `Heat strips: ${data.pods.rows.length} rows of consecutive nodes (${data.pods.rows[0]?.[2] ?? 1} per row); colour is running pods per node, averaged over each time bin (darker blue = more, up to ${data.pods.max}; bins are as wide as on the other charts).`,
  );
  podsChart(tl, sub(pods, 'placements'), data, (pod) => podEventIndex.get(pod) ?? []);
  seriesChart(tl, sub(pods, 'pods on nodes by phase'), data, [
    { name: 'pending (bound)', color: POD_COLORS.pending, ...data.podTotals.pending },
    { name: 'running', color: POD_COLORS.running, ...data.podTotals.running },
    { name: 'terminating', color: POD_COLORS.terminating, ...data.podTotals.terminating },
  ]);

  const nodes = section(
    'view-nodes',
    'Node states',
    'Ready as the node lifecycle controller saw it: pale green Ready, orange NotReady, red Unknown, dark grey process crashed; a thin purple line under a lane: tainted. Bands across all charts: purple partitions, grey crashes, blue clogs, yellow other faults. ksim does not trace pressure conditions or cordons separately (a cordon shows as a taint).',
  );
  nodesChart(tl, nodes, data);

  const store = section(
    'view-store',
    'Store (Raft)',
    'Role of each member over time (blue leader, pale follower, yellow candidate, dark down) with its term; vertical red lines: the cluster leader changed; dots: campaigns; lines below: commit index per member; diamonds: membership changes.',
  );
  storeChart(tl, store, data);

  const api = section(
    'view-api',
    'API server',
    `${data.api.total.toLocaleString('en-US')} requests. Latency over the whole run per class, against the upstream API call latency SLO (vertical lines).`,
  );
  cdfChart(sub(api, 'request latency CDF'), data.api.series);
  seriesChart(
    tl,
    sub(api, 'requests per second'),
    data,
    [{ name: 'requests', ...data.api.requests }],
    { perSecond: true },
  );
  seriesChart(tl, sub(api, 'answers clients must handle'), data, named(data.api.codes, w), {
    total: (s) => String(s.values.reduce((a, b) => a + b, 0)),
  });

  const sched = section(
    'view-scheduling',
    'Scheduling',
    `${data.scheduling.failedAttempts.toLocaleString('en-US')} failed attempts, ${data.scheduling.preemptions} preemptions. A failed attempt counts once for each reason its message names.`,
  );
  seriesChart(
    tl,
    sub(sched, 'attempts per bin: bound and failed by reason'),
    data,
    [{ name: 'bound', ...data.scheduling.binds }, ...named(data.scheduling.failures, w)],
    {
      total: (s) => String(s.values.reduce((a, b) => a + b, 0)),
    },
  );
  seriesChart(tl, sub(sched, 'queue lengths'), data, named(data.scheduling.queue, w), {
    total: (s) => `max ${Math.max(0, ...s.values)}`,
  });
  histogramChart(
    sub(sched, 'scheduling latency (first attempt to binding)'),
    data.scheduling.latency,
    'pods bound',
  );

  const wl = data.workload;
  const work = section(
    'view-workload',
    'Pod startup, restarts, evictions',
    `${wl.restartsTotal} container restarts, ${wl.evictionsTotal} evictions, ${wl.rejected} pods rejected by kubelets.`,
  );
  histogramChart(
    sub(work, 'pod startup latency (creation to running, image pulls excluded)'),
    wl.startup,
    'pods started',
    5_000_000,
  );
  seriesChart(tl, sub(work, 'container restarts and evictions per bin'), data, [
    { name: 'restarts', ...wl.restarts },
    { name: 'evictions', ...wl.evictions },
  ]);
  if (wl.topRestarts.length > 0)
    select(work)
      .append('p')
      .text(`Most restarted: ${wl.topRestarts.map(([n, c]) => `${n} (${c})`).join(', ')}`);
  if (wl.evictionList.length > 0)
    select(work)
      .append('p')
      .text(
        `Evictions: ${wl.evictionList
          .slice(0, 20)
          .map(([t, p, why]) => `${formatTime(t)} ${p} (${why})`)
          .join('; ')}${wl.evictionsTotal > 20 ? ' ...' : ''}`,
      );

  if (data.traffic !== undefined) {
    const traffic = section(
      'view-traffic',
      'Service traffic',
      "Requests of the scenario's traffic generators per Service: requests and failures by kind per second (counted in the second they finished), and the share of each backend pod in the successful requests.",
    );
    for (const t of data.traffic) {
      const host = sub(
        traffic,
        `${t.service}: ${t.total.toLocaleString('en-US')} requests, ${t.ok.toLocaleString('en-US')} ok, worst p99 in a second ${formatLatency(t.worstP99Us)}`,
      );
      host.setAttribute('data-service', t.service);
      seriesChart(
        tl,
        host,
        data,
        [{ name: 'requests', ...t.requests }, ...named(t.errors, t.requests.widthUs)],
        { perSecond: true, total: (s) => String(s.values.reduce((a, b) => a + b, 0)) },
      );
      shareBar(host, t.backends, 'successful requests');
    }
  }

  eventTable(section('view-events', 'Event log', ''), data, tl);
  select(document.body).attr('data-ready', 'true');
  return tl;
}
