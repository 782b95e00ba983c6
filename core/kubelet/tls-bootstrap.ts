/**
 * The kubelet's TLS bootstrap (pkg/kubelet/certificate/bootstrap, client-go's
 * util/certificate/csr): with only a bootstrap token, a joining node asks for its own client
 * credential — a CertificateSigningRequest for CN system:node:<name>, O system:nodes, signer
 * kubernetes.io/kube-apiserver-client-kubelet, usages digital signature and client auth — and
 * waits until the request carries a certificate (approved and signed by the controller
 * manager) or is denied or failed. The certificate then registers the Node like any kubelet's.
 * The request comes from the host (`TlsBootstrapOptions.request`): a real node makes a key pair
 * and a PKCS#10 request for it; the simulator, which has no key pairs, files ksim's stand-in.
 */
import {
  csrCondition,
  encodeCertificateRequest,
  KUBELET_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  parseCertificate,
  type CertificateSubject,
  type CertificateSigningRequest,
} from '../api/kinds/certificate-signing-request.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { ProcessPorts } from '../ports/process.ts';

export interface TlsBootstrapOptions {
  /** How often the request is read back (upstream watches it). */
  readonly pollUs: number;
  /** How long to wait for a certificate (upstream: an hour). */
  readonly timeoutUs: number;
  /**
   * spec.request for the subject: a base64 PEM CERTIFICATE REQUEST block (default: the
   * simulator's stand-in, which holds no key).
   */
  readonly request?: (subject: CertificateSubject) => string;
  /** spec.expirationSeconds (upstream's kubelet leaves it out: the signer's duration). */
  readonly expirationSeconds?: number;
}

export const DEFAULT_TLS_BOOTSTRAP: TlsBootstrapOptions = {
  pollUs: 1_000_000,
  timeoutUs: 3_600_000_000,
};

export type TlsBootstrapResult =
  /** `certificate`: the PEM text of the issued certificate; `csr`: the request's name. */
  | { readonly ok: true; readonly certificate: string; readonly csr: string }
  | { readonly ok: false; readonly message: string };

/** Asks for node `nodeName`'s credential through `bootstrap` (the bootstrap token's client). */
export function requestNodeCredential(
  ports: ProcessPorts,
  bootstrap: ApiClient,
  nodeName: string,
  options: TlsBootstrapOptions = DEFAULT_TLS_BOOTSTRAP,
): Promise<TlsBootstrapResult> {
  return requestCertificate(ports, bootstrap, kubeletClientRequest(nodeName), options);
}

/** What a kubelet asks a certificate for: the signer, the subject and the usages. */
export interface KubeletCertificateRequest {
  readonly signerName: string;
  readonly subject: CertificateSubject;
  readonly usages: readonly string[];
}

/** The kubelet's client certificate (bootstrap and rotation): digital signature, client auth. */
export function kubeletClientRequest(nodeName: string): KubeletCertificateRequest {
  return {
    signerName: KUBELET_CLIENT_SIGNER,
    subject: { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] },
    usages: ['digital signature', 'client auth'],
  };
}

/**
 * The kubelet's serving certificate (serverTLSBootstrap, pkg/kubelet/certificate/kubelet.go
 * NewKubeletServerCertificateManager): CN system:node:<name>, O system:nodes, usages digital
 * signature and server auth (an EC key needs no key encipherment); the names it is asked for
 * are the host's request's subjectAltNames.
 */
export function kubeletServingRequest(nodeName: string): KubeletCertificateRequest {
  return {
    signerName: KUBELET_SERVING_SIGNER,
    subject: { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] },
    usages: ['digital signature', 'server auth'],
  };
}

/**
 * Files a CertificateSigningRequest for `what` through `client` (client-go's
 * util/certificate/csr RequestCertificate) and waits for its certificate (WaitForCertificate).
 */
export async function requestCertificate(
  ports: ProcessPorts,
  client: ApiClient,
  what: KubeletCertificateRequest,
  options: TlsBootstrapOptions,
): Promise<TlsBootstrapResult> {
  const created = await client.create<CertificateSigningRequest>({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'csr-' },
    spec: {
      request: (options.request ?? encodeCertificateRequest)(what.subject),
      signerName: what.signerName,
      usages: [...what.usages],
      ...(options.expirationSeconds === undefined
        ? {}
        : { expirationSeconds: options.expirationSeconds }),
    },
  });
  if (!created.ok)
    return {
      ok: false,
      message: `cannot create certificate signing request: ${created.status} ${created.error.message ?? ''}`,
    };
  const name = created.value.metadata.name ?? '';
  const deadline = ports.clock.monotonicNow() + options.timeoutUs;
  for (;;) {
    const r = await client.get('CertificateSigningRequest', undefined, name);
    if (r.ok) {
      const outcome = outcomeOf(r.value);
      if (outcome !== undefined) return outcome.ok ? { ...outcome, csr: name } : outcome;
    }
    if (ports.clock.monotonicNow() >= deadline)
      return { ok: false, message: `timed out waiting for certificate signing request ${name}` };
    await ports.clock.sleep(options.pollUs);
  }
}

/** WaitForCertificate's checks: the certificate, or why there will be none. */
function outcomeOf(
  csr: CertificateSigningRequest,
): { ok: true; certificate: string } | { ok: false; message: string } | undefined {
  for (const type of ['Denied', 'Failed']) {
    const c = csrCondition(csr, type);
    if (c !== undefined)
      return {
        ok: false,
        message: `certificate signing request is ${type.toLowerCase()}, reason: ${c.reason ?? ''}, message: ${c.message ?? ''}`,
      };
  }
  const certificate = csr.status?.certificate ?? '';
  if (certificate === '') return undefined;
  const parsed = parseCertificate(certificate);
  return parsed.ok
    ? { ok: true, certificate: parsed.value }
    : { ok: false, message: `the issued certificate is unreadable: ${parsed.message}` };
}
