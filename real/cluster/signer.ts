/**
 * A real cluster's signing key, asymmetric as upstream's service-account key: an ECDSA P-256
 * private key (ES256, RFC 7518 §3.4) written once to the cluster's directory as PKCS#8 PEM with
 * mode 0600 and read by every process, so tokens one process issues the others accept.
 * Verification uses the public half only: a process given just the public key (readVerifier)
 * checks tokens it cannot mint, and the API server publishes that half on /openid/v1/jwks
 * (core/apiserver/authn/issuer-discovery.ts). The simulator keeps its fixed HMAC key
 * (sim/signer.ts), which makes a seed's tokens the same in every run.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { TokenSigner } from '../../core/apiserver/authn/signer.ts';

export const SIGNING_ALGORITHM = 'ES256';
/** An ES256 signature: r and s, 32 bytes each (JWS's IEEE P1363 form, not DER). */
const SIGNATURE_BYTES = 64;

/**
 * Makes the cluster's private key (P-256, PKCS#8 PEM) at `path`, readable by its owner only,
 * and its public half beside it (publicKeyPath), for processes that only verify.
 */
export function writeSigningKey(path: string): void {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKeyPath(path), publicKey.export({ type: 'spki', format: 'pem' }));
}

/** Where writeSigningKey puts the public half of the key at `path` (SPKI PEM). */
export function publicKeyPath(path: string): string {
  return `${path}.pub`;
}

/** The signer of the private key at `path`: signs, and verifies with the public half only. */
export function readSigner(path: string, keyId: string): TokenSigner {
  const key = readPrivateKey(path);
  return {
    ...verifierOf(createPublicKey(key), keyId),
    sign: (input) =>
      sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
  };
}

/**
 * A verifier holding only the public key at `path` (SPKI PEM): it checks tokens and publishes
 * the key, and refuses to sign.
 */
export function readVerifier(path: string, keyId: string): TokenSigner {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path} is not a PEM public key: ${(e as Error).message}`);
  }
  return verifierOf(key, keyId);
}

function verifierOf(publicKey: KeyObject, keyId: string): TokenSigner {
  if (
    publicKey.asymmetricKeyType !== 'ec' ||
    publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new Error(`the signing key must be an ECDSA P-256 key (${SIGNING_ALGORITHM})`);
  }
  return {
    algorithm: SIGNING_ALGORITHM,
    keyId,
    sign: () => {
      throw new Error(`key ${keyId} is a public key: it verifies tokens but cannot sign them`);
    },
    verify: (input, signature) => {
      const bytes = Buffer.from(signature, 'base64url');
      // base64url decoding skips what is not base64url: such a signature is not this key's.
      if (bytes.length !== SIGNATURE_BYTES || bytes.toString('base64url') !== signature) {
        return false;
      }
      return verify(
        'sha256',
        Buffer.from(input),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        bytes,
      );
    },
    publicJwk: publicJwk(publicKey, keyId),
  };
}

/** A P-256 public key as the JWK /openid/v1/jwks publishes (go-jose's field order, as upstream). */
export function publicJwk(publicKey: KeyObject, keyId: string): Readonly<Record<string, string>> {
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    use: 'sig',
    kty: 'EC',
    kid: keyId,
    crv: 'P-256',
    alg: SIGNING_ALGORITHM,
    x: String(jwk.x),
    y: String(jwk.y),
  };
}

function readPrivateKey(path: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the signing key ${path}: ${(e as Error).message}`);
  }
  try {
    return createPrivateKey(text);
  } catch {
    throw new Error(
      `${path} is not a PEM private key (a cluster made by an older ksim has an HMAC key there: ` +
        'make it again with ksim real down and up)',
    );
  }
}
