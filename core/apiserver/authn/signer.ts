/**
 * The cluster's signing key, as functions: core may not reach for node:crypto, so the host
 * builds the signer (the simulator derives its key from the run's seed, so tokens are the same
 * in every run of a seed; a real host generates a key) and hands it to the API server and the
 * cluster assembly. One key signs the components' client credentials and the ServiceAccount
 * tokens the API server mints.
 */
export interface TokenSigner {
  /** The JWS "alg" header value ("HS256", "RS256"). */
  readonly algorithm: string;
  /** The JWS "kid" header value: names the key, so a verifier can tell tokens of other keys. */
  readonly keyId: string;
  /** The base64url signature of `signingInput` (a JWS's `header.payload`). */
  sign(signingInput: string): string;
  /** Whether `signature` is this key's signature of `signingInput`. */
  verify(signingInput: string, signature: string): boolean;
  /**
   * The public half as a JSON Web Key (RFC 7517: use, kty, kid, crv/alg and the key's
   * parameters), for an asymmetric key only: the API server publishes it on /openid/v1/jwks so
   * that others verify its ServiceAccount tokens. A shared secret (HS256) has none.
   */
  readonly publicJwk?: Readonly<Record<string, string>>;
}
