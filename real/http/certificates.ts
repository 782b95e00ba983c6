/**
 * A certificate authority and a server certificate for the HTTP front, made at start with the
 * `openssl` command (no hand-written crypto). client-go sends bearer tokens only over TLS, so
 * kubectl needs HTTPS; the kubeconfig carries the CA so it verifies the server. The same CA
 * signs client certificates (upstream's --client-ca-file): the subject's CN is the user and
 * each O a group, as the x509 authenticator reads them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

export interface ServingCertificates {
  /** PEM: the CA that signed `cert` (for the client's certificate-authority-data). */
  readonly ca: string;
  /** PEM: the server's certificate, for 127.0.0.1, ::1 and localhost. */
  readonly cert: string;
  /** PEM: the server's private key. */
  readonly key: string;
  /** PEM: the CA's private key, which signs client certificates. */
  readonly caKey: string;
}

/** A client certificate and its key (PEM). */
export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
}

/** What a client certificate names: CN the user, each O a group. */
export interface CertificateSubject {
  readonly user: string;
  readonly groups: readonly string[];
}

const VALID_DAYS = '365';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs `make` in a fresh directory that is removed afterwards. */
function inTempDir<T>(make: (at: (name: string) => string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ksim-certs-'));
  try {
    return make((name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An openssl -subj value; `/` and `\\` in a name are escaped. */
function subjectArg(s: CertificateSubject): string {
  const esc = (v: string): string => v.replace(/[\\/]/g, (c) => `\\${c}`);
  return `/CN=${esc(s.user)}${s.groups.map((g) => `/O=${esc(g)}`).join('')}`;
}

/**
 * A key and a certificate for `subj`, signed by the CA whose files are at `at('ca.crt')` and
 * `at('ca.key')`, with the x509v3 extensions `ext` (one per line).
 */
function issueCertificate(
  at: (name: string) => string,
  name: string,
  subj: string,
  ext: string,
): { readonly cert: string; readonly key: string } {
  const file = (suffix: string): string => at(`${name}.${suffix}`);
  const [key, csr, crt, extFile] = [file('key'), file('csr'), file('crt'), file('ext')] as const;
  openssl(['req', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', subj]);
  writeFileSync(extFile, ext);
  const ca = ['-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial'];
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    ...ca,
    '-out',
    crt,
    '-days',
    VALID_DAYS,
    '-extfile',
    extFile,
  ]);
  return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** A client certificate for `subject`, signed by `ca` (for TLS client authentication). */
export function signClientCertificate(
  ca: Pick<ServingCertificates, 'ca' | 'caKey'>,
  subject: CertificateSubject,
): ClientCertificate {
  return inTempDir((at) => {
    writeFileSync(at('ca.crt'), ca.ca);
    writeFileSync(at('ca.key'), ca.caKey, { mode: 0o600 });
    const ext = 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n';
    return issueCertificate(at, 'client', subjectArg(subject), ext);
  });
}

/**
 * The CA and the API server's certificate, valid for loopback and for `addresses` (the IPs a
 * control plane listens on for nodes of other hosts). With `existing`, that CA signs it (a
 * control plane joining others that share their CA, as kubeadm's copied pki/ca.* files).
 */
export function makeServingCertificates(
  addresses: readonly string[] = [],
  existing?: Pick<ServingCertificates, 'ca' | 'caKey'>,
): ServingCertificates {
  const extra = addresses
    .filter((a) => a !== '127.0.0.1' && a !== '::1')
    .map((a) => `,IP:${a}`)
    .join('');
  return inTempDir((at) => {
    if (existing !== undefined) {
      writeFileSync(at('ca.crt'), existing.ca);
      writeFileSync(at('ca.key'), existing.caKey, { mode: 0o600 });
    } else
      openssl([
        'req',
        '-x509',
        ...EC_KEY,
        '-keyout',
        at('ca.key'),
        '-out',
        at('ca.crt'),
        '-days',
        VALID_DAYS,
        '-subj',
        '/CN=ksim-ca',
      ]);
    const server = issueCertificate(
      at,
      'server',
      '/CN=kube-apiserver',
      `subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost${extra}\nextendedKeyUsage=serverAuth\n`,
    );
    return {
      ca: readFileSync(at('ca.crt'), 'utf8'),
      cert: server.cert,
      key: server.key,
      caKey: readFileSync(at('ca.key'), 'utf8'),
    };
  });
}

/** The subjectAltNames a certificate or request carries (a serving certificate's names). */
export interface SubjectAltNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

/** A DNS name openssl's configuration takes as it is (no separator, quote or escape). */
const SAFE_DNS_NAME = /^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252})$/;

/**
 * `subjectAltName=...` for openssl, or why the names cannot be written: a name holding a comma
 * or newline would add names of its own to the configuration line, so only plain DNS names and
 * IP addresses are taken.
 */
function subjectAltNameLine(names: SubjectAltNames): string | { readonly problem: string } {
  const bad =
    names.dnsNames.find((n) => !SAFE_DNS_NAME.test(n)) ??
    names.ipAddresses.find((ip) => isIP(ip) === 0);
  if (bad !== undefined)
    return {
      problem: `the subjectAltName ${JSON.stringify(bad)} is not a DNS name or IP address the signer takes`,
    };
  const all = [
    ...names.dnsNames.map((n) => `DNS:${n}`),
    ...names.ipAddresses.map((ip) => `IP:${ip}`),
  ];
  return all.length === 0 ? '' : `subjectAltName=${all.join(',')}`;
}

/**
 * A private key (P-256) and a PKCS#10 request for `subject` signed with it, both PEM; with
 * `altNames`, the request asks for them (a kubelet serving request names its addresses).
 */
export function makeKeyAndRequest(
  subject: CertificateSubject,
  altNames?: SubjectAltNames,
): {
  readonly key: string;
  readonly request: string;
} {
  const san = altNames === undefined ? '' : subjectAltNameLine(altNames);
  if (typeof san !== 'string') throw new Error(san.problem);
  return inTempDir((at) => {
    openssl(
      ['req', '-new', ...EC_KEY, '-keyout', at('key'), '-out', at('csr')].concat(
        ['-subj', subjectArg(subject)],
        san === '' ? [] : ['-addext', san],
      ),
    );
    return { key: readFileSync(at('key'), 'utf8'), request: readFileSync(at('csr'), 'utf8') };
  });
}

/** certificates.k8s.io key usages as x509v3 keyUsage and extendedKeyUsage names. */
const KEY_USAGE: Readonly<Record<string, string>> = {
  'digital signature': 'digitalSignature',
  'content commitment': 'nonRepudiation',
  'key encipherment': 'keyEncipherment',
  'key agreement': 'keyAgreement',
  'data encipherment': 'dataEncipherment',
  'cert sign': 'keyCertSign',
  'crl sign': 'cRLSign',
  'encipher only': 'encipherOnly',
  'decipher only': 'decipherOnly',
};
const EXTENDED_KEY_USAGE: Readonly<Record<string, string>> = {
  'server auth': 'serverAuth',
  'client auth': 'clientAuth',
  'code signing': 'codeSigning',
  'email protection': 'emailProtection',
  timestamping: 'timeStamping',
  'ocsp signing': 'OCSPSigning',
};

/**
 * What the CA is asked to sign: a PKCS#10 request (PEM), its usages, how long it holds, and
 * the request's subjectAltNames, which the certificate carries (upstream's signer copies them).
 */
export interface CertificateRequestToSign {
  readonly request: string;
  readonly usages: readonly string[];
  readonly durationSeconds: number;
  readonly altNames?: SubjectAltNames;
}

/** upstream's signer backdates NotBefore by this much, for clocks a little behind. */
const BACKDATE_SECONDS = 5 * 60;

/** openssl's ASN.1 time, YYYYMMDDHHMMSSZ (GeneralizedTime). */
function asn1Time(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * The X.509 certificate (PEM) the CA `ca` issues for `req`, as upstream's local signer
 * (pkg/controller/certificates/authority): the request's subject and public key, its usages as
 * keyUsage/extendedKeyUsage, its subjectAltNames, not a CA, valid from five minutes ago for
 * `durationSeconds` (never beyond the CA's own expiry), a random serial; or why it is refused (a
 * request whose self-signature does not verify, a usage no certificate can carry, a
 * subjectAltName that is not a plain DNS name or IP address).
 */
export function signCertificateRequest(
  ca: Pick<ServingCertificates, 'ca' | 'caKey'>,
  req: CertificateRequestToSign,
  nowMs: number = Date.now(),
):
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string } {
  const keyUsage = req.usages.filter((u) => KEY_USAGE[u] !== undefined).map((u) => KEY_USAGE[u]);
  const extended = req.usages
    .filter((u) => EXTENDED_KEY_USAGE[u] !== undefined)
    .map((u) => EXTENDED_KEY_USAGE[u]);
  const unknown = req.usages.filter(
    (u) => KEY_USAGE[u] === undefined && EXTENDED_KEY_USAGE[u] === undefined,
  );
  if (unknown.length > 0)
    return { ok: false, message: `the signer cannot issue usages ${unknown.join(', ')}` };
  const san = req.altNames === undefined ? '' : subjectAltNameLine(req.altNames);
  if (typeof san !== 'string') return { ok: false, message: san.problem };
  const caNotAfter = new X509Certificate(ca.ca).validTo;
  const notAfterMs = Math.min(nowMs + req.durationSeconds * 1000, Date.parse(caNotAfter));
  return inTempDir((at) => {
    writeFileSync(at('ca.crt'), ca.ca);
    writeFileSync(at('ca.key'), ca.caKey, { mode: 0o600 });
    writeFileSync(at('req.csr'), req.request);
    writeFileSync(at('index.txt'), '');
    writeFileSync(at('serial'), '01\n');
    writeFileSync(
      at('ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        ...(keyUsage.length > 0 ? [`keyUsage=critical,${keyUsage.join(',')}`] : []),
        ...(extended.length > 0 ? [`extendedKeyUsage=${extended.join(',')}`] : []),
        ...(san === '' ? [] : [san]),
        'authorityKeyIdentifier=keyid',
        '',
      ].join('\n'),
    );
    // `openssl ca`, not `x509 -req`: only it takes a start and end time to the second.
    writeFileSync(
      at('ca.cnf'),
      [
        '[ca]',
        'default_ca = signer',
        '[signer]',
        `database = ${at('index.txt')}`,
        `serial = ${at('serial')}`,
        `new_certs_dir = ${at('')}`,
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'email_in_dn = no',
        '[any]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    // `openssl ca` skips a request whose signature fails and still exits 0, and OpenSSL 3.0's
    // `req -verify` exits 0 either way: its message says which.
    const verified = spawnSync('openssl', ['req', '-verify', '-noout', '-in', at('req.csr')], {
      encoding: 'utf8',
    });
    const said = `${verified.stdout}${verified.stderr}`;
    if (verified.status !== 0 || !/self-signature verify OK/.test(said))
      return {
        ok: false,
        message: `the request's self-signature does not verify: ${lastLine(said)}`,
      };
    try {
      execFileSync(
        'openssl',
        [
          'ca',
          '-batch',
          '-notext',
          '-config',
          at('ca.cnf'),
          '-cert',
          at('ca.crt'),
          '-keyfile',
          at('ca.key'),
          '-in',
          at('req.csr'),
          '-out',
          at('out.crt'),
          '-extfile',
          at('ext'),
          '-preserveDN',
          '-rand_serial',
          '-startdate',
          asn1Time(nowMs - BACKDATE_SECONDS * 1000),
          '-enddate',
          asn1Time(notAfterMs),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
      return { ok: false, message: `the CA refused the request: ${lastLine(stderr)}` };
    }
    if (!existsSync(at('out.crt')))
      return { ok: false, message: 'the CA refused the request: openssl ca issued nothing' };
    return { ok: true, value: new X509Certificate(readFileSync(at('out.crt'))).toString() };
  });
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.find((l) => /signature|error/i.test(l)) ?? lines.at(-1) ?? 'openssl failed';
}
