/**
 * When a CronJob's Jobs are due (pkg/controller/cronjob/utils.go: formatSchedule,
 * mostRecentScheduleTime, nextScheduleTimeDuration). Upstream computes times with robfig/cron;
 * ksim with croner (the maintained library core/api/cron-schedule.ts validates against), on the
 * virtual clock: every time here is Unix microseconds.
 */
import { Cron } from 'croner';
import type { CronJob } from '../../api/kinds/cron-job.ts';
import { timeZoneLoadError } from '../../api/cron-schedule.ts';
import { formatTime, parseRfc3339 } from '../../api/time.ts';

const US_PER_SECOND = 1_000_000;

/**
 * The zone of a schedule that names none: kube-controller-manager's local zone, which is UTC
 * in the container images clusters run it from.
 */
export const CONTROLLER_TIME_ZONE = 'UTC';

/** nextScheduleDelta: requeues land 100 ms after the schedule, to absorb clock skew. */
export const NEXT_SCHEDULE_DELTA_US = 100_000;

/** More missed start times than this make a TooManyMissedTimes warning. */
export const MANY_MISSED = 100;

/** A parsed schedule: the first activation strictly after a time, undefined if there is none. */
export interface CronSchedule {
  next(afterUs: number): number | undefined;
}

export type ParsedSchedule =
  | { readonly ok: true; readonly schedule: CronSchedule; readonly zone: string }
  | { readonly ok: false; readonly error: string };

/**
 * formatSchedule + cron.ParseStandard: a `TZ=`/`CRON_TZ=` prefix wins over spec.timeZone, an
 * unknown spec.timeZone is ignored (the sync refuses such a CronJob before parsing).
 */
export function parseSchedule(cronJob: CronJob): ParsedSchedule {
  let spec = cronJob.spec.schedule.trim();
  let zone = CONTROLLER_TIME_ZONE;
  const tz = /^(?:CRON_)?TZ=(\S*)\s*/.exec(spec);
  if (tz !== null) {
    zone = tz[1] as string;
    spec = spec.slice(tz[0].length);
    const err = timeZoneLoadError(zone);
    if (err !== undefined) return { ok: false, error: `provided bad location ${zone}: ${err}` };
  } else if (cronJob.spec.timeZone !== undefined) {
    if (timeZoneLoadError(cronJob.spec.timeZone) === undefined) zone = cronJob.spec.timeZone;
  }
  if (zone === '' || zone === 'Local') zone = CONTROLLER_TIME_ZONE;
  if (spec.startsWith('@every ')) {
    const everyUs = goDurationUs(spec.slice('@every '.length));
    if (everyUs === undefined) return { ok: false, error: `failed to parse duration ${spec}` };
    return { ok: true, schedule: everyInterval(everyUs), zone };
  }
  try {
    const cron = new Cron(spec, {
      paused: true,
      mode: '5-part',
      sloppyRanges: true,
      timezone: zone,
    });
    return {
      ok: true,
      zone,
      schedule: {
        // croner takes and returns instants; both come from the virtual clock (an RFC 3339
        // string in, whole seconds suffice: activations fall on whole seconds).
        next: (afterUs) => {
          const next = cron.nextRun(formatTime(afterUs));
          return next === null ? undefined : next.getTime() * 1000;
        },
      },
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/**
 * robfig's ConstantDelaySchedule: `@every d` fires d after the previous whole second, d
 * rounded down to whole seconds and at least one second.
 */
function everyInterval(everyUs: number): CronSchedule {
  const delayUs = Math.max(US_PER_SECOND, everyUs - (everyUs % US_PER_SECOND));
  return { next: (afterUs) => afterUs - (afterUs % US_PER_SECOND) + delayUs };
}

const GO_UNITS_US: Readonly<Record<string, number>> = {
  ns: 0.001,
  us: 1,
  µs: 1,
  μs: 1,
  ms: 1_000,
  s: US_PER_SECOND,
  m: 60 * US_PER_SECOND,
  h: 3_600 * US_PER_SECOND,
};

/** Go's time.ParseDuration, in microseconds (non-negative durations only). */
function goDurationUs(text: string): number | undefined {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(
    parts.reduce((sum, p) => sum + Number(p[1]) * (GO_UNITS_US[p[2] as string] ?? 0), 0),
  );
}

export type MissedSchedules = 'none' | 'few' | 'many';

export interface RecentSchedule {
  /** The last schedule time, or the CronJob's creation (or the deadline's start). */
  readonly earliestUs: number;
  /** The most recent activation at or before now that has not been started, if any. */
  readonly mostRecentUs: number | undefined;
  readonly missed: MissedSchedules;
  /** A schedule that is well formed but cannot fire as written (Feb 31). */
  readonly error?: string;
}

/**
 * mostRecentScheduleTime: the latest activation in (earliest, now], where earliest is the last
 * schedule time or the creation time, moved up to now − startingDeadlineSeconds when asked. The
 * number of missed activations is estimated from the interval between the first two, as
 * upstream does, so a long outage costs a handful of `next` calls, not one per missed time.
 */
export function mostRecentScheduleTime(
  cronJob: CronJob,
  creationUs: number,
  lastScheduleUs: number | undefined,
  nowUs: number,
  schedule: CronSchedule,
  includeStartingDeadline: boolean,
): RecentSchedule {
  let earliestUs = lastScheduleUs ?? creationUs;
  const deadline = cronJob.spec.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined) {
    earliestUs = Math.max(earliestUs, nowUs - deadline * US_PER_SECOND);
  }
  const t1 = schedule.next(earliestUs);
  const t2 = t1 === undefined ? undefined : schedule.next(t1);
  if (t1 !== undefined && nowUs < t1)
    return { earliestUs, mostRecentUs: undefined, missed: 'none' };
  if (t1 !== undefined && t2 !== undefined && nowUs < t2)
    return { earliestUs, mostRecentUs: t1, missed: 'none' };
  const betweenS = t1 === undefined || t2 === undefined ? 0 : Math.round((t2 - t1) / US_PER_SECOND);
  if (t1 === undefined || betweenS < 1) {
    return {
      earliestUs,
      mostRecentUs: undefined,
      missed: 'none',
      error: 'time difference between two schedules is less than 1 second',
    };
  }
  const elapsedS = Math.trunc((nowUs - t1) / US_PER_SECOND);
  const missedCount = Math.trunc(elapsedS / betweenS) + 1;
  let mostRecentUs: number | undefined;
  const potentialEarliestUs = t1 + (missedCount - 2) * betweenS * US_PER_SECOND;
  for (
    let t = schedule.next(potentialEarliestUs);
    t !== undefined && t <= nowUs;
    t = schedule.next(t)
  )
    mostRecentUs = t;
  const missed: MissedSchedules = missedCount > MANY_MISSED ? 'many' : 'few';
  return { earliestUs, mostRecentUs, missed };
}

/**
 * nextScheduleTimeDuration: how long until the sync after the next activation (plus
 * NEXT_SCHEDULE_DELTA_US); undefined when the schedule never fires again.
 */
export function nextScheduleDelayUs(
  cronJob: CronJob,
  creationUs: number,
  lastScheduleUs: number | undefined,
  nowUs: number,
  schedule: CronSchedule,
): number | undefined {
  const r = mostRecentScheduleTime(cronJob, creationUs, lastScheduleUs, nowUs, schedule, false);
  const fromUs =
    r.error !== undefined
      ? nowUs
      : (r.mostRecentUs ?? (r.missed === 'none' ? r.earliestUs : nowUs));
  const nextUs = schedule.next(fromUs);
  return nextUs === undefined ? undefined : nextUs + NEXT_SCHEDULE_DELTA_US - nowUs;
}

/**
 * RFC 3339 in a zone with its offset, as Go's time.Format(time.RFC3339) prints
 * `scheduledTime.In(zone)`: seconds precision, "Z" for a zero offset.
 */
export function formatInZone(us: number, zone: string): string {
  const ms = Math.floor(us / 1000);
  const seconds = Math.floor(ms / 1000) * 1000;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(seconds)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const wall = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  const offsetMin = Math.round(((parseRfc3339(`${wall}Z`) ?? 0) / 1000 - seconds) / 60_000);
  if (offsetMin === 0) return `${wall}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${wall}${sign}${hh}:${mm}`;
}

const WEEKDAYS = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z of a UTC time: "Mon, 02 Jan 2006 15:04:05 +0000". */
export function formatRfc1123z(us: number): string {
  const [date, clock] = formatTime(us).slice(0, -1).split('T') as [string, string];
  const [y, mo, d] = date.split('-') as [string, string, string];
  // 1970-01-01 was a Thursday.
  const weekday = WEEKDAYS[((Math.floor(us / 86_400_000_000) % 7) + 7) % 7];
  return `${weekday}, ${d} ${MONTHS[Number(mo) - 1]} ${y} ${clock} +0000`;
}
