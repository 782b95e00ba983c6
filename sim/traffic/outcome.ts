import type { TRAFFIC_ERROR_KINDS } from '../../core/trace/records/traffic.ts';

/**
 * What one request of simulated service traffic ends with, as the client sees it.
 *
 * - refused: a backend was reached but nothing listens on the port (RST);
 * - timeout: no answer within the client's timeout (dropped, lost, partitioned, sent to an
 *   address nobody holds, a backend machine that died);
 * - no-endpoints: the Service has no endpoints: kube-proxy's REJECT rule answered;
 * - reset: the backend container died while it handled the request;
 * - server-error: the backend answered with an error (its `KSIM_ERROR_RATE`);
 * - node-down: the client's node is down (or crashed while it waited);
 * - no-service: the named Service or port does not exist (in the runner's view);
 * - nxdomain: cluster DNS does not know the name.
 */
export type TrafficError = (typeof TRAFFIC_ERROR_KINDS)[number];

export type Outcome =
  | {
      readonly kind: 'ok';
      /** The backend pod, namespace/name, and its uid. */
      readonly pod: string;
      readonly podUid: string;
    }
  | { readonly kind: TrafficError };

/** A finished request: its outcome and how long the client waited for it. */
export interface Completed {
  readonly outcome: Outcome;
  readonly startUs: number;
  readonly latencyUs: number;
}
