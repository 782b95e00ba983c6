/**
 * A terminal exec on containerd starts once the client's first size is known
 * (real/runtime/exec-session.ts afterFirstSize), so ctr starts on a terminal of that size: what
 * the client sent before goes to the session in order, a kill before the start starts nothing,
 * and a client that sends no size gets its session after the wait.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ExecSession, RuntimeResult } from '../../../core/ports/runtime.ts';
import { afterFirstSize, type TerminalSize } from '../../../real/runtime/exec-session.ts';

function recorder() {
  const calls: string[] = [];
  const launches: (TerminalSize | undefined)[] = [];
  let end: (r: RuntimeResult<number>) => void = () => {};
  const launch = (size?: TerminalSize): ExecSession => {
    launches.push(size);
    return {
      write: (d) => calls.push(`write ${d}`),
      closeStdin: () => calls.push('close'),
      resize: (w, h) => calls.push(`resize ${w}x${h}`),
      kill: () => calls.push('kill'),
      done: new Promise((resolve) => (end = resolve)),
    };
  };
  return { calls, launches, launch, end: (r: RuntimeResult<number>) => end(r) };
}

describe('a terminal exec waits for its first size', () => {
  it('starts at the first size, with the input sent before it in order', async () => {
    const r = recorder();
    const s = afterFirstSize(r.launch);
    s.write('a');
    s.closeStdin();
    expect(r.launches).toEqual([]);
    s.resize(100, 30);
    s.resize(90, 20);
    expect(r.launches).toEqual([{ width: 100, height: 30 }]);
    expect(r.calls).toEqual(['write a', 'close', 'resize 90x20']);
    r.end({ ok: true, value: 0 });
    expect(await s.done).toEqual({ ok: true, value: 0 });
  });

  it('starts nothing when killed first, and starts without a size after the wait', async () => {
    vi.useFakeTimers();
    try {
      const killed = recorder();
      const k = afterFirstSize(killed.launch);
      k.kill();
      vi.advanceTimersByTime(10_000);
      expect(killed.launches).toEqual([]);
      expect(await k.done).toEqual({ ok: true, value: 137 });
      const quiet = recorder();
      afterFirstSize(quiet.launch).write('x');
      vi.advanceTimersByTime(4_999);
      expect(quiet.launches).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(quiet.launches).toEqual([undefined]);
      expect(quiet.calls).toEqual(['write x']);
    } finally {
      vi.useRealTimers();
    }
  });
});
