/**
 * CronJob schedules and time zones as upstream validates them (pkg/apis/batch/validation:
 * validateScheduleFormat, validateTimeZone).
 *
 * Upstream parses a schedule with robfig/cron's standard parser: five fields (minute, hour,
 * day of month, month, day of week) or a descriptor (@hourly, @every 5m, ...). The grammar
 * check below follows that parser, so what is accepted and the messages a user reads are
 * upstream's. The expression is then handed to croner, the maintained cron library ksim
 * schedules with, so a schedule that validates is one the CronJob controller can run.
 */
import { CronPattern } from 'croner';

interface FieldBounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

const DAY_NAMES: Readonly<Record<string, number>> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

/** minute, hour, day of month, month, day of week. */
const FIELDS: readonly FieldBounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DAY_NAMES },
];

const DESCRIPTORS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);

/** Go's time.ParseDuration syntax: a sequence of decimal numbers with units, or "0". */
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

/** strconv.Atoi's error for a field part that is not a decimal number. */
function parseIntError(text: string): string {
  return `failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`;
}

type Parsed = number | string;

/** parseIntOrName / mustParseInt: a number or an error message. */
function parseIntOrName(text: string, bounds: FieldBounds): Parsed {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined && Object.hasOwn(bounds.names ?? {}, text.toLowerCase())) return named;
  if (!/^[+-]?\d+$/.test(text)) return parseIntError(text);
  const n = Number(text);
  return n < 0 ? `negative number (${n}) not allowed: ${text}` : n;
}

/** getRange: one comma-separated part, `*`, `?`, `a`, `a-b`, each with an optional `/step`. */
function rangeError(expr: string, bounds: FieldBounds): string | undefined {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] as string).split('-');
  let start = bounds.min;
  let end = bounds.max;
  const first = lowAndHigh[0] as string;
  if (first !== '*' && first !== '?') {
    const low = parseIntOrName(first, bounds);
    if (typeof low === 'string') return low;
    start = low;
    end = low;
    if (lowAndHigh.length === 2) {
      const high = parseIntOrName(lowAndHigh[1] as string, bounds);
      if (typeof high === 'string') return high;
      end = high;
    } else if (lowAndHigh.length > 2) {
      return `too many hyphens: ${expr}`;
    }
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = parseIntOrName(rangeAndStep[1] as string, { min: 0, max: 0 });
    if (typeof s === 'string') return s;
    step = s;
    // "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = bounds.max;
  } else if (rangeAndStep.length > 2) {
    return `too many slashes: ${expr}`;
  }
  if (start < bounds.min) {
    return `beginning of range (${start}) below minimum (${bounds.min}): ${expr}`;
  }
  if (end > bounds.max) return `end of range (${end}) above maximum (${bounds.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (step === 0) return `step of range should be a positive number: ${expr}`;
  return undefined;
}

/** robfig/cron's ParseStandard: undefined for a valid schedule, or its error message. */
function standardParseError(schedule: string): string | undefined {
  if (schedule.length === 0) return 'empty spec string';
  let spec = schedule;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const zone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    const err = timeZoneLoadError(zone);
    if (err !== undefined) return `provided bad location ${zone}: ${err}`;
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.has(spec)) return undefined;
    if (spec.startsWith('@every ')) {
      const d = spec.slice('@every '.length);
      return GO_DURATION.test(d)
        ? undefined
        : `failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(d)}`;
    }
    return `unrecognized descriptor: ${spec}`;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== FIELDS.length) {
    return `expected exactly ${FIELDS.length} fields, found ${fields.length}: [${fields.join(' ')}]`;
  }
  for (const [i, field] of fields.entries()) {
    for (const expr of field.split(',').filter((e) => e !== '')) {
      const err = rangeError(expr, FIELDS[i] as FieldBounds);
      if (err !== undefined) return err;
    }
  }
  return undefined;
}

/**
 * The schedule's error as upstream reports it (robfig's message), or croner's if croner cannot
 * run a schedule upstream accepts; undefined for a valid schedule.
 */
export function cronScheduleError(schedule: string): string | undefined {
  const err = standardParseError(schedule);
  if (err !== undefined) return err;
  const spec = schedule.replace(/^(?:CRON_)?TZ=\S*\s*/, '');
  // croner has no @every; an interval needs no cron expression.
  if (spec.startsWith('@every ')) return undefined;
  try {
    new CronPattern(spec, undefined, { mode: '5-part', sloppyRanges: true });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * time.LoadLocation's error for a zone name, undefined for a known one. The IANA database is
 * the JavaScript runtime's (Intl), as upstream's is the system's. Go's names are
 * case-sensitive, so a name that differs only in case from a known one is unknown too.
 */
export function timeZoneLoadError(zone: string): string | undefined {
  if (zone === '' || zone === 'UTC' || zone === 'Local') return undefined;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions()
      .timeZone;
    const caseOnly = resolved !== zone && resolved.toLowerCase() === zone.toLowerCase();
    return caseOnly ? `unknown time zone ${zone}` : undefined;
  } catch {
    return `unknown time zone ${zone}`;
  }
}

/** Characters a zone name's path components may have (the IANA naming rules, leniently). */
const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** validateTimeZone: the messages for a bad spec.timeZone, none for a good one. */
export function timeZoneErrors(zone: string): string[] {
  if (zone.length === 0) return ['timeZone must be nil or non-empty string'];
  for (const part of zone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_PART.test(part)) {
      return [`unknown time zone ${zone}`];
    }
  }
  const errs: string[] = [];
  if (zone.toLowerCase() === 'local') {
    errs.push(
      'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
    );
  }
  const loadError = timeZoneLoadError(zone);
  if (loadError !== undefined) errs.push(loadError);
  return errs;
}
