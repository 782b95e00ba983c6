import { assert, assertNever } from '../core/util/assert.ts';
import type { LinkOptions } from './network.ts';
import type { Simulation } from './simulation.ts';

/**
 * Faults a scenario or fuzzer can inject, as data. Each stays within what the system under
 * test promises to tolerate: messages are lost or late, processes stop, unsynced writes vanish.
 */
export type Fault =
  | { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly kind: 'block'; readonly from: string; readonly to: string }
  | { readonly kind: 'isolate'; readonly process: string }
  | { readonly kind: 'heal' }
  | { readonly kind: 'crash'; readonly process: string; readonly restartAfterUs?: number }
  | {
      readonly kind: 'crash-lease-leader';
      readonly lease: string;
      readonly restartAfterUs?: number;
    }
  | {
      readonly kind: 'zone-outage';
      readonly label: string;
      readonly zone: string;
      /** The zone's processes (its nodes), resolved from the cluster's labels. */
      readonly processes: readonly string[];
      readonly durationUs?: number;
    }
  | { readonly kind: 'restart'; readonly process: string }
  | { readonly kind: 'clog'; readonly process: string; readonly durationUs: number }
  | {
      readonly kind: 'link';
      readonly link: LinkOptions;
      readonly from?: string;
      readonly to?: string;
    }
  | {
      readonly kind: 'disk-faults';
      readonly process: string;
      readonly tornWriteProbability: number;
      readonly readErrorProbability: number;
    }
  | { readonly kind: 'wipe-disk'; readonly process: string }
  | { readonly kind: 'clock-jump'; readonly process: string; readonly deltaUs: number }
  | { readonly kind: 'clock-rate'; readonly process: string; readonly rate: number }
  /**
   * Figure 8 of the Raft paper (store-fuzz/figure-eight.ts) on the store's members, with
   * `clients` cut off beside the old leader; it unfolds for `durationUs` and then heals.
   */
  | { readonly kind: 'figure-8'; readonly clients: readonly string[]; readonly durationUs: number };

/** The faults that need no cluster around them: a Lease's leader, a zone's nodes, the store's. */
export type ProcessFault = Exclude<
  Fault,
  { kind: 'crash-lease-leader' | 'zone-outage' | 'figure-8' }
>;

/** What some faults resolve when they strike. */
export interface FaultContext {
  /** The process acting as leader of a Lease (namespace/name) now, if any. */
  readonly leaseLeader?: (lease: string) => string | undefined;
  /**
   * Starts the Figure 8 shape on the store's members at the leader's next append, unfolding
   * until `untilUs`.
   */
  readonly figureEight?: (clients: readonly string[], untilUs: number) => void;
}

export function applyFault(sim: Simulation, fault: Fault, context: FaultContext = {}): void {
  switch (fault.kind) {
    case 'partition':
      return sim.network.partition(fault.groups);
    case 'block':
      return sim.network.block(fault.from, fault.to);
    case 'isolate':
      return sim.network.isolate(fault.process);
    case 'heal':
      return sim.network.heal();
    case 'crash':
      return crash(sim, fault.process, fault.restartAfterUs);
    case 'crash-lease-leader':
      return crashLeaseLeader(sim, fault, context);
    case 'zone-outage':
      return zoneOutage(sim, fault);
    case 'figure-8': {
      assert(context.figureEight !== undefined, 'a figure-8 fault needs figureEight');
      const untilUs = sim.now + fault.durationUs;
      context.figureEight(fault.clients, untilUs);
      sim.at(untilUs, () => sim.network.heal());
      return;
    }
    case 'restart':
      return sim.restart(fault.process);
    case 'clog':
      return sim.network.clog(fault.process, fault.durationUs);
    case 'link':
      sim.trace.record('sim', 'fault.link', {
        from: fault.from ?? '*',
        to: fault.to ?? '*',
        ...fault.link,
      });
      if (fault.from !== undefined && fault.to !== undefined)
        return sim.network.setLink(fault.from, fault.to, fault.link);
      return sim.network.setDefaultLink(fault.link);
    case 'disk-faults':
      sim.trace.record('sim', 'fault.disk', {
        process: fault.process,
        tornWriteProbability: fault.tornWriteProbability,
        readErrorProbability: fault.readErrorProbability,
      });
      return sim.process(fault.process).disk.setFaults(fault);
    case 'wipe-disk':
      return sim.process(fault.process).disk.wipe();
    case 'clock-jump':
      sim.trace.record('sim', 'fault.clock-jump', {
        process: fault.process,
        deltaUs: fault.deltaUs,
      });
      return sim.process(fault.process).clock.jump(fault.deltaUs);
    case 'clock-rate':
      sim.trace.record('sim', 'fault.clock-rate', { process: fault.process, rate: fault.rate });
      return sim.process(fault.process).clock.setRate(fault.rate);
    default:
      return assertNever(fault, 'fault');
  }
}

function crash(sim: Simulation, process: string, restartAfterUs: number | undefined): void {
  sim.crash(process);
  if (restartAfterUs !== undefined) sim.at(sim.now + restartAfterUs, () => sim.restart(process));
}

/** Resolved now, not when the scenario was written: leadership moves during a run. */
function crashLeaseLeader(
  sim: Simulation,
  fault: Extract<Fault, { kind: 'crash-lease-leader' }>,
  context: FaultContext,
): void {
  assert(context.leaseLeader !== undefined, 'a crash-lease-leader fault needs leaseLeader');
  const process = context.leaseLeader(fault.lease);
  sim.trace.record('sim', 'fault.lease-leader', {
    lease: fault.lease,
    ...(process === undefined ? {} : { process }),
  });
  if (process !== undefined) crash(sim, process, fault.restartAfterUs);
}

function zoneOutage(sim: Simulation, fault: Extract<Fault, { kind: 'zone-outage' }>): void {
  const { label, zone, processes } = fault;
  sim.trace.record('sim', 'fault.zone-outage', {
    label,
    zone,
    processes: [...processes],
    ...(fault.durationUs === undefined ? {} : { durationUs: fault.durationUs }),
  });
  for (const p of processes) sim.crash(p);
  if (fault.durationUs === undefined) return;
  sim.at(sim.now + fault.durationUs, () => {
    sim.trace.record('sim', 'fault.zone-recovered', { label, zone, processes: [...processes] });
    for (const p of processes) sim.restart(p);
  });
}

/** Schedules each fault at its virtual time. */
export function scheduleFaults(
  sim: Simulation,
  faults: readonly { readonly atUs: number; readonly fault: Fault }[],
): void {
  for (const { atUs, fault } of faults) sim.at(atUs, () => applyFault(sim, fault));
}
