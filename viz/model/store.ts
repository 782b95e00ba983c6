/**
 * The Raft-replicated store: each member's role and term over time, who the cluster's leader is
 * (the live member that claims leadership at the highest term), elections, commit progress and
 * membership changes.
 */
import type { TraceRecord } from '../../core/trace/types.ts';
import type { LeaderChange, RoleSegment, StoreView } from './report-data.ts';
import { downsample } from './stats.ts';

/** The role of a member before its first start. */
const ABSENT = 'absent';
/** Progress samples kept per member. */
const MAX_PROGRESS_POINTS = 2_000;

interface Member {
  readonly id: number;
  readonly process: string;
  role: string;
  term: number;
  since: number;
  readonly progress: [number, number, number][];
}

export class StoreModel {
  private readonly members = new Map<number, Member>();
  private readonly byProcess = new Map<string, Member>();
  private readonly roles: [number, string, number, number, number][] = [];
  private readonly leaderChanges: LeaderChange[] = [];
  private readonly elections: [number, number, number][] = [];
  private readonly confChanges: [number, string][] = [];
  private leader = 0;

  add(r: TraceRecord): void {
    switch (r.k) {
      case 'store.member.start': {
        const m = this.member(r.id, r.p);
        this.setRole(m, r.t, 'follower', r.term);
        return;
      }
      case 'store.member.role': {
        const m = this.member(r.id, r.p);
        if (r.role === 'candidate' || r.role === 'pre-candidate')
          this.elections.push([r.t, r.id, r.term]);
        return this.setRole(m, r.t, r.role, r.term);
      }
      case 'store.member.progress': {
        const m = this.member(r.id, r.p);
        m.progress.push([r.t, r.term, r.commit]);
        if (r.term !== m.term) this.setRole(m, r.t, m.role, r.term);
        return;
      }
      case 'store.member.conf-change':
        this.confChanges.push([r.t, `${r.change} ${r.member}: voters ${r.voters.join(',')}`]);
        return;
      case 'process.crash': {
        const m = this.byProcess.get(r.p);
        if (m !== undefined) this.setRole(m, r.t, 'down', m.term);
        return;
      }
      default:
        return;
    }
  }

  private member(id: number, process: string): Member {
    let m = this.members.get(id);
    if (m === undefined) {
      m = { id, process, role: ABSENT, term: 0, since: 0, progress: [] };
      this.members.set(id, m);
      this.byProcess.set(process, m);
    }
    return m;
  }

  private setRole(m: Member, t: number, role: string, term: number): void {
    if (m.role === role && m.term === term) return;
    if (m.role !== ABSENT && t > m.since) this.roles.push([m.id, m.role, m.term, m.since, t]);
    m.role = role;
    m.term = term;
    m.since = t;
    this.updateLeader(t);
  }

  private updateLeader(t: number): void {
    let best: Member | undefined;
    for (const m of this.members.values())
      if (m.role === 'leader' && (best === undefined || m.term > best.term)) best = m;
    const to = best?.id ?? 0;
    if (to === this.leader) return;
    this.leaderChanges.push({ t, from: this.leader, to, term: best?.term ?? 0 });
    this.leader = to;
  }

  view(endUs: number): StoreView {
    const members = [...this.members.values()].sort((a, b) => a.id - b.id);
    const index = new Map(members.map((m, i) => [m.id, i]));
    const roles: RoleSegment[] = [
      ...this.roles,
      ...members.map(
        (m) => [m.id, m.role, m.term, m.since, endUs] as [number, string, number, number, number],
      ),
    ]
      .filter(([, role, , s, e]) => role !== ABSENT && e > s)
      .map(([id, role, term, s, e]) => [index.get(id) as number, role, term, s, e]);
    return {
      members: members.map((m) => ({ id: m.id, process: m.process })),
      roles,
      leaderChanges: this.leaderChanges.slice(),
      elections: this.elections.slice(),
      progress: members.map((m) => downsample(m.progress, MAX_PROGRESS_POINTS)),
      confChanges: this.confChanges.slice(),
    };
  }
}
