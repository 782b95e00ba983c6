import { closeSync, createReadStream, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { TraceRecord } from '../../core/trace/types.ts';
import { TRACE_HEADER_KIND, TRACE_SCHEMA_VERSION } from '../../core/trace/version.ts';
import { renderReportHtml } from '../../viz/html.ts';
import { ReportBuilder } from '../../viz/model/report-builder.ts';
import type { TraceSink } from '../trace.ts';
import { CliError, fsReason, openForWriting } from './errors.ts';

/**
 * Feeds trace lines to a report. The first line must be a header of the schema version this
 * ksim writes: viz/ reads records by their typed shape and trusts it.
 */
export class ReportSink {
  readonly builder: ReportBuilder;
  private lines = 0;

  constructor(options: ConstructorParameters<typeof ReportBuilder>[0] = {}) {
    this.builder = new ReportBuilder(options);
  }

  readonly sink: TraceSink = (line) => {
    if (line === '') return;
    const r = JSON.parse(line) as TraceRecord;
    if (this.lines++ === 0) {
      if (r.k !== TRACE_HEADER_KIND)
        throw new Error(
          `the first line is a ${JSON.stringify(r.k)} record, not a ${TRACE_HEADER_KIND}`,
        );
      if (r.schemaVersion !== TRACE_SCHEMA_VERSION)
        throw new Error(
          `the trace has schema version ${r.schemaVersion}; this ksim reads version ${TRACE_SCHEMA_VERSION} (regenerate the trace with this ksim)`,
        );
    }
    this.builder.add(r);
  };

  async write(path: string, title: string, endUs?: number): Promise<number> {
    const html = await renderReportHtml(this.builder.finish(title, endUs));
    writeFileSync(path, html);
    return Buffer.byteLength(html);
  }
}

/** `ksim report <trace.jsonl> -o report.html`: returns the process exit code. */
export async function reportCommand(
  tracePath: string,
  opts: { readonly out: string; readonly title?: string },
  out: (s: string) => void,
): Promise<number> {
  const report = new ReportSink();
  let line = 0;
  try {
    const lines = createInterface({
      input: createReadStream(tracePath, 'utf8'),
      crlfDelay: Infinity,
    });
    for await (const l of lines) {
      line++;
      report.sink(l);
    }
  } catch (e) {
    throw new CliError(
      `cannot read trace ${tracePath}${line > 0 ? ` (line ${line})` : ''}: ${e instanceof Error && 'code' in e ? fsReason(e) : (e as Error).message}`,
    );
  }
  if (line === 0) throw new CliError(`${tracePath} is empty`);
  closeSync(openForWriting(opts.out, 'report'));
  const bytes = await report.write(opts.out, opts.title ?? basename(tracePath));
  out(
    `report ${opts.out} (${(bytes / 1_048_576).toFixed(1)} MiB) from ${line.toLocaleString('en-US')} trace records`,
  );
  return 0;
}
