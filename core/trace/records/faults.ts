import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { micros, probability, processName } from '../fields.ts';

const FAULT_KINDS = [
  'partition',
  'block',
  'isolate',
  'heal',
  'crash',
  'restart',
  'clog',
  'link',
  'disk-faults',
  'wipe-disk',
  'clock-jump',
  'clock-rate',
  'isolate-leader',
  'crash-leader',
  'replace-member',
  'lose-member',
] as const;

const latency = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('constant').describe('Every message takes the same time.'),
      us: z.int().nonnegative().describe('The latency, in microseconds.'),
    }),
    z.strictObject({
      kind: z.literal('uniform').describe('Uniform between the bounds.'),
      minUs: z.int().nonnegative().describe('Lower bound, in microseconds.'),
      maxUs: z.int().nonnegative().describe('Upper bound, in microseconds.'),
    }),
    z.strictObject({
      kind: z.literal('exponential').describe('A minimum plus an exponential tail.'),
      minUs: z.int().nonnegative().describe('The minimum, in microseconds.'),
      meanUs: z
        .int()
        .nonnegative()
        .describe('Mean of the tail above the minimum, in microseconds.'),
    }),
  ])
  .describe('One-way latency model of the link.');

const member = () => processName('The store member the fault is aimed at.');

export const FAULT_RECORDS = traceGroup(
  'Faults',
  'Faults injected by a scenario or the store fuzzer, at the moment they strike. Emitted by `sim`, except `fault.disk-wipe` (by the process whose disk is lost) and `buggify.fired` (by the process whose site fired). Crashes and restarts appear as `process.crash` and `process.start`; `isolate` as `fault.partition`.',
  [
    traceRecord('fault.partition', {
      level: 'info',
      doc: 'The network was split into groups that cannot reach each other (both ways).',
      fields: z.strictObject({
        groups: z.array(z.array(z.string())).describe('The groups of process names.'),
      }),
    }),
    traceRecord('fault.block', {
      level: 'info',
      doc: 'Traffic from one process to another is blocked (one way).',
      fields: z.strictObject({
        from: processName('The sender.'),
        to: processName('The addressee.'),
      }),
    }),
    traceRecord('fault.heal', {
      level: 'info',
      doc: 'Every partition, block and clog was lifted.',
      fields: z.strictObject({}),
    }),
    traceRecord('fault.clog', {
      level: 'info',
      doc: 'Every message to or from a process is held (delayed, not lost) for a while.',
      fields: z.strictObject({
        process: processName(),
        durationUs: micros('How long, in microseconds.'),
      }),
    }),
    traceRecord('fault.link', {
      level: 'info',
      doc: 'The latency, loss and duplication of one link, or of every link, changed.',
      fields: z.strictObject({
        from: processName('The sender end of the link, `*` for every link.'),
        to: processName('The addressee end of the link, `*` for every link.'),
        latency,
        lossProbability: probability(
          'Probability that a datagram, request or reply is lost (stream messages are retransmitted instead).',
        ),
        duplicateProbability: probability('Probability that a datagram is delivered twice.'),
      }),
    }),
    traceRecord('fault.disk', {
      level: 'info',
      doc: "A process's disk fault probabilities changed.",
      fields: z.strictObject({
        process: processName(),
        tornWriteProbability: probability(
          'Probability that a crash tears the first unsynced write of a file.',
        ),
        readErrorProbability: probability('Probability that a read fails with an I/O error.'),
      }),
    }),
    traceRecord('fault.disk-wipe', {
      level: 'info',
      doc: "Every file on `p`'s disk is gone, synced or not (the disk was lost).",
      fields: z.strictObject({}),
    }),
    traceRecord('fault.clock-jump', {
      level: 'info',
      doc: "What a process's clock reads jumped (timers already set still fire after their delay).",
      fields: z.strictObject({
        process: processName(),
        deltaUs: micros('The jump, in microseconds; negative goes back in time.'),
      }),
    }),
    traceRecord('fault.clock-rate', {
      level: 'info',
      doc: "A process's clock now runs fast or slow against virtual time (drift); its timers stretch alike.",
      fields: z.strictObject({
        process: processName(),
        rate: z
          .number()
          .positive()
          .describe('Local microseconds per virtual microsecond (1 is exact).'),
      }),
    }),
    traceRecord('fault.isolate-leader', {
      level: 'info',
      doc: "The current store leader was cut off from the other members: the store fuzzer's `isolate-leader`, or the first step of Figure 8 (the store fuzzer's, or a scenario's `figure-8` fault).",
      fields: z.strictObject({
        process: processName('The leader.'),
        clients: z.array(z.string()).describe('Clients left on the side of the old leader.'),
      }),
    }),
    traceRecord('fault.crash-leader', {
      level: 'info',
      doc: 'The store fuzzer crashed the current store leader (it restarts later).',
      fields: z.strictObject({ process: processName('The leader.') }),
    }),
    traceRecord('fault.replace-member', {
      level: 'info',
      doc: 'The store fuzzer, as an operator, adds a new member and then removes this one.',
      fields: z.strictObject({
        process: member(),
        by: processName('The new member that takes its place.'),
      }),
    }),
    traceRecord('fault.lose-member', {
      level: 'info',
      doc: "A store member's machine is gone with its disk; an operator removes it and adds a new member in its place.",
      fields: z.strictObject({
        process: member(),
        by: processName('The new member that takes its place.'),
      }),
    }),
    traceRecord('buggify.fired', {
      level: 'info',
      doc: 'A buggify site the run turned on fired in `p`: the component takes the site\'s rare path this time (README, "Buggify").',
      fields: z.strictObject({
        site: z
          .string()
          .describe(
            'The site, as `spec.buggify` names it (core/ports/buggify.ts): `scheduler.bind-error`, `apiserver.throttle`, ...',
          ),
      }),
    }),
    traceRecord('fault.lease-leader', {
      level: 'info',
      doc: 'A crash aimed at the leader of a Lease struck: it crashes the process leading the Lease now, or does nothing when nobody leads it.',
      fields: z.strictObject({
        lease: z.string().describe('The Lease, as namespace/name.'),
        process: z
          .string()
          .optional()
          .describe('The process leading it, which crashes; absent when nobody led it (a no-op).'),
      }),
    }),
    traceRecord('fault.zone-outage', {
      level: 'info',
      doc: 'Every node of a zone crashed at once (`process.crash` follows for each); with `durationUs` the zone recovers that much later.',
      fields: z.strictObject({
        label: z.string().describe('The node label whose value is the zone.'),
        zone: z.string().describe('The zone.'),
        processes: z.array(z.string()).describe('The processes of the zone.'),
        durationUs: z
          .int()
          .optional()
          .describe('How long the outage lasts, in microseconds; absent: until restarted.'),
      }),
    }),
    traceRecord('fault.zone-recovered', {
      level: 'info',
      doc: 'A zone outage ended: its processes start again (`process.start` follows for each).',
      fields: z.strictObject({
        label: z.string().describe('The node label whose value is the zone.'),
        zone: z.string().describe('The zone.'),
        processes: z.array(z.string()).describe('The processes of the zone.'),
      }),
    }),
    traceRecord('fault.drawn', {
      level: 'info',
      doc: "A fault drawn from the scenario's `faultRates` by the seed, recorded at the start of the run as the explicit action that reproduces it.",
      fields: z.strictObject({
        rule: z.int().nonnegative().describe('The index of the rate in spec.faultRates.'),
        atUs: micros('When the fault strikes, in microseconds.'),
        action: z
          .string()
          .describe('The fault as a timed scenario action, one line of YAML (flow style).'),
      }),
    }),
    traceRecord('fault.skipped', {
      level: 'info',
      doc: 'A scheduled fault did nothing: the process it aims at is lost for good.',
      fields: z.strictObject({
        kind: z.enum(FAULT_KINDS).describe('The kind of the fault skipped.'),
        process: processName('The lost process.'),
        why: z.literal('lost').describe('Always `lost` today.'),
      }),
    }),
  ],
);
