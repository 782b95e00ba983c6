/**
 * Zone health and the rate at which the node lifecycle controller taints unhealthy nodes
 * NoExecute (ComputeZoneState, handleDisruption, RateLimitedTimedQueue in
 * pkg/controller/nodelifecycle/). Tainting is what evicts pods, so when a whole zone or the whole
 * cluster looks dead the controller slows down or stops: more likely the control plane lost the
 * network than every kubelet died at once.
 */
import type { Node } from '../../api/node-types.ts';
import type { Clock } from '../../ports/clock.ts';

export type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_TOPOLOGY_REGION = 'topology.kubernetes.io/region';
const LABEL_FAILURE_DOMAIN_ZONE = 'failure-domain.beta.kubernetes.io/zone';
const LABEL_FAILURE_DOMAIN_REGION = 'failure-domain.beta.kubernetes.io/region';

/** Nodes with this label are left out of the zone counts. */
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

/** nodetopology.GetZoneKey: "" for nodes without region and zone labels. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const region = labels[LABEL_TOPOLOGY_REGION] ?? labels[LABEL_FAILURE_DOMAIN_REGION] ?? '';
  const zone = labels[LABEL_TOPOLOGY_ZONE] ?? labels[LABEL_FAILURE_DOMAIN_ZONE] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

/**
 * ComputeZoneState: no ready node -> FullDisruption; more than two not-ready nodes making at
 * least `unhealthyZoneThreshold` of the zone -> PartialDisruption; else Normal.
 */
export function computeZoneState(
  readyStatuses: readonly (string | undefined)[],
  unhealthyZoneThreshold: number,
): { unhealthy: number; state: ZoneState } {
  let ready = 0;
  let notReady = 0;
  for (const s of readyStatuses) {
    if (s === 'True') ready++;
    else notReady++;
  }
  if (ready === 0 && notReady > 0) return { unhealthy: notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyZoneThreshold)
    return { unhealthy: notReady, state: 'PartialDisruption' };
  return { unhealthy: notReady, state: 'Normal' };
}

/** flowcontrol's token bucket; qps 0 never admits (NewFakeNeverRateLimiter). */
export class TokenBucket {
  private tokens: number;
  private lastUs: number;

  constructor(
    private readonly clock: Clock,
    readonly qps: number,
    private readonly burst = 1,
  ) {
    this.tokens = burst;
    this.lastUs = clock.now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastUs) * this.qps) / 1_000_000);
    this.lastUs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface TryOutcome {
  readonly done: boolean;
  /** When not done: retry after this long. */
  readonly retryUs: number;
}

/**
 * scheduler.RateLimitedTimedQueue: a unique queue of node names ordered by when to process
 * them, drained at the limiter's rate. A name stays "added" after it is processed until
 * `remove`, so a node is tainted once per episode, not once per monitor pass.
 */
export class RateLimitedTimedQueue {
  private items: { value: string; processAtUs: number }[] = [];
  private readonly added = new Set<string>();
  private limiter: TokenBucket;

  constructor(
    private readonly clock: Clock,
    qps: number,
  ) {
    this.limiter = new TokenBucket(clock, qps);
  }

  add(value: string): boolean {
    if (this.added.has(value)) return false;
    this.added.add(value);
    this.insert(value, this.clock.now());
    return true;
  }

  remove(value: string): void {
    this.added.delete(value);
    this.items = this.items.filter((i) => i.value !== value);
  }

  swapLimiter(qps: number): void {
    if (this.limiter.qps === qps) return;
    this.limiter = new TokenBucket(this.clock, qps);
  }

  async try(fn: (value: string) => Promise<TryOutcome>): Promise<void> {
    while (this.items.length > 0) {
      const head = this.items[0];
      if (head === undefined || !this.limiter.tryAccept()) return;
      const now = this.clock.now();
      if (now < head.processAtUs) return;
      const outcome = await fn(head.value);
      this.items = this.items.filter((i) => i !== head);
      if (!outcome.done && this.added.has(head.value))
        this.insert(head.value, this.clock.now() + outcome.retryUs + 1);
    }
  }

  private insert(value: string, processAtUs: number): void {
    const i = this.items.findIndex((x) => x.processAtUs > processAtUs);
    const item = { value, processAtUs };
    if (i < 0) this.items.push(item);
    else this.items.splice(i, 0, item);
  }
}
