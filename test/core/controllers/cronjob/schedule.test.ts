/**
 * The CronJob controller's schedule arithmetic against upstream's tables
 * (pkg/controller/cronjob/utils_test.go: TestMostRecentScheduleTime,
 * TestNextScheduleTimeDuration), with times from upstream's topOfTheHour (2016-05-19T10:00Z, a
 * Thursday).
 */
import { describe, expect, it } from 'vitest';
import type { CronJob } from '../../../../core/api/kinds/cron-job.ts';
import {
  formatInZone,
  formatRfc1123z,
  mostRecentScheduleTime,
  nextScheduleDelayUs,
  NEXT_SCHEDULE_DELTA_US,
  parseSchedule,
  type MissedSchedules,
} from '../../../../core/controllers/cronjob/schedule.ts';

const TOP_US = Date.parse('2016-05-19T10:00:00Z') * 1000;
const S = 1_000_000;
const MIN = 60 * S;
const H = 60 * MIN;
const after = (us: number): number => TOP_US + us;

function cronJob(schedule: string, startingDeadlineSeconds?: number, timeZone?: string): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'default' },
    spec: {
      schedule,
      ...(startingDeadlineSeconds === undefined ? {} : { startingDeadlineSeconds }),
      ...(timeZone === undefined ? {} : { timeZone }),
      jobTemplate: { spec: { template: { spec: { containers: [] } } } },
    },
  } as unknown as CronJob;
}

interface Case {
  readonly name: string;
  readonly schedule: string;
  readonly creationUs: number;
  readonly lastUs?: number;
  readonly deadline?: number;
  readonly includeDeadline?: boolean;
  readonly nowUs: number;
  readonly earliestUs?: number;
  readonly recentUs: number | undefined;
  readonly missed?: MissedSchedules;
  readonly error?: boolean;
}

// Each case is the upstream case of the same name.
const CASES: readonly Case[] = [
  {
    name: 'now before next schedule',
    schedule: '0 * * * *',
    creationUs: TOP_US,
    nowUs: after(30 * S),
    earliestUs: TOP_US,
    recentUs: undefined,
  },
  {
    name: 'now just after next schedule',
    schedule: '0 * * * *',
    creationUs: TOP_US,
    nowUs: after(61 * MIN),
    earliestUs: TOP_US,
    recentUs: after(60 * MIN),
  },
  {
    name: 'missed 5 schedules',
    schedule: '0 * * * *',
    creationUs: after(10 * S),
    nowUs: after(301 * MIN),
    earliestUs: after(10 * S),
    recentUs: after(300 * MIN),
    missed: 'few',
  },
  {
    name: 'complex schedule',
    schedule: '30 6-16/4 * * 1-5',
    creationUs: TOP_US,
    lastUs: after(30 * MIN),
    nowUs: after(24 * H + 31 * MIN),
    earliestUs: after(30 * MIN),
    recentUs: after(24 * H + 30 * MIN),
    missed: 'few',
  },
  {
    name: 'another complex schedule',
    schedule: '30 10,11,12 * * 1-5',
    creationUs: TOP_US,
    lastUs: after(30 * MIN),
    nowUs: after(30 * H + 30 * MIN),
    earliestUs: after(30 * MIN),
    recentUs: undefined,
    missed: 'few',
  },
  {
    name: 'complex schedule with longer diff between executions',
    schedule: '30 6-16/4 * * 1-5',
    creationUs: TOP_US,
    lastUs: after(30 * MIN),
    nowUs: after(96 * H + 31 * MIN),
    earliestUs: after(30 * MIN),
    recentUs: after(96 * H + 30 * MIN),
    missed: 'few',
  },
  {
    name: 'complex schedule with shorter diff between executions',
    schedule: '30 6-16/4 * * 1-5',
    creationUs: TOP_US,
    nowUs: after(24 * H + 31 * MIN),
    earliestUs: TOP_US,
    recentUs: after(24 * H + 30 * MIN),
    missed: 'few',
  },
  {
    name: '@every schedule',
    schedule: '@every 1h',
    creationUs: after(-59 * MIN),
    lastUs: after(1 * MIN),
    deadline: 10,
    nowUs: after(7 * 24 * H),
    earliestUs: after(1 * MIN),
    recentUs: after(6 * 24 * H + 23 * H + 1 * MIN),
    missed: 'many',
  },
  {
    name: 'rogue cronjob',
    schedule: '59 23 31 2 *',
    creationUs: after(10 * S),
    nowUs: after(1 * H),
    recentUs: undefined,
    error: true,
  },
  {
    name: 'earliestTime being CreationTimestamp and LastScheduleTime',
    schedule: '0 * * * *',
    creationUs: TOP_US,
    lastUs: TOP_US,
    nowUs: after(30 * S),
    earliestUs: TOP_US,
    recentUs: undefined,
  },
  {
    name: 'earliestTime being LastScheduleTime',
    schedule: '*/5 * * * *',
    creationUs: TOP_US,
    lastUs: after(30 * MIN),
    nowUs: after(31 * MIN),
    earliestUs: after(30 * MIN),
    recentUs: undefined,
  },
  {
    name: 'earliestTime being LastScheduleTime (within StartingDeadlineSeconds)',
    schedule: '*/5 * * * *',
    creationUs: TOP_US,
    lastUs: after(30 * MIN),
    deadline: 60,
    nowUs: after(31 * MIN),
    earliestUs: after(30 * MIN),
    recentUs: undefined,
  },
  {
    name: 'earliestTime being LastScheduleTime (outside StartingDeadlineSeconds)',
    schedule: '*/5 * * * *',
    creationUs: TOP_US,
    lastUs: after(30 * MIN),
    deadline: 60,
    includeDeadline: true,
    nowUs: after(32 * MIN),
    earliestUs: after(31 * MIN),
    recentUs: undefined,
  },
];

function parsed(cj: CronJob) {
  const p = parseSchedule(cj);
  if (!p.ok) throw new Error(p.error);
  return p.schedule;
}

describe('mostRecentScheduleTime (upstream TestMostRecentScheduleTime)', () => {
  it.each(CASES)('$name', (c) => {
    const cj = cronJob(c.schedule, c.deadline);
    const r = mostRecentScheduleTime(
      cj,
      c.creationUs,
      c.lastUs,
      c.nowUs,
      parsed(cj),
      c.includeDeadline ?? false,
    );
    if (c.error) {
      expect(r.error).toBe('time difference between two schedules is less than 1 second');
      return;
    }
    expect(r.error).toBeUndefined();
    expect(r.earliestUs).toBe(c.earliestUs);
    expect(r.mostRecentUs).toBe(c.recentUs);
    expect(r.missed).toBe(c.missed ?? 'none');
  });
});

describe('nextScheduleDelayUs (upstream TestNextScheduleTimeDuration)', () => {
  it.each([
    [
      'complex schedule skipping weekend',
      '30 6-16/4 * * 1-5',
      after(30 * MIN),
      after(24 * H + 31 * MIN),
      3 * H + 59 * MIN,
    ],
    [
      'another complex schedule skipping weekend',
      '30 10,11,12 * * 1-5',
      after(30 * MIN),
      after(30 * H + 30 * MIN),
      66 * H,
    ],
    [
      'once a week cronjob, missed two runs',
      '0 12 * * 4',
      after(2 * H),
      after(19 * 24 * H + 1 * H + 30 * MIN),
      48 * H + 30 * MIN,
    ],
    ['no previous run of a cronjob', '0 12 * * 5', undefined, after(6 * H), 20 * H],
  ] as const)('%s', (_, schedule, lastUs, nowUs, delayUs) => {
    const cj = cronJob(schedule);
    expect(nextScheduleDelayUs(cj, TOP_US, lastUs, nowUs, parsed(cj))).toBe(
      delayUs + NEXT_SCHEDULE_DELTA_US,
    );
  });
});

describe('parseSchedule', () => {
  it('runs a schedule in spec.timeZone, and a TZ= prefix wins over it', () => {
    const ny = parseSchedule(cronJob('0 9 * * *', undefined, 'America/New_York'));
    expect(ny.ok && ny.zone).toBe('America/New_York');
    // 09:00 in New York on 2016-05-19 (EDT, UTC-4) is 13:00Z.
    expect(ny.ok && ny.schedule.next(TOP_US)).toBe(after(3 * H));
    const prefixed = parseSchedule(cronJob('TZ=Asia/Tokyo 0 9 * * *', undefined, 'Europe/Paris'));
    expect(prefixed.ok && prefixed.zone).toBe('Asia/Tokyo');
    expect(
      parseSchedule(cronJob('0 9 * * *')).ok && parseSchedule(cronJob('@daily')),
    ).toMatchObject({
      zone: 'UTC',
    });
  });

  it('@every fires the interval after the previous whole second, at least 1 s apart', () => {
    const every = parsed(cronJob('@every 90s'));
    expect(every.next(TOP_US + 500_000)).toBe(TOP_US + 90 * S);
    expect(parsed(cronJob('@every 10ms')).next(TOP_US)).toBe(TOP_US + S);
  });

  it('refuses a schedule the controller cannot run, saying why', () => {
    expect(parseSchedule(cronJob('TZ=Mars/Olympus 0 9 * * *'))).toEqual({
      ok: false,
      error: 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus',
    });
    expect(parseSchedule(cronJob('@every soon')).ok).toBe(false);
  });
});

describe('formatInZone (Go time.Format(time.RFC3339) of a time in a zone)', () => {
  it.each([
    [TOP_US, 'UTC', '2016-05-19T10:00:00Z'],
    [TOP_US, 'America/New_York', '2016-05-19T06:00:00-04:00'],
    [TOP_US + 1_500_000, 'Asia/Kolkata', '2016-05-19T15:30:01+05:30'],
    [Date.parse('2016-01-19T10:00:00Z') * 1000, 'Europe/London', '2016-01-19T10:00:00Z'],
  ])('%i in %s', (us, zone, text) => {
    expect(formatInZone(us, zone)).toBe(text);
  });
});

describe('formatRfc1123z (Go time.Format(time.RFC1123Z) in UTC)', () => {
  it.each([
    [TOP_US, 'Thu, 19 May 2016 10:00:00 +0000'],
    [Date.parse('2026-01-04T23:59:59Z') * 1000, 'Sun, 04 Jan 2026 23:59:59 +0000'],
    [Date.parse('1969-12-31T12:00:00Z') * 1000, 'Wed, 31 Dec 1969 12:00:00 +0000'],
  ])('%i', (us, text) => {
    expect(formatRfc1123z(us)).toBe(text);
  });
});
