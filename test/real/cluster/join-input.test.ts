/**
 * The pieces of `ksim real control-plane` / `ksim real node` that need no root: the CA's key as
 * the cluster's signer (a node verifies with the certificate alone and cannot sign), the
 * kubelet address a Node reports, and bad input refused with a clear message and exit code 2.
 */
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clientCredentialAuthenticator,
  issueClientCredential,
} from '../../../core/apiserver/authn/client-credential.ts';
import type { Node } from '../../../core/api/node-types.ts';
import {
  caCertificateHash,
  caCertificateSigner,
  caSigner,
  caVerifier,
} from '../../../real/cluster/cluster-ca.ts';
import {
  readNodeCredential,
  writeCertificatePair,
  writeNodeCredential,
} from '../../../real/cluster/node-credential.ts';
import {
  carriesNames,
  FileCertificateKeeper,
  validityOf,
} from '../../../real/cluster/kubelet-certificates.ts';
import { parseCertificateRequest } from '../../../core/api/kinds/certificate-signing-request.ts';
import { kubeletAddress } from '../../../real/cluster/node-address-book.ts';
import {
  makeKeyAndRequest,
  makeServingCertificates,
  signCertificateRequest,
} from '../../../real/http/certificates.ts';
import { runKsim as ksim } from '../../support/ksim-cli.ts';
import { kubeletRequestContent } from '../../support/csr.ts';

const NODE_USER = { user: 'system:node:n1', groups: ['system:nodes'] };

describe('the cluster CA as signer', () => {
  const ca = makeServingCertificates(['192.0.2.10']);
  const other = makeServingCertificates();

  it('signs on the control plane; the CA certificate alone verifies, and refuses other CAs', async () => {
    const signer = caSigner(ca.caKey);
    const verifier = caVerifier(ca.ca);
    expect(signer.algorithm).toBe('ES256');
    expect(verifier.keyId).toBe(signer.keyId);
    expect(signer.keyId).toBe(caCertificateHash(ca.ca));
    expect(signer.keyId).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Its public half, which the API server publishes on /openid/v1/jwks.
    expect(signer.publicJwk).toMatchObject({ kid: signer.keyId, kty: 'EC', alg: 'ES256' });
    const credential = issueClientCredential(signer, NODE_USER);
    const r = await clientCredentialAuthenticator(verifier, () => 0).authenticateToken(credential);
    expect(r.kind === 'authenticated' && [r.user.name, r.user.groups]).toEqual([
      'system:node:n1',
      ['system:nodes'],
    ]);
    const forged = issueClientCredential(caSigner(other.caKey), NODE_USER);
    expect(
      (await clientCredentialAuthenticator(verifier, () => 0).authenticateToken(forged)).kind,
    ).toBe('unrecognized');
    const [h, p, s] = credential.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect(verifier.verify(`${h}.${p}`, flipped)).toBe(false);
    expect(() => issueClientCredential(verifier, NODE_USER)).toThrow(/signs no credential/);
  });

  it("puts the control plane's listen address in the server certificate", () => {
    expect(new X509Certificate(ca.cert).subjectAltName).toContain('IP Address:192.0.2.10');
  });
});

describe("the cluster CA signing kubelets' certificate requests", () => {
  const ca = makeServingCertificates();
  const other = makeServingCertificates();
  const caCert = new X509Certificate(ca.ca);
  const made = makeKeyAndRequest({ user: 'system:node:n1', groups: ['system:nodes'] });
  const now = Date.parse('2026-12-07T12:00:00Z');
  /** openssl's view of the certificate's extensions. */
  const extensions = (pem: string): string =>
    execFileSync(
      'openssl',
      ['x509', '-noout', '-ext', 'keyUsage,extendedKeyUsage,basicConstraints'],
      {
        input: pem,
      },
    ).toString();

  it('issues the X.509 certificate of the request: its subject and key, the usages, the duration', async () => {
    const signer = caCertificateSigner(ca.ca, ca.caKey);
    const r = await signer({
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      request: made.request,
      content: kubeletRequestContent('n1'),
      usages: ['digital signature', 'key encipherment', 'client auth'],
      durationSeconds: 3600,
    });
    if (!r.ok) throw new Error(r.message);
    const cert = new X509Certificate(r.value);
    expect(cert.subject.split('\n')).toEqual(['CN=system:node:n1', 'O=system:nodes']);
    expect(cert.checkIssued(caCert) && cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(made.key))).toBe(true);
    expect(cert.ca).toBe(false);
    const ext = extensions(r.value);
    expect(ext).toMatch(/Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    expect(ext).toMatch(/Extended Key Usage: \n\s+TLS Web Client Authentication\n/);
    expect(ext).toMatch(/Basic Constraints: critical\n\s+CA:FALSE/);
    // Valid from five minutes back for the hour asked (the CA is a year's, so no cap).
    expect((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000).toBe(3600 + 300);
  });

  it('ends a certificate no later than the CA, and makes one to the second', () => {
    const r = signCertificateRequest(
      ca,
      { request: made.request, usages: ['client auth'], durationSeconds: 2 * 365 * 86400 },
      now,
    );
    if (!r.ok) throw new Error(r.message);
    const cert = new X509Certificate(r.value);
    expect(cert.validTo).toBe(caCert.validTo);
    expect(Date.parse(cert.validFrom)).toBe(now - 300_000);
    expect(extensions(r.value)).not.toContain('Key Usage: critical');
  });

  it('refuses a request whose self-signature fails, and usages no certificate carries', () => {
    // The request of one key with the signature another key made: its subject and key are
    // not the signer's to certify.
    const derOf = (pem: string): Buffer =>
      Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
    const mine = AsnConvert.parse(derOf(made.request), CertificationRequest);
    const theirs = AsnConvert.parse(
      derOf(makeKeyAndRequest({ user: 'system:node:n1', groups: ['system:nodes'] }).request),
      CertificationRequest,
    );
    mine.signature = theirs.signature;
    const body = Buffer.from(AsnConvert.serialize(mine)).toString('base64');
    const forged = signCertificateRequest(ca, {
      request: `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`,
      usages: ['client auth'],
      durationSeconds: 3600,
    });
    expect(forged.ok ? 'signed' : forged.message).toMatch(
      /^the request's self-signature does not verify: .*signature/i,
    );
    expect(
      signCertificateRequest(ca, {
        request: made.request,
        usages: ['client auth', 'any'],
        durationSeconds: 3600,
      }),
    ).toEqual({
      ok: false,
      message: 'the signer cannot issue usages any',
    });
  });

  it("keeps a node's certificate to restart with while the CA signed it, it is the node's and valid", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-node-pki-'));
    try {
      const r = signCertificateRequest(
        ca,
        { request: made.request, usages: ['client auth'], durationSeconds: 3600 },
        now,
      );
      if (!r.ok) throw new Error(r.message);
      expect(readNodeCredential(dir, 'n1', ca.ca, now)).toEqual({ kind: 'none' });
      const stored = {
        cert: r.value,
        key: made.key,
        apiTransport: { host: '192.0.2.10', port: 6444 },
        clusterCIDR: '10.244.0.0/16',
        proxyToken: 'a.b.c',
      };
      writeNodeCredential(dir, stored, now);
      expect(statSync(join(dir, 'pki', 'kubelet-client-current.pem')).mode & 0o777).toBe(0o600);
      expect(readNodeCredential(dir, 'n1', ca.ca, now + 1000)).toEqual({
        kind: 'usable',
        credential: stored,
      });
      const why = (name: string, caPem: string, at: number): string => {
        const c = readNodeCredential(dir, name, caPem, at);
        return c.kind === 'unusable' ? c.reason : c.kind;
      };
      expect(why('n1', ca.ca, now + 3600_000)).toMatch(/^the stored certificate expired at /);
      expect(why('n1', ca.ca, now - 600_000)).toMatch(/^the stored certificate is valid from /);
      expect(why('n2', ca.ca, now)).toBe(
        "the stored certificate is not node n2's (CN=system:node:n1, O=system:nodes)",
      );
      expect(why('n1', other.ca, now)).toBe(
        'the stored certificate is not signed by the cluster CA',
      );
      writeNodeCredential(
        dir,
        { ...stored, key: makeKeyAndRequest({ user: 'x', groups: [] }).key },
        now + 1000,
      );
      expect(why('n1', ca.ca, now)).toBe("the stored key is not the certificate's");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a kubelet's certificates on disk, installed and rotated", () => {
  const ca = makeServingCertificates();
  const now = Date.parse('2026-12-07T12:00:00Z');
  const sign = (
    request: string,
    usages: string[],
    altNames?: { dnsNames: string[]; ipAddresses: string[] },
  ) => {
    const r = signCertificateRequest(
      ca,
      { request, usages, durationSeconds: 3600, ...(altNames === undefined ? {} : { altNames }) },
      now,
    );
    if (!r.ok) throw new Error(r.message);
    return r.value;
  };
  const pemOf = (base64: string) => Buffer.from(base64, 'base64').toString();

  it('stores each pair in a file of its own and moves the -current link to the newest in one rename', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-node-pki-'));
    try {
      const a = makeKeyAndRequest(NODE_USER);
      const b = makeKeyAndRequest(NODE_USER);
      const first = writeCertificatePair(
        dir,
        'kubelet-client',
        sign(a.request, ['client auth']),
        a.key,
        now,
      );
      const second = writeCertificatePair(
        dir,
        'kubelet-client',
        sign(b.request, ['client auth']),
        b.key,
        now + 61_000,
      );
      expect(first).toBe(join(dir, 'pki', 'kubelet-client-2026-12-07-12-00-00.pem'));
      expect(second).toBe(join(dir, 'pki', 'kubelet-client-2026-12-07-12-01-01.pem'));
      expect(readdirSync(join(dir, 'pki')).sort()).toEqual([
        'kubelet-client-2026-12-07-12-00-00.pem',
        'kubelet-client-2026-12-07-12-01-01.pem',
        'kubelet-client-current.pem',
      ]);
      // Relative, so the directory can move; the pair it names is the second.
      expect(readlinkSync(join(dir, 'pki', 'kubelet-client-current.pem'))).toBe(
        'kubelet-client-2026-12-07-12-01-01.pem',
      );
      expect(readFileSync(join(dir, 'pki', 'kubelet-client-current.pem'), 'utf8')).toContain(
        b.key.trim(),
      );
      expect(statSync(second).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the client keeper uses the stored pair, installs an issued certificate for its new key, and refuses one for another key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-node-pki-'));
    try {
      const a = makeKeyAndRequest(NODE_USER);
      const stored = sign(a.request, ['client auth']);
      writeCertificatePair(dir, 'kubelet-client', stored, a.key, now);
      const used: string[] = [];
      let clock = now + 1000;
      const keeper = new FileCertificateKeeper({
        dir,
        pair: 'kubelet-client',
        nodeName: 'n1',
        ca: ca.ca,
        nowMs: () => clock,
        use: (p) => used.push(p.cert),
      });
      expect(used).toEqual([stored]);
      expect(keeper.current()).toEqual(validityOf(stored));
      expect(keeper.current()?.notAfterUs).toBe((now + 3600_000) * 1000);
      // A certificate for a key other than the request's is not installed.
      const request = keeper.request({
        commonName: 'system:node:n1',
        organizations: ['system:nodes'],
      });
      const stray = sign(makeKeyAndRequest(NODE_USER).request, ['client auth']);
      expect(keeper.install(stray)).toEqual({
        ok: false,
        message: "the issued certificate: the key is not the certificate's",
      });
      const issued = sign(pemOf(request), ['client auth']);
      clock = now + 2000;
      const installed = keeper.install(issued);
      expect(installed).toEqual({ ok: true, validity: validityOf(issued) });
      expect(used).toEqual([stored, issued]);
      expect(readNodeCredentialPair(dir)).toContain(new X509Certificate(issued).toString().trim());
      expect(
        readdirSync(join(dir, 'pki')).filter((f) => f !== 'kubelet-client-current.pem'),
      ).toHaveLength(2);
      // Nothing pending any more: a second install of it is refused.
      expect(keeper.install(issued)).toEqual({ ok: false, message: 'no request is pending' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the serving keeper asks for the node's names, which the CA copies; a stored certificate for other names is asked for again", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-node-pki-'));
    try {
      const names = { dnsNames: ['n1'], ipAddresses: ['192.0.2.7'] };
      const options = {
        dir,
        pair: 'kubelet-server' as const,
        nodeName: 'n1',
        ca: ca.ca,
        altNames: names,
        nowMs: () => now + 1000,
        use: () => undefined,
      };
      const keeper = new FileCertificateKeeper(options);
      expect(keeper.current()).toBeUndefined();
      const request = keeper.request({
        commonName: 'system:node:n1',
        organizations: ['system:nodes'],
      });
      const content = parseCertificateRequest(request);
      expect(content.ok && [content.value.dnsNames, content.value.ipAddresses]).toEqual([
        ['n1'],
        ['192.0.2.7'],
      ]);
      const issued = sign(pemOf(request), ['digital signature', 'server auth'], names);
      const cert = new X509Certificate(issued);
      expect(cert.subjectAltName).toBe('DNS:n1, IP Address:192.0.2.7');
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
      expect(keeper.install(issued).ok).toBe(true);
      expect(carriesNames(issued, names)).toBe(true);
      expect(new FileCertificateKeeper(options).current()).toEqual(validityOf(issued));
      const moved = { ...options, altNames: { dnsNames: ['n1'], ipAddresses: ['192.0.2.8'] } };
      expect(new FileCertificateKeeper(moved).current()).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses subjectAltNames it cannot write as they are', () => {
    const made = makeKeyAndRequest(NODE_USER);
    const r = signCertificateRequest(
      ca,
      {
        request: made.request,
        usages: ['server auth'],
        durationSeconds: 3600,
        altNames: { dnsNames: ['n1,IP:10.0.0.1'], ipAddresses: [] },
      },
      now,
    );
    expect(r).toEqual({
      ok: false,
      message:
        'the subjectAltName "n1,IP:10.0.0.1" is not a DNS name or IP address the signer takes',
    });
    expect(() => makeKeyAndRequest(NODE_USER, { dnsNames: [], ipAddresses: ['10.0.0'] })).toThrow(
      'the subjectAltName "10.0.0" is not a DNS name or IP address the signer takes',
    );
  });
});

function readNodeCredentialPair(dir: string): string {
  return readFileSync(join(dir, 'pki', 'kubelet-client-current.pem'), 'utf8');
}

describe('kubeletAddress', () => {
  const node = (status: Node['status']): Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    ...(status === undefined ? {} : { status }),
  });
  it.each([
    [undefined, undefined],
    [{ addresses: [{ type: 'Hostname', address: 'n1' }] }, undefined],
    [
      {
        addresses: [
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '10.1.2.3' },
        ],
      },
      { host: '10.1.2.3', port: 10250 },
    ],
    [
      {
        addresses: [{ type: 'InternalIP', address: '10.1.2.3' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 11250 } },
      },
      { host: '10.1.2.3', port: 11250 },
    ],
  ])('%j -> %j', (status, expected) => {
    expect(kubeletAddress(node(status as Node['status']))).toEqual(expected);
  });
});

describe('ksim real control-plane / node input errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ksim-join-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ca = makeServingCertificates();
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.ca);
  const notPem = join(dir, 'junk.crt');
  writeFileSync(notPem, 'junk');

  it.each([
    [['--listen', 'somewhere'], '--listen must be an IPv4 address of this host, got somewhere'],
    [
      ['--listen', '127.0.0.1', '--port', '70000'],
      '--port must be a port number (1-65535), got 70000',
    ],
    [
      ['--listen', '127.0.0.1', '--store-members', '9'],
      '--store-members must be an integer from 1 to 7, got 9',
    ],
    [
      ['--listen', '127.0.0.1', '--pod-network-cidr', '10.0.0.0/33'],
      '--pod-network-cidr: clusterCIDR "10.0.0.0/33" is not an IPv4 CIDR',
    ],
    [
      ['--listen', '127.0.0.1', '--member', 'a'],
      '--member and --peers go together: --member names the store member this control plane runs, --peers every member',
    ],
    [
      ['--listen', '127.0.0.1', '--member', 'z', '--peers', 'a=127.0.0.1:1,b=127.0.0.1:2'],
      '--member z is not among --peers (a, b)',
    ],
    [
      ['--listen', '127.0.0.1', '--member', 'a', '--peers', 'a=127.0.0.1:1,a=127.0.0.1:2'],
      '--peers: a is named twice',
    ],
    [
      ['--listen', '127.0.0.1', '--member', 'A', '--peers', 'A=127.0.0.1:1'],
      '--peers: member names must be DNS labels: A',
    ],
    [
      [
        '--listen',
        '127.0.0.1',
        '--member',
        'a',
        '--peers',
        'a=127.0.0.1:1',
        '--store-members',
        '3',
      ],
      '--peers names the store members: it excludes --store and --store-members',
    ],
  ])('control-plane %j', async (args, message) => {
    const r = await ksim('real', 'control-plane', '--data-dir', join(dir, 'cp'), ...args);
    expect(r.code).toBe(2);
    expect(r.errors).toBe(`ksim: ${message}`);
  });

  const good = {
    server: 'https://192.0.2.1:6443',
    token: 'abcdef.0123456789abcdef',
    caFile,
    name: 'n1',
  };
  it.each([
    [{ name: 'N_1' }, /^--name "N_1" is not a valid node name: /],
    [{ token: 'abc.def' }, /^--token must be a bootstrap token \[a-z0-9\]\{6\}\.\[a-z0-9\]\{16\}$/],
    [{ server: 'http://192.0.2.1:6443' }, /^--server must be https:\/\/HOST:PORT, got /],
    [{ caFile: join(dir, 'missing.crt') }, /^--ca-file .*missing\.crt: /],
    [{ caFile: notPem }, /^--ca-file .*junk\.crt is not a PEM certificate: /],
    [
      { caCertHash: 'sha256:00' },
      new RegExp(
        `^--ca-file .*: its public key hash is ${caCertificateHash(ca.ca)}, not the expected sha256:00$`,
      ),
    ],
  ])('node %j', async (change, message) => {
    const o: Record<string, string> = { ...good, ...change };
    const args = [
      '--server',
      o.server!,
      '--token',
      o.token!,
      '--ca-file',
      o.caFile!,
      '--name',
      o.name!,
    ];
    if (o.caCertHash !== undefined) args.push('--ca-cert-hash', o.caCertHash);
    const r = await ksim('real', 'node', ...args);
    expect(r.code).toBe(2);
    expect(r.errors.replace(/^ksim: /, '')).toMatch(message);
  });
});
