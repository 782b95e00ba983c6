/**
 * Client credentials the cluster signs for its components: the simulator's stand-in for the
 * x509 client certificates kubeadm issues (kube-apiserver --client-ca-file). A credential names
 * its subject (the certificate's CN: the user) and organizations (O: the groups), and is valid
 * because the cluster's key signed it, so the API server needs no list of them: a kubelet that
 * joins later authenticates as system:node:<name> without the server having heard of it.
 *
 * It travels as a bearer token (a JWT whose issuer is CLIENT_CA_ISSUER), so the same
 * credential works for components and for a user's kubeconfig. One issued with an end of
 * validity (the certificate's NotAfter, as the claim `exp` in seconds) is refused after it,
 * as crypto/x509 refuses an expired certificate: no leeway.
 */
import type { TokenAuthenticator, TokenAuthResult } from './authenticator.ts';
import { JwtVerifier, looksLikeJwt, signJwt, type JwtClaims } from './jwt.ts';
import type { TokenSigner } from './signer.ts';
import { userInfo } from './user.ts';

/** The issuer that marks a token as a client credential rather than a ServiceAccount token. */
export const CLIENT_CA_ISSUER = 'ksim-client-ca';

export interface ClientIdentity {
  readonly user: string;
  readonly groups: readonly string[];
}

const US_PER_SECOND = 1_000_000;

/**
 * A credential for `identity`, as a bearer token; valid until `notAfterSeconds` (virtual
 * seconds) when given, for ever otherwise.
 */
export function issueClientCredential(
  signer: TokenSigner,
  identity: ClientIdentity,
  notAfterSeconds?: number,
): string {
  const claims: JwtClaims = { iss: CLIENT_CA_ISSUER, sub: identity.user, groups: identity.groups };
  return signJwt(
    signer,
    notAfterSeconds === undefined ? claims : { ...claims, exp: notAfterSeconds },
  );
}

/** `keys`: the cluster's key, or a verifier of it that remembers what it verified. */
export function clientCredentialAuthenticator(
  keys: TokenSigner | JwtVerifier,
  nowUs: () => number,
): TokenAuthenticator {
  const verifier = keys instanceof JwtVerifier ? keys : new JwtVerifier(keys);
  return {
    name: 'client-credential',
    authenticateToken: async (token): Promise<TokenAuthResult> => {
      if (!looksLikeJwt(token)) return { kind: 'unrecognized' };
      const r = verifier.verify(token);
      if (!r.ok || r.claims.iss !== CLIENT_CA_ISSUER) return { kind: 'unrecognized' };
      const { sub, groups, exp } = r.claims;
      if (typeof sub !== 'string' || sub === '') {
        return { kind: 'invalid', reason: 'credential without a subject' };
      }
      if (exp !== undefined && typeof exp !== 'number') {
        return { kind: 'invalid', reason: 'credential with a malformed expiry' };
      }
      // Valid up to and including the instant NotAfter (x509: refused when now.After(NotAfter)).
      const endUs = exp === undefined ? undefined : exp * US_PER_SECOND + 1;
      if (endUs !== undefined && nowUs() >= endUs) {
        return { kind: 'invalid', reason: 'credential has expired' };
      }
      const names = Array.isArray(groups) ? groups.filter((g) => typeof g === 'string') : [];
      const user = userInfo(sub, names as string[]);
      return endUs === undefined
        ? { kind: 'authenticated', user }
        : { kind: 'authenticated', user, endUs };
    },
  };
}
