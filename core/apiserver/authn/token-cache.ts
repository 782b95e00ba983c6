/**
 * The cached token authenticator (k8s.io/apiserver/pkg/authentication/token/cache): the answer
 * for a credential is remembered for 10 s, successes and failures alike, so verifying a
 * signature and reading the objects a token is bound to happen once per credential and period,
 * not per request, and a cached answer is given without waiting. A revoked token (its pod
 * deleted) thus works for up to 10 s more, as upstream. The cache is bounded; past its size it
 * starts over.
 */
export const TOKEN_CACHE_TTL_US = 10_000_000;
export const TOKEN_CACHE_MAX_ENTRIES = 4096;

export class AuthenticationCache<T> {
  private entries = new Map<string, { readonly result: T; readonly expiresAtUs: number }>();

  constructor(private readonly nowUs: () => number) {}

  /** The remembered answer for `key`, or the pending one of `compute` (then remembered). */
  get(key: string, compute: () => Promise<T>): T | Promise<T> {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAtUs > this.nowUs()) return hit.result;
    return compute().then((result) => {
      if (this.entries.size >= TOKEN_CACHE_MAX_ENTRIES) this.entries = new Map();
      this.entries.set(key, { result, expiresAtUs: this.nowUs() + TOKEN_CACHE_TTL_US });
      return result;
    });
  }
}
