/**
 * The query parameters of a request, decoded and validated as upstream's CreateOptions,
 * UpdateOptions, PatchOptions, DeleteOptions and ListOptions are
 * (staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go): a value that
 * does not decode is a 400, one that decodes but is not allowed a 422 naming the options kind.
 */
import * as errors from '../../api/errors.ts';
import {
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  type FieldError,
} from '../../api/field-error.ts';
import type { PatchContentType } from '../../api/http.ts';
import type { DeleteOptions, PropagationPolicy } from '../../api/meta-types.ts';
import type { Status } from '../../api/status-types.ts';

type Query = Readonly<Record<string, string>>;

/**
 * fieldValidation: what a write does with unknown and duplicate fields in its body.
 *
 * Without the parameter upstream's server acts as Warn; ksim does not look (as Ignore, keeping
 * what it does not know). Looking costs a walk of the object against its schema on every
 * write, about half of encoding it as JSON, and the writers that send no parameter are typed
 * clients (client-go, the cluster's own components), whose bodies cannot hold unknown fields;
 * kubectl always sends the parameter (Strict unless told otherwise) and gets upstream's answers.
 */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';
const FIELD_VALIDATIONS: readonly string[] = ['Ignore', 'Strict', 'Warn'];

/** What create, update and patch take from the query. */
export interface WriteOptions {
  /** dryRun=All: everything runs but the store write. */
  readonly dryRun: boolean;
  /** Undefined: the request did not ask (see FieldValidation). */
  readonly fieldValidation: FieldValidation | undefined;
  /** The manager recorded in managedFields; undefined lets the server name one. */
  readonly fieldManager: string | undefined;
  /** Apply only: take the fields other managers own instead of answering 409. */
  readonly force: boolean;
}

export const DEFAULT_WRITE_OPTIONS: WriteOptions = {
  dryRun: false,
  fieldValidation: undefined,
  fieldManager: undefined,
  force: false,
};

export type ResourceVersionMatch = 'NotOlderThan' | 'Exact';

/** What list (and get, for resourceVersion) take from the query. */
export interface ReadOptions {
  /** Undefined: the most recent (a quorum read); "0": any, served from the watch cache. */
  readonly resourceVersion: string | undefined;
  readonly resourceVersionMatch: ResourceVersionMatch | undefined;
  /** At most this many items a page; 0 is no limit. */
  readonly limit: number;
  readonly continue: string | undefined;
}

/** A quorum read of everything: what the server's own reads use. */
export const DEFAULT_READ_OPTIONS: ReadOptions = {
  resourceVersion: undefined,
  resourceVersionMatch: undefined,
  limit: 0,
  continue: undefined,
};

const MAX_FIELD_MANAGER_LENGTH = 128;

function invalid(kind: string, errs: readonly FieldError[]): Status {
  return errors.invalid(`${kind}.meta.k8s.io`, '', errs);
}

/** A query boolean as Go's strconv.ParseBool reads it. */
function parseBool(name: string, value: string | undefined): boolean | Status | undefined {
  if (value === undefined) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  return errors.badRequest(`invalid value for ${name}: ${JSON.stringify(value)}`);
}

function dryRunErrors(dryRun: string | undefined): FieldError[] {
  if (dryRun === undefined || dryRun === 'All') return [];
  return [fieldNotSupported('dryRun', [dryRun], ['All'])];
}

function fieldManagerErrors(manager: string | undefined): FieldError[] {
  if (manager === undefined) return [];
  if (manager.length > MAX_FIELD_MANAGER_LENGTH) {
    return [fieldTooLong('fieldManager', MAX_FIELD_MANAGER_LENGTH)];
  }
  // ValidateFieldManager: printable characters only (unicode.IsPrint).
  for (const ch of manager) {
    if (/[\p{C}\p{Z}]/u.test(ch) && ch !== ' ') {
      return [fieldInvalid('fieldManager', manager, 'must only contain printable characters')];
    }
  }
  return [];
}

/**
 * The options of a create, update or patch (`patchType` for a patch). The apply rules come
 * from ValidatePatchOptions: apply needs a fieldManager and only apply may force.
 */
export function parseWriteOptions(
  query: Query,
  verb: 'create' | 'update' | 'patch',
  patchType?: PatchContentType,
): WriteOptions | Status {
  const force = parseBool('force', query.force);
  if (errors.isStatus(force)) return force;
  const fieldValidation = query.fieldValidation ?? '';
  const errs: FieldError[] = [
    ...dryRunErrors(query.dryRun),
    ...fieldManagerErrors(query.fieldManager),
  ];
  if (!FIELD_VALIDATIONS.includes(fieldValidation) && fieldValidation !== '') {
    errs.push(fieldNotSupported('fieldValidation', fieldValidation, ['', ...FIELD_VALIDATIONS]));
  }
  if (verb === 'patch') {
    if (patchType !== 'application/apply-patch+yaml') {
      if (force !== undefined)
        errs.push(fieldForbidden('force', 'may not be specified for non-apply patch'));
    } else if (!query.fieldManager) {
      errs.push(fieldRequired('fieldManager', 'is required for apply patch'));
    }
  }
  if (errs.length > 0) {
    const kind =
      verb === 'create' ? 'CreateOptions' : verb === 'update' ? 'UpdateOptions' : 'PatchOptions';
    return invalid(kind, errs);
  }
  return {
    dryRun: query.dryRun === 'All',
    fieldValidation: fieldValidation === '' ? undefined : (fieldValidation as FieldValidation),
    fieldManager: query.fieldManager || undefined,
    force: force === true,
  };
}

const PROPAGATION_POLICIES: readonly PropagationPolicy[] = ['Foreground', 'Background', 'Orphan'];

/**
 * DeleteOptions from the body and the query (the query wins, as upstream's decoding of both
 * into one struct does), validated as ValidateDeleteOptions.
 */
export function parseDeleteOptions(
  query: Query,
  body: unknown,
): { readonly options: DeleteOptions; readonly dryRun: boolean } | Status {
  const b = (typeof body === 'object' && body !== null ? body : {}) as DeleteOptions & {
    readonly dryRun?: readonly string[];
  };
  const grace =
    query.gracePeriodSeconds !== undefined
      ? Number(query.gracePeriodSeconds)
      : b.gracePeriodSeconds;
  if (grace !== undefined && !Number.isInteger(grace)) {
    return errors.badRequest(
      `invalid value for gracePeriodSeconds: ${JSON.stringify(query.gracePeriodSeconds)}`,
    );
  }
  const orphanQuery = parseBool('orphanDependents', query.orphanDependents);
  if (errors.isStatus(orphanQuery)) return orphanQuery;
  const orphan = orphanQuery ?? b.orphanDependents;
  const policy = (query.propagationPolicy ?? b.propagationPolicy) as string | undefined;
  const dryRunValues = query.dryRun !== undefined ? [query.dryRun] : (b.dryRun ?? []);
  const errs: FieldError[] = [];
  for (const d of dryRunValues) errs.push(...dryRunErrors(d));
  if (orphan !== undefined && policy !== undefined) {
    errs.push(
      fieldInvalid(
        'propagationPolicy',
        policy,
        'orphanDependents and deletionPropagation cannot be both set',
      ),
    );
  }
  if (policy !== undefined && !(PROPAGATION_POLICIES as readonly string[]).includes(policy)) {
    errs.push(fieldNotSupported('propagationPolicy', policy, [...PROPAGATION_POLICIES, 'nil']));
  }
  if (errs.length > 0) return invalid('DeleteOptions', errs);
  const options: DeleteOptions = {
    ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
    ...(b.preconditions === undefined ? {} : { preconditions: b.preconditions }),
    ...(policy === undefined ? {} : { propagationPolicy: policy as PropagationPolicy }),
    ...(orphan === undefined ? {} : { orphanDependents: orphan }),
  };
  return { options, dryRun: dryRunValues.includes('All') };
}

/** ListOptions' paging and version parameters (ValidateListOptions for the version match). */
export function parseReadOptions(query: Query): ReadOptions | Status {
  const limitText = query.limit;
  const limit = limitText === undefined || limitText === '' ? 0 : Number(limitText);
  if (!Number.isInteger(limit)) {
    return errors.badRequest(`invalid value for limit: ${JSON.stringify(limitText)}`);
  }
  const rv = query.resourceVersion || undefined;
  const match = query.resourceVersionMatch || undefined;
  const cont = query.continue || undefined;
  const errs: FieldError[] = [];
  if (match !== undefined) {
    const forbid = (detail: string): number =>
      errs.push(fieldForbidden('resourceVersionMatch', detail));
    if (rv === undefined)
      forbid('resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (cont !== undefined) forbid('resourceVersionMatch is forbidden when continue is provided');
    if (match !== 'NotOlderThan' && match !== 'Exact') {
      errs.push(fieldNotSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    }
    if (match === 'Exact' && rv === '0') {
      forbid('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    }
  }
  if (errs.length > 0) return invalid('ListOptions', errs);
  return {
    resourceVersion: rv,
    resourceVersionMatch: match as ResourceVersionMatch | undefined,
    limit: Math.max(0, limit),
    continue: cont,
  };
}
