/**
 * How a simulated container answers the kubelet's probes and hooks: which ports it listens on,
 * when its health checks fail, which files exist in it, how fast it answers. Read from the
 * container's config (environment and the kubelet's ports annotation), like the rest of the
 * behaviour model (runtime-behaviour.ts). Times are measured from the container's start.
 *
 * - Ports: the container's declared `ports` (the kubelet passes them in the CRI annotation
 *   io.kubernetes.container.ports) and `KSIM_LISTEN_PORTS=8080,9090`. Nothing else accepts
 *   connections: a probe to another port is refused.
 * - `KSIM_LISTEN_AFTER_SECONDS=N`: the ports open N seconds after start (a slow start); before,
 *   connections are refused.
 * - `KSIM_UNHEALTHY=WINDOWS`: health checks fail within these windows, e.g. `30-60,120-` (from
 *   30 s to 60 s, and from 120 s on): an httpGet answers 500, a gRPC health check NOT_SERVING,
 *   an exec check command exits 1. A tcpSocket check still connects (a wedged server accepts).
 * - `KSIM_UNHEALTHY_MATCH=TEXT`: only checks whose target contains TEXT fail in those windows
 *   (the httpGet path, the gRPC service, the exec command line), so readiness and liveness
 *   checks of one container can differ.
 * - `KSIM_FILES=/tmp/healthy@0-30,/tmp/ready`: files that exist in the container (during the
 *   windows after `@`, always without), for `cat`/`test -f`/`ls` checks.
 * - `KSIM_PROBE_LATENCY_MS=N`: each check takes N ms to answer (default 1); a check that takes
 *   longer than the probe's timeout times out.
 *
 * Exec commands (a probe's or a hook's, `sh -c "<script>"` split on `;` and `&&`): `true`,
 * `false`, `exit N`, `sleep N` (adds to the answer time), `cat F`, `ls F`, `test -f F`,
 * `test -e F`, `[ -f F ]`; any other command is a health check (exit 0 unless unhealthy).
 */
import { CONTAINER_PORTS_ANNOTATION, type ContainerConfig } from '../core/ports/runtime.ts';

const US_PER_SECOND = 1_000_000;
const DEFAULT_LATENCY_US = 1_000;
const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash']);

/** From `fromUs` (since start) up to `toUs`, or for ever. */
export interface TimeWindow {
  readonly fromUs: number;
  readonly toUs: number | undefined;
}

export interface HealthBehaviour {
  readonly ports: ReadonlySet<number>;
  readonly listenAfterUs: number;
  readonly unhealthy: readonly TimeWindow[];
  readonly unhealthyMatch: string | undefined;
  /** File path -> windows it exists in (empty: always). */
  readonly files: ReadonlyMap<string, readonly TimeWindow[]>;
  readonly latencyUs: number;
}

export interface ExecOutcome {
  readonly exitCode: number;
  readonly output: string;
  /** How long the command runs. */
  readonly durationUs: number;
}

export function healthBehaviour(config: ContainerConfig): HealthBehaviour {
  const env = config.env ?? {};
  const ports = new Set<number>(declaredPorts(config.annotations?.[CONTAINER_PORTS_ANNOTATION]));
  for (const p of (env.KSIM_LISTEN_PORTS ?? '').split(',')) {
    const n = Number.parseInt(p.trim(), 10);
    if (n > 0 && n < 65536) ports.add(n);
  }
  const latencyMs = Number(env.KSIM_PROBE_LATENCY_MS);
  return {
    ports,
    listenAfterUs: secondsUs(env.KSIM_LISTEN_AFTER_SECONDS) ?? 0,
    unhealthy: parseWindows(env.KSIM_UNHEALTHY ?? ''),
    unhealthyMatch: env.KSIM_UNHEALTHY_MATCH || undefined,
    files: parseFiles(env.KSIM_FILES ?? ''),
    latencyUs:
      Number.isFinite(latencyMs) && latencyMs >= 0 && env.KSIM_PROBE_LATENCY_MS !== undefined
        ? Math.round(latencyMs * 1_000)
        : DEFAULT_LATENCY_US,
  };
}

export function listening(h: HealthBehaviour, port: number, sinceStartUs: number): boolean {
  return h.ports.has(port) && sinceStartUs >= h.listenAfterUs;
}

/** Whether a health check of `target` (a path, service or command line) fails now. */
export function unhealthy(h: HealthBehaviour, target: string, sinceStartUs: number): boolean {
  if (h.unhealthyMatch !== undefined && !target.includes(h.unhealthyMatch)) return false;
  return inWindows(h.unhealthy, sinceStartUs);
}

export function fileExists(h: HealthBehaviour, path: string, sinceStartUs: number): boolean {
  const windows = h.files.get(path);
  if (windows === undefined) return false;
  return windows.length === 0 || inWindows(windows, sinceStartUs);
}

/** Runs a command line in the container as the small shell subset above describes. */
export function execCommand(
  h: HealthBehaviour,
  argv: readonly string[],
  sinceStartUs: number,
): ExecOutcome {
  const [program, ...rest] = argv;
  const line = argv.join(' ');
  if (program !== undefined && SHELLS.has(basename(program)) && rest[0] === '-c') {
    return runScript(h, rest[1] ?? '', line, sinceStartUs);
  }
  const step = runStatement(h, argv, line, sinceStartUs);
  return { exitCode: step.exitCode, output: step.output, durationUs: h.latencyUs + step.sleepUs };
}

function runScript(
  h: HealthBehaviour,
  script: string,
  line: string,
  sinceStartUs: number,
): ExecOutcome {
  let durationUs = h.latencyUs;
  let exitCode = 0;
  let output = '';
  // `a && b; c`: a failing `a` skips `b` only.
  for (const sequence of script.split(/;|\n/)) {
    for (const raw of sequence.split('&&')) {
      const words = raw
        .trim()
        .split(/\s+/)
        .filter((w) => w.length > 0);
      if (words.length === 0) continue;
      if (words[0] === 'exit') {
        const code = words[1] === undefined ? exitCode : Number.parseInt(words[1], 10);
        return { exitCode: Number.isNaN(code) ? 2 : code, output, durationUs };
      }
      const step = runStatement(h, words, line, sinceStartUs + durationUs);
      durationUs += step.sleepUs;
      exitCode = step.exitCode;
      output += step.output;
      if (exitCode !== 0) break;
    }
  }
  return { exitCode, output, durationUs };
}

interface Step {
  readonly exitCode: number;
  readonly output: string;
  readonly sleepUs: number;
}

function runStatement(
  h: HealthBehaviour,
  words: readonly string[],
  line: string,
  sinceStartUs: number,
): Step {
  const [cmd, ...args] = words;
  const name = basename(cmd ?? '');
  const done = (exitCode: number, output = ''): Step => ({ exitCode, output, sleepUs: 0 });
  if (name === 'true') return done(0);
  if (name === 'false') return done(1);
  if (name === 'sleep') return { exitCode: 0, output: '', sleepUs: secondsUs(args[0]) ?? 0 };
  const file = fileArgument(name, args);
  if (file !== undefined) {
    if (fileExists(h, file, sinceStartUs)) return done(0);
    return done(1, `${name === '[' ? 'test' : name}: ${file}: No such file or directory\n`);
  }
  return unhealthy(h, line, sinceStartUs) ? done(1, 'unhealthy\n') : done(0);
}

/** The file a `cat F`, `ls F`, `test -f F`, `test -e F` or `[ -f F ]` asks about. */
function fileArgument(name: string, args: readonly string[]): string | undefined {
  if ((name === 'cat' || name === 'ls') && args.length === 1) return args[0];
  if ((name === 'test' || name === '[') && (args[0] === '-f' || args[0] === '-e')) return args[1];
  return undefined;
}

function declaredPorts(json: string | undefined): number[] {
  if (json === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return [];
    return parsed
      .map((p: unknown) => (p as { containerPort?: unknown }).containerPort)
      .filter((p): p is number => typeof p === 'number');
  } catch {
    return [];
  }
}

/** "30-60,120-" -> windows; an entry that does not parse is ignored. */
export function parseWindows(text: string): TimeWindow[] {
  const out: TimeWindow[] = [];
  for (const entry of text.split(',')) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)?\s*$/.exec(entry);
    if (m === null) continue;
    const fromUs = secondsUs(m[1]) ?? 0;
    const toUs = secondsUs(m[2]);
    out.push({ fromUs, toUs });
  }
  return out;
}

function parseFiles(text: string): Map<string, TimeWindow[]> {
  const files = new Map<string, TimeWindow[]>();
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed.length === 0) continue;
    const at = trimmed.indexOf('@');
    const path = at < 0 ? trimmed : trimmed.slice(0, at);
    const windows = at < 0 ? [] : parseWindows(trimmed.slice(at + 1));
    files.set(path, [...(files.get(path) ?? []), ...windows]);
  }
  return files;
}

function inWindows(windows: readonly TimeWindow[], us: number): boolean {
  return windows.some((w) => us >= w.fromUs && (w.toUs === undefined || us < w.toUs));
}

function secondsUs(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Math.round(Number(text) * US_PER_SECOND);
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
