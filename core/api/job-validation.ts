/**
 * What a Job's spec and a CronJob's job template are checked for alike
 * (pkg/apis/batch/validation/validation.go validateJobSpec and its helpers: indexed completion
 * limits, podFailurePolicy, successPolicy, podReplacementPolicy, the template's restart policy).
 */
import { isDNS1123Subdomain, isQualifiedName } from './content-checks.ts';
import {
  asGoStringer,
  child,
  fieldDuplicate,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  fieldTooMany,
  index,
  OMIT_VALUE,
  type FieldError,
} from './field-error.ts';
import type { PodFailurePolicyRule } from 'kubernetes-types/batch/v1.d.ts';
import type { DeepReadonly } from './stored.ts';
import type { JobSpec } from './workload-types.ts';
import { validateNonnegative, validatePodTemplateSpec } from './workload-validation.ts';

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000;
const MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_ON_EXIT_CODES_VALUES = 255;
const MAX_ON_POD_CONDITIONS_PATTERNS = 20;
const MAX_MANAGED_BY_LENGTH = 63;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;
const MAX_SUCCESS_POLICY_RULES = 20;

const POD_FAILURE_POLICY_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const EXIT_CODES_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];
const POD_REPLACEMENT_POLICIES = ['Failed', 'TerminatingOrFailed'];

/** validateIndexesFormat: "1,3-5,7" below completions, increasing; the number of indexes. */
export function parseIndexes(text: string, completions: number): number | string {
  if (text.length === 0) return 0;
  let last: number | undefined;
  let total = 0;
  const toInt = (s: string): number | string =>
    /^[+-]?\d+$/.test(s) ? Number(s) : `cannot convert string to integer for index: "${s}"`;
  for (const interval of text.split(',')) {
    const limits = interval.split('-');
    if (limits.length > 2) {
      return `the fragment "${interval}" violates the requirement that an index interval can have at most two parts separated by '-'`;
    }
    for (const [i, part] of limits.entries()) {
      const x = toInt(part);
      if (typeof x === 'string') return x;
      if (x >= completions) return `too large index: "${part}"`;
      if (last !== undefined && last >= x) {
        return `non-increasing order, previous: ${last}, current: ${x}`;
      }
      total += i === 0 ? 1 : x - (last ?? 0);
      last = x;
    }
  }
  return total;
}

function validatePodFailurePolicyRule(
  spec: Partial<JobSpec>,
  rule: DeepReadonly<PodFailurePolicyRule>,
  path: string,
  containerNames: ReadonlySet<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  const actionPath = child(path, 'action');
  if (rule.action === '') {
    errs.push(
      fieldRequired(actionPath, `valid values: ${goQuotedList(POD_FAILURE_POLICY_ACTIONS)}`),
    );
  } else if (rule.action === 'FailIndex') {
    if (spec.backoffLimitPerIndex === undefined) {
      errs.push(
        fieldInvalid(actionPath, rule.action, 'requires the backoffLimitPerIndex to be set'),
      );
    }
  } else if (!POD_FAILURE_POLICY_ACTIONS.includes(rule.action)) {
    errs.push(fieldNotSupported(actionPath, rule.action, POD_FAILURE_POLICY_ACTIONS));
  }
  const onExit = rule.onExitCodes;
  if (onExit !== undefined) {
    const p = child(path, 'onExitCodes');
    const opPath = child(p, 'operator');
    if (onExit.operator === '') {
      errs.push(fieldRequired(opPath, `valid values: ${goQuotedList(EXIT_CODES_OPERATORS)}`));
    } else if (!EXIT_CODES_OPERATORS.includes(onExit.operator)) {
      errs.push(fieldNotSupported(opPath, onExit.operator, EXIT_CODES_OPERATORS));
    }
    if (onExit.containerName !== undefined && !containerNames.has(onExit.containerName)) {
      errs.push(
        fieldInvalid(
          child(p, 'containerName'),
          onExit.containerName,
          'must be one of the container or initContainer names in the pod template',
        ),
      );
    }
    const valuesPath = child(p, 'values');
    const values = onExit.values ?? [];
    if (values.length === 0) {
      errs.push(
        fieldInvalid(valuesPath, goInt32s(onExit.values), 'at least one value is required'),
      );
    } else if (values.length > MAX_ON_EXIT_CODES_VALUES) {
      errs.push(fieldTooMany(valuesPath, values.length, MAX_ON_EXIT_CODES_VALUES));
    }
    const seen = new Set<number>();
    let ordered = true;
    for (const [j, v] of values.entries()) {
      if (onExit.operator === 'In' && v === 0) {
        errs.push(fieldInvalid(index(valuesPath, j), v, 'must not be 0 for the In operator'));
      }
      if (seen.has(v)) errs.push(fieldDuplicate(index(valuesPath, j), v));
      else seen.add(v);
      if (j > 0 && (values[j - 1] as number) > v) ordered = false;
    }
    if (!ordered) errs.push(fieldInvalid(valuesPath, goInt32s(values), 'must be ordered'));
  }
  const patterns = rule.onPodConditions ?? [];
  if (patterns.length > 0) {
    const p = child(path, 'onPodConditions');
    if (patterns.length > MAX_ON_POD_CONDITIONS_PATTERNS) {
      errs.push(fieldTooMany(p, patterns.length, MAX_ON_POD_CONDITIONS_PATTERNS));
    }
    for (const [j, pattern] of patterns.entries()) {
      const pp = index(p, j);
      for (const msg of isQualifiedName(pattern.type)) {
        errs.push(fieldInvalid(child(pp, 'type'), pattern.type, msg));
      }
      const statusPath = child(pp, 'status');
      if (pattern.status === '') {
        errs.push(fieldRequired(statusPath, `valid values: ${goQuotedList(CONDITION_STATUSES)}`));
      } else if (!CONDITION_STATUSES.includes(pattern.status)) {
        errs.push(fieldNotSupported(statusPath, pattern.status, CONDITION_STATUSES));
      }
    }
  }
  if (onExit !== undefined && patterns.length > 0) {
    errs.push(
      fieldInvalid(
        path,
        OMIT_VALUE,
        'specifying both OnExitCodes and OnPodConditions is not supported',
      ),
    );
  }
  if (onExit === undefined && patterns.length === 0) {
    errs.push(
      fieldInvalid(
        path,
        OMIT_VALUE,
        'specifying one of OnExitCodes and OnPodConditions is required',
      ),
    );
  }
  return errs;
}

/** Go's %#v of a []int32, as an error shows a list of exit codes. */
function goInt32s(values: readonly number[] | undefined): object {
  return asGoStringer(values === undefined ? '[]int32(nil)' : `[]int32{${values.join(', ')}}`);
}

/** Go's %q of a []string: `["Count" "FailIndex"]`. */
function goQuotedList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

function validateSuccessPolicy(spec: Partial<JobSpec>, path: string): FieldError[] {
  const rules = spec.successPolicy?.rules ?? [];
  const rulesPath = child(path, 'rules');
  const errs: FieldError[] = [];
  if (rules.length === 0) {
    errs.push(
      fieldRequired(
        rulesPath,
        'at least one rules must be specified when the successPolicy is specified',
      ),
    );
  }
  if (rules.length > MAX_SUCCESS_POLICY_RULES) {
    errs.push(fieldTooMany(rulesPath, rules.length, MAX_SUCCESS_POLICY_RULES));
  }
  const completions = spec.completions ?? 0;
  for (const [i, rule] of rules.entries()) {
    const rp = index(rulesPath, i);
    if (rule.succeededCount === undefined && rule.succeededIndexes === undefined) {
      errs.push(
        fieldRequired(rp, 'at least one of succeededCount or succeededIndexes must be specified'),
      );
    }
    let total = 0;
    if (rule.succeededIndexes !== undefined) {
      const ip = child(rp, 'succeededIndexes');
      if (rule.succeededIndexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) {
        errs.push(fieldTooLong(ip, MAX_SUCCEEDED_INDEXES_LENGTH));
      }
      const parsed = parseIndexes(rule.succeededIndexes, completions);
      if (typeof parsed === 'string') {
        errs.push(
          fieldInvalid(ip, rule.succeededIndexes, `error parsing succeededIndexes: ${parsed}`),
        );
      } else {
        total = parsed;
      }
    }
    if (rule.succeededCount !== undefined) {
      const cp = child(rp, 'succeededCount');
      errs.push(...validateNonnegative(rule.succeededCount, cp));
      if (rule.succeededCount > completions) {
        errs.push(
          fieldInvalid(
            cp,
            rule.succeededCount,
            `must be less than or equal to ${completions} (the number of specified completions)`,
          ),
        );
      }
      if (rule.succeededIndexes !== undefined && rule.succeededCount > total) {
        errs.push(
          fieldInvalid(
            cp,
            rule.succeededCount,
            `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`,
          ),
        );
      }
    }
  }
  return errs;
}

function validateIndexedLimits(spec: Partial<JobSpec>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.completions === undefined) {
    errs.push(fieldRequired(child(path, 'completions'), 'when completion mode is Indexed'));
  }
  const parallelism = spec.parallelism;
  const maxFailed = spec.maxFailedIndexes;
  if (parallelism !== undefined && parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
    errs.push(
      fieldInvalid(
        child(path, 'parallelism'),
        parallelism,
        `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`,
      ),
    );
  }
  if (spec.completions !== undefined && maxFailed !== undefined && maxFailed > spec.completions) {
    errs.push(
      fieldInvalid(
        child(path, 'maxFailedIndexes'),
        maxFailed,
        'must be less than or equal to completions',
      ),
    );
  }
  if (maxFailed !== undefined && maxFailed > MAX_FAILED_INDEXES_FOR_INDEXED_JOB) {
    errs.push(
      fieldInvalid(
        child(path, 'maxFailedIndexes'),
        maxFailed,
        `must be less than or equal to ${MAX_FAILED_INDEXES_FOR_INDEXED_JOB}`,
      ),
    );
  }
  const high = `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
  if (
    spec.completions !== undefined &&
    spec.completions > COMPLETIONS_SOFT_LIMIT &&
    spec.backoffLimitPerIndex !== undefined
  ) {
    if (maxFailed === undefined) {
      errs.push(
        fieldRequired(
          child(path, 'maxFailedIndexes'),
          `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`,
        ),
      );
    }
    if (parallelism !== undefined && parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS) {
      errs.push(
        fieldInvalid(
          child(path, 'parallelism'),
          parallelism,
          `must be less than or equal to ${PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} ${high}`,
        ),
      );
    }
    if (maxFailed !== undefined && maxFailed > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS) {
      errs.push(
        fieldInvalid(
          child(path, 'maxFailedIndexes'),
          maxFailed,
          `must be less than or equal to ${MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} ${high}`,
        ),
      );
    }
  }
  return errs;
}

/** validateJobSpec: what a Job's spec and a CronJob's job template share. */
export function validateJobSpecFields(spec: Partial<JobSpec>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
  ] as const) {
    errs.push(...validateNonnegative(spec[f], child(path, f)));
  }
  if (spec.maxFailedIndexes !== undefined) {
    errs.push(...validateNonnegative(spec.maxFailedIndexes, child(path, 'maxFailedIndexes')));
    if (spec.backoffLimitPerIndex === undefined) {
      errs.push(
        fieldRequired(child(path, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'),
      );
    }
  }
  if (spec.managedBy !== undefined) {
    errs.push(...validateDomainPrefixedPath(child(path, 'managedBy'), spec.managedBy));
    if (spec.managedBy.length > MAX_MANAGED_BY_LENGTH) {
      errs.push(fieldTooLong(child(path, 'managedBy'), MAX_MANAGED_BY_LENGTH));
    }
  }
  const mode = spec.completionMode;
  if (mode !== undefined) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      errs.push(fieldNotSupported(child(path, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    }
    if (mode === 'Indexed') errs.push(...validateIndexedLimits(spec, path));
  }
  if (mode === undefined || mode === 'NonIndexed') {
    for (const f of ['backoffLimitPerIndex', 'maxFailedIndexes'] as const) {
      const v = spec[f];
      if (v !== undefined)
        errs.push(fieldInvalid(child(path, f), v, 'requires indexed completion mode'));
    }
  }
  const failurePolicy = spec.podFailurePolicy;
  if (failurePolicy !== undefined) {
    const rulesPath = child(child(path, 'podFailurePolicy'), 'rules');
    if (failurePolicy.rules.length > MAX_POD_FAILURE_POLICY_RULES) {
      errs.push(fieldTooMany(rulesPath, failurePolicy.rules.length, MAX_POD_FAILURE_POLICY_RULES));
    }
    const podSpec = spec.template?.spec;
    const names = new Set(
      [...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])].map((c) => c.name),
    );
    for (const [i, rule] of failurePolicy.rules.entries()) {
      errs.push(...validatePodFailurePolicyRule(spec, rule, index(rulesPath, i), names));
    }
  }
  if (spec.successPolicy !== undefined) {
    const p = child(path, 'successPolicy');
    if (mode !== 'Indexed') {
      errs.push(fieldInvalid(p, spec.successPolicy, 'requires indexed completion mode'));
    } else {
      errs.push(...validateSuccessPolicy(spec, p));
    }
  }
  const replacement = spec.podReplacementPolicy;
  if (replacement !== undefined) {
    const p = child(path, 'podReplacementPolicy');
    if (failurePolicy !== undefined) {
      if (replacement !== 'Failed') errs.push(fieldNotSupported(p, replacement, ['Failed']));
    } else if (!POD_REPLACEMENT_POLICIES.includes(replacement)) {
      errs.push(fieldNotSupported(p, replacement, POD_REPLACEMENT_POLICIES));
    }
  }
  const templatePath = child(path, 'template');
  errs.push(...validatePodTemplateSpec(spec.template, templatePath));
  const restartPath = child(child(templatePath, 'spec'), 'restartPolicy');
  const restart = spec.template?.spec?.restartPolicy ?? '';
  if (restart === 'Always' || restart === '') {
    errs.push(fieldRequired(restartPath, 'valid values: "OnFailure", "Never"'));
  } else if (restart !== 'OnFailure' && restart !== 'Never') {
    errs.push(fieldNotSupported(restartPath, restart, ['OnFailure', 'Never']));
  } else if (failurePolicy !== undefined && restart !== 'Never') {
    errs.push(
      fieldInvalid(
        restartPath,
        restart,
        'only "Never" is supported when podFailurePolicy is specified',
      ),
    );
  }
  return errs;
}

/** IsDomainPrefixedPath: `example.com/path`, the domain a DNS subdomain. */
function validateDomainPrefixedPath(path: string, value: string): FieldError[] {
  const slash = value.indexOf('/');
  if (slash < 0) {
    return [fieldInvalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  }
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((msg) => fieldInvalid(path, host, msg));
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(rest)) {
    errs.push(
      fieldInvalid(
        path,
        rest,
        "Invalid path: must only contain characters a-z, A-Z, 0-9, '-', '.', '_', '~', '%', '!', '$', '&', ''', '(', ')', '*', '+', ',', ';', '=', ':'",
      ),
    );
  }
  return errs;
}
