/**
 * intstr.IntOrString fields (a rolling update's maxSurge and maxUnavailable, a port by number or
 * name) and the checks upstream's apps validation makes of them
 * (pkg/apis/apps/validation/validation.go: ValidatePositiveIntOrPercent, IsNotMoreThan100Percent,
 * getIntOrPercentValue; staging/src/k8s.io/apimachinery/pkg/util/validation: IsValidPercent).
 */
import { IS_NEGATIVE_ERROR, regexError } from './content-checks.ts';
import { asGoStringer, fieldInvalid, type FieldError } from './field-error.ts';

export type IntOrString = number | string;

const PERCENT_FMT = '[0-9]+%';
const PERCENT_RE = new RegExp(`^${PERCENT_FMT}$`);

export function isValidPercent(value: string): string[] {
  return PERCENT_RE.test(value)
    ? []
    : [
        regexError(
          "a valid percent string must be a numeric string followed by an ending '%'",
          PERCENT_FMT,
          '1%',
          '93%',
        ),
      ];
}

/** How Go prints an IntOrString in an error (its String method): `25%`, `3`, unquoted. */
export function intOrStringBadValue(v: IntOrString): object {
  return asGoStringer(String(v));
}

/** A valid percentage's number, or undefined for an integer or a malformed string. */
function percentValue(v: IntOrString): number | undefined {
  return typeof v === 'string' && isValidPercent(v).length === 0
    ? Number(v.slice(0, -1))
    : undefined;
}

/**
 * getIntOrPercentValue: a percentage's number, an integer itself; a malformed string counts as 0
 * (IntValue of an unparsable string), which the format check reports on its own.
 */
export function intOrPercentValue(v: IntOrString): number {
  const percent = percentValue(v);
  if (percent !== undefined) return percent;
  if (typeof v === 'number') return v;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? 0 : n;
}

/** ValidatePositiveIntOrPercent: a non-negative integer or a well-formed percentage. */
export function validatePositiveIntOrPercent(v: IntOrString, path: string): FieldError[] {
  if (typeof v === 'string') {
    return isValidPercent(v).map((msg) => fieldInvalid(path, intOrStringBadValue(v), msg));
  }
  // Upstream passes this message through unformatted, doubled percent sign and all.
  if (!Number.isInteger(v)) {
    return [fieldInvalid(path, v, "must be an integer or percentage (e.g '5%%')")];
  }
  return v < 0 ? [fieldInvalid(path, v, IS_NEGATIVE_ERROR)] : [];
}

/** IsNotMoreThan100Percent: only percentages are bounded; integers are not. */
export function isNotMoreThan100Percent(v: IntOrString, path: string): FieldError[] {
  const percent = percentValue(v);
  return percent !== undefined && percent > 100
    ? [fieldInvalid(path, intOrStringBadValue(v), 'must not be greater than 100%')]
    : [];
}
