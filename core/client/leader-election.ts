/**
 * Leader election over a coordination.k8s.io Lease (client-go tools/leaderelection with a
 * LeaseLock), as kube-scheduler and kube-controller-manager run it: candidates try to acquire
 * the lease every retry period (jittered by 1.2); the holder renews it every retry period and
 * gives up leadership when it has not renewed for the renew deadline; another candidate takes
 * the lease only once it has seen the same record unchanged for the lease duration, by its own
 * monotonic clock (client-go's observedTime), so a holder whose renewals stop is replaced after
 * 15 s, whatever the candidates' wall clocks read.
 */
import type { Lease } from '../api/cluster-types.ts';
import { formatMicroTime } from '../api/time.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ApiClient } from './api-client.ts';

export interface LeaderElectionOptions {
  /** The lock: kube-system/<name> ("kube-controller-manager", "kube-scheduler"). */
  readonly namespace: string;
  readonly name: string;
  /** --leader-elect-lease-duration (15 s). */
  readonly leaseDurationUs: number;
  /** --leader-elect-renew-deadline (10 s). */
  readonly renewDeadlineUs: number;
  /** --leader-elect-retry-period (2 s). */
  readonly retryPeriodUs: number;
}

export const DEFAULT_LEADER_ELECTION = {
  namespace: 'kube-system',
  leaseDurationUs: 15_000_000,
  renewDeadlineUs: 10_000_000,
  retryPeriodUs: 2_000_000,
} as const;

/** `<process>_<random suffix>`, as upstream's `<hostname>_<uuid>`: unique per incarnation. */
export function candidateIdentity(ports: ProcessPorts): string {
  const r = ports.random.fork(`leader-election-${ports.incarnation}`);
  const hex = () => r.int(0x10000).toString(16).padStart(4, '0');
  return `${ports.name}_${hex()}${hex()}-${hex()}`;
}

/** wait.Jitter's maxFactor for the acquire loop (JitterFactor: 1.2). */
const ACQUIRE_JITTER = 1.2;

interface Observed {
  /** The record as last seen (or written), its raw form to notice changes. */
  readonly spec: NonNullable<Lease['spec']>;
  readonly raw: string;
  /**
   * When this candidate saw it change, on its monotonic clock (client-go's observedTime is a
   * time.Time whose monotonic reading time.Since uses): a jump of the wall clock must not make
   * a lease look expired early.
   */
  readonly atUs: number;
}

export class LeaderElector {
  private observed: Observed | undefined;
  /** The lease as last read or written, for the resourceVersion of the next update. */
  private lease: Lease | undefined;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly identity: string,
    private readonly options: LeaderElectionOptions,
  ) {}

  get isLeader(): boolean {
    return this.observed?.spec.holderIdentity === this.identity;
  }

  /**
   * Campaigns until it holds the lease, then calls `lead` and renews until it cannot for the
   * renew deadline; then calls `lost` and campaigns again (client-go's caller exits and is
   * restarted; here the component starts over in place).
   */
  async run(lead: () => void, lost: () => void): Promise<never> {
    for (;;) {
      await this.acquire();
      this.ports.trace.emit('leader-election.acquired', {
        lease: `${this.options.namespace}/${this.options.name}`,
        identity: this.identity,
      });
      lead();
      await this.renewWhileLeading();
      this.ports.trace.emit('leader-election.lost', {
        lease: `${this.options.namespace}/${this.options.name}`,
        identity: this.identity,
      });
      lost();
    }
  }

  private async acquire(): Promise<void> {
    for (;;) {
      if (await this.tryAcquireOrRenew()) return;
      const jitter = this.ports.random.float() * ACQUIRE_JITTER;
      await this.ports.clock.sleep(Math.round(this.options.retryPeriodUs * (1 + jitter)));
    }
  }

  /**
   * renew: every retry period; leadership ends when renewals fail for the renew deadline. The
   * deadline also cuts a request in flight (client-go's context timeout), so a leader cut off
   * from the API server steps down within it and before a standby can see the lease expire.
   */
  private async renewWhileLeading(): Promise<void> {
    for (;;) {
      await this.ports.clock.sleep(this.options.retryPeriodUs);
      const deadlineUs = this.ports.clock.monotonicNow() + this.options.renewDeadlineUs;
      let expired = false;
      const deadline = this.ports.clock
        .sleep(this.options.renewDeadlineUs)
        .then(() => (expired = true));
      for (;;) {
        const renewed = await Promise.race([this.tryAcquireOrRenew(), deadline.then(() => false)]);
        if (renewed && !expired) break;
        if (expired || this.ports.clock.monotonicNow() >= deadlineUs) return;
        await Promise.race([this.ports.clock.sleep(this.options.retryPeriodUs), deadline]);
        if (expired) return;
      }
    }
  }

  /** The lease is held by whoever the observed record names until it goes unchanged too long. */
  private leaseValid(): boolean {
    const o = this.observed;
    if (o === undefined) return false;
    return (
      o.atUs + (o.spec.leaseDurationSeconds ?? 0) * 1_000_000 > this.ports.clock.monotonicNow()
    );
  }

  private observe(lease: Lease): void {
    const spec = lease.spec ?? {};
    const raw = JSON.stringify(spec);
    this.lease = lease;
    if (this.observed?.raw !== raw)
      this.observed = { spec, raw, atUs: this.ports.clock.monotonicNow() };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const nowUs = this.ports.clock.now();
    const now = formatMicroTime(nowUs);
    const record = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.floor(this.options.leaseDurationUs / 1_000_000),
      acquireTime: now,
      renewTime: now,
    };
    // 1. The leader's fast path: update the record it last saw.
    if (this.isLeader && this.leaseValid() && this.lease !== undefined) {
      const previous = this.observed!.spec;
      const r = await this.api.update(
        this.withSpec(this.lease, {
          ...record,
          acquireTime: previous.acquireTime ?? now,
          leaseTransitions: previous.leaseTransitions ?? 0,
        }),
      );
      if (r.ok) {
        this.observe(r.value);
        return true;
      }
    }
    // 2. Read the record, or create it.
    const got = await this.api.get('Lease', this.options.namespace, this.options.name);
    if (!got.ok) {
      if (got.status !== 404) return false;
      const created = await this.api.create<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.options.name, namespace: this.options.namespace },
        spec: { ...record, leaseTransitions: 0 },
      });
      if (!created.ok) return false;
      this.observe(created.value);
      return true;
    }
    // 3. Someone else holds an unexpired lease: wait.
    this.observe(got.value);
    const held = (this.observed!.spec.holderIdentity ?? '') !== '';
    if (held && this.leaseValid() && !this.isLeader) return false;
    // 4. Take it over (or renew it, as the leader, on the slow path).
    const old = this.observed!.spec;
    const spec = this.isLeader
      ? {
          ...record,
          acquireTime: old.acquireTime ?? now,
          leaseTransitions: old.leaseTransitions ?? 0,
        }
      : { ...record, leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
    const updated = await this.api.update(this.withSpec(got.value, spec));
    if (!updated.ok) return false;
    this.observe(updated.value);
    return true;
  }

  private withSpec(lease: Lease, spec: NonNullable<Lease['spec']>): Lease {
    return { ...lease, spec };
  }
}
