/**
 * The cluster CA's key as the cluster's token signer, for a control plane that nodes on other
 * hosts join (`ksim real control-plane`). Client credentials (components', the admin's, the
 * ones the CSR signer issues to joining kubelets) and ServiceAccount tokens are ES256 JWTs
 * signed with the CA's private EC key, which never leaves the control plane's directory. A node
 * holds only the CA certificate (`--ca-file`, upstream's --client-ca-file): its public key
 * verifies the credentials the API server presents to the kubelet, and signs nothing.
 *
 * The key id is the CA's public-key hash as kubeadm prints it (--discovery-token-ca-cert-hash):
 * `sha256:` and the hex SHA-256 of the DER SubjectPublicKeyInfo.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenSigner } from '../../core/apiserver/authn/signer.ts';
import { clusterPaths, type RealClusterConfig } from './cluster-config.ts';
import { publicJwk, readSigner } from './signer.ts';
import type { CertificateSigner } from '../../core/controllers/certificates/csr-signing-controller.ts';
import { signCertificateRequest } from '../http/certificates.ts';

/** ECDSA over P-256 with SHA-256, signatures as r||s (JWS, RFC 7518 section 3.4). */
const ALGORITHM = 'ES256';

/** kubeadm's CA certificate hash: `sha256:<hex of the SPKI's SHA-256>`. */
export function publicKeyHash(key: KeyObject): string {
  const spki = key.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The hash of the CA certificate `caPem`'s public key. */
export function caCertificateHash(caPem: string): string {
  return publicKeyHash(new X509Certificate(caPem).publicKey);
}

function verifier(publicKey: KeyObject) {
  return (input: string, signature: string): boolean => {
    const bytes = Buffer.from(signature, 'base64url');
    // P-256 r||s is 64 bytes; anything else is not this key's signature.
    if (bytes.length !== 64) return false;
    return verify(
      'sha256',
      Buffer.from(input),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      bytes,
    );
  };
}

/** Signs and verifies with the CA's private key (PEM); only the control plane holds it. */
export function caSigner(caKeyPem: string): TokenSigner {
  const privateKey = createPrivateKey(caKeyPem);
  if (privateKey.asymmetricKeyType !== 'ec')
    throw new Error(`the CA key is ${privateKey.asymmetricKeyType}, expected an EC (P-256) key`);
  const publicKey = createPublicKey(privateKey);
  const keyId = publicKeyHash(publicKey);
  return {
    algorithm: ALGORITHM,
    keyId,
    sign: (input) =>
      sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString(
        'base64url',
      ),
    verify: verifier(publicKey),
    // The API server publishes it on /openid/v1/jwks, as upstream its service-account key.
    publicJwk: publicJwk(publicKey, keyId),
  };
}

/**
 * Verifies with the CA certificate's public key (a node's view of the cluster's key); `sign`
 * throws, since a node must not mint credentials.
 */
export function caVerifier(caPem: string): TokenSigner {
  const publicKey = new X509Certificate(caPem).publicKey;
  return {
    algorithm: ALGORITHM,
    keyId: publicKeyHash(publicKey),
    sign: () => {
      throw new Error('a node holds only the CA certificate and signs no credential');
    },
    verify: verifier(publicKey),
  };
}

/**
 * The signer of the cluster in `dir`: the CA's key for a control plane nodes join, else the
 * shared HMAC key `ksim real up` writes for its processes on this host.
 */
export function clusterSigner(dir: string, config: RealClusterConfig): TokenSigner {
  const paths = clusterPaths(dir);
  return config.controlPlane !== undefined
    ? caSigner(readFileSync(paths.caKey, 'utf8'))
    : readSigner(paths.signingKey, `ksim-${config.tag}`);
}

/**
 * The controller manager's CSR signer of a control plane (--cluster-signing-cert-file and
 * --cluster-signing-key-file: kubeadm points both at the cluster CA): X.509 certificates the CA
 * signs for the PKCS#10 requests core validated, kubelet client and serving alike, with the
 * request's DNS and IP subjectAltNames (a client request has none: core refuses it otherwise).
 */
export function caCertificateSigner(caPem: string, caKeyPem: string): CertificateSigner {
  return (req) =>
    signCertificateRequest(
      { ca: caPem, caKey: caKeyPem },
      {
        request: req.request,
        usages: req.usages,
        durationSeconds: req.durationSeconds,
        altNames: { dnsNames: req.content.dnsNames, ipAddresses: req.content.ipAddresses },
      },
    );
}
