/**
 * Authentication of a request (k8s.io/apiserver/pkg/authentication): the bearer token of the
 * Authorization header goes to each token authenticator in turn, the first that recognises it
 * decides; every authenticated user gets the group system:authenticated; a request without
 * credentials is system:anonymous when anonymous requests are enabled and 401 otherwise. A
 * token no authenticator accepts is 401 even with anonymous requests enabled, as upstream's
 * union.NewFailOnError makes it.
 */
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS_USER,
  userInfo,
  type UserInfo,
} from './user.ts';

export type TokenAuthResult =
  | {
      readonly kind: 'authenticated';
      readonly user: UserInfo;
      /**
       * The first virtual instant (µs) at which the token is no longer valid, when it has an
       * end: a remembered answer is not given from then on.
       */
      readonly endUs?: number;
    }
  /** Not a token this authenticator issues: the next one may know it. */
  | { readonly kind: 'unrecognized' }
  /** This authenticator's kind of token, refused (expired, revoked, bound object gone). */
  | { readonly kind: 'invalid'; readonly reason: string };

/** authenticator.Token: one source of bearer tokens (a token file, ServiceAccount tokens). */
export interface TokenAuthenticator {
  readonly name: string;
  authenticateToken(token: string): Promise<TokenAuthResult>;
}

export type RequestAuthResult =
  | { readonly kind: 'authenticated'; readonly user: UserInfo; readonly endUs?: number }
  | { readonly kind: 'unauthorized'; readonly reason: string };

const ANONYMOUS: UserInfo = userInfo(ANONYMOUS_USER, [ALL_UNAUTHENTICATED]);

export class RequestAuthenticator {
  constructor(
    private readonly tokens: readonly TokenAuthenticator[],
    private readonly anonymous: boolean,
  ) {}

  /** `authorization`: the request's Authorization header, if it had one. */
  async authenticate(authorization: string | undefined): Promise<RequestAuthResult> {
    const token = bearerToken(authorization);
    if (token === undefined) {
      return this.anonymous
        ? { kind: 'authenticated', user: ANONYMOUS }
        : { kind: 'unauthorized', reason: 'no credentials' };
    }
    const reasons: string[] = [];
    for (const a of this.tokens) {
      const r = await a.authenticateToken(token);
      if (r.kind === 'authenticated') {
        const user = withAuthenticated(r.user);
        return r.endUs === undefined
          ? { kind: 'authenticated', user }
          : { kind: 'authenticated', user, endUs: r.endUs };
      }
      if (r.kind === 'invalid') reasons.push(`${a.name}: ${r.reason}`);
    }
    return { kind: 'unauthorized', reason: reasons.join('; ') || 'invalid bearer token' };
  }
}

/**
 * bearertoken.Authenticator: "Bearer <token>", the scheme in any case; an empty token is no
 * credential at all.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const parts = (header ?? '').trim().split(' ');
  if (parts.length < 2 || (parts[0] as string).toLowerCase() !== 'bearer') return undefined;
  const token = parts[1] as string;
  return token === '' ? undefined : token;
}

/** group.AuthenticatedGroupAdder. */
function withAuthenticated(user: UserInfo): UserInfo {
  if (user.name === ANONYMOUS_USER) return user;
  if (user.groups.includes(ALL_AUTHENTICATED) || user.groups.includes(ALL_UNAUTHENTICATED)) {
    return user;
  }
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED] };
}
