/**
 * `ksim serve <scenario>`: the scenario's cluster, paced to the wall clock, behind the HTTP
 * front (real/http) on loopback, with a cluster-admin kubeconfig for kubectl and any client.
 * Requests enter the simulation as events at the virtual time they arrive (sim/paced-run.ts)
 * and the API server traces them as any client's; SIGINT or SIGTERM closes the listener,
 * flushes the trace and prints the summary `ksim run` prints.
 *
 * The same listener serves the live view at /ui (viz/live.ts): the trace is also folded into a
 * report as it is written, and the page receives a snapshot of it every wall second, with
 * controls that pause, resume and change the speed of the pacing.
 *
 * `--record FILE` writes the session: every request, watch open and close as admitted into the
 * world, at its virtual time (sim/served-session.ts); `ksim replay-session` reruns it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import { ADMIN_IDENTITY } from '../../core/cluster/identities.ts';
import { assertNever } from '../../core/util/assert.ts';
import type { Transport } from '../../core/ports/transport.ts';
import { startApiFront } from '../../real/http/api-front.ts';
import { LIVE_REPORT, LiveView, type LiveControl } from '../../viz/live.ts';
import {
  makeServingCertificates,
  signClientCertificate,
  type ClientCertificate,
} from '../../real/http/certificates.ts';
import { SIM_HOST } from '../cluster.ts';
import { OutsideRequests } from '../outside-requests.ts';
import { Pacing, runPaced, type WallClock } from '../paced-run.ts';
import { startScenario, type ScenarioWorld } from '../scenario/run.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { SessionWriter } from '../served-session.ts';
import { CliError } from './errors.ts';
import { ReportSink } from './report-command.ts';
import { fileSink, loadScenario, summary } from './run-command.ts';

export interface ServeCommandOptions {
  readonly seed?: number;
  /** Virtual seconds per wall second (default 1). */
  readonly speed?: number;
  /** Default 0: any free port. */
  readonly port?: number;
  readonly kubeconfig?: string;
  readonly trace?: string;
  /**
   * Serve plain HTTP instead of HTTPS (loopback only). kubectl will not send its token over
   * it; clients that do (benchmarks, scripts) save the cost of TLS.
   */
  readonly plainHttp?: boolean;
  /** Start with the virtual clock paused (the live view at /ui resumes it). */
  readonly paused?: boolean;
  /** Write the session (what came in from outside, when) to this file, for replay-session. */
  readonly record?: string;
}

/** The simulated process outside requests come from (it has no work of its own). */
export const FRONT_PROCESS = 'http-front';

/**
 * A kubeconfig with one cluster (its CA), one user (a bearer token or a client certificate)
 * and one current context.
 */
export function kubeconfig(
  server: string,
  caPem: string | undefined,
  credential: string | ClientCertificate,
): string {
  const cluster =
    caPem === undefined
      ? { server }
      : { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') };
  const base64 = (pem: string): string => Buffer.from(pem).toString('base64');
  const user =
    typeof credential === 'string'
      ? { token: credential }
      : {
          'client-certificate-data': base64(credential.cert),
          'client-key-data': base64(credential.key),
        };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'ksim', cluster }],
    users: [{ name: 'ksim-admin', user }],
    contexts: [{ name: 'ksim', context: { cluster: 'ksim', user: 'ksim-admin' } }],
    'current-context': 'ksim',
  });
}

/** The wall clock, here in the CLI where it may be read: it paces the run, nothing else. */
const WALL_CLOCK: WallClock = {
  nowMs: () => performance.now(),
  sleep: (ms, wake) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      void wake.then(() => {
        clearTimeout(timer);
        resolve();
      });
    }),
};

/** The live view receives an update every wall second. */
const PUBLISH_INTERVAL_MS = 1_000;

function applyControl(pacing: Pacing, c: LiveControl): string | undefined {
  switch (c.action) {
    case 'pause':
      pacing.pause();
      return undefined;
    case 'resume':
      pacing.resume();
      return undefined;
    case 'speed':
      if (!Pacing.validSpeed(c.speed)) return `speed must be a positive number, got ${c.speed}`;
      pacing.setSpeed(c.speed);
      return undefined;
    default:
      return assertNever(c);
  }
}

export interface ServedWorldOptions {
  readonly seed: number;
  readonly rootCA?: string;
  readonly traceSink: (line: string) => void;
}

export interface ServedWorld {
  readonly world: ScenarioWorld;
  readonly outside: OutsideRequests;
}

/**
 * The world `ksim serve` serves, and the entry of outside requests into it; replay-session
 * builds the same, so both must come from here.
 */
export function startServedWorld(scenario: Scenario, opts: ServedWorldOptions): ServedWorld {
  const world = startScenario(scenario, {
    seed: opts.seed,
    ...(opts.rootCA === undefined ? {} : { rootCA: opts.rootCA }),
    checkImmutability: false,
    traceSink: opts.traceSink,
  });
  let transport: Transport | undefined;
  world.sim.spawnProcess(FRONT_PROCESS, (ports) => {
    transport = ports.transport;
  });
  if (transport === undefined) throw new Error('the front process did not start');
  // Outside requests have crossed a real network already: their simulated hop costs nothing.
  for (const [from, to] of [
    [FRONT_PROCESS, world.layout.apiServer],
    [world.layout.apiServer, FRONT_PROCESS],
  ] as const) {
    world.sim.network.setLink(from, to, {
      latency: { kind: 'constant', us: 0 },
      lossProbability: 0,
      duplicateProbability: 0,
    });
  }
  return { world, outside: new OutsideRequests(world.sim, transport, world.layout.apiServer) };
}

export async function serveCommand(
  file: string,
  opts: ServeCommandOptions,
  out: (s: string) => void,
): Promise<number> {
  const scenario = loadScenario(file);
  const speed = opts.speed ?? 1;
  if (!Pacing.validSpeed(speed))
    throw new CliError(`--speed must be a positive number, got ${speed}`);
  const seed = opts.seed ?? scenario.spec.seed ?? 1;
  const trace = opts.trace === undefined ? undefined : fileSink(opts.trace);
  // The live view's report, fed the same lines as the trace file.
  const liveReport = new ReportSink(LIVE_REPORT);
  // HTTPS: client-go sends bearer tokens only over TLS. Pods find the CA in kube-root-ca.crt.
  const certificates = opts.plainHttp === true ? undefined : makeServingCertificates();
  const { world, outside } = startServedWorld(scenario, {
    seed,
    ...(certificates === undefined ? {} : { rootCA: certificates.ca }),
    traceSink: (line) => {
      trace?.sink(line);
      liveReport.sink(line);
    },
  });
  const record = opts.record === undefined ? undefined : fileSink(opts.record, 'session');
  const session =
    record === undefined
      ? undefined
      : new SessionWriter(
          {
            scenario: scenario.metadata.name,
            seed,
            ...(certificates === undefined ? {} : { rootCA: certificates.ca }),
          },
          record.sink,
        );
  if (session !== undefined) outside.record((at, batch, a) => session.admitted(at, batch, a));
  const pacing = new Pacing(WALL_CLOCK, () => world.sim.now, speed);
  if (opts.paused === true) pacing.pause();
  const live = new LiveView({
    snapshot: () => liveReport.builder.finish(scenario.metadata.name, world.sim.now),
    status: () => ({ virtualUs: world.sim.now, ...pacing.state, records: world.sim.trace.records }),
    control: (c) => applyControl(pacing, c),
  });
  // A client certificate the CA signed is the user it names, as the cluster's own client
  // credentials are: the front hands the API server one of those for it.
  const credential = (subject: { user: string; groups: readonly string[] }): string =>
    `Bearer ${issueClientCredential(SIM_HOST.signer, subject)}`;
  const front = await startApiFront(outside, {
    port: opts.port ?? 0,
    ...(certificates === undefined
      ? {}
      : { tls: { ...certificates, clientAuth: { clientCA: certificates.ca, credential } } }),
    extraRoutes: (req, res) => live.handle(req, res),
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES')
      throw new CliError(
        `cannot listen on 127.0.0.1:${opts.port ?? 0}: ${e.code === 'EADDRINUSE' ? 'address already in use' : 'permission denied'}`,
      );
    throw e;
  });
  const path = opts.kubeconfig ?? join(tmpdir(), `ksim-${front.port}.kubeconfig`);
  mkdirSync(dirname(path), { recursive: true });
  // The admin's client certificate over HTTPS (kubeadm's admin.conf); a token over plain HTTP.
  const admin =
    certificates === undefined
      ? issueClientCredential(SIM_HOST.signer, ADMIN_IDENTITY)
      : signClientCertificate(certificates, ADMIN_IDENTITY);
  writeFileSync(path, kubeconfig(front.url, certificates?.ca, admin), { mode: 0o600 });
  out(
    `ksim serve ${scenario.metadata.name}  seed ${seed}  speed ${speed}x${opts.paused === true ? '  paused' : ''}`,
  );
  out(`serving the API at ${front.url}`);
  out(`export KUBECONFIG=${path}`);
  out(`live view at ${front.url}/ui`);

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = performance.now();
  const publishing = setInterval(() => live.publish(), PUBLISH_INTERVAL_MS);
  try {
    await runPaced(world.sim, outside, WALL_CLOCK, { pacing, stop: () => stopping });
  } finally {
    clearInterval(publishing);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    live.close();
    await front.close();
  }
  session?.end(world.sim.now);
  record?.close();
  const report = world.finish();
  trace?.close();
  out('');
  out(summary(report, performance.now() - started, opts.trace, false));
  return 0;
}
