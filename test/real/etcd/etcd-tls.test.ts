/**
 * TLS to etcd, as kube-apiserver's --etcd-servers=https://... with --etcd-cafile,
 * --etcd-certfile and --etcd-keyfile: `--store etcds://...` parses with the files (and refuses
 * files with a plain URL, a certificate without its key); EtcdKv on an etcd 3.4 that serves
 * clients over TLS and requires client certificates writes and reads with the right
 * certificates, and gets nothing without a client certificate, with a client certificate of
 * another CA, or over plain gRPC; and `ksim real up --store etcds://...` refuses a CA that did
 * not sign etcd before it makes anything. (A whole cluster on TLS etcd runs in
 * test/real/cluster/etcd-up.test.ts.)
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FROM_KEY } from '../../../core/store/types.ts';
import {
  EtcdKv,
  parseEtcdStore,
  parseEtcdUrl,
  readEtcdTls,
  type EtcdTls,
} from '../../../real/etcd/etcd-kv.ts';
import { makeServingCertificates, signClientCertificate } from '../../../real/http/certificates.ts';
import { RealCluster, realClusterUnavailable } from '../cluster/real-cluster.ts';
import { etcdUnavailable, startTestEtcd, type TestEtcd } from './etcd-harness.ts';

if (etcdUnavailable !== undefined) console.warn(`etcd TLS test skipped: ${etcdUnavailable}`);
const clusterUnavailable = realClusterUnavailable() ?? etcdUnavailable;
if (clusterUnavailable !== undefined)
  console.warn(`ksim real up on TLS etcd skipped: ${clusterUnavailable}`);

describe('parseEtcdStore', () => {
  it('takes etcds:// with the --etcd-* files and says what is wrong otherwise', () => {
    expect(parseEtcdStore('etcd://127.0.0.1:2379')).toEqual({ endpoints: ['127.0.0.1:2379'] });
    expect(parseEtcdStore('etcds://a:1,b:2')).toEqual({ endpoints: ['a:1', 'b:2'], tls: {} });
    expect(parseEtcdStore('etcds://a:1', { caFile: '/ca', certFile: '/c', keyFile: '/k' })).toEqual(
      { endpoints: ['a:1'], tls: { caFile: '/ca', certFile: '/c', keyFile: '/k' } },
    );
    expect(parseEtcdStore('etcd://a:1', { caFile: '/ca' })).toBe(
      '--etcd-cafile need TLS: use --store etcds://a:1',
    );
    expect(parseEtcdStore('etcds://a:1', { certFile: '/c' })).toMatch(
      /--etcd-certfile and --etcd-keyfile go together/,
    );
    expect(parseEtcdStore('https://a:1')).toMatch(/must be etcd:\/\/.* or etcds:\/\//);
    expect(parseEtcdStore('etcds://a')).toMatch(/'a' is not HOST:PORT/);
    expect(parseEtcdUrl('etcds://a:1')).toMatch(/expected etcd:\/\//);
  });

  it('names the flag and file it cannot read', () => {
    expect(() => readEtcdTls({ caFile: '/nonexistent/ca.crt' })).toThrow(
      '--etcd-cafile /nonexistent/ca.crt: cannot read it (ENOENT)',
    );
  });
});

describe.skipIf(etcdUnavailable !== undefined)('EtcdKv over TLS to etcd 3.4', () => {
  let store: TestEtcd;
  let tls: EtcdTls;
  const clients: EtcdKv[] = [];
  const client = (options: { tls?: EtcdTls }): EtcdKv => {
    const kv = new EtcdKv({
      endpoints: store.etcd.endpoints,
      requestTimeoutMs: 3_000,
      readRetries: 0,
      ...options,
    });
    clients.push(kv);
    return kv;
  };
  beforeAll(async () => {
    store = await startTestEtcd(1, { tls: true });
    const c = store.certificates!;
    tls = readEtcdTls({ caFile: c.ca, certFile: c.clientCert, keyFile: c.clientKey });
  }, 90_000);
  afterAll(async () => {
    for (const kv of clients) kv.close();
    await store?.stop();
  });

  it('writes and reads with the CA and a client certificate the CA signed', async () => {
    const kv = client({ tls });
    const put = await kv.do({ kind: 'put', key: '/tls/a', value: 'secret' });
    expect(put.kind).toBe('put');
    const got = await kv.do({ kind: 'range', key: '/tls/a' });
    expect(got.kind === 'range' && got.kvs.map((x) => x.value)).toEqual(['secret']);
  });

  it('gets nothing without a client certificate, with one of another CA, or in plain text', async () => {
    const other = makeServingCertificates();
    const stranger = signClientCertificate(other, { user: 'stranger', groups: [] });
    const attempts = {
      'no client certificate': client({ tls: { ca: tls.ca! } }),
      'another CA': client({
        tls: { ca: tls.ca!, cert: Buffer.from(stranger.cert), key: Buffer.from(stranger.key) },
      }),
      'a server CA it does not trust': client({
        tls: { ca: Buffer.from(other.ca), cert: tls.cert!, key: tls.key! },
      }),
      'plain gRPC': client({}),
    };
    for (const [what, kv] of Object.entries(attempts)) {
      const r = await kv.do({ kind: 'range', key: '/tls/', rangeEnd: FROM_KEY });
      expect(r.kind, what).not.toBe('range');
    }
  });
});

describe.skipIf(clusterUnavailable !== undefined)('ksim real up --store etcds:// (as root)', () => {
  const cluster = new RealCluster('ksim-up-etcds-');
  let store: TestEtcd;

  beforeAll(async () => {
    store = await startTestEtcd(1, { tls: true });
  }, 90_000);
  afterAll(async () => {
    // The refused `up` made nothing: its directory is all there is to remove.
    rmSync(cluster.dir, { recursive: true, force: true });
    await store?.stop();
  }, 120_000);

  it('refuses a CA that did not sign etcd, before it makes anything', async () => {
    const c = store.certificates!;
    const wrong = `${cluster.dir}-wrong-ca.crt`;
    const other = makeServingCertificates();
    writeFileSync(wrong, other.ca);
    try {
      const up = await cluster.up([
        '--store',
        `etcds://${store.etcd.endpoints.join(',')}`,
        '--etcd-cafile',
        wrong,
        '--etcd-certfile',
        c.clientCert,
        '--etcd-keyfile',
        c.clientKey,
      ]);
      expect(up.code).toBe(2);
      expect(up.stderr).toContain('does not answer');
      expect(cluster.config).toBeUndefined();
    } finally {
      rmSync(wrong, { force: true });
    }
  }, 60_000);
});
