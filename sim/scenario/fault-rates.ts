/**
 * Faults drawn from rates (spec.faultRates): per rule an arrival process (Poisson: exponential
 * gaps of mean `every`; or constant), a duration per fault and a target drawn from `among`
 * (a process, a zone, or for a link the link from one drawn process to another; a link rule
 * without among changes the default link).
 * The whole schedule is drawn from the run's seed before the run starts, so it depends on
 * nothing the run does, and each drawn fault is an ordinary fault action: the schedule is
 * printed and traced as explicit actions, which reproduce the run when written into the file.
 */
import { stringify } from 'yaml';
import type { Random } from '../../core/ports/random.ts';
import { LABEL_TOPOLOGY_ZONE } from '../../core/controllers/node-lifecycle/zone-disruption.ts';
import type { FaultRate, RawScenario, ScenarioFault } from './scenario-schema.ts';
import { groupMembers, processNames } from './cluster-spec.ts';

type Cluster = RawScenario['spec']['cluster'];

/** A fault drawn from rule `rule` of spec.faultRates, in the form of a fault action. */
export interface DrawnFault {
  readonly rule: number;
  readonly atUs: number;
  readonly fault: ScenarioFault;
}

/** More would make a schedule nobody reads, and a run that does little besides faults. */
export const MAX_DRAWN_FAULTS = 10_000;

/** Drawn times and durations are whole milliseconds, so the printed actions read cleanly. */
const MS = 1_000;

/**
 * Every rule's faults up to `endUs`, in time order (rule order at equal times). A target that
 * is still down (or clogged) from an earlier fault of the same rule is not drawn again until it
 * is back; an arrival with every target busy is dropped.
 */
export function drawFaults(
  rules: readonly FaultRate[],
  random: Random,
  endUs: number,
  cluster: Cluster,
): DrawnFault[] {
  const drawn = rules.flatMap((rule, i) =>
    drawRule(rule, i, random.fork(`fault-rate-${i}`), endUs, cluster),
  );
  return drawn.sort((a, b) => a.atUs - b.atUs || a.rule - b.rule);
}

function drawRule(
  rule: FaultRate,
  index: number,
  random: Random,
  endUs: number,
  cluster: Cluster,
): DrawnFault[] {
  const targets = targetsOf(rule, cluster);
  // A partition takes the rule's processes all at once: one at a time; so does a change of the
  // default link (a link rule without among).
  const pool =
    rule.kind === 'partition'
      ? [PARTITION]
      : rule.kind === 'link' && rule.among === undefined
        ? [EVERY_LINK]
        : targets;
  const busyUntil = new Map<string, number>();
  const out: DrawnFault[] = [];
  const untilUs = Math.min(rule.until ?? endUs, endUs);
  let t = rule.from ?? 0;
  for (;;) {
    t += roundMs(rule.arrival === 'constant' ? rule.every : exponential(random, rule.every));
    if (t > untilUs) return out;
    const free = pool.filter((x) => (busyUntil.get(x) ?? 0) <= t);
    const target = free[random.int(free.length)];
    const durationUs = drawDuration(rule.duration, random);
    if (target === undefined) continue;
    const lastingUs = rule.kind === 'clock-jump' ? 0 : durationUs;
    busyUntil.set(target, lastingUs === undefined ? Infinity : t + lastingUs);
    for (const f of faultsOf(rule, target, targets, durationUs, random))
      if (t + f.afterUs <= endUs) out.push({ rule: index, atUs: t + f.afterUs, fault: f.fault });
    if (out.length > MAX_DRAWN_FAULTS)
      throw new Error(
        `spec.faultRates[${index}] draws more than ${MAX_DRAWN_FAULTS} faults: make every longer`,
      );
  }
}

/** The partition rule's one target: the network between its processes. */
const PARTITION = 'network';
/** A link rule's one target without among: the default link. */
const EVERY_LINK = '*';

/**
 * The fault actions one arrival makes, after it by `afterUs`: the fault, and for a fault that
 * has no end of its own (a partition, a clock's rate) the action that ends it.
 */
function faultsOf(
  rule: FaultRate,
  target: string,
  targets: readonly string[],
  durationUs: number | undefined,
  random: Random,
): { readonly afterUs: number; readonly fault: ScenarioFault }[] {
  const lasting = (field: string) => (durationUs === undefined ? {} : { [field]: durationUs });
  const now = (fault: ScenarioFault) => [{ afterUs: 0, fault }];
  switch (rule.kind) {
    case 'crash':
      return now(
        rule.leaderOf === undefined
          ? { kind: 'crash', process: target, ...lasting('restartAfter') }
          : { kind: 'crash', leaderOf: target, ...lasting('restartAfter') },
      );
    case 'clog':
      return now({ kind: 'clog', process: target, duration: durationUs ?? 0 });
    case 'zone-outage':
      return now({
        kind: 'zone-outage',
        zone: target,
        ...(rule.label === undefined ? {} : { label: rule.label }),
        ...lasting('duration'),
      });
    case 'clock-jump':
      return now({
        kind: 'clock-jump',
        process: target,
        by: durationUs ?? 0,
        ...(rule.backwards === true ? { backwards: true } : {}),
      });
    case 'clock-rate': {
      const rate = drawRate(rule.rate ?? 1, random);
      return [
        { afterUs: 0, fault: { kind: 'clock-rate', process: target, rate } },
        { afterUs: durationUs ?? 0, fault: { kind: 'clock-rate', process: target, rate: 1 } },
      ];
    }
    case 'link': {
      // Back to the default link of spec.cluster.network at the end: a link fault without
      // latency or probabilities sets the default's.
      const ends =
        target === EVERY_LINK ? {} : { from: target, to: otherThan(target, targets, random) };
      return [
        { afterUs: 0, fault: { kind: 'link', ...ends, ...drawnLink(rule, random) } },
        { afterUs: durationUs ?? 0, fault: { kind: 'link', ...ends } },
      ];
    }
    case 'disk-faults':
      return [
        {
          afterUs: 0,
          fault: {
            kind: 'disk-faults',
            process: target,
            tornWriteProbability: drawProbability(rule.tornWriteProbability, random),
            readErrorProbability: drawProbability(rule.readErrorProbability, random),
          },
        },
        {
          afterUs: durationUs ?? 0,
          fault: {
            kind: 'disk-faults',
            process: target,
            tornWriteProbability: 0,
            readErrorProbability: 0,
          },
        },
      ];
    case 'partition':
      // The heal ends every network fault at once, as the heal action does.
      return [
        {
          afterUs: 0,
          fault: rule.oneWay === true ? oneWay(targets, random) : split(targets, random),
        },
        { afterUs: durationUs ?? 0, fault: { kind: 'heal' } },
      ];
  }
}

/** Two non-empty sides, each process on a side drawn for it. */
function split(processes: readonly string[], random: Random): ScenarioFault {
  const sides: string[][] = [[], []];
  for (const p of processes) sides[random.int(2)]!.push(p);
  if (sides[0]!.length === 0) sides[0]!.push(sides[1]!.shift()!);
  if (sides[1]!.length === 0) sides[1]!.push(sides[0]!.pop()!);
  return { kind: 'partition', groups: sides };
}

/** Messages from one drawn process to another drawn process are dropped. */
function oneWay(processes: readonly string[], random: Random): ScenarioFault {
  const from = processes[random.int(processes.length)]!;
  const others = processes.filter((p) => p !== from);
  return { kind: 'block', from, to: others[random.int(others.length)]! };
}

/** A process of `processes` other than `from`, drawn. */
function otherThan(from: string, processes: readonly string[], random: Random): string {
  const others = processes.filter((p) => p !== from);
  return others[random.int(others.length)]!;
}

/** What a link rule sets for one fault: its latency, and its probabilities drawn. */
function drawnLink(rule: FaultRate, random: Random) {
  return {
    ...(rule.latency === undefined ? {} : { latency: rule.latency }),
    ...(rule.lossProbability === undefined
      ? {}
      : { lossProbability: drawProbability(rule.lossProbability, random) }),
    ...(rule.duplicateProbability === undefined
      ? {}
      : { duplicateProbability: drawProbability(rule.duplicateProbability, random) }),
  };
}

/** A drawn probability (0 when the rule has none), to three decimals as a drawn rate. */
function drawProbability(
  p: number | { readonly min: number; readonly max: number } | undefined,
  random: Random,
): number {
  if (p === undefined) return 0;
  if (typeof p === 'number') return p;
  return Math.round((p.min + random.float() * (p.max - p.min)) * 1000) / 1000;
}

/** A drawn clock rate, to three decimals so the printed action reads cleanly. */
function drawRate(r: NonNullable<FaultRate['rate']>, random: Random): number {
  if (typeof r === 'number') return r;
  return Math.round((r.min + random.float() * (r.max - r.min)) * 1000) / 1000;
}

/** An exponential gap of the given mean (inverse transform; 1 - u is never 0). */
function exponential(random: Random, meanUs: number): number {
  return -meanUs * Math.log(1 - random.float());
}

function drawDuration(d: FaultRate['duration'], random: Random): number | undefined {
  if (d === undefined || typeof d === 'number') return d;
  return roundMs(d.min + random.float() * (d.max - d.min));
}

/** At least a millisecond, so two arrivals of a rule are never at the same time. */
function roundMs(us: number): number {
  return Math.max(MS, Math.round(us / MS) * MS);
}

/** The processes (crash, clog, ...) or zones (zone-outage) a rule draws from, deduplicated. */
function targetsOf(rule: FaultRate, cluster: Cluster): string[] {
  if (rule.leaderOf !== undefined) return [rule.leaderOf];
  const among = rule.among ?? [];
  if (rule.kind === 'zone-outage') return [...new Set(among)];
  const processes = new Set(processNames(cluster));
  return [
    ...new Set(
      among.flatMap((name) => {
        if (processes.has(name)) return [name];
        const members = groupMembers(cluster, name);
        return typeof members === 'string' ? [] : members;
      }),
    ),
  ];
}

/** What is wrong with a rule in this cluster (checked at load), as [path, message]. */
export function faultRateProblems(
  rule: FaultRate,
  cluster: Cluster,
  durationUs: number,
): [string, string][] {
  const problems: [string, string][] = [];
  if (rule.kind === 'zone-outage') {
    const label = rule.label ?? LABEL_TOPOLOGY_ZONE;
    for (const zone of rule.among ?? []) {
      const members = groupMembers(cluster, `${label}=${zone}`);
      if (typeof members === 'string') problems.push(['among', `unknown zone: ${members}`]);
    }
  } else if (rule.among !== undefined) {
    const processes = new Set(processNames(cluster));
    for (const name of rule.among) {
      if (processes.has(name)) continue;
      const members = groupMembers(cluster, name);
      if (typeof members === 'string')
        problems.push(['among', `${JSON.stringify(name)} is no process (${members})`]);
    }
    for (const k of ['partition', 'link'] as const)
      if (rule.kind === k && problems.length === 0 && targetsOf(rule, cluster).length < 2)
        problems.push(['among', `a ${k} needs at least two processes`]);
  }
  const windowUs = Math.min(rule.until ?? durationUs, durationUs) - (rule.from ?? 0);
  if (rule.every > 0 && windowUs / rule.every > MAX_DRAWN_FAULTS)
    problems.push([
      'every',
      `would draw about ${Math.round(windowUs / rule.every)} faults (at most ${MAX_DRAWN_FAULTS}): make it longer`,
    ]);
  return problems;
}

/** A duration as the scenario language writes it; parseDuration reads it back exactly. */
export function formatDuration(us: number): string {
  return `${us / 1_000_000}s`;
}

const DURATION_FIELDS = new Set(['restartAfter', 'duration', 'by']);

function formatLatency(l: { readonly min: number; readonly max: number }) {
  return { min: formatDuration(l.min), max: formatDuration(l.max) };
}

/** A drawn fault as a timed fault action, one line of YAML: paste it under spec.actions. */
export function drawnAction(d: DrawnFault): string {
  const fault = Object.fromEntries(
    Object.entries(d.fault).map(([k, v]) => [
      k,
      DURATION_FIELDS.has(k) && typeof v === 'number'
        ? formatDuration(v)
        : k === 'latency'
          ? formatLatency(v as { readonly min: number; readonly max: number })
          : v,
    ]),
  );
  return stringify(
    { at: formatDuration(d.atUs), fault },
    { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: true },
  ).trim();
}
