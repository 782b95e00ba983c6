/**
 * Client credentials the cluster signs for its components: the simulator's stand-in for the
 * x509 client certificates kubeadm issues (kube-apiserver --client-ca-file). A credential names
 * its subject (the certificate's CN: the user) and organizations (O: the groups), and is valid
 * because the cluster's key signed it, so the API server needs no list of them: a kubelet that
 * joins later authenticates as system:node:<name> without the server having heard of it.
 *
 * It travels as a bearer token (a JWT whose issuer is CLIENT_CA_ISSUER), so the same
 * credential works for components and for a user's kubeconfig.
 */
import type { TokenAuthenticator, TokenAuthResult } from './authenticator.ts';
import { looksLikeJwt, signJwt, verifyJwt } from './jwt.ts';
import type { TokenSigner } from './signer.ts';
import { userInfo } from './user.ts';

/** The issuer that marks a token as a client credential rather than a ServiceAccount token. */
export const CLIENT_CA_ISSUER = 'ksim-client-ca';

export interface ClientIdentity {
  readonly user: string;
  readonly groups: readonly string[];
}

/** A credential for `identity`, as a bearer token. */
export function issueClientCredential(signer: TokenSigner, identity: ClientIdentity): string {
  return signJwt(signer, { iss: CLIENT_CA_ISSUER, sub: identity.user, groups: identity.groups });
}

export function clientCredentialAuthenticator(signer: TokenSigner): TokenAuthenticator {
  return {
    name: 'client-credential',
    authenticateToken: async (token): Promise<TokenAuthResult> => {
      if (!looksLikeJwt(token)) return { kind: 'unrecognized' };
      const r = verifyJwt(signer, token);
      if (!r.ok || r.claims.iss !== CLIENT_CA_ISSUER) return { kind: 'unrecognized' };
      const { sub, groups } = r.claims;
      if (typeof sub !== 'string' || sub === '') {
        return { kind: 'invalid', reason: 'credential without a subject' };
      }
      const names = Array.isArray(groups) ? groups.filter((g) => typeof g === 'string') : [];
      return { kind: 'authenticated', user: userInfo(sub, names as string[]) };
    },
  };
}
