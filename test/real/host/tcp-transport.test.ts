import { afterEach, describe, expect, it } from 'vitest';
import { CodecError, JSON_VALUE_CODEC } from '../../../core/ports/codec.ts';
import { jsonProtocol, type Protocol, type ServerStream } from '../../../core/ports/transport.ts';
import { KvClient } from '../../../core/store/kv-client.ts';
import { KvMember, type MemberPeer } from '../../../core/store/member/kv-member.ts';
import type { AddressBook } from '../../../real/host/address-book.ts';
import { parseAddressBook } from '../../../real/host/address-book.ts';
import { hostProcess, type HostProcess } from '../../../real/host/host-process.ts';
import { DEFAULT_TCP_TRANSPORT, TcpTransport } from '../../../real/host/tcp-transport.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import { bearerToken } from '../../../core/apiserver/authn/authenticator.ts';
import { clientCredentialAuthenticator } from '../../../core/apiserver/authn/client-credential.ts';
import { caSigner, caVerifier } from '../../../real/cluster/cluster-ca.ts';
import { peerCredentials } from '../../../real/cluster/peer-credentials.ts';
import { makeServingCertificates, signClientCertificate } from '../../../real/http/certificates.ts';
import { WallClock } from '../../../real/host/wall-clock.ts';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { tempDir } from '../../support/temp-dir.ts';
import { transportContract } from '../../support/transport-contract.ts';

const ECHO = jsonProtocol('echo');
const OTHER = jsonProtocol('other');
const clock = new WallClock();

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Transports for `names`, each listening on a free loopback port, sharing one book. */
async function transports(...names: string[]): Promise<TcpTransport[]> {
  const book: AddressBook = new Map(names.map((n) => [n, { host: '127.0.0.1', port: 0 }]));
  const out = names.map((n) => new TcpTransport(n, book));
  for (const t of out) {
    cleanups.push(() => t.close());
    await t.start();
  }
  return out;
}

function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

transportContract('TCP', async (names, script) => {
  const all = await transports(...names);
  const byName = new Map(names.map((n, i) => [n, all[i]!]));
  await script({
    transport: (name) => byName.get(name)!,
    sleep: (us) => clock.sleep(us),
    crash: (name) => byName.get(name)!.close(),
  });
});

describe('TcpTransport requests', () => {
  it('answers through onRequest (sync or async) and onCall, naming the caller', async () => {
    const [a, b] = await transports('a', 'b');
    b!.listen(ECHO, { onRequest: async (from, req) => ({ from, req }) });
    b!.listen(OTHER, { onCall: (from, req, reply) => setTimeout(() => reply([from, req]), 1) });
    expect(await a!.request(ECHO, 'b', 'hi', 1_000_000)).toEqual({
      kind: 'reply',
      body: { from: 'a', req: 'hi' },
    });
    const many = await Promise.all(
      Array.from({ length: 200 }, (_, i) => a!.request(OTHER, 'b', i, 1_000_000)),
    );
    expect(many).toEqual(
      Array.from({ length: 200 }, (_, i) => ({ kind: 'reply', body: ['a', i] })),
    );
  });

  it('is refused for an unknown name, a port nobody listens on, and a protocol not served', async () => {
    const [a, b, gone] = await transports('a', 'b', 'gone');
    await gone!.close();
    b!.listen(ECHO, { onMessage: () => {} });
    expect(await a!.request(ECHO, 'nobody', 1, 1_000_000)).toEqual({ kind: 'refused' });
    expect(await a!.request(ECHO, 'gone', 1, 1_000_000)).toEqual({ kind: 'refused' });
    expect(await a!.request(ECHO, 'b', 1, 1_000_000)).toEqual({ kind: 'refused' });
    expect(await a!.request(OTHER, 'b', 1, 1_000_000)).toEqual({ kind: 'refused' });
  });

  it('times out on the wall clock when no reply comes, and ignores a late one', async () => {
    const [a, b] = await transports('a', 'b');
    const held: Array<(body: unknown) => void> = [];
    b!.listen(ECHO, { onCall: (_from, _req, reply) => held.push(reply) });
    const startUs = clock.now();
    const result = await a!.request(ECHO, 'b', 'x', 30_000);
    expect(result).toEqual({ kind: 'timeout' });
    expect(clock.now() - startUs).toBeGreaterThanOrEqual(30_000);
    // Under load the request may reach the server only after the client gave up on it.
    await until(() => held.length === 1, 'the request to arrive');
    held[0]!('late');
    // The connection still serves later calls.
    b!.listen(ECHO, { onRequest: () => 'ok' });
    expect(await a!.request(ECHO, 'b', 'y', 1_000_000)).toEqual({ kind: 'reply', body: 'ok' });
  });

  it('reports a request whose connection breaks after sending as timeout (outcome unknown)', async () => {
    const [a, b] = await transports('a', 'b');
    b!.listen(ECHO, { onCall: () => void b!.close() });
    expect(await a!.request(ECHO, 'b', 'x', 5_000_000)).toEqual({ kind: 'timeout' });
  });

  it('refuses a request whose bytes the server codec rejects, without calling the listener', async () => {
    const [a, b] = await transports('a', 'b');
    const picky: Protocol = {
      ...ECHO,
      request: {
        encode: JSON_VALUE_CODEC.encode,
        decode: () => {
          throw new CodecError('no');
        },
      },
    };
    let called = false;
    b!.listen(picky, { onRequest: () => (called = true) });
    expect(await a!.request(ECHO, 'b', 1, 1_000_000)).toEqual({ kind: 'refused' });
    expect(called).toBe(false);
  });
});

describe('TcpTransport datagrams and streams', () => {
  it('delivers datagrams in order on a connection, naming the sender', async () => {
    const [a, b] = await transports('a', 'b');
    const got: unknown[] = [];
    b!.listen(ECHO, { onMessage: (from, msg) => got.push([from, msg]) });
    for (let i = 0; i < 500; i++) a!.send(ECHO, 'b', i);
    a!.send(ECHO, 'nobody', 'lost');
    await until(() => got.length === 500, 'datagrams');
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => ['a', i]));
  });

  it('closes a stream with a reason when the connection drops mid-stream, on both ends', async () => {
    const [a, b] = await transports('a', 'b');
    const serverHeard: string[] = [];
    let server: ServerStream | undefined;
    b!.listen(ECHO, {
      onStream: (_from, _req, stream) => {
        server = stream;
        stream.onClose((r) => serverHeard.push(r));
        stream.send('first');
      },
    });
    const got: unknown[] = [];
    const closes: string[] = [];
    a!.openStream(ECHO, 'b', 0, { onMessage: (m) => got.push(m), onClose: (r) => closes.push(r) });
    await until(() => got.length === 1, 'first message');
    await a!.close();
    await until(() => closes.length === 1 && serverHeard.length === 1, 'both ends');
    expect(closes).toEqual(['connection lost']);
    expect(serverHeard).toEqual(['connection lost']);
    expect(server!.open).toBe(false);
  });

  it('refuses a stream nobody serves, with the reasons the simulated network gives', async () => {
    const [a, , gone] = await transports('a', 'b', 'gone');
    await gone!.close();
    const closes: string[] = [];
    const handlers = { onMessage: () => {}, onClose: (r: string) => closes.push(r) };
    a!.openStream(ECHO, 'b', 0, handlers);
    a!.openStream(ECHO, 'gone', 0, handlers);
    a!.openStream(ECHO, 'nobody', 0, handlers);
    await until(() => closes.length === 3, 'three refusals');
    expect([...closes].sort()).toEqual([
      'connection refused by b',
      'connection refused by gone',
      'no process nobody',
    ]);
  });
});

describe('TcpTransport carrying the store', () => {
  it('runs a three-member Raft store and a client over loopback TCP', async () => {
    const names = ['etcd-0', 'etcd-1', 'etcd-2'];
    const book = parseAddressBook(names.map((n) => `${n}=127.0.0.1:0`).join(',')) as AddressBook;
    const peers: MemberPeer[] = names.map((address, i) => ({ id: i + 1, address }));
    const hosts: HostProcess[] = [];
    for (const [i, name] of names.entries()) {
      const transport = new TcpTransport(name, book);
      cleanups.push(() => transport.close());
      await transport.start();
      const dir = tempDir('tcp-store');
      cleanups.push(() => dir.remove());
      const host = hostProcess({ name, seed: i, dataDir: dir.path, transport });
      cleanups.push(() => host.close());
      hosts.push(host);
    }
    const members = hosts.map(
      (h, i) => new KvMember(h.ports, { id: i + 1, peers, tickUs: 20_000 }),
    );
    const clientTransport = new TcpTransport('client', book);
    cleanups.push(() => clientTransport.close());
    const client = new KvClient(clientTransport, names, {
      requestTimeoutUs: 2_000_000,
      readRetries: 3,
      clock,
      leaderWaitUs: 10_000_000,
    });
    // Until the members have read their disks and elected a leader, writes are refused.
    let first = await client.do({ kind: 'put', key: 'k0', value: 'v0' });
    while (first.kind === 'not-applied') {
      await clock.sleep(50_000);
      first = await client.do({ kind: 'put', key: 'k0', value: 'v0' });
    }
    expect(first.kind).toBe('put');
    for (let i = 1; i < 20; i++) {
      const r = await client.do({ kind: 'put', key: `k${i}`, value: `v${i}` });
      expect(r.kind).toBe('put');
    }
    const range = await client.do({ kind: 'range', key: 'k', rangeEnd: 'l' });
    expect(range.kind === 'range' && range.kvs.map((kv) => kv.value).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `v${i}`).sort(),
    );
    await until(
      () => members.every((m) => m.inspect().applied === members[0]!.inspect().applied),
      'followers to catch up',
    );
    expect(new Set(members.map((m) => m.stateHash())).size).toBe(1);
  });
});

describe('TcpTransport with mutual TLS', () => {
  const ca = makeServingCertificates();
  const other = makeServingCertificates();
  const subject = { user: 'system:node:n1', groups: ['system:nodes'] };
  const mine = signClientCertificate(ca, subject);
  const forged = signClientCertificate(other, subject);

  it('serves plain, TLS and mutual-TLS clients on one port, naming a verified peer, and refuses a certificate of another CA', async () => {
    const book: AddressBook = new Map(
      ['srv', 'plain', 'anon', 'node', 'forger'].map((n) => [n, { host: '127.0.0.1', port: 0 }]),
    );
    const server = new TcpTransport('srv', book, {
      ...DEFAULT_TCP_TRANSPORT,
      tls: {
        server: { cert: ca.cert, key: ca.key, ca: ca.ca },
        fromPeer: (peer, protocol, msg) => ({ msg, protocol, peer: peer.subject.CN }),
      },
    });
    let current: { cert: string; key: string } | undefined;
    const client = (name: string, cert: () => { cert: string; key: string } | undefined) =>
      new TcpTransport(name, book, {
        ...DEFAULT_TCP_TRANSPORT,
        tls: { client: (to) => (to === 'srv' ? { ca: ca.ca, ...cert() } : undefined) },
      });
    const all = [
      server,
      new TcpTransport('plain', book),
      client('anon', () => undefined),
      client('node', () => current),
      client('forger', () => forged),
    ];
    for (const t of all) {
      cleanups.push(() => t.close());
      await t.start();
    }
    server.listen(ECHO, { onRequest: (_from, req) => req });
    const ask = (t: TcpTransport) => t.request(ECHO, 'srv', { n: 1 }, 3_000_000);
    const [, plain, anon, node, forger] = all as [TcpTransport, ...TcpTransport[]];
    expect(await ask(plain!)).toEqual({ kind: 'reply', body: { n: 1 } });
    expect(await ask(anon!)).toEqual({ kind: 'reply', body: { n: 1 } });
    // Without a certificate first; with one issued, the next connection presents it.
    expect(await ask(node!)).toEqual({ kind: 'reply', body: { n: 1 } });
    current = mine;
    node!.closeConnections('srv');
    expect(await ask(node!)).toEqual({
      kind: 'reply',
      body: { msg: { n: 1 }, protocol: 'echo', peer: 'system:node:n1' },
    });
    expect((await ask(forger!)).kind).not.toBe('reply');
  });

  it('hands the API server the cluster credential of a verified peer that sent no bearer token', async () => {
    const signer = caSigner(ca.caKey);
    const fromPeer = peerCredentials(signer);
    const peer = { subject: { CN: 'system:node:n1', O: 'system:nodes' }, fingerprint256: 'f' };
    const req = { kind: 'http', method: 'GET', path: '/api' };
    const seen = fromPeer(peer as never, API_PROTOCOL.name, req) as { authorization: string };
    const authn = await clientCredentialAuthenticator(caVerifier(ca.ca), () => 0).authenticateToken(
      bearerToken(seen.authorization) ?? '',
    );
    expect(authn.kind === 'authenticated' && [authn.user.name, authn.user.groups]).toEqual([
      'system:node:n1',
      ['system:nodes'],
    ]);
    // A bearer token stays (kube-proxy's, on the node's connection); other protocols pass.
    const withToken = { ...req, authorization: 'Bearer abc' };
    expect(fromPeer(peer as never, API_PROTOCOL.name, withToken)).toBe(withToken);
    expect(fromPeer(peer as never, 'echo', req)).toBe(req);
  });

  it('serves TLS with a certificate set while it runs (a kubelet serving certificate issued, then rotated), plain clients unchanged', async () => {
    const book: AddressBook = new Map(
      ['kubelet', 'apiserver', 'plain'].map((n) => [n, { host: '127.0.0.1', port: 0 }]),
    );
    const kubelet = new TcpTransport('kubelet', book);
    const verifying = new TcpTransport('apiserver', book, {
      ...DEFAULT_TCP_TRANSPORT,
      tls: { client: (to) => (to === 'kubelet' ? { ca: ca.ca } : undefined) },
    });
    const plain = new TcpTransport('plain', book);
    for (const t of [kubelet, verifying, plain]) {
      cleanups.push(() => t.close());
      await t.start();
    }
    kubelet.listen(ECHO, { onRequest: (_from, req) => req });
    const ask = (t: TcpTransport) => t.request(ECHO, 'kubelet', { n: 1 }, 3_000_000);
    /** The certificate a TLS client verifying with the CA is served, or undefined. */
    const served = (): Promise<string | undefined> =>
      new Promise((done) => {
        const s = tlsConnect({ host: '127.0.0.1', port: book.get('kubelet')!.port, ca: ca.ca });
        s.once('secureConnect', () => {
          done(s.authorized ? s.getPeerX509Certificate()?.fingerprint256 : undefined);
          s.destroy();
        });
        s.once('error', () => done(undefined));
      });
    // No serving certificate yet: a TLS client gets nothing, a plain one is served.
    expect(await served()).toBeUndefined();
    expect((await ask(verifying)).kind).not.toBe('reply');
    expect(await ask(plain)).toEqual({ kind: 'reply', body: { n: 1 } });
    const first = makeServingCertificates([], { ca: ca.ca, caKey: ca.caKey });
    kubelet.setServerTls({ cert: first.cert, key: first.key, ca: ca.ca });
    expect(await served()).toBe(new X509Certificate(first.cert).fingerprint256);
    verifying.closeConnections('kubelet');
    expect(await ask(verifying)).toEqual({ kind: 'reply', body: { n: 1 } });
    const second = makeServingCertificates([], { ca: ca.ca, caKey: ca.caKey });
    kubelet.setServerTls({ cert: second.cert, key: second.key, ca: ca.ca });
    expect(await served()).toBe(new X509Certificate(second.cert).fingerprint256);
    expect(await ask(plain)).toEqual({ kind: 'reply', body: { n: 1 } });
    // A certificate of another CA is not accepted by the verifying client.
    const stranger = makeServingCertificates();
    kubelet.setServerTls({ cert: stranger.cert, key: stranger.key, ca: stranger.ca });
    verifying.closeConnections('kubelet');
    expect((await ask(verifying)).kind).not.toBe('reply');
  });
});
