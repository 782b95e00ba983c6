/**
 * Clock time <-> RFC3339 strings, by pure calendar arithmetic.
 *
 * Core may not read the JS clock or date objects (DESIGN.md §3), so the proleptic Gregorian
 * conversion is done by hand (days-from-civil, H. Hinnant's algorithm). Times are what
 * `Clock.now()` reads: integer microseconds since the Unix epoch, UTC, in both hosts (the
 * simulated clocks start at the run's epoch), so a timestamp means the same in every process
 * and no epoch needs passing around.
 */
import { assert } from '../util/assert.ts';
import type { MicroTime, Time } from './meta-types.ts';

const US_PER_SECOND = 1_000_000;
const SECONDS_PER_DAY = 86_400;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = floorDiv(yy, 400);
  const yoe = yy - era * 400;
  const doy = floorDiv(153 * (m + (m > 2 ? -3 : 9)) + 2, 5) + d - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719_468;
  const era = floorDiv(zz, 146_097);
  const doe = zz - era * 146_097;
  const yoe = floorDiv(
    doe - floorDiv(doe, 1460) + floorDiv(doe, 36_524) - floorDiv(doe, 146_096),
    365,
  );
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const d = doy - floorDiv(153 * mp + 2, 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * Microseconds since 1970-01-01T00:00:00Z for an RFC3339 string, or undefined if it is not one.
 * Fractions beyond microseconds are truncated, as Go truncates when converting to MicroTime.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  const fracUs = Number((m[7] ?? '').padEnd(6, '0').slice(0, 6));
  let offsetS = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetS = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const seconds = daysFromCivil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + s - offsetS;
  return seconds * US_PER_SECOND + fracUs;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function render(unixUs: number, micro: boolean): string {
  assert(Number.isSafeInteger(unixUs), `time is not an integer number of microseconds: ${unixUs}`);
  const totalS = floorDiv(unixUs, US_PER_SECOND);
  const fracUs = unixUs - totalS * US_PER_SECOND;
  const days = floorDiv(totalS, SECONDS_PER_DAY);
  const secOfDay = totalS - days * SECONDS_PER_DAY;
  const clock = `${pad(floorDiv(secOfDay, 3600), 2)}:${pad(floorDiv(secOfDay % 3600, 60), 2)}:${pad(secOfDay % 60, 2)}`;
  const frac = micro ? `.${pad(fracUs, 6)}` : '';
  return `${datePart(days)}T${clock}${frac}Z`;
}

/** The last day rendered: timestamps come in runs from the same day (a pure memo). */
let lastDays = Number.NaN;
let lastDate = '';

function datePart(days: number): string {
  if (days !== lastDays) {
    const [y, mo, d] = civilFromDays(days);
    lastDate = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}`;
    lastDays = days;
  }
  return lastDate;
}

/** metav1.Time rendering of Unix time `us`: seconds precision, truncated, UTC. */
export function formatTime(us: number): Time {
  return render(us, false);
}

/** metav1.MicroTime rendering of Unix time `us`: always six fractional digits, UTC. */
export function formatMicroTime(us: number): MicroTime {
  return render(us, true);
}

/**
 * Go's time.RFC3339Nano rendering of Unix time `us`, UTC: the fraction without trailing zeros,
 * none at all on a whole second.
 */
export function formatRfc3339Nano(us: number): string {
  const micro = render(us, true);
  return micro.replace(/\.?0+Z$/, 'Z');
}

/** Inverse of formatTime/formatMicroTime: Unix microseconds, or undefined for a malformed string. */
export function parseTime(text: string): number | undefined {
  return parseRfc3339(text);
}
