/**
 * The cached token authenticator (k8s.io/apiserver/pkg/authentication/token/cache,
 * cached_token_authenticator.go) with kube-apiserver's defaults (pkg/kubeapiserver/options/
 * authentication.go: TokenSuccessCacheTTL 10 s, TokenFailureCacheTTL 0). A success is
 * remembered for 10 s, so reading the objects a token is bound to happens once per credential
 * and period, not per request, and a remembered answer is given without waiting. A revoked
 * token (its pod deleted) thus works for up to 10 s more, as upstream; an expired one does not:
 * a success is never given past the end of the token's validity. A failure is not remembered
 * once answered, but the requests that arrive while it is being computed share it (upstream's
 * getOrWait). The cache is bounded (upstream: 32 stripes of 128 entries, each least recently
 * used first out); past its size the least recently used answer is forgotten.
 */
import type { RequestAuthResult } from './authenticator.ts';

export const TOKEN_SUCCESS_CACHE_TTL_US = 10_000_000;
export const TOKEN_FAILURE_CACHE_TTL_US = 0;
export const TOKEN_CACHE_MAX_ENTRIES = 4096;

interface Remembered {
  readonly result: RequestAuthResult;
  /** The first instant at which it is no longer given. */
  readonly untilUs: number;
}

export class AuthenticationCache {
  /** Insertion order is recency: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Remembered>();
  private readonly pending = new Map<string, Promise<RequestAuthResult>>();

  constructor(
    private readonly nowUs: () => number,
    readonly maxEntries: number = TOKEN_CACHE_MAX_ENTRIES,
  ) {}

  /** The remembered answer for `key`, or the pending one of `compute` (then remembered). */
  get(
    key: string,
    compute: () => Promise<RequestAuthResult>,
  ): RequestAuthResult | Promise<RequestAuthResult> {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      if (hit.untilUs > this.nowUs()) {
        this.entries.set(key, hit);
        return hit.result;
      }
    }
    const running = this.pending.get(key);
    if (running !== undefined) return running;
    const answer = compute().then(
      (result) => {
        this.pending.delete(key);
        this.remember(key, result);
        return result;
      },
      (e: unknown) => {
        this.pending.delete(key);
        throw e;
      },
    );
    this.pending.set(key, answer);
    return answer;
  }

  /** How many answers are remembered now (expired ones included until they are looked up). */
  get size(): number {
    return this.entries.size;
  }

  private remember(key: string, result: RequestAuthResult): void {
    const now = this.nowUs();
    const untilUs =
      result.kind === 'authenticated'
        ? Math.min(now + TOKEN_SUCCESS_CACHE_TTL_US, result.endUs ?? Infinity)
        : now + TOKEN_FAILURE_CACHE_TTL_US;
    if (untilUs <= now) return;
    if (this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { result, untilUs });
  }
}
