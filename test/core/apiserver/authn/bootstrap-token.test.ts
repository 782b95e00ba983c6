import { describe, expect, it } from 'vitest';
import { encodeBase64Utf8 } from '../../../../core/api/base64.ts';
import {
  bootstrapTokenAuthenticator,
  type TokenSecret,
} from '../../../../core/apiserver/authn/bootstrap-token.ts';
import { formatTime } from '../../../../core/api/time.ts';

const NOW_US = Date.UTC(2026, 0, 1) * 1000;
const TOKEN = 'abcdef.0123456789abcdef';

function secret(data: Record<string, string>, extra: Partial<TokenSecret> = {}): TokenSecret {
  return {
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, encodeBase64Utf8(v)])),
    ...extra,
  };
}

const GOOD = {
  'token-id': 'abcdef',
  'token-secret': '0123456789abcdef',
  'usage-bootstrap-authentication': 'true',
  expiration: formatTime(NOW_US + 60_000_000),
  'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
};

async function authenticate(s: TokenSecret | 'not-found', token = TOKEN) {
  const a = bootstrapTokenAuthenticator({
    getSecret: async (name) => (name === 'bootstrap-token-abcdef' ? s : 'not-found'),
    nowUs: () => NOW_US,
  });
  return a.authenticateToken(token);
}

describe('bootstrap token authenticator (bootstrap.go)', () => {
  it('authenticates system:bootstrap:<id> in system:bootstrappers and the extra groups', async () => {
    expect(await authenticate(secret(GOOD))).toEqual({
      kind: 'authenticated',
      user: {
        name: 'system:bootstrap:abcdef',
        uid: '',
        groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token'],
        extra: {},
      },
    });
  });

  it.each([
    ['a JWT or other token', secret(GOOD), 'eyJhbGciOi.x.y', 'unrecognized'],
    ['upper case', secret(GOOD), 'ABCDEF.0123456789abcdef', 'unrecognized'],
    ['no Secret', 'not-found' as const, TOKEN, 'no bootstrap token secret bootstrap-token-abcdef'],
    [
      'a wrong secret',
      secret(GOOD),
      'abcdef.ffffffffffffffff',
      'bootstrap-token-abcdef: token-secret does not match',
    ],
    [
      'expired',
      secret({ ...GOOD, expiration: formatTime(NOW_US) }),
      TOKEN,
      'bootstrap-token-abcdef expired at 2026-01-01T00:00:00Z',
    ],
    [
      'not for authentication',
      secret({ ...GOOD, 'usage-bootstrap-authentication': 'false' }),
      TOKEN,
      'bootstrap-token-abcdef is not marked usage-bootstrap-authentication',
    ],
    [
      'another type',
      secret(GOOD, { type: 'Opaque' }),
      TOKEN,
      'bootstrap-token-abcdef is not of type bootstrap.kubernetes.io/token',
    ],
    [
      'a group outside system:bootstrappers:',
      secret({ ...GOOD, 'auth-extra-groups': 'system:masters' }),
      TOKEN,
      'bootstrap-token-abcdef: auth-extra-groups: system:masters is not a bootstrappers group',
    ],
    [
      'being deleted',
      secret(GOOD, {
        metadata: { name: 'bootstrap-token-abcdef', deletionTimestamp: formatTime(NOW_US) },
      }),
      TOKEN,
      'bootstrap-token-abcdef is being deleted',
    ],
  ])('refuses %s', async (_what, s, token, reason) => {
    const r = await authenticate(s, token);
    expect(r.kind === 'invalid' ? r.reason : r.kind).toBe(reason);
  });
});
