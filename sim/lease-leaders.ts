/**
 * Which process acts as leader of each leader-election Lease, as the candidates' own trace
 * records say: a `leader-election.acquired` makes a process the leader, its
 * `leader-election.lost` or its crash ends that. This is the acting leader (the process doing
 * the leader's work), not the Lease object's holderIdentity, which names a crashed holder until
 * another candidate takes the Lease over 15 s later.
 */
import type { TraceRecord } from '../core/trace/types.ts';
import type { Simulation } from './simulation.ts';

export class LeaseLeaders {
  private readonly leaders = new Map<string, string>();

  constructor(sim: Simulation) {
    sim.trace.observe((r) => this.observe(r));
  }

  /** The process leading the Lease (namespace/name) now, if any. */
  leaderOf(lease: string): string | undefined {
    return this.leaders.get(lease);
  }

  private observe(r: TraceRecord): void {
    switch (r.k) {
      case 'leader-election.acquired':
        this.leaders.set(r.lease, r.p);
        return;
      case 'leader-election.lost':
        if (this.leaders.get(r.lease) === r.p) this.leaders.delete(r.lease);
        return;
      case 'process.crash':
        for (const [lease, p] of this.leaders) if (p === r.p) this.leaders.delete(lease);
        return;
    }
  }
}
