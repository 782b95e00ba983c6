/**
 * The report as one self-contained HTML file: the page script (viz/app, d3 included) bundled by
 * esbuild and the report data inlined as JSON, so the file opens with no network access. The
 * live view (live.ts) serves the same page with a control bar and no data: it receives them.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { LiveConfig, ReportData } from './model/report-data.ts';

let bundled: Promise<string> | undefined;

/** viz/app bundled and minified for the browser, once per process. */
function pageScript(): Promise<string> {
  bundled ??= build({
    // import.meta.dirname needs Node 20.11; the package promises 20.6.
    entryPoints: [fileURLToPath(new URL('app/main.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  }).then((r) => (r.outputFiles[0] as { text: string }).text);
  return bundled;
}

/** JSON that cannot end the script element it sits in. */
function inlineJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function inlineScript(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script');
}

export function renderReportHtml(data: ReportData): Promise<string> {
  return page(`<script id="report-data" type="application/json">${inlineJson(data)}</script>`, '');
}

/** The same page with no data inlined: it receives reports as the simulation runs. */
export function renderLiveHtml(config: LiveConfig): Promise<string> {
  const bar = `<div id="live-bar"><b>live</b> <span id="live-clock">connecting...</span> <button id="live-pause" type="button">pause</button> <button id="live-resume" type="button">resume</button> <span class="speeds">speed ${config.speeds.map((x) => `<button class="live-speed" type="button" data-speed="${x}">${x}×</button>`).join(' ')}</span> <span id="live-error"></span></div>`;
  return page(
    `<script id="live-config" type="application/json">${inlineJson(config)}</script>`,
    bar,
  );
}

/**
 * Served pages declare an empty icon: the browser's /favicon.ico would go to the API and come
 * back 401. A report file has no link of any kind (it must be self-contained) and needs none.
 */
const LIVE_ICON = '<link rel="icon" href="data:,">';

async function page(dataScript: string, liveBar: string): Promise<string> {
  const script = await pageScript();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${liveBar === '' ? '' : LIVE_ICON}
<title>ksim report</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1 id="title"></h1>
<p id="meta"></p>
<nav><a href="#view-verdicts">verdicts</a> <a href="#view-pods">pods</a> <a href="#view-nodes">nodes</a> <a href="#view-store">store</a> <a href="#view-api">API</a> <a href="#view-scheduling">scheduling</a> <a href="#view-workload">startup</a> <a href="#view-events">events</a></nav>
</header>
<div id="axis-bar">${liveBar}<div id="axis"></div><p class="hint">Time charts share this axis: wheel to zoom, drag to pan. <button id="reset-zoom" type="button">reset zoom</button></p></div>
<main id="views"></main>
${dataScript}
<script>${inlineScript(script)}</script>
</body>
</html>
`;
}

const CSS = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 0 16px 40px; color: #222; background: #fff; }
header h1 { font-size: 20px; margin: 12px 0 2px; }
header p { margin: 0 0 4px; color: #555; }
nav a { margin-right: 10px; }
#axis-bar { position: sticky; top: 0; background: #fff; z-index: 2; border-bottom: 1px solid #ddd; }
#axis-bar .hint { margin: 0 0 4px; color: #666; font-size: 12px; }
#live-bar { padding: 6px 0; border-bottom: 1px solid #eee; }
#live-bar b { color: #c62828; margin-right: 6px; }
#live-bar button.active { background: #1e88e5; color: #fff; }
#live-clock { display: inline-block; min-width: 260px; font-family: ui-monospace, monospace; }
#live-error { color: #c62828; }
section.view { margin-top: 18px; }
section.view h2 { font-size: 16px; margin: 8px 0 2px; }
.sub h3 { font-size: 13px; margin: 8px 0 2px; color: #444; }
.note { color: #555; margin: 0 0 6px; max-width: 1100px; }
.empty { color: #888; font-style: italic; }
svg text { font-size: 11px; fill: #333; }
.time-chart { display: block; }
.zoom-surface { cursor: grab; }
.canvas-wrap { position: relative; }
.canvas-wrap canvas, .canvas-wrap svg { position: absolute; left: 0; top: 0; }
rect.taint { fill: #8e24aa; }
line.cursor { stroke: #d81b60; stroke-width: 1.5; stroke-dasharray: 4 2; }
g.leader-change line { stroke: #e53935; stroke-width: 2; }
circle.election { fill: #f9a825; stroke: #333; stroke-width: 0.5; }
text.term { font-size: 10px; fill: #0d47a1; pointer-events: none; }
text.conf { fill: #6a1b9a; }
path.commit, path.series, path.cdf-line { fill: none; stroke-width: 1.5; }
.slo-threshold { stroke: #e53935; stroke-dasharray: 5 3; stroke-width: 1.2; }
rect.bucket { fill: #5c9bd5; }
.legend span { margin-right: 14px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; vertical-align: top; }
tr.pass td:first-child { color: #2e7d32; font-weight: bold; }
tr.fail td:first-child { color: #c62828; font-weight: bold; }
.event-scroll { max-height: 70vh; overflow: auto; border: 1px solid #eee; }
#event-table thead th { position: sticky; top: 0; background: #fff; }
#event-table { font-family: ui-monospace, monospace; font-size: 12px; }
#event-table tbody tr { cursor: pointer; }
#event-table tbody tr:hover { background: #f5f5f5; }
#event-table tbody tr.current { background: #fce4ec; }
#event-table td:last-child { max-width: 700px; overflow-wrap: anywhere; }
.filters label { margin-right: 12px; }
.tooltip { position: absolute; display: none; max-width: 400px; background: #fff; border: 1px solid #999; padding: 6px 8px; font-size: 12px; box-shadow: 0 2px 6px rgba(0,0,0,.2); pointer-events: none; z-index: 5; }
`;
