/**
 * The token subresource's signer (upstream's TokenGenerator behind TokenREST): ServiceAccount
 * tokens signed with the cluster's key, for the issuer and audiences this API server accepts,
 * each with a fresh id (jti) from the server's random stream.
 */
import type { TokenIssuer } from '../../api/kinds/index.ts';
import { uid, type Random } from '../../ports/random.ts';
import { issueServiceAccountToken } from './service-account-token.ts';
import type { TokenSigner } from './signer.ts';

export interface TokenIssuerOptions {
  readonly signer: TokenSigner;
  /** --service-account-issuer (also the one API audience). */
  readonly issuer: string;
  /** --service-account-max-token-expiration in seconds (default 0: none). */
  readonly maxExpirationSeconds?: number;
  /** --service-account-extend-token-expiration (default true). */
  readonly extendExpiration?: boolean;
}

export function tokenIssuer(o: TokenIssuerOptions, random: Random): TokenIssuer {
  return {
    audiences: [o.issuer],
    maxExpirationSeconds: o.maxExpirationSeconds ?? 0,
    extendExpiration: o.extendExpiration ?? true,
    issue: (c) =>
      issueServiceAccountToken(o.signer, o.issuer, {
        namespace: c.namespace,
        serviceAccount: c.serviceAccount,
        audiences: c.audiences,
        expirationSeconds: c.expirationSeconds,
        ...(c.warnAfterSeconds === undefined ? {} : { warnAfterSeconds: c.warnAfterSeconds }),
        ...(c.pod === undefined ? {} : { boundPod: c.pod }),
        ...(c.secret === undefined ? {} : { boundSecret: c.secret }),
        ...(c.node === undefined ? {} : { boundNode: c.node }),
        id: uid(random),
        nowUs: c.nowUs,
      }).token,
  };
}
