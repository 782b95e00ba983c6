/**
 * The node and pod lists of Alibaba's cluster-trace-gpu-v2023 ("openb", from the USENIX ATC '23
 * paper "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient
 * Descent", Weng et al.), read into typed rows. Every bad row is reported as
 * `file:line: column: what is wrong`, all of them (up to a limit) before anything runs.
 */
import { parse } from 'csv-parse/sync';

/** A node of the trace: `sn,cpu_milli,memory_mib,gpu,model`. */
export interface TraceNode {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  /** The GPU type (P100, V100M16, T4, ...); empty on CPU-only nodes. */
  readonly model: string;
}

/**
 * A task of the trace. `gpuMilli` is the share of each of its `numGpu` GPUs in thousandths:
 * 1000 for whole GPUs, less for a GPU-sharing task (which the trace only has with one GPU).
 */
export interface TracePod {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly numGpu: number;
  readonly gpuMilli: number;
  /** GPU types it may run on; empty: any. */
  readonly gpuSpec: readonly string[];
  /** LS, Burstable, BE, Guaranteed; empty when the file has no qos column. */
  readonly qos: string;
  /** Seconds since the trace's start; absent in files without times (multigpu50). */
  readonly creationS?: number;
  readonly deletionS?: number;
  /** The file's line, for messages. */
  readonly line: number;
}

export class TraceCsvError extends Error {
  override name = 'TraceCsvError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Enough problems to see the pattern; a wrong file would otherwise print thousands. */
const MAX_PROBLEMS = 20;

const NODE_COLUMNS = ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model'] as const;
const POD_COLUMNS = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli'] as const;

/** One data row: its cells by column name, and where it is. */
interface Row {
  readonly cells: ReadonlyMap<string, string>;
  readonly line: number;
}

/** Reads one field of a row, collecting what is wrong with it. */
class RowReader {
  constructor(
    private readonly file: string,
    private readonly row: Row,
    private readonly problems: string[],
  ) {}

  text(column: string): string {
    return this.row.cells.get(column) ?? '';
  }

  /** A whole number from `min` to `max`; an empty optional cell is undefined. */
  int(column: string, min: number, max: number, optional = false): number | undefined {
    const text = this.text(column).trim();
    if (text === '' && optional) return undefined;
    const n = Number(text);
    if (!/^-?\d+$/.test(text) || n < min || n > max) {
      this.fail(
        column,
        `expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
      );
      return undefined;
    }
    return n;
  }

  fail(column: string, message: string): void {
    this.problems.push(`${this.file}:${this.row.line}: ${column}: ${message}`);
  }
}

/**
 * The rows of a CSV file with a header line that has every `required` column; rows whose
 * number of cells differs from the header's are problems.
 */
function readRows(
  text: string,
  file: string,
  required: readonly string[],
  problems: string[],
): Row[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // With `info`, each record comes with where it is; the typings only know the plain form.
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as typeof records;
  } catch (e) {
    throw new TraceCsvError([`${file}: not CSV: ${(e as Error).message}`]);
  }
  const [head, ...body] = records;
  if (head === undefined) throw new TraceCsvError([`${file}: empty (expected a header line)`]);
  const header = head.record.map((c) => c.trim());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new TraceCsvError([
      `${file}:${head.info.lines}: header: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (has ${header.join(', ')})`,
    ]);
  }
  const rows: Row[] = [];
  for (const { record, info } of body) {
    if (record.length !== header.length) {
      problems.push(
        `${file}:${info.lines}: expected ${header.length} columns (${header.join(',')}), got ${record.length}`,
      );
      continue;
    }
    rows.push({ cells: new Map(header.map((c, i) => [c, record[i] ?? ''])), line: info.lines });
  }
  return rows;
}

function done<T>(rows: T[], file: string, problems: readonly string[]): T[] {
  if (problems.length === 0) return rows;
  // In line order: rows with the wrong number of cells are found before the others are read.
  const line = (p: string): number => Number(/^:(\d+):/.exec(p.slice(file.length))?.[1] ?? 0);
  const shown = [...problems].sort((a, b) => line(a) - line(b)).slice(0, MAX_PROBLEMS);
  if (problems.length > MAX_PROBLEMS) shown.push(`... and ${problems.length - MAX_PROBLEMS} more`);
  throw new TraceCsvError(shown);
}

/** Names must be usable as Node and Pod names (DNS subdomains, lower case). */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** A node list: `openb_node_list_all_node.csv` or `openb_node_list_gpu_node.csv`. */
export function parseNodeCsv(text: string, file: string): TraceNode[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const nodes: TraceNode[] = [];
  for (const row of readRows(text, file, NODE_COLUMNS, problems)) {
    const r = new RowReader(file, row, problems);
    const before = problems.length;
    const name = r.text('sn').trim();
    if (!OBJECT_NAME.test(name)) r.fail('sn', `${JSON.stringify(name)} is not a valid node name`);
    else if (seen.has(name))
      r.fail('sn', `node ${name} is listed twice (also line ${seen.get(name)})`);
    else seen.set(name, row.line);
    const cpuMilli = r.int('cpu_milli', 1, 10_000_000);
    const memoryMiB = r.int('memory_mib', 1, 1 << 30);
    const gpus = r.int('gpu', 0, 64);
    const model = r.text('model').trim();
    if (gpus !== undefined && gpus > 0 && model === '')
      r.fail('model', `a node with ${gpus} GPUs needs its GPU model`);
    if (gpus === 0 && model !== '') r.fail('model', `a node without GPUs has the model ${model}`);
    if (problems.length > before) continue;
    nodes.push({
      name,
      cpuMilli: cpuMilli as number,
      memoryMiB: memoryMiB as number,
      gpus: gpus as number,
      model,
    });
  }
  return done(nodes, file, problems);
}

/** A pod list: `openb_pod_list_default.csv` and the other samples. */
export function parsePodCsv(text: string, file: string): TracePod[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const pods: TracePod[] = [];
  for (const row of readRows(text, file, POD_COLUMNS, problems)) {
    const r = new RowReader(file, row, problems);
    const before = problems.length;
    const name = r.text('name').trim();
    if (!OBJECT_NAME.test(name)) r.fail('name', `${JSON.stringify(name)} is not a valid pod name`);
    else if (seen.has(name))
      r.fail('name', `pod ${name} is listed twice (also line ${seen.get(name)})`);
    else seen.set(name, row.line);
    const cpuMilli = r.int('cpu_milli', 0, 10_000_000);
    const memoryMiB = r.int('memory_mib', 0, 1 << 30);
    const numGpu = r.int('num_gpu', 0, 64);
    const gpuMilli = r.int('gpu_milli', 0, 1000);
    if (numGpu !== undefined && gpuMilli !== undefined) gpuProblem(r, numGpu, gpuMilli);
    const creationS = r.int('creation_time', 0, Number.MAX_SAFE_INTEGER, true);
    const deletionS = r.int('deletion_time', 0, Number.MAX_SAFE_INTEGER, true);
    if (creationS !== undefined && deletionS !== undefined && deletionS < creationS)
      r.fail('deletion_time', `${deletionS} is before the creation_time ${creationS}`);
    if (problems.length > before) continue;
    const spec = r.text('gpu_spec').trim();
    pods.push({
      name,
      cpuMilli: cpuMilli as number,
      memoryMiB: memoryMiB as number,
      numGpu: numGpu as number,
      gpuMilli: gpuMilli as number,
      // The trace repeats a type now and then (V100M32|V100M32).
      gpuSpec: spec === '' ? [] : [...new Set(spec.split('|').map((s) => s.trim()))],
      qos: r.text('qos').trim(),
      ...(creationS === undefined ? {} : { creationS }),
      ...(deletionS === undefined ? {} : { deletionS }),
      line: row.line,
    });
  }
  return done(pods, file, problems);
}

/**
 * The trace's GPU model: no GPU (0, 0), whole GPUs (n, 1000), or a share of one GPU (1, m).
 * A share of each of several GPUs is not in it, and has no faithful representation here.
 */
function gpuProblem(r: RowReader, numGpu: number, gpuMilli: number): void {
  if (numGpu === 0 && gpuMilli !== 0)
    r.fail('gpu_milli', `a task without GPUs (num_gpu 0) asks for ${gpuMilli} thousandths of one`);
  else if (numGpu > 0 && gpuMilli === 0)
    r.fail('gpu_milli', `a task with ${numGpu} GPUs asks for 0 thousandths of them`);
  else if (numGpu > 1 && gpuMilli !== 1000)
    r.fail(
      'gpu_milli',
      `a task with ${numGpu} GPUs takes them whole (1000), got ${gpuMilli} of each`,
    );
}
