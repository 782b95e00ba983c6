/**
 * How a simulated container behaves once started, read from its config. A simulated container
 * has no program to run, so ksim honours a small convention, checked in this order:
 *
 * 1. Environment: `KSIM_EXIT_AFTER_SECONDS=N` exits N seconds after start with
 *    `KSIM_EXIT_CODE` (default 0); `KSIM_EXIT_CODE` alone exits right after start.
 * 2. Command line (`command` then `args`, as the runtime joins them):
 *    - `sleep N` exits 0 after N seconds (`sleep infinity` never exits);
 *    - `sh -c "<script>"` (also `/bin/sh`, `bash`, `ash`) where every `;`/`&&`-separated statement
 *      is `sleep N`, `exit C`, `false` or a command that prints and ends at once (`true`,
 *      `echo`, `date`, `printf`, `hostname`, `env`, ...): the sleeps add up, `exit C` stops
 *      with code C, `false` ends the script with 1 as its status, and the script ends with the
 *      last status. A script with any other statement is treated as a long-running server.
 * 3. Anything else (an image's default entrypoint, a server) runs until it is stopped.
 *
 * `KSIM_SHUTDOWN_SECONDS=N` makes the container take N seconds to exit after SIGTERM (a
 * process that drains connections, or ignores SIGTERM when N exceeds the grace period); without
 * it the runtime draws the shutdown time from its options.
 *
 * `KSIM_OOM_AFTER_SECONDS=N` makes the container outgrow its memory N seconds after start: the
 * kernel's OOM killer ends it with 137 and the runtime reports reason OOMKilled (unless it
 * exits on its own first). `KSIM_MEMORY` (usage-model.ts) above the container's memory limit
 * does the same at the moment it crosses the limit.
 *
 * `KSIM_CRASH_PROBABILITY=p` (with `KSIM_CRASH_INTERVAL_SECONDS=N`, default 60): in each N
 * seconds of running the container crashes (exit 1) with probability p, drawn from the
 * container's seeded stream. `KSIM_CPU` and `KSIM_MEMORY` declare its use over time, and so do
 * `KSIM_DISK` (bytes written to its writable layer and logs, which the eviction manager's
 * nodefs.available counts), `KSIM_INODES` (inodes its writable layer and logs hold, for
 * nodefs.inodesFree; 0 when not declared) and `KSIM_PROCESSES` (processes it runs, for
 * pid.available; 1 when not declared).
 *
 * Serving service traffic (sim/traffic): a container accepts connections on the ports it
 * listens on (container-health.ts: its declared `ports`, `KSIM_LISTEN_PORTS`, from
 * `KSIM_LISTEN_AFTER_SECONDS` on) until it gets SIGTERM, when it closes its listener as a
 * server shutting down does. `KSIM_RESPONSE_MS` is the time it takes to answer a request:
 * `5` (always 5 ms), `2-10` (uniform between 2 and 10 ms) or `2~8` (at least 2 ms, with an
 * exponential tail and a mean of 8 ms); default 1 ms. `KSIM_ERROR_RATE=p` answers a request
 * with a server error (HTTP 5xx) with probability p.
 */
import type { ContainerConfig } from '../core/ports/runtime.ts';
import type { LatencyModel } from './network.ts';
import { parseUsage, type UsagePattern } from './usage-model.ts';

export interface ContainerBehaviour {
  /** `KSIM_CRASH_PROBABILITY`: the chance to crash (exit 1) in each interval of running. */
  readonly crashProbability: number;
  /** `KSIM_CRASH_INTERVAL_SECONDS` (default 60). */
  readonly crashIntervalUs: number;
  /** `KSIM_CPU` and `KSIM_MEMORY` (usage-model.ts). */
  readonly cpu: UsagePattern | undefined;
  readonly memory: UsagePattern | undefined;
  /** `KSIM_DISK`, `KSIM_INODES` and `KSIM_PROCESSES` (usage-model.ts). */
  readonly disk: UsagePattern | undefined;
  readonly inodes: UsagePattern | undefined;
  readonly processes: UsagePattern | undefined;
  /** Exit after this long running; undefined runs until stopped. */
  readonly exitAfterUs: number | undefined;
  readonly exitCode: number;
  /** Time from SIGTERM to exit; undefined lets the runtime draw it. */
  readonly shutdownUs: number | undefined;
  /** OOM-killed after this long running; undefined never runs out of memory. */
  readonly oomAfterUs: number | undefined;
  /** `KSIM_RESPONSE_MS`: how long answering one request of service traffic takes. */
  readonly response: LatencyModel;
  /** `KSIM_ERROR_RATE`: the chance that a request gets a server error. */
  readonly errorRate: number;
}

type ExitBehaviour = Pick<ContainerBehaviour, 'exitAfterUs' | 'exitCode'>;

const US_PER_SECOND = 1_000_000;
const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash']);
const RUNS_FOREVER = { exitAfterUs: undefined, exitCode: 0 } as const;
/**
 * Commands that print something and exit 0 at once, such as the `date; echo Hello` of the
 * Kubernetes documentation's CronJob example.
 */
const INSTANT_COMMANDS: ReadonlySet<string> = new Set([
  'true',
  'echo',
  'date',
  'printf',
  'hostname',
  'env',
  'printenv',
  'pwd',
  'uname',
  'whoami',
  'id',
]);

export function containerBehaviour(config: ContainerConfig): ContainerBehaviour {
  const shutdownUs = secondsUs(config.env?.KSIM_SHUTDOWN_SECONDS);
  const oomAfterUs = secondsUs(config.env?.KSIM_OOM_AFTER_SECONDS);
  const fromEnv = envExit(config.env);
  const exit = fromEnv ?? commandExit([...(config.command ?? []), ...(config.args ?? [])]);
  const probability = Number(config.env?.KSIM_CRASH_PROBABILITY ?? 0);
  const errorRate = Number(config.env?.KSIM_ERROR_RATE ?? 0);
  return {
    ...exit,
    shutdownUs,
    oomAfterUs,
    crashProbability: probability > 0 && probability <= 1 ? probability : 0,
    crashIntervalUs: secondsUs(config.env?.KSIM_CRASH_INTERVAL_SECONDS) || 60 * US_PER_SECOND,
    cpu: parseUsage(config.env?.KSIM_CPU, 'millicores'),
    memory: parseUsage(config.env?.KSIM_MEMORY, 'bytes'),
    disk: parseUsage(config.env?.KSIM_DISK, 'bytes'),
    inodes: parseUsage(config.env?.KSIM_INODES, 'count'),
    processes: parseUsage(config.env?.KSIM_PROCESSES, 'count'),
    response: responseLatency(config.env?.KSIM_RESPONSE_MS),
    errorRate: errorRate > 0 && errorRate <= 1 ? errorRate : 0,
  };
}

const DEFAULT_RESPONSE: LatencyModel = { kind: 'constant', us: 1_000 };

/** `KSIM_RESPONSE_MS`: `N`, `MIN-MAX` or `MIN~MEAN` milliseconds; anything else the default. */
export function responseLatency(text: string | undefined): LatencyModel {
  const m = /^(\d+(?:\.\d+)?)(?:([-~])(\d+(?:\.\d+)?))?$/.exec(text?.trim() ?? '');
  if (m === null) return DEFAULT_RESPONSE;
  const first = Math.round(Number(m[1]) * 1_000);
  const second = m[3] === undefined ? undefined : Math.round(Number(m[3]) * 1_000);
  if (second === undefined) return { kind: 'constant', us: first };
  if (second < first) return DEFAULT_RESPONSE;
  return m[2] === '-'
    ? { kind: 'uniform', minUs: first, maxUs: second }
    : { kind: 'exponential', minUs: first, meanUs: second };
}

function envExit(env: Readonly<Record<string, string>> | undefined): ExitBehaviour | undefined {
  const after = env?.KSIM_EXIT_AFTER_SECONDS;
  const code = env?.KSIM_EXIT_CODE;
  if (after === undefined && code === undefined) return undefined;
  const exitCode = code === undefined ? 0 : Number.parseInt(code, 10);
  return {
    exitAfterUs: after === undefined ? 0 : (secondsUs(after) ?? 0),
    exitCode: Number.isNaN(exitCode) ? 1 : exitCode,
  };
}

function commandExit(argv: readonly string[]): ExitBehaviour {
  const [program, ...rest] = argv;
  if (program === undefined) return RUNS_FOREVER;
  const base = basename(program);
  if (base === 'sleep') return sleepExit(rest.join(' '));
  if (SHELLS.has(base) && rest[0] === '-c' && rest[1] !== undefined) return scriptExit(rest[1]);
  return RUNS_FOREVER;
}

function sleepExit(arg: string): ExitBehaviour {
  const us = secondsUs(arg.trim());
  return us === undefined ? RUNS_FOREVER : { exitAfterUs: us, exitCode: 0 };
}

/** Interprets the tiny shell subset described above; anything else is "runs forever". */
function scriptExit(script: string): ExitBehaviour {
  let elapsedUs = 0;
  let status = 0;
  for (const raw of script.split(/;|&&|\n/)) {
    const words = raw
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 0);
    const [cmd, arg] = words;
    if (cmd === undefined) continue;
    if (cmd === 'sleep' && words.length === 2 && arg !== undefined) {
      const us = secondsUs(arg);
      if (us === undefined) return RUNS_FOREVER;
      elapsedUs += us;
      status = 0;
    } else if (cmd === 'exit') {
      const code = arg === undefined ? status : Number.parseInt(arg, 10);
      return Number.isNaN(code) ? RUNS_FOREVER : { exitAfterUs: elapsedUs, exitCode: code };
    } else if (INSTANT_COMMANDS.has(basename(cmd))) {
      status = 0;
    } else if (cmd === 'false') {
      status = 1;
    } else {
      return RUNS_FOREVER;
    }
  }
  return { exitAfterUs: elapsedUs, exitCode: status };
}

/** Non-negative decimal seconds as integer microseconds; "infinity" and garbage are undefined. */
function secondsUs(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text) * US_PER_SECOND);
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
