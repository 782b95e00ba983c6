/**
 * `ksim bench http`: a concurrent HTTP client against a served API (`ksim serve`, or any
 * Kubernetes API server a kubeconfig names). Keep-alive connections, each with one request in
 * flight, GET one path for a wall-clock interval; prints answers per second for each round and
 * their median. Run it as its own process, so client and server do not share an event loop.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { parse } from 'yaml';

export interface HttpLoadOptions {
  readonly kubeconfig: string;
  readonly path: string;
  readonly connections: number;
  readonly seconds: number;
  readonly rounds: number;
}

export interface HttpLoadRound {
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  readonly perSecond: number;
}

interface Target {
  readonly url: URL;
  readonly ca: Buffer | undefined;
  readonly token: string | undefined;
  /** A client certificate and key (PEM), when the kubeconfig's user has them. */
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
}

function target(kubeconfig: string): Target {
  const config = parse(readFileSync(kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
    users?: {
      user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string };
    }[];
  };
  const cluster = config.clusters[0]?.cluster;
  if (cluster === undefined) throw new Error(`${kubeconfig} names no cluster`);
  const ca = cluster['certificate-authority-data'];
  const user = config.users?.[0]?.user;
  const decoded = (v: string | undefined): Buffer | undefined =>
    v === undefined ? undefined : Buffer.from(v, 'base64');
  return {
    url: new URL(cluster.server),
    ca: decoded(ca),
    token: user?.token,
    cert: decoded(user?.['client-certificate-data']),
    key: decoded(user?.['client-key-data']),
  };
}

async function round(t: Target, options: HttpLoadOptions): Promise<HttpLoadRound> {
  const secure = t.url.protocol === 'https:';
  const agent = secure
    ? new https.Agent({
        keepAlive: true,
        maxSockets: options.connections,
        ca: t.ca,
        cert: t.cert,
        key: t.key,
      })
    : new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const get = secure ? https.get : http.get;
  const headers = {
    accept: 'application/json',
    ...(t.token === undefined ? {} : { authorization: `Bearer ${t.token}` }),
  };
  let ok = 0;
  let failed = 0;
  // Wall time, read here in the benchmark harness only.
  const started = performance.now();
  const end = started + options.seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = get(
        { host: t.url.hostname, port: t.url.port, path: options.path, agent, headers },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) ok++;
            else failed++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
    });
  const worker = async (): Promise<void> => {
    while (performance.now() < end) await one();
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { ok, failed, seconds, perSecond: Math.round(ok / seconds) };
}

export async function httpLoad(
  options: HttpLoadOptions,
  out: (s: string) => void,
): Promise<number> {
  const t = target(options.kubeconfig);
  const rounds: HttpLoadRound[] = [];
  out(
    `GET ${t.url.origin}${options.path}  ${options.connections} connections  ${options.seconds}s x ${options.rounds}`,
  );
  for (let i = 0; i < options.rounds; i++) {
    const r = await round(t, options);
    rounds.push(r);
    out(
      `round ${i + 1}: ${r.perSecond.toLocaleString('en-US')} GETs/s  (${r.ok} ok, ${r.failed} failed, ${r.seconds.toFixed(2)}s)`,
    );
  }
  const sorted = rounds.map((r) => r.perSecond).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  out(`median ${median.toLocaleString('en-US')} GETs/s`);
  return rounds.some((r) => r.ok === 0) ? 1 : 0;
}
