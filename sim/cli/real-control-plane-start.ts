/**
 * A control plane's bring-up, the one both `ksim real control-plane` and `ksim real up` run
 * (`up` then starts its nodes with the join this returns, as `ksim real node` processes): the
 * cluster CA (or a shared one) and the API server's certificate for the listen address, the
 * admin kubeconfig, one detached `ksim real process` per control-plane process of the plan,
 * and, once the API answers, what `kubeadm init`'s bootstrap-token phases write
 * (core/cluster/join.ts): a bootstrap token Secret, the bindings that let its holder ask for a
 * node credential and have it approved, kube-public/cluster-info, which nodes discover the
 * cluster by, and kube-proxy's ServiceAccount; the `ksim real node` line in D/join-command.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import { ADMIN_IDENTITY, API_SERVER } from '../../core/cluster/identities.ts';
import {
  bootstrapTokenSecret,
  clusterInfoObjects,
  DEFAULT_TOKEN_TTL_US,
  KUBE_PROXY_OBJECTS,
  KUBEADM_JOIN_BINDINGS,
} from '../../core/cluster/join.ts';
import { caCertificateHash, caSigner } from '../../real/cluster/cluster-ca.ts';
import { clusterPaths, type RealClusterConfig } from '../../real/cluster/cluster-config.ts';
import {
  apiRequest,
  startClusterProcess,
  waitUntilUp,
  type NodeJoin,
} from '../../real/cluster/lifecycle.ts';
import { makeServingCertificates } from '../../real/http/certificates.ts';
import { CliError } from './errors.ts';
import { kubeconfig } from './serve-command.ts';

/** The command each process is started with (this CLI). */
export const BIN = new URL('./bin.mjs', import.meta.url).pathname;
/** Each object's create is retried this long while the API settles (RBAC, namespaces). */
const CREATE_TIMEOUT_MS = 30_000;

/** The `ksim real node` command line a node joins with (its --name left to fill in). */
export function joinCommandLine(join: NodeJoin): string {
  return `ksim real node --server ${join.server} --token ${join.token} --ca-file ${join.caFile} --ca-cert-hash ${join.caCertHash} --name NODE-NAME`;
}

/**
 * Brings up the control-plane processes of `config` (written to D/cluster.json already),
 * each child in `children` so the caller can stop them if this throws; returns what a node
 * joins with.
 */
export async function startControlPlane(
  dir: string,
  config: RealClusterConfig,
  children: Map<string, ChildProcess>,
  sharedCa?: { readonly ca: string; readonly caKey: string },
): Promise<NodeJoin> {
  const listen = config.controlPlane?.listen;
  if (listen === undefined) throw new CliError('the cluster file names no control-plane address');
  const paths = clusterPaths(dir);
  const server = `https://${listen}:${config.httpsPort}`;
  const certificates = makeServingCertificates([listen], sharedCa);
  writeFileSync(paths.ca, certificates.ca);
  writeFileSync(paths.caKey, certificates.caKey, { mode: 0o600 });
  writeFileSync(paths.cert, certificates.cert);
  writeFileSync(paths.key, certificates.key, { mode: 0o600 });
  const admin = issueClientCredential(caSigner(certificates.caKey), ADMIN_IDENTITY);
  writeFileSync(paths.kubeconfig, kubeconfig(server, certificates.ca, admin), { mode: 0o600 });
  const kubeletCa = config.controlPlane?.kubeletCertificateAuthority;
  if (kubeletCa !== undefined) checkKubeletCa(kubeletCa);
  for (const p of config.processes)
    if (p.role !== 'node') children.set(p.name, startClusterProcess(BIN, dir, config, p));
  await waitUntilUp(dir, config, children);
  const token = await writeJoinObjects(dir, config, server, certificates.ca);
  const join = { server, token, caFile: paths.ca, caCertHash: caCertificateHash(certificates.ca) };
  writeFileSync(paths.joinCommand, `${joinCommandLine(join)}\n`, { mode: 0o600 });
  return join;
}

/** Throws unless `path` holds a PEM certificate (read once the control plane's CA exists). */
function checkKubeletCa(path: string): void {
  try {
    new X509Certificate(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(
      `--kubelet-certificate-authority ${path} is not a readable PEM certificate: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** A bootstrap token as kubeadm makes one: 6 and 16 characters of [a-z0-9]. */
function newBootstrapToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number): string =>
    Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/**
 * The objects `kubeadm init` writes for joining nodes, created as the admin; returns the token.
 */
async function writeJoinObjects(
  dir: string,
  config: RealClusterConfig,
  server: string,
  caPem: string,
): Promise<string> {
  const token = newBootstrapToken();
  const objects = [
    bootstrapTokenSecret({ token, expiresAtUs: Date.now() * 1000 + DEFAULT_TOKEN_TTL_US }),
    ...KUBEADM_JOIN_BINDINGS,
    ...clusterInfoObjects({
      server,
      caPem,
      apiTransport: config.book[API_SERVER] ?? '',
      clusterCIDR: config.podNetwork.clusterCIDR,
    }),
    ...KUBE_PROXY_OBJECTS,
  ];
  for (const obj of objects) await create(dir, config, obj);
  return token;
}

async function create(dir: string, config: RealClusterConfig, obj: object): Promise<void> {
  const o = obj as {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  };
  const path = collectionPath(o);
  const deadline = Date.now() + CREATE_TIMEOUT_MS;
  for (;;) {
    const r = await apiRequest(dir, config, 'POST', path, obj);
    // 409: another control plane of the same store made it first (kubeadm's join
    // --control-plane leaves such objects as they are).
    if (r?.status === 201 || r?.status === 409) return;
    if (Date.now() > deadline)
      throw new Error(
        `cannot create ${o.kind} ${o.metadata.name}: ${r === undefined ? 'no answer' : `${r.status} ${r.body}`}`,
      );
    await new Promise((ok) => setTimeout(ok, 300));
  }
}

/** The REST collection of the few kinds the join objects are. */
function collectionPath(o: {
  apiVersion: string;
  kind: string;
  metadata: { namespace?: string };
}): string {
  const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  const plural = `${o.kind.toLowerCase()}s`;
  const ns = o.metadata.namespace;
  return ns === undefined ? `${base}/${plural}` : `${base}/namespaces/${ns}/${plural}`;
}
