/**
 * Bootstrap tokens (plugin/pkg/auth/authenticator/token/bootstrap/bootstrap.go, with
 * --enable-bootstrap-token-auth): a token `<id>.<secret>` (6 and 16 characters of [a-z0-9])
 * is valid while kube-system holds a Secret `bootstrap-token-<id>` of type
 * bootstrap.kubernetes.io/token whose token-secret matches, whose expiration (RFC 3339) has not
 * passed and whose usage-bootstrap-authentication is "true". The user is
 * system:bootstrap:<id> in group system:bootstrappers plus the Secret's auth-extra-groups
 * (each must start with system:bootstrappers:). A node joins with such a token and uses it only
 * to ask for its own credential (certificates.k8s.io CertificateSigningRequests).
 */
import type { ObjectMeta } from '../../api/meta-types.ts';
import { SECRET_TYPE_BOOTSTRAP_TOKEN } from '../../api/kinds/secret.ts';
import { decodeBase64 } from '../../api/base64.ts';
import { parseTime } from '../../api/time.ts';
import type { TokenAuthenticator, TokenAuthResult } from './authenticator.ts';
import { userInfo } from './user.ts';

export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
export const BOOTSTRAP_USER_PREFIX = 'system:bootstrap:';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
/** kubeadm's group for the tokens `kubeadm token create` makes. */
export const KUBEADM_NODE_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
const GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** What the authenticator reads of a token's Secret. */
export interface TokenSecret {
  readonly metadata: ObjectMeta;
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** Reads kube-system Secrets: the Secret, 'not-found', or 'unavailable' when the store failed. */
export type SecretGetter = (name: string) => Promise<TokenSecret | 'not-found' | 'unavailable'>;

export function bootstrapTokenAuthenticator(options: {
  readonly getSecret: SecretGetter;
  readonly nowUs: () => number;
}): TokenAuthenticator {
  return {
    name: 'bootstrap-token',
    authenticateToken: async (token): Promise<TokenAuthResult> => {
      const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
      if (m === null) return { kind: 'unrecognized' };
      const id = m[1] as string;
      const secretName = `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`;
      const secret = await options.getSecret(secretName);
      if (secret === 'unavailable') return { kind: 'invalid', reason: 'token secret unavailable' };
      if (secret === 'not-found')
        return { kind: 'invalid', reason: `no bootstrap token secret ${secretName}` };
      const problem = checkSecret(secret, id, m[2] as string, options.nowUs());
      if (typeof problem === 'string') return { kind: 'invalid', reason: problem };
      return {
        kind: 'authenticated',
        user: userInfo(`${BOOTSTRAP_USER_PREFIX}${id}`, [BOOTSTRAPPERS_GROUP, ...problem.groups]),
      };
    },
  };
}

/** Why the Secret does not vouch for the token, or the extra groups it grants. */
function checkSecret(
  secret: TokenSecret,
  id: string,
  tokenSecret: string,
  nowUs: number,
): string | { groups: readonly string[] } {
  const name = secret.metadata.name ?? '';
  if (secret.metadata.deletionTimestamp !== undefined) return `${name} is being deleted`;
  if (secret.type !== SECRET_TYPE_BOOTSTRAP_TOKEN)
    return `${name} is not of type ${SECRET_TYPE_BOOTSTRAP_TOKEN}`;
  const data = (key: string): string | undefined => secretData(secret, key);
  if (data('token-id') !== id) return `${name}: token-id does not match`;
  if (!constantTimeEqual(data('token-secret') ?? '', tokenSecret))
    return `${name}: token-secret does not match`;
  const expiration = data('expiration');
  if (expiration !== undefined) {
    const at = parseTime(expiration);
    if (at === undefined) return `${name}: expiration ${expiration} is not RFC 3339`;
    if (at <= nowUs) return `${name} expired at ${expiration}`;
  }
  if (data('usage-bootstrap-authentication') !== 'true')
    return `${name} is not marked usage-bootstrap-authentication`;
  const extra = data('auth-extra-groups');
  const groups = extra === undefined || extra === '' ? [] : extra.split(',').map((g) => g.trim());
  const bad = groups.find((g) => !GROUP_PATTERN.test(g));
  if (bad !== undefined) return `${name}: auth-extra-groups: ${bad} is not a bootstrappers group`;
  return { groups };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function secretData(secret: TokenSecret, key: string): string | undefined {
  const value = secret.data?.[key];
  if (typeof value !== 'string') return undefined;
  const r = decodeBase64(value);
  return r.ok ? utf8.decode(r.bytes) : undefined;
}

/** subtle.ConstantTimeCompare: the time taken does not say how much of the secret matched. */
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
