/**
 * A certificate authority and a server certificate for the HTTP front, made at start with the
 * `openssl` command (no hand-written crypto). client-go sends bearer tokens only over TLS, so
 * kubectl needs HTTPS; the kubeconfig carries the CA so it verifies the server. The same CA
 * signs client certificates (upstream's --client-ca-file): the subject's CN is the user and
 * each O a group, as the x509 authenticator reads them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
