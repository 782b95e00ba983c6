/**
 * ServiceAccount tokens (pkg/serviceaccount: claims.go, jwt.go): JWTs the API server signs for a
 * service account, bound to an audience and an expiry and optionally to a pod or secret, whose
 * deletion invalidates the token. Verification checks the signature, issuer, audiences, the
 * time window (with go-jose's one-minute leeway) and that the service account and the bound
 * object still exist with the uids the token names.
 */
import type { ObjectMeta } from '../../api/meta-types.ts';
import { parseTime } from '../../api/time.ts';
import type { TokenAuthenticator, TokenAuthResult } from './authenticator.ts';
import { JwtVerifier, looksLikeJwt, signJwt, type JwtClaims } from './jwt.ts';
import type { TokenSigner } from './signer.ts';
import { serviceAccountGroups, serviceAccountUsername, type UserInfo } from './user.ts';

/** What kubeadm passes as --service-account-issuer; --api-audiences defaults to it. */
export const DEFAULT_SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** jwt.DefaultLeeway: clocks may disagree by this much. */
const LEEWAY_SECONDS = 60;
const US_PER_SECOND = 1_000_000;

export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';
export const NODE_UID_EXTRA = 'authentication.kubernetes.io/node-uid';
export const CREDENTIAL_ID_EXTRA = 'authentication.kubernetes.io/credential-id';

export interface ObjectRef {
  readonly name: string;
  readonly uid: string;
}

export interface ServiceAccountTokenRequest {
  readonly namespace: string;
  readonly serviceAccount: ObjectRef;
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  /** The object whose deletion invalidates the token. */
  readonly boundPod?: ObjectRef;
  readonly boundSecret?: ObjectRef;
  /** A node-bound token, or a pod-bound one naming its pod's node (uid "" when it is gone). */
  readonly boundNode?: ObjectRef;
  /** An extended token's warnafter claim: clients using it after this are warned. */
  readonly warnAfterSeconds?: number;
  /** The token's id (jti), unique per token. */
  readonly id: string;
  readonly nowUs: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAtUs: number;
}

/** The resources a token's claims refer to. */
export type TokenObjectResource = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/**
 * Reads the objects a token is bound to (upstream's ServiceAccountTokenGetter): their metadata,
 * 'not-found', 'unavailable' when the store could not answer, or 'unserved' when the API server
 * does not serve the resource at all (then there is nothing to check the claim against).
 */
export type TokenObjectGetter = (
  resource: TokenObjectResource,
  namespace: string,
  name: string,
) => Promise<ObjectMeta | 'not-found' | 'unavailable' | 'unserved'>;

export function issueServiceAccountToken(
  signer: TokenSigner,
  issuer: string,
  req: ServiceAccountTokenRequest,
): IssuedToken {
  const now = Math.floor(req.nowUs / US_PER_SECOND);
  const exp = now + req.expirationSeconds;
  const kubernetes: Record<string, unknown> = {
    namespace: req.namespace,
    serviceaccount: { name: req.serviceAccount.name, uid: req.serviceAccount.uid },
    ...(req.boundPod === undefined ? {} : { pod: { ...req.boundPod } }),
    ...(req.boundSecret === undefined ? {} : { secret: { ...req.boundSecret } }),
    ...(req.boundNode === undefined ? {} : { node: { ...req.boundNode } }),
    ...(req.warnAfterSeconds === undefined ? {} : { warnafter: now + req.warnAfterSeconds }),
  };
  const claims: JwtClaims = {
    aud: req.audiences,
    exp,
    iat: now,
    iss: issuer,
    jti: req.id,
    'kubernetes.io': kubernetes,
    nbf: now,
    sub: serviceAccountUsername(req.namespace, req.serviceAccount.name),
  };
  return { token: signJwt(signer, claims), expiresAtUs: exp * US_PER_SECOND };
}

export interface ServiceAccountAuthenticatorOptions {
  /** The cluster's key, or a verifier of it that remembers what it verified. */
  readonly signer: TokenSigner | JwtVerifier;
  readonly issuer: string;
  /** --api-audiences: a token must name one of them. */
  readonly audiences: readonly string[];
  readonly nowUs: () => number;
  readonly getObject: TokenObjectGetter;
}

export function serviceAccountTokenAuthenticator(
  o: ServiceAccountAuthenticatorOptions,
): TokenAuthenticator {
  const verifier = o.signer instanceof JwtVerifier ? o.signer : new JwtVerifier(o.signer);
  return {
    name: 'service-account-token',
    authenticateToken: async (token): Promise<TokenAuthResult> => {
      if (!looksLikeJwt(token)) return { kind: 'unrecognized' };
      const r = verifier.verify(token);
      if (!r.ok || r.claims.iss !== o.issuer) return { kind: 'unrecognized' };
      const claims = parseClaims(r.claims);
      if (typeof claims === 'string') return { kind: 'invalid', reason: claims };
      const problem = checkWindow(claims, Math.floor(o.nowUs() / US_PER_SECOND));
      if (problem !== undefined) return { kind: 'invalid', reason: problem };
      if (!claims.aud.some((a) => o.audiences.includes(a))) {
        return {
          kind: 'invalid',
          reason: `token audiences ${JSON.stringify(claims.aud)} is invalid for the target audiences ${JSON.stringify(o.audiences)}`,
        };
      }
      const bound = await checkBoundObjects(o.getObject, claims, o.nowUs());
      if (bound !== undefined) return { kind: 'invalid', reason: bound };
      // checkWindow refuses it from the second after exp plus the leeway on.
      const endUs = (claims.exp + LEEWAY_SECONDS + 1) * US_PER_SECOND;
      return { kind: 'authenticated', user: userOf(claims), endUs };
    },
  };
}

interface ServiceAccountClaims {
  readonly aud: readonly string[];
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly namespace: string;
  readonly serviceAccount: ObjectRef;
  readonly pod: ObjectRef | undefined;
  readonly secret: ObjectRef | undefined;
  readonly node: ObjectRef | undefined;
}

function parseClaims(c: JwtClaims): ServiceAccountClaims | string {
  const k = c['kubernetes.io'] as Record<string, unknown> | undefined;
  const sa = ref(k?.serviceaccount);
  if (k === undefined || typeof k.namespace !== 'string' || sa === undefined) {
    return 'token lacks the kubernetes.io claims';
  }
  const aud = typeof c.aud === 'string' ? [c.aud] : c.aud;
  if (!Array.isArray(aud) || !aud.every((a) => typeof a === 'string')) {
    return 'token lacks audiences';
  }
  if (typeof c.exp !== 'number' || typeof c.nbf !== 'number' || typeof c.iat !== 'number') {
    return 'token lacks its validity window';
  }
  return {
    aud,
    exp: c.exp,
    nbf: c.nbf,
    iat: c.iat,
    jti: typeof c.jti === 'string' ? c.jti : '',
    namespace: k.namespace,
    serviceAccount: sa,
    pod: ref(k.pod),
    secret: ref(k.secret),
    node: ref(k.node),
  };
}

function ref(v: unknown): ObjectRef | undefined {
  const r = v as Partial<ObjectRef> | undefined;
  return typeof r?.name === 'string' && typeof r.uid === 'string'
    ? { name: r.name, uid: r.uid }
    : undefined;
}

/** go-jose's Claims.ValidateWithLeeway, with upstream's messages. */
function checkWindow(c: ServiceAccountClaims, now: number): string | undefined {
  if (now > c.exp + LEEWAY_SECONDS) return 'service account token has expired';
  if (now + LEEWAY_SECONDS < c.nbf) return 'service account token is not valid yet';
  if (now + LEEWAY_SECONDS < c.iat) return 'service account token is issued in the future';
  return undefined;
}

/**
 * The service account, and the pod or secret the token is bound to, exist with its uids. An
 * object marked for deletion invalidates the token once its deletion time is a leeway past, so
 * a pod's token keeps working through the pod's graceful termination.
 */
async function checkBoundObjects(
  getObject: TokenObjectGetter,
  c: ServiceAccountClaims,
  nowUs: number,
): Promise<string | undefined> {
  const invalidBeforeUs = nowUs - LEEWAY_SECONDS * US_PER_SECOND;
  const checks: [TokenObjectResource, ObjectRef | undefined, string][] = [
    ['serviceaccounts', c.serviceAccount, 'service account'],
    ['pods', c.pod, 'pod'],
    ['secrets', c.secret, 'secret'],
    // A pod-bound token names its pod's node for information only; a node-bound one is checked.
    ['nodes', c.pod === undefined ? c.node : undefined, 'node'],
  ];
  for (const [resource, r, what] of checks) {
    if (r === undefined) continue;
    const meta = await getObject(resource, resource === 'nodes' ? '' : c.namespace, r.name);
    if (meta === 'unserved') continue;
    if (meta === 'unavailable') return `could not read ${resource} ${c.namespace}/${r.name}`;
    if (meta === 'not-found') return `${resource} ${JSON.stringify(r.name)} not found`;
    const deletedAtUs = meta.deletionTimestamp ? parseTime(meta.deletionTimestamp) : undefined;
    if (deletedAtUs !== undefined && deletedAtUs < invalidBeforeUs) {
      return 'service account token has been invalidated';
    }
    if (meta.uid !== r.uid) {
      return `${what} UID (${meta.uid ?? ''}) does not match claim (${r.uid})`;
    }
  }
  return undefined;
}

/** ServiceAccountInfo.UserInfo. */
function userOf(c: ServiceAccountClaims): UserInfo {
  const extra: Record<string, readonly string[]> = {};
  if (c.pod !== undefined) {
    extra[POD_NAME_EXTRA] = [c.pod.name];
    extra[POD_UID_EXTRA] = [c.pod.uid];
  }
  if (c.node !== undefined) {
    extra[NODE_NAME_EXTRA] = [c.node.name];
    if (c.node.uid !== '') extra[NODE_UID_EXTRA] = [c.node.uid];
  }
  if (c.jti !== '') extra[CREDENTIAL_ID_EXTRA] = [`JTI=${c.jti}`];
  return {
    name: serviceAccountUsername(c.namespace, c.serviceAccount.name),
    uid: c.serviceAccount.uid,
    groups: serviceAccountGroups(c.namespace),
    extra,
  };
}
