import { describe, expect, it } from 'vitest';
import type { ObjectMeta } from '../../../../core/api/meta-types.ts';
import { issueClientCredential } from '../../../../core/apiserver/authn/client-credential.ts';
import { JwtVerifier } from '../../../../core/apiserver/authn/jwt.ts';
import {
  DEFAULT_SERVICE_ACCOUNT_ISSUER,
  issueServiceAccountToken,
} from '../../../../core/apiserver/authn/service-account-token.ts';
import type { TokenSigner } from '../../../../core/apiserver/authn/signer.ts';
import {
  AuthenticationCache,
  TOKEN_SUCCESS_CACHE_TTL_US,
} from '../../../../core/apiserver/authn/token-cache.ts';
import type { RequestAuthResult } from '../../../../core/apiserver/authn/authenticator.ts';
import {
  AccessControl,
  type AccessPorts,
} from '../../../../core/apiserver/authz/access-control.ts';
import type { Clock } from '../../../../core/ports/clock.ts';
import { hmacSigner } from '../../../../sim/signer.ts';

const S = 1_000_000;
const KUBELET = { user: 'system:node:node-1', groups: ['system:nodes'] };

/** A signer that counts the signatures it checks: what the caches save is observed there. */
function countingSigner(key = 'cluster key'): TokenSigner & { verified: number } {
  const inner = hmacSigner(key, 'k1');
  const s = {
    verified: 0,
    algorithm: inner.algorithm,
    keyId: inner.keyId,
    sign: (input: string) => inner.sign(input),
    verify: (input: string, sig: string) => {
      s.verified++;
      return inner.verify(input, sig);
    },
  };
  return s;
}

interface World {
  nowUs: number;
  readonly signer: ReturnType<typeof countingSigner>;
  readonly objects: Map<string, ObjectMeta>;
  /** How often the objects a token is bound to were read. */
  reads: number;
  authenticate(token: string): Promise<RequestAuthResult>;
}

/** An API server's access control, as the cluster configures it, on a clock the test moves. */
function world(): World {
  const w = {
    nowUs: 1_000 * S,
    signer: countingSigner(),
    objects: new Map<string, ObjectMeta>(),
    reads: 0,
  } as World;
  const clock = { now: () => w.nowUs } as Clock;
  const ports: AccessPorts = {
    clock,
    spawn: () => undefined,
    cacheFor: () => {
      throw new Error('AlwaysAllow mirrors nothing');
    },
    getObject: async (resource, namespace, name) => {
      w.reads++;
      return w.objects.get(`${resource}/${namespace}/${name}`) ?? 'not-found';
    },
    getSecret: async () => 'not-found',
    ensure: async () => true,
  };
  const access = new AccessControl({ signer: w.signer, authorization: 'AlwaysAllow' }, ports);
  w.authenticate = async (token) => access.authenticate(`Bearer ${token}`);
  return w;
}

describe('token cache (token/cache/cached_token_authenticator.go)', () => {
  it('checks a kubelet credential sent every 10 s once, though each request misses the 10 s answer cache', async () => {
    const w = world();
    const token = issueClientCredential(w.signer, KUBELET);
    for (let i = 0; i < 5; i++) {
      const r = await w.authenticate(token);
      expect(r.kind === 'authenticated' && r.user.name).toBe('system:node:node-1');
      w.nowUs += TOKEN_SUCCESS_CACHE_TTL_US;
    }
    expect(w.signer.verified).toBe(1);
  });

  it('refuses an expired credential even while its success is remembered', async () => {
    const w = world();
    const notAfter = w.nowUs / S + 5;
    const token = issueClientCredential(w.signer, KUBELET, notAfter);
    expect((await w.authenticate(token)).kind).toBe('authenticated');
    w.nowUs = notAfter * S; // NotAfter itself is still valid
    expect((await w.authenticate(token)).kind).toBe('authenticated');
    w.nowUs = notAfter * S + 1; // 5 s into the answer's 10 s
    expect(await w.authenticate(token)).toEqual({
      kind: 'unauthorized',
      reason: 'client-credential: credential has expired',
    });
    expect(w.signer.verified).toBe(1);
  });

  it('refuses an expired ServiceAccount token even while its success is remembered', async () => {
    const w = world();
    const sa = { name: 'default', uid: 'sa-uid' };
    w.objects.set('serviceaccounts/ns/default', { name: 'default', uid: 'sa-uid' });
    const { token, expiresAtUs } = issueServiceAccountToken(
      w.signer,
      DEFAULT_SERVICE_ACCOUNT_ISSUER,
      {
        namespace: 'ns',
        serviceAccount: sa,
        audiences: [DEFAULT_SERVICE_ACCOUNT_ISSUER],
        expirationSeconds: 600,
        id: 'jti-1',
        nowUs: w.nowUs,
      },
    );
    // Past the expiry and go-jose's one-minute leeway, 1 s after the last success was remembered.
    w.nowUs = expiresAtUs + 60 * S;
    expect((await w.authenticate(token)).kind).toBe('authenticated');
    w.nowUs += S;
    expect(await w.authenticate(token)).toEqual({
      kind: 'unauthorized',
      reason: 'service-account-token: service account token has expired',
    });
  });

  it('stops accepting a revoked ServiceAccount token after the 10 s though its signature is remembered', async () => {
    const w = world();
    w.objects.set('serviceaccounts/ns/default', { name: 'default', uid: 'sa-uid' });
    w.objects.set('pods/ns/web', { name: 'web', uid: 'pod-uid' });
    const { token } = issueServiceAccountToken(w.signer, DEFAULT_SERVICE_ACCOUNT_ISSUER, {
      namespace: 'ns',
      serviceAccount: { name: 'default', uid: 'sa-uid' },
      boundPod: { name: 'web', uid: 'pod-uid' },
      audiences: [DEFAULT_SERVICE_ACCOUNT_ISSUER],
      expirationSeconds: 3600,
      id: 'jti-2',
      nowUs: w.nowUs,
    });
    expect((await w.authenticate(token)).kind).toBe('authenticated');
    expect(w.reads).toBe(2);
    w.objects.delete('pods/ns/web');
    w.nowUs += TOKEN_SUCCESS_CACHE_TTL_US - 1;
    expect((await w.authenticate(token)).kind).toBe('authenticated');
    expect(w.reads).toBe(2);
    w.nowUs += 1;
    expect(await w.authenticate(token)).toEqual({
      kind: 'unauthorized',
      reason: 'service-account-token: pods "web" not found',
    });
    expect(w.signer.verified).toBe(1);
  });

  it("does not accept another key's or a tampered token because a genuine one is remembered", async () => {
    const w = world();
    const genuine = issueClientCredential(w.signer, KUBELET);
    expect((await w.authenticate(genuine)).kind).toBe('authenticated');
    const forged = issueClientCredential(countingSigner('another key'), KUBELET);
    expect(forged).not.toBe(genuine);
    expect(forged.split('.').slice(0, 2)).toEqual(genuine.split('.').slice(0, 2));
    const tampered = `${genuine.slice(0, -2)}${genuine.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const token of [forged, tampered]) {
      expect(await w.authenticate(token)).toEqual({
        kind: 'unauthorized',
        reason: 'invalid bearer token',
      });
    }
  });

  it('remembers no failure past its answer, but requests arriving meanwhile share it', async () => {
    let computed = 0;
    let release = (): void => undefined;
    const cache = new AuthenticationCache(() => 0);
    const compute = (): Promise<RequestAuthResult> => {
      computed++;
      return new Promise((resolve) => {
        release = () => resolve({ kind: 'unauthorized', reason: 'no' });
      });
    };
    const first = cache.get('Bearer x', compute);
    const second = cache.get('Bearer x', compute);
    release();
    expect(await first).toEqual(await second);
    expect(computed).toBe(1);
    const third = cache.get('Bearer x', compute);
    expect(third).toBeInstanceOf(Promise);
    release();
    expect(await third).toEqual({ kind: 'unauthorized', reason: 'no' });
    expect(computed).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('is bounded: past its size the least recently used answer goes', async () => {
    let computed = 0;
    const cache = new AuthenticationCache(() => 0, 2);
    const ok = async (): Promise<RequestAuthResult> => {
      computed++;
      return { kind: 'authenticated', user: { name: 'u', uid: '', groups: [], extra: {} } };
    };
    await cache.get('a', ok);
    await cache.get('b', ok);
    cache.get('a', ok); // a is now the most recently used
    await cache.get('c', ok); // b goes
    expect(cache.size).toBe(2);
    expect(computed).toBe(3);
    expect(cache.get('a', ok)).not.toBeInstanceOf(Promise);
    expect(cache.get('c', ok)).not.toBeInstanceOf(Promise);
    await cache.get('b', ok);
    expect(computed).toBe(4);
  });

  it("the verifier is bounded too, and remembers no other key's token", () => {
    const signer = countingSigner();
    const verifier = new JwtVerifier(signer, 2);
    const tokens = ['a', 'b', 'c'].map((user) =>
      issueClientCredential(signer, { user, groups: [] }),
    );
    for (const t of tokens) expect(verifier.verify(t).ok).toBe(true);
    expect(verifier.size).toBe(2);
    expect(signer.verified).toBe(3);
    verifier.verify(tokens[2]!);
    expect(signer.verified).toBe(3);
    verifier.verify(tokens[0]!);
    expect(signer.verified).toBe(4);
    const other = issueClientCredential(countingSigner('another key'), { user: 'a', groups: [] });
    expect(verifier.verify(other)).toEqual({ ok: false, reason: 'invalid signature' });
    expect(verifier.verify(other).ok).toBe(false);
    expect(verifier.size).toBe(2);
    expect(() => new JwtVerifier(signer, 0)).toThrow(/maxEntries 0/);
  });
});
