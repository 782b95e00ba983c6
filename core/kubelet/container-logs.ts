/**
 * `kubectl logs` on the kubelet's side (pkg/kubelet/kuberuntime/logs/logs.go ReadLogs): the
 * container's log as the runtime keeps it, filtered by sinceSeconds/sinceTime, cut to the last
 * tailLines, prefixed with RFC3339Nano timestamps on request and cut at limitBytes; with follow,
 * new lines as they come until the container ends or the client goes.
 */
import * as errors from '../api/errors.ts';
import { refusal, type LogOptions, type StreamFrame } from '../api/node-stream.ts';
import { formatRfc3339Nano } from '../api/time.ts';
import type { Clock } from '../ports/clock.ts';
import type { LogLine, Runtime } from '../ports/runtime.ts';

/**
 * How often a follow looks for new lines. Upstream waits on fsnotify and rechecks the
 * container's state every second; reading on a period keeps the simulation's events bounded.
 */
export const LOG_FOLLOW_POLL_US = 250_000;

export interface LogSink {
  readonly open: boolean;
  send(frame: StreamFrame): void;
}

/** The text of some lines as ReadLogs writes them, and how many bytes it may still write. */
export function renderLines(
  lines: readonly LogLine[],
  options: LogOptions,
  budgetBytes: number,
): { readonly text: string; readonly budgetBytes: number } {
  let text = '';
  let left = budgetBytes;
  for (const line of lines) {
    if (left <= 0) break;
    const prefix = options.timestamps ? `${formatRfc3339Nano(line.timeUs)} ` : '';
    const whole = `${prefix}${line.text}\n`;
    const bytes = utf8Length(whole);
    if (bytes <= left) {
      text += whole;
      left -= bytes;
    } else {
      text += cutToBytes(whole, left);
      left = 0;
    }
  }
  return { text, budgetBytes: left };
}

/** Streams the log of `containerId` to `sink`; resolves when it is done (then the caller closes). */
export async function streamLog(
  clock: Clock,
  runtime: Runtime,
  containerId: string,
  options: LogOptions,
  sink: LogSink,
): Promise<void> {
  const since = (l: LogLine): boolean =>
    options.sinceUs === undefined || l.timeUs >= options.sinceUs;
  const first = await runtime.readContainerLog(containerId, 0);
  if (!first.ok) {
    sink.send(refusal(errors.badRequest(first.message)));
    return;
  }
  sink.send({ kind: 'start' });
  let lines = first.value.lines.filter(since);
  if (options.tailLines !== undefined)
    lines = lines.slice(Math.max(0, lines.length - options.tailLines));
  let budget = options.limitBytes ?? Infinity;
  const send = (chunk: readonly LogLine[]): void => {
    if (chunk.length === 0) return;
    const r = renderLines(chunk, options, budget);
    budget = r.budgetBytes;
    if (r.text !== '') sink.send({ kind: 'data', channel: 'stdout', data: r.text });
  };
  send(lines);
  let { cursor, ended } = first.value;
  while (options.follow && !ended && budget > 0 && sink.open) {
    await clock.sleep(LOG_FOLLOW_POLL_US);
    if (!sink.open) return;
    const next = await runtime.readContainerLog(containerId, cursor);
    // The container was removed meanwhile: its log is over.
    if (!next.ok) return;
    send(next.value.lines.filter(since));
    ({ cursor, ended } = next.value);
  }
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** The longest prefix of `s` of at most `bytes` UTF-8 bytes (never half a character). */
function cutToBytes(s: string, bytes: number): string {
  let n = 0;
  let out = '';
  for (const ch of s) {
    const len = utf8Length(ch);
    if (n + len > bytes) break;
    out += ch;
    n += len;
  }
  return out;
}
