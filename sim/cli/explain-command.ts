/**
 * `ksim explain <trace.jsonl> <pod>`: why each scheduling attempt of a pod chose the node it
 * chose, from the trace's `scheduler.explain` records: per attempt, the PreFilter results and
 * a table of the nodes with their Filter verdict, each Score plugin's normalized (and raw)
 * score and the weighted total, the chosen node marked.
 */
import { CliError, EXIT_OK, fsReason } from './errors.ts';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TraceRecordOf } from '../../core/trace/types.ts';
import { TRACE_HEADER_KIND, TRACE_SCHEMA_VERSION } from '../../core/trace/version.ts';
import { seconds, table } from './format.ts';

type Explanation = TraceRecordOf<'scheduler.explain'>;

/** Marks the chosen node's row. */
const CHOSEN_MARK = '*';

/** commander's collector for a repeatable, comma-separated list of names. */
export function collectNames(value: string, previous: string[] | undefined): string[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return [...(previous ?? []), ...names];
}

/** Does a record's pod key (namespace/name) name the pod asked for (a name, or namespace/name)? */
function sameKey(key: string, pod: string): boolean {
  return pod.includes('/') ? key === pod : key.slice(key.indexOf('/') + 1) === pod;
}

/** Whether any string field of the record names the pod (by key, or in an API path). */
function mentions(record: Record<string, unknown>, pod: string): boolean {
  const name = pod.slice(pod.indexOf('/') + 1);
  return Object.values(record).some(
    (v) =>
      typeof v === 'string' &&
      (sameKey(v, pod) || v.includes(`/pods/${name}`) || v.endsWith(`/${name}`)),
  );
}

interface Scan {
  readonly explanations: Explanation[];
  readonly mentioned: boolean;
  readonly version: number | undefined;
}

async function scan(tracePath: string, pod: string): Promise<Scan> {
  const explanations: Explanation[] = [];
  let mentioned = false;
  let version: number | undefined;
  const name = pod.slice(pod.indexOf('/') + 1);
  const lines = createInterface({
    input: createReadStream(tracePath, 'utf8'),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    if (version === undefined && line.includes(TRACE_HEADER_KIND)) {
      const header = JSON.parse(line) as { k: string; schemaVersion?: number };
      if (header.k === TRACE_HEADER_KIND) version = header.schemaVersion;
    }
    // Most lines do not name the pod: skip them without parsing.
    if (!line.includes(name)) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    if (record.k === 'scheduler.explain' && sameKey(String(record.pod), pod)) {
      explanations.push(record as unknown as Explanation);
      mentioned = true;
    } else if (!mentioned && mentions(record, pod)) mentioned = true;
  }
  return { explanations, mentioned, version };
}

export async function explainCommand(
  tracePath: string,
  pod: string,
  out: (s: string) => void,
): Promise<number> {
  let result: Scan;
  try {
    result = await scan(tracePath, pod);
  } catch (e) {
    const reason = e instanceof Error && 'code' in e ? fsReason(e) : (e as Error).message;
    throw new CliError(`cannot read trace ${tracePath}: ${reason}`);
  }
  if (result.version !== undefined && result.version !== TRACE_SCHEMA_VERSION) {
    throw new CliError(
      `${tracePath} has trace schema version ${result.version}; this ksim reads version ${TRACE_SCHEMA_VERSION}`,
    );
  }
  if (!result.mentioned) throw new CliError(`pod ${pod} does not appear in ${tracePath}`);
  if (result.explanations.length === 0) {
    throw new CliError(
      `${tracePath} has no scheduling explanations for pod ${pod}; rerun with --trace-level debug or --explain ${pod}`,
    );
  }
  out(result.explanations.map(render).join('\n\n'));
  return EXIT_OK;
}

/** One attempt: a heading, the PreFilter results, the node table. */
export function render(e: Explanation): string {
  const heading = `${e.pod}  attempt ${e.attempt}  at ${seconds(e.t)}  ${e.outcome}${e.node === undefined ? '' : ` -> ${e.node}`}`;
  const lines = [heading];
  if (e.message !== undefined) lines.push(`  ${e.message}`);
  if (e.preFilter.length > 0)
    lines.push(
      `prefilter: ${e.preFilter
        .map(
          (p) =>
            `${p.plugin} ${p.code}${p.nodes === undefined ? '' : ` (${p.nodes} nodes)`}${p.reason === undefined ? '' : `: ${p.reason}`}`,
        )
        .join('; ')}`,
    );
  const evaluated = e.filter.length;
  lines.push(`nodes: ${e.nodes} in the snapshot, ${evaluated} evaluated by the filters`);
  if (evaluated === 0) return lines.join('\n');
  lines.push(nodeTable(e));
  return lines.join('\n');
}

function nodeTable(e: Explanation): string {
  const plugins = e.scorePlugins.map((p) =>
    p.weight === 1 ? p.plugin : `${p.plugin} x${p.weight}`,
  );
  const headers = ['', 'node', 'filter', ...plugins, 'total'];
  const scored = new Map(e.scores.map((s) => [s.node, s]));
  const blank = plugins.map(() => '');
  const rows: (string | number)[][] = [];
  for (const s of e.scores)
    rows.push([
      s.node === e.node ? CHOSEN_MARK : '',
      s.node,
      'passed',
      ...s.normalized.map((n, i) => `${n} (raw ${s.raw[i] ?? ''})`),
      String(s.total),
    ]);
  const unscored = e.filter.filter((f) => f.code === 'Success' && !scored.has(f.node));
  // With one feasible node nothing is scored; it is still the chosen one.
  const listed = e.scores.length === 0 ? unscored : [];
  for (const f of listed)
    rows.push([f.node === e.node ? CHOSEN_MARK : '', f.node, 'passed', ...blank, '']);
  for (const f of e.filter)
    if (f.code !== 'Success')
      rows.push([
        f.node === e.node ? CHOSEN_MARK : '',
        f.node,
        `${f.code}${f.plugin === undefined ? '' : ` ${f.plugin}`}: ${f.reason ?? ''}`,
        ...blank,
        '',
      ]);
  // Feasible nodes scored below the best ones are counted, not listed.
  const more = unscored.length - listed.length;
  const note = more > 0 ? `\n(${more} more feasible node(s) with lower totals not listed)` : '';
  return table(headers, rows) + note;
}
