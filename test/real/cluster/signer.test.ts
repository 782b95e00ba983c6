/**
 * The real cluster's asymmetric key (real/cluster/signer.ts): a token one process signs with the
 * private key verifies in another process that holds only the public key (a child node process,
 * run after the private key file is gone); a token with another signature, another algorithm
 * or `alg: none` is refused; the key file is its owner's only; the published JWK is the public
 * key, and a verifier rebuilt from it accepts the token too.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, createHmac, verify } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  issuerDiscoveryResponse,
  JWKS_PATH,
  OPENID_CONFIG_PATH,
} from '../../../core/apiserver/authn/issuer-discovery.ts';
import { base64UrlEncode, signJwt, verifyJwt } from '../../../core/apiserver/authn/jwt.ts';
import {
  publicKeyPath,
  readSigner,
  readVerifier,
  writeSigningKey,
} from '../../../real/cluster/signer.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';

const dir = mkdtempSync(join(tmpdir(), 'ksim-signer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLAIMS = {
  iss: 'https://kubernetes.default.svc.cluster.local',
  sub: 'system:serviceaccount:default:app',
};

/** Verifies `token` in a new node process that reads only the public key at `pub`. */
async function verifyElsewhere(pub: string, token: string): Promise<unknown> {
  const script = `
    const { readVerifier } = await import(${JSON.stringify(new URL('../../../real/cluster/signer.ts', import.meta.url).pathname)});
    const { verifyJwt } = await import(${JSON.stringify(new URL('../../../core/apiserver/authn/jwt.ts', import.meta.url).pathname)});
    const verifier = readVerifier(process.argv[1], 'ksim-test');
    let signs = true;
    try { verifier.sign('x'); } catch { signs = false; }
    console.log(JSON.stringify({ result: verifyJwt(verifier, process.argv[2]), signs }));
  `;
  const register = new URL('../../../sim/cli/register.mjs', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    register,
    '--input-type=module',
    '-e',
    script,
    pub,
    token,
  ]);
  return JSON.parse(stdout);
}

describe('the real cluster signing key', () => {
  const key = join(dir, 'signing.key');
  writeSigningKey(key);
  const signer = readSigner(key, 'ksim-test');

  it('is ES256, its private file mode 0600', () => {
    expect(signer.algorithm).toBe('ES256');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const token = signJwt(signer, CLAIMS);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', kid: 'ksim-test' });
    expect(verifyJwt(signer, token)).toEqual({ ok: true, claims: CLAIMS });
  });

  it('verifies in another process that holds only the public key', async () => {
    const token = signJwt(signer, CLAIMS);
    // Another directory with the public key alone: the other process never sees the private one.
    const elsewhere = mkdtempSync(join(dir, 'verifier-'));
    const pub = join(elsewhere, 'signing.key.pub');
    copyFileSync(publicKeyPath(key), pub);
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${signJwt(readSigner(other(), 'ksim-test'), CLAIMS).split('.')[2]}`;
    expect(await verifyElsewhere(pub, token)).toEqual({
      result: { ok: true, claims: CLAIMS },
      signs: false,
    });
    expect(await verifyElsewhere(pub, forged)).toEqual({
      result: { ok: false, reason: 'invalid signature' },
      signs: false,
    });
  }, 60_000);

  it('refuses another signature, another algorithm and alg none', () => {
    const verifier = readVerifier(publicKeyPath(key), 'ksim-test');
    const token = signJwt(signer, CLAIMS);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // Another key's signature of the same input.
    const otherSig = readSigner(other(), 'ksim-test').sign(`${header}.${payload}`);
    expect(verifyJwt(verifier, `${header}.${payload}.${otherSig}`)).toEqual({
      ok: false,
      reason: 'invalid signature',
    });
    // One bit flipped, a truncated signature, a DER-encoded one: not this key's.
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    expect(verifier.verify(`${header}.${payload}`, bytes.toString('base64url'))).toBe(false);
    expect(verifier.verify(`${header}.${payload}`, signature.slice(0, -4))).toBe(false);
    expect(verifier.verify(`${header}.${payload}`, `${signature}!`)).toBe(false);
    // HS256 with the public key as the secret (the algorithm-confusion attack), and alg none.
    for (const alg of ['HS256', 'none']) {
      const h = base64UrlEncode(JSON.stringify({ alg, kid: 'ksim-test' }));
      const sig =
        alg === 'none'
          ? ''
          : createHmac('sha256', readPublic()).update(`${h}.${payload}`).digest('base64url');
      expect(verifyJwt(verifier, `${h}.${payload}.${sig}`)).toEqual({
        ok: false,
        reason: 'signed with another key',
      });
    }
    // The simulator's HS256 key is another key too.
    expect(verifyJwt(verifier, signJwt(SIM_SIGNER, CLAIMS)).ok).toBe(false);
  });

  it('publishes the public key as a JWK that verifies its tokens', () => {
    const issuer = 'https://kubernetes.default.svc.cluster.local';
    const jwks = issuerDiscoveryResponse(JWKS_PATH, signer, issuer, `${issuer}${JWKS_PATH}`);
    expect(jwks?.headers?.['Content-Type']).toBe('application/jwk-set+json');
    const { keys } = jwks?.body as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!)).toEqual(['use', 'kty', 'kid', 'crv', 'alg', 'x', 'y']);
    const token = signJwt(signer, CLAIMS);
    const [h, p, s] = token.split('.') as [string, string, string];
    const fromJwk = createPublicKey({ key: keys[0]!, format: 'jwk' });
    expect(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: fromJwk, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'),
      ),
    ).toBe(true);
    const config = issuerDiscoveryResponse(
      OPENID_CONFIG_PATH,
      signer,
      issuer,
      `${issuer}${JWKS_PATH}`,
    );
    expect(config?.body).toEqual({
      issuer,
      jwks_uri: `${issuer}/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    // A shared secret has no public half: nothing is published.
    expect(issuerDiscoveryResponse(JWKS_PATH, SIM_SIGNER, issuer, '')).toBeUndefined();
  });

  it('says what is wrong with a key file that is not one', () => {
    const bad = join(dir, 'hmac.key');
    writeFileSync(bad, 'ab'.repeat(32));
    expect(() => readSigner(bad, 'k')).toThrow(/is not a PEM private key/);
    expect(() => readVerifier(bad, 'k')).toThrow(/is not a PEM public key/);
  });

  const readPublic = (): string => readFileSync(publicKeyPath(key), 'utf8');
});

let otherKey: string | undefined;
function other(): string {
  if (otherKey === undefined) {
    otherKey = join(dir, 'other.key');
    writeSigningKey(otherKey);
  }
  return otherKey;
}
