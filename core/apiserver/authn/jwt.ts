/**
 * JSON Web Tokens in JWS compact form (header.payload.signature, base64url), signed and verified
 * through the host's TokenSigner. Only what the API server's tokens need: no encryption, one
 * key at a time.
 */
import { assert } from '../../util/assert.ts';
import { deepFreeze } from '../../util/freeze.ts';
import type { TokenSigner } from './signer.ts';

export type JwtClaims = Readonly<Record<string, unknown>>;

export type JwtResult =
  | { readonly ok: true; readonly claims: JwtClaims }
  | { readonly ok: false; readonly reason: string };

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function base64UrlEncode(text: string): string {
  let binary = '';
  for (const byte of utf8.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The text a base64url string encodes, or undefined when it is not base64url of UTF-8. */
export function base64UrlDecode(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return undefined;
  const padded = encoded.replace(/-/g, '+').replace(/_/g, '/');
  try {
    const binary = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
    return fromUtf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

export function signJwt(signer: TokenSigner, claims: JwtClaims): string {
  const header = base64UrlEncode(JSON.stringify({ alg: signer.algorithm, kid: signer.keyId }));
  const payload = base64UrlEncode(JSON.stringify(claims));
  const input = `${header}.${payload}`;
  return `${input}.${signer.sign(input)}`;
}

/** Three dot-separated parts: what a token authenticator needs to consider a token a JWT. */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/** The claims of a token this signer signed, or why it is not one. */
export function verifyJwt(signer: TokenSigner, token: string): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a compact JWS' };
  const [header, payload, signature] = parts as [string, string, string];
  const headerJson = parseObject(base64UrlDecode(header));
  if (headerJson === undefined) return { ok: false, reason: 'malformed header' };
  if (headerJson.alg !== signer.algorithm || headerJson.kid !== signer.keyId) {
    return { ok: false, reason: 'signed with another key' };
  }
  if (!signer.verify(`${header}.${payload}`, signature)) {
    return { ok: false, reason: 'invalid signature' };
  }
  const claims = parseObject(base64UrlDecode(payload));
  return claims === undefined ? { ok: false, reason: 'malformed claims' } : { ok: true, claims };
}

/**
 * Verifies tokens of one key and remembers the claims of those it verified, so a client that
 * sends the same credential every 10 s (a kubelet's lease renewals) has its signature checked
 * and its claims decoded once, not per request: upstream checks a client certificate at each
 * TLS handshake of a long-lived connection, which the simulator does not model. Whether a token
 * carries this key's signature depends only on the token and the key, so nothing remembered
 * here goes stale; what depends on time (expiry, bound objects) the authenticators check on
 * every use. Failures are not remembered (a stranger's tokens must not evict the cluster's).
 * The memory is bounded: past `maxEntries` the least recently used token is forgotten.
 */
export class JwtVerifier {
  private readonly verified = new Map<string, JwtClaims>();

  constructor(
    readonly signer: TokenSigner,
    readonly maxEntries: number = VERIFIED_TOKENS_MAX,
  ) {
    assert(maxEntries > 0, `JwtVerifier needs room for a token, got maxEntries ${maxEntries}`);
  }

  verify(token: string): JwtResult {
    const claims = this.verified.get(token);
    if (claims !== undefined) {
      this.verified.delete(token);
      this.verified.set(token, claims);
      return { ok: true, claims };
    }
    const r = verifyJwt(this.signer, token);
    if (!r.ok) return r;
    if (this.verified.size >= this.maxEntries) {
      this.verified.delete(this.verified.keys().next().value as string);
    }
    const frozen = deepFreeze(r.claims);
    this.verified.set(token, frozen);
    return { ok: true, claims: frozen };
  }

  /** How many verified tokens are remembered now. */
  get size(): number {
    return this.verified.size;
  }
}

/** upstream's token cache holds 32 stripes of 128 entries. */
export const VERIFIED_TOKENS_MAX = 4096;

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
