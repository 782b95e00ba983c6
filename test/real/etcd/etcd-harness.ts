/** Starts etcd 3.4 members for a test: private data dirs, free loopback ports, removed after. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdProcesses, etcdMissing } from '../../../real/etcd/etcd-processes.ts';
import { makeServingCertificates, signClientCertificate } from '../../../real/http/certificates.ts';
import { freePort } from '../cluster/ksim.ts';

export const etcdUnavailable = etcdMissing();

export interface TestEtcd {
  readonly etcd: EtcdProcesses;
  /** Kills every member and removes the data dirs. */
  stop(): Promise<void>;
  /** With `tls`: the files, in the members' root (removed by stop). */
  readonly certificates?: TestEtcdCertificates;
}

export interface TestEtcdCertificates {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * `tls`: the members serve clients over TLS with a certificate for 127.0.0.1 signed by a CA
 * the harness makes, and require client certificates that CA signed (`certificates` has the
 * files: the CA, and a client certificate and key for the API server).
 */
export async function startTestEtcd(
  members: 1 | 3,
  options: { tls?: boolean } = {},
): Promise<TestEtcd> {
  const root = mkdtempSync(join(tmpdir(), 'ksim-etcd-'));
  const ports = [];
  for (let i = 0; i < members; i++)
    ports.push({ client: await freePort(), peer: await freePort() });
  const certificates = options.tls === true ? writeCertificates(root) : undefined;
  const etcd = new EtcdProcesses(
    root,
    ports,
    undefined,
    certificates && {
      certFile: certificates.serverCert,
      keyFile: certificates.serverKey,
      trustedCaFile: certificates.ca,
    },
  );
  const stop = async (): Promise<void> => {
    await etcd.killAll();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await etcd.startAll();
  } catch (e) {
    await stop();
    throw e;
  }
  return { etcd, stop, ...(certificates && { certificates }) };
}

/** A CA, etcd's serving certificate for 127.0.0.1, and a client certificate: files in root. */
function writeCertificates(root: string): TestEtcdCertificates {
  const serving = makeServingCertificates();
  const client = signClientCertificate(serving, { user: 'kube-apiserver-etcd-client', groups: [] });
  const file = (name: string, text: string, mode = 0o644): string => {
    const path = join(root, name);
    writeFileSync(path, text, { mode });
    return path;
  };
  return {
    ca: file('ca.crt', serving.ca),
    serverCert: file('server.crt', serving.cert),
    serverKey: file('server.key', serving.key, 0o600),
    clientCert: file('client.crt', client.cert),
    clientKey: file('client.key', client.key, 0o600),
  };
}
