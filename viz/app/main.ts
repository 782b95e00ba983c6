/**
 * The report page's entry point: a report file has its data inlined (viz/html.ts); the live view
 * of `ksim serve` has none and receives it as the simulation runs (live.ts).
 */
import type { LiveConfig, ReportData } from '../model/report-data.ts';
import { startLive } from './live.ts';
import { drawReport } from './report-page.ts';

const inline = document.getElementById('report-data');
const live = document.getElementById('live-config');
if (live !== null) startLive(JSON.parse(live.textContent ?? '{}') as LiveConfig);
else drawReport(JSON.parse(inline?.textContent ?? '{}') as ReportData);
