/**
 * `kubectl attach` without stdin on containerd: what the container writes from now on, read
 * from its CRI log file as the log driver appends it, until the container has exited and every
 * line is out, or the client goes. The driver writes whole lines, so a line reaches the client
 * once it ends (a prompt without a newline waits), each on the stream it was written to.
 */
import { statSync } from 'node:fs';
import type { AttachSession, ExecStreams, RuntimeResult } from '../../core/ports/runtime.ts';
import { readCriLog } from './cri-log.ts';

/** How often the log is looked at (the kubelet's log follow reads at the same period). */
const POLL_MS = 250;

export function attachToLog(
  logPath: string,
  streams: ExecStreams,
  exited: () => boolean,
): AttachSession {
  let finish: (r: RuntimeResult<void>) => void = () => {};
  const done = new Promise<RuntimeResult<void>>((resolve) => (finish = resolve));
  let offset = sizeOf(logPath);
  const end = (): void => {
    clearInterval(timer);
    finish({ ok: true, value: undefined });
  };
  const timer = setInterval(() => {
    // Whether it had exited before this read: then the read has every line it wrote.
    const over = exited();
    const read = readCriLog(logPath, offset);
    offset = read.offset;
    for (const line of read.lines) streams.onOutput(line.stream, `${line.text}\n`);
    if (over) end();
  }, POLL_MS);
  return {
    // The task's stdin is the log driver's: nothing to write to (attach refuses stdin first).
    write: () => {},
    closeStdin: () => {},
    resize: () => {},
    detach: end,
    done,
  };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    // Nothing written yet: the driver makes the file with the first line.
    return 0;
  }
}
