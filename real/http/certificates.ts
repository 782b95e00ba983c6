/**
 * A certificate authority and a server certificate for the HTTP front, made at start with the
 * `openssl` command (no hand-written crypto). client-go sends bearer tokens only over TLS, so
 * kubectl needs HTTPS; the kubeconfig carries the CA so it verifies the server.
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
}

const VALID_DAYS = '365';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeServingCertificates(): ServingCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'ksim-certs-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (args: readonly string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
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
    openssl([
      'req',
      ...EC_KEY,
      '-keyout',
      at('server.key'),
      '-out',
      at('server.csr'),
      '-subj',
      '/CN=kube-apiserver',
    ]);
    writeFileSync(
      at('server.ext'),
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    openssl([
      'x509',
      '-req',
      '-in',
      at('server.csr'),
      '-CA',
      at('ca.crt'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at('server.crt'),
      '-days',
      VALID_DAYS,
      '-extfile',
      at('server.ext'),
    ]);
    return {
      ca: readFileSync(at('ca.crt'), 'utf8'),
      cert: readFileSync(at('server.crt'), 'utf8'),
      key: readFileSync(at('server.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
