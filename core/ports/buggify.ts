/**
 * Buggify (FoundationDB's BUGGIFY, TigerBeetle's fault options): sites in the components where,
 * when a run turns the site on, the component takes a rare but legal path, such as a failed
 * binding, a 429, a watch that ends early, so that fuzzing reaches the code that handles it.
 * Each site stays within what the component's contract allows the world to do to it: a site
 * never makes a component break its own promises, it only makes the world less kind.
 *
 * Only the host decides: the simulation turns sites on per run from the scenario (the cluster
 * fuzzer draws them per world) and draws each firing from a seeded stream of its own, so a run
 * with buggify is as deterministic as one without and one without draws nothing. Real mode
 * passes no Buggify: every site is a no-op there.
 */

/** Every site, with what it does when it fires. */
export const BUGGIFY_SITES = {
  'scheduler.bind-error':
    'The scheduler does not send a binding and treats it as rejected (as if the API server had answered 500): it forgets the assumed pod and requeues it.',
  'scheduler.bind-slow':
    'The scheduler waits 0.5-3 s before sending a binding, so several pods are assumed before the first binding is confirmed.',
  'apiserver.throttle':
    'The API server answers a request with 429 Too Many Requests (Retry-After 1) before serving it.',
  'apiserver.conflict':
    'The API server answers an update that names a resourceVersion with 409 Conflict before serving it, as if the object had changed in between.',
  'apiserver.watch-early-close':
    'The API server ends a watch after 1-10 s, as its --min-request-timeout does: the client resumes it from its last resourceVersion (or relists after a 410).',
} as const;

export type BuggifySite = keyof typeof BUGGIFY_SITES;

export const BUGGIFY_SITE_NAMES = Object.keys(BUGGIFY_SITES) as readonly BuggifySite[];

export function isBuggifySite(name: string): name is BuggifySite {
  return Object.hasOwn(BUGGIFY_SITES, name);
}

export interface Buggify {
  /** Whether the site fires this time (never, for a site the run did not turn on). */
  fires(site: BuggifySite): boolean;
  /** A duration for a site that fired, uniform in [minUs, maxUs], from the buggify stream. */
  durationUs(minUs: number, maxUs: number): number;
}
