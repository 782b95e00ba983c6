/**
 * A joined node's credentials on disk, so that a restarted node goes on as itself instead of
 * bootstrapping again (upstream's kubelet keeps /var/lib/kubelet/pki/kubelet-client-current.pem,
 * its certificate and key in one file, and a kubeconfig pointing at it): the kubelet's
 * client certificate and key, and what the join learnt with the bootstrap token — the API
 * server's transport address, the cluster CIDR and kube-proxy's token. Both files are the
 * owner's only. A certificate the CA did not sign, not for this node, not yet or no longer
 * valid, or whose key is not the file's, is not used: the node then bootstraps again.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { formatHostPort, parseHostPort, type HostPort } from '../host/address-book.ts';

/** What a node needs to run once it has joined. */
export interface NodeCredential {
  /** PEM: the kubelet's client certificate and its private key. */
  readonly cert: string;
  readonly key: string;
  readonly apiTransport: HostPort;
  readonly clusterCIDR: string;
  readonly proxyToken: string;
}

/** The files, under the node's directory (kept when the node stops, as upstream keeps them). */
export function nodeCredentialPaths(dir: string) {
  return {
    pki: join(dir, 'pki'),
    current: join(dir, 'pki', 'kubelet-client-current.pem'),
    serving: join(dir, 'pki', 'kubelet-server-current.pem'),
    joined: join(dir, 'pki', 'joined.json'),
  };
}

/** The two certificates a kubelet keeps: its client certificate and its serving certificate. */
export type KubeletPair = 'kubelet-client' | 'kubelet-server';

/** upstream's file name time, Go's layout 2006-01-02-15-04-05 in UTC. */
function pairTime(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 19).replace(/[T:]/g, '-');
}

/**
 * Stores a certificate and its key as upstream's certificate FileStore does: a new file
 * `pki/<pair>-<time>.pem` (certificate then key, the owner's only), then the
 * `<pair>-current.pem` symlink moved to it in one rename, so a reader sees the old pair or the
 * new one, never half of one. Earlier files stay, as upstream leaves them. Returns the file.
 */
export function writeCertificatePair(
  dir: string,
  pair: KubeletPair,
  cert: string,
  key: string,
  nowMs: number,
): string {
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const file = join(pki, `${pair}-${pairTime(nowMs)}.pem`);
  writeFileSync(file, `${cert.trimEnd()}\n${key.trimEnd()}\n`, { mode: 0o600 });
  const current = join(pki, `${pair}-current.pem`);
  const next = `${current}.updating`;
  rmSync(next, { force: true });
  // Relative, as upstream's link: the directory may be moved.
  symlinkSync(basename(file), next);
  renameSync(next, current);
  return file;
}

/** The certificate and key of `pem` (a pair file), or undefined when it lacks one. */
export function splitPair(pem: string): { cert: string; key: string } | undefined {
  const cert = CERT_BLOCK.exec(pem)?.[0];
  const key = KEY_BLOCK.exec(pem)?.[0];
  return cert === undefined || key === undefined ? undefined : { cert, key };
}

export function writeNodeCredential(dir: string, c: NodeCredential, nowMs: number): void {
  const paths = nodeCredentialPaths(dir);
  writeCertificatePair(dir, 'kubelet-client', c.cert, c.key, nowMs);
  writeFileSync(
    paths.joined,
    `${JSON.stringify({
      apiTransport: formatHostPort(c.apiTransport),
      clusterCIDR: c.clusterCIDR,
      proxyToken: c.proxyToken,
    })}\n`,
    { mode: 0o600 },
  );
}

export type StoredCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'usable'; readonly credential: NodeCredential }
  | { readonly kind: 'unusable'; readonly reason: string };

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/;
const KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----\n?/;

/** The credential node `name` stored in `dir`, checked against the cluster CA `caPem` at `nowMs`. */
export function readNodeCredential(
  dir: string,
  name: string,
  caPem: string,
  nowMs: number,
): StoredCredential {
  const paths = nodeCredentialPaths(dir);
  let pem: string;
  let joined: { apiTransport?: unknown; clusterCIDR?: unknown; proxyToken?: unknown };
  try {
    pem = readFileSync(paths.current, 'utf8');
  } catch {
    return { kind: 'none' };
  }
  try {
    joined = JSON.parse(readFileSync(paths.joined, 'utf8')) as typeof joined;
  } catch (e) {
    return { kind: 'unusable', reason: `${paths.joined}: ${(e as Error).message}` };
  }
  const pair = splitPair(pem);
  if (pair === undefined)
    return { kind: 'unusable', reason: `${paths.current} holds no certificate and key` };
  const { cert, key } = pair;
  const problem = certificateProblem(cert, key, name, caPem, nowMs);
  if (problem !== undefined) return { kind: 'unusable', reason: problem };
  const transport = parseHostPort(String(joined.apiTransport ?? ''));
  if (
    typeof transport === 'string' ||
    typeof joined.clusterCIDR !== 'string' ||
    typeof joined.proxyToken !== 'string'
  )
    return { kind: 'unusable', reason: `${paths.joined} is incomplete` };
  return {
    kind: 'usable',
    credential: {
      cert,
      key,
      apiTransport: transport,
      clusterCIDR: joined.clusterCIDR,
      proxyToken: joined.proxyToken,
    },
  };
}

/** Why `cert` (with `key`) is not node `name`'s current credential from the CA, or undefined. */
export function certificateProblem(
  cert: string,
  key: string,
  name: string,
  caPem: string,
  nowMs: number,
): string | undefined {
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch (e) {
    return `the stored certificate is unreadable: ${(e as Error).message}`;
  }
  const ca = new X509Certificate(caPem);
  if (!x.checkIssued(ca) || !x.verify(ca.publicKey))
    return 'the stored certificate is not signed by the cluster CA';
  if (!x.subject.split('\n').includes(`CN=system:node:${name}`))
    return `the stored certificate is not node ${name}'s (${x.subject.replace(/\n/g, ', ')})`;
  if (Date.parse(x.validFrom) > nowMs) return `the stored certificate is valid from ${x.validFrom}`;
  if (Date.parse(x.validTo) <= nowMs) return `the stored certificate expired at ${x.validTo}`;
  try {
    if (!x.checkPrivateKey(createPrivateKey(key))) return "the stored key is not the certificate's";
  } catch (e) {
    return `the stored key is unreadable: ${(e as Error).message}`;
  }
  return undefined;
}
