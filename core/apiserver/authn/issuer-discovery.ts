/**
 * ServiceAccount issuer discovery (upstream pkg/serviceaccount/openidmetadata.go and
 * pkg/routes/openidmetadata.go): an API server whose key is asymmetric publishes an OpenID
 * provider configuration at /.well-known/openid-configuration and the public key as a JSON Web
 * Key Set at /openid/v1/jwks, so that anyone can verify its ServiceAccount tokens without the
 * private key. A shared-secret key (HS256, the simulator's) has nothing to publish: the paths
 * are then not found, as they are upstream without discovery.
 */
import type { ApiResponse } from '../../api/http.ts';
import type { TokenSigner } from './signer.ts';

export const OPENID_CONFIG_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

/** The max-age upstream's public key getter reports for both documents (one hour). */
const MAX_AGE_SECONDS = 3600;

/**
 * The discovery document at `path`, or undefined when `path` is not one or the key has no
 * public half. `jwksUri` is where relying parties fetch the keys (--service-account-jwks-uri).
 */
export function issuerDiscoveryResponse(
  path: string,
  signer: TokenSigner | undefined,
  issuer: string,
  jwksUri: string,
): ApiResponse | undefined {
  const jwk = signer?.publicJwk;
  if (jwk === undefined || !isIssuerDiscoveryPath(path)) return undefined;
  const cache = { 'Cache-Control': `public, max-age=${MAX_AGE_SECONDS}` };
  if (path === JWKS_PATH) {
    return {
      status: 200,
      body: { keys: [jwk] },
      headers: { 'Content-Type': 'application/jwk-set+json', ...cache },
    };
  }
  return {
    status: 200,
    body: {
      issuer,
      jwks_uri: jwksUri,
      // Kubernetes only produces ID tokens, for public subjects.
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [jwk.alg ?? signer?.algorithm],
    },
    headers: { 'Content-Type': 'application/json', ...cache },
  };
}

/** Whether `path` is one of the two discovery documents' (whatever the key). */
export function isIssuerDiscoveryPath(path: string): boolean {
  return path === OPENID_CONFIG_PATH || path === JWKS_PATH;
}

/** The keys' default address: the issuer's host, which reaches the API server in the cluster. */
export function defaultJwksUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${JWKS_PATH}`;
}
