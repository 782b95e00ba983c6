/**
 * The simulated interactive exec (sim/exec-session.ts), on a clock the test moves: what each
 * command does with stdin, its end, a terminal, ^C and ^D, the time a `sleep` line takes, a
 * missing program, the timeout and a kill.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerConfig, RuntimeResult } from '../../core/ports/runtime.ts';
import { healthBehaviour } from '../../sim/container-health.ts';
import { startExecSession } from '../../sim/exec-session.ts';
import { VirtualClock } from '../../sim/scheduler-perf/virtual-clock.ts';

const CONFIG: ContainerConfig = { name: 'app', attempt: 0, image: 'busybox' };
const WORLD = {
  config: CONFIG,
  health: healthBehaviour(CONFIG),
  hostname: 'pod-1',
  sinceStartUs: 0,
};

interface Run {
  readonly clock: VirtualClock;
  readonly output: string[];
  readonly session: ReturnType<typeof startExecSession>;
  result(): RuntimeResult<number> | undefined;
}

function start(
  command: string[],
  options: { stdin?: boolean; tty?: boolean; timeoutUs?: number; running?: () => boolean } = {},
): Run {
  const clock = new VirtualClock();
  const output: string[] = [];
  const session = startExecSession(
    clock,
    WORLD,
    command,
    {
      stdin: options.stdin ?? true,
      tty: options.tty ?? false,
      onOutput: (stream, data) => output.push(`${stream}:${data}`),
    },
    options.timeoutUs ?? 60_000_000,
    options.running ?? (() => true),
  );
  let result: RuntimeResult<number> | undefined;
  void session.done.then((r) => (result = r));
  return { clock, output, session, result: () => result };
}

/** Lets timers due by now (and the done promise's handlers) run. */
async function settle(run: Run, us = 0): Promise<void> {
  run.clock.advance(us);
  await Promise.resolve();
  await Promise.resolve();
}

describe('simulated exec -i / -t', () => {
  it('cat copies stdin as it comes and ends at its end', async () => {
    const r = start(['cat']);
    r.session.write('hi\n');
    r.session.write('there');
    await settle(r);
    expect(r.result()).toBeUndefined();
    r.session.closeStdin();
    await settle(r);
    expect(r.output).toEqual(['stdout:hi\n', 'stdout:there']);
    expect(r.result()).toEqual({ ok: true, value: 0 });
  });

  it('cat without stdin ends at once with nothing', async () => {
    const r = start(['cat'], { stdin: false });
    await settle(r);
    expect(r.output).toEqual([]);
    expect(r.result()).toEqual({ ok: true, value: 0 });
  });

  it('a shell runs each line, a sleep line holding the next until it is done', async () => {
    const r = start(['sh']);
    r.session.write('echo one; sleep 2\necho two\nnosuch\n');
    await settle(r);
    expect(r.output).toEqual([]);
    await settle(r, 2_000_000);
    expect(r.output).toEqual(['stdout:one\n', 'stdout:two\n', 'stderr:sh: nosuch: not found\n']);
    r.session.write('exit 4\necho never\n');
    await settle(r);
    expect(r.result()).toEqual({ ok: true, value: 4 });
    expect(r.output).not.toContain('stdout:never\n');
  });

  it('a shell exits with the last status at the end of stdin, running a last unended line', async () => {
    const r = start(['sh']);
    r.session.write('true\nfalse');
    r.session.closeStdin();
    await settle(r);
    expect(r.result()).toEqual({ ok: true, value: 1 });
  });

  it('with a terminal: prompt, echo, CR read as newline, CR LF out, one stream, tty', async () => {
    const r = start(['sh'], { tty: true });
    r.session.write('echo hi >&2\rtty\r');
    await settle(r);
    // Everything on stdout (a terminal has one stream), stderr's line included.
    expect(r.output.every((o) => o.startsWith('stdout:'))).toBe(true);
    const screen = r.output.map((o) => o.slice('stdout:'.length)).join('');
    expect(screen).toBe('/ # echo hi >&2\r\nhi\r\n/ # tty\r\n/dev/pts/0\r\n/ # ');
    // ^D on an empty line ends stdin: the shell says exit and ends with the last status.
    r.session.write('\u0004');
    await settle(r);
    expect(r.output.at(-1)).toBe('stdout:exit\r\n');
    expect(r.result()).toEqual({ ok: true, value: 0 });
  });

  it('^C interrupts a terminal session with 130', async () => {
    const r = start(['cat'], { tty: true });
    r.session.write('ab\u0003');
    await settle(r);
    expect(r.result()).toEqual({ ok: true, value: 130 });
    expect(r.output.join('')).toContain('^C\r\n');
  });

  it('runs other commands once, fails a missing program, times out and is killed', async () => {
    const echo = start(['echo', 'x'], { tty: true });
    await settle(echo);
    expect(echo.output).toEqual(['stdout:x\r\n']);
    const missing = start(['nosuch']);
    await settle(missing);
    expect(missing.result()).toMatchObject({ ok: false, reason: 'ExecError' });
    const slow = start(['sh'], { timeoutUs: 1_000_000 });
    await settle(slow, 1_000_000);
    expect(slow.result()).toMatchObject({ ok: false, reason: 'DeadlineExceeded' });
    const killed = start(['cat']);
    killed.session.kill();
    killed.session.write('late\n');
    await settle(killed);
    expect(killed.result()).toEqual({ ok: true, value: 137 });
    expect(killed.output).toEqual([]);
  });

  it('ends Unknown when the container exits under a running line', async () => {
    let running = true;
    const r = start(['sh'], { running: () => running });
    r.session.write('sleep 5\n');
    await settle(r, 1_000_000);
    running = false;
    await settle(r, 4_000_000);
    expect(r.result()).toMatchObject({ ok: false, reason: 'Unknown' });
  });
});
