/**
 * Secrets (pkg/apis/core/validation/validation.go ValidateSecret / ValidateSecretUpdate;
 * pkg/apis/core/v1/conversion.go, which folds stringData into data; SetDefaults_Secret;
 * pkg/registry/core/secret/strategy.go; printers: printSecret).
 *
 * `data` values are base64 on the wire and in the store, as Go encodes []byte. A value that is
 * not valid base64 fails decoding (a 400, as the API server's JSON decoder answers), and the
 * 1 MiB limit counts decoded bytes.
 */
import type { Secret as UpstreamSecret } from 'kubernetes-types/core/v1.d.ts';
import { decodeBase64, encodeBase64Utf8 } from '../base64.ts';
import {
  fieldForbidden,
  fieldInvalid,
  fieldRequired,
  fieldTooLong,
  key,
  type FieldError,
} from '../field-error.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';
import { isConfigMapKey, MAX_CONFIG_SIZE_BYTES } from './config-map.ts';

export type Secret = Stored<UpstreamSecret>;

export const SECRET_TYPE_OPAQUE = 'Opaque';
export const SECRET_TYPE_SERVICE_ACCOUNT_TOKEN = 'kubernetes.io/service-account-token';
export const SECRET_TYPE_DOCKERCFG = 'kubernetes.io/dockercfg';
export const SECRET_TYPE_DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
export const SECRET_TYPE_BASIC_AUTH = 'kubernetes.io/basic-auth';
export const SECRET_TYPE_SSH_AUTH = 'kubernetes.io/ssh-auth';
export const SECRET_TYPE_TLS = 'kubernetes.io/tls';
/** Validated like Opaque: its format is the bootstrap token authenticator's to check. */
export const SECRET_TYPE_BOOTSTRAP_TOKEN = 'bootstrap.kubernetes.io/token';

const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';
const IMMUTABLE_SET_ERROR = 'field is immutable when `immutable` is set';
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Convert_v1_Secret_To_core_Secret: stringData overwrites data key by key and is never stored;
 * every data value must be base64.
 */
export function decodeSecret(secret: Secret): Secret | string {
  for (const value of Object.values(secret.data ?? {})) {
    if (typeof value !== 'string') continue;
    const decoded = decodeBase64(value);
    if (!decoded.ok) return `illegal base64 data at input byte ${decoded.offset}`;
  }
  const { stringData, ...rest } = secret;
  if (stringData === undefined || stringData === null || Object.keys(stringData).length === 0) {
    return rest;
  }
  const data: Record<string, string> = { ...rest.data };
  for (const [k, v] of Object.entries(stringData)) data[k] = encodeBase64Utf8(v);
  return { ...rest, data };
}

/** The decoded bytes of a data value (decodeSecret has checked it is base64). */
function bytesOf(value: string): Uint8Array {
  const r = decodeBase64(value);
  return r.ok ? r.bytes : new Uint8Array();
}

/** encoding/json's complaint about bytes that are not a JSON object (dockercfg payloads). */
function jsonObjectError(bytes: Uint8Array): string | undefined {
  const text = utf8.decode(bytes);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return undefined;
    if (parsed === null) return undefined;
    const what = Array.isArray(parsed)
      ? 'array'
      : typeof parsed === 'boolean'
        ? 'bool'
        : typeof parsed;
    return `json: cannot unmarshal ${what} into Go value of type map[string]interface {}`;
  } catch {
    // Go's scanner names the first character it cannot use; past the first one, ksim's parser
    // does not know the character Go's would stop at, so the message names the first.
    const first = text.trim()[0];
    return first === undefined
      ? 'unexpected end of JSON input'
      : `invalid character '${first}' looking for beginning of value`;
  }
}

function validateTypedData(secret: Secret): FieldError[] {
  const data = secret.data ?? {};
  const has = (k: string) => Object.hasOwn(data, k);
  const path = (k: string) => key('data', k);
  switch (secret.type) {
    case SECRET_TYPE_SERVICE_ACCOUNT_TOKEN:
      // The token and uid are a controller's to add; only the account's name is required.
      return secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY]
        ? []
        : [fieldRequired(key('metadata.annotations', SERVICE_ACCOUNT_NAME_KEY), '')];
    case SECRET_TYPE_DOCKERCFG:
    case SECRET_TYPE_DOCKER_CONFIG_JSON: {
      const k = secret.type === SECRET_TYPE_DOCKERCFG ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) return [fieldRequired(path(k), '')];
      const err = jsonObjectError(bytesOf(data[k] as string));
      return err === undefined ? [] : [fieldInvalid(path(k), '<secret contents redacted>', err)];
    }
    case SECRET_TYPE_BASIC_AUTH:
      // Either may be empty, but one of the two must be there.
      return has('username') || has('password')
        ? []
        : [fieldRequired(path('username'), ''), fieldRequired(path('password'), '')];
    case SECRET_TYPE_SSH_AUTH:
      return bytesOf(data['ssh-privatekey'] ?? '').length === 0
        ? [fieldRequired(path('ssh-privatekey'), '')]
        : [];
    case SECRET_TYPE_TLS:
      return [
        ...(has('tls.crt') ? [] : [fieldRequired(path('tls.crt'), '')]),
        ...(has('tls.key') ? [] : [fieldRequired(path('tls.key'), '')]),
      ];
    default:
      return [];
  }
}

export function validateSecret(secret: Secret): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, true, nameIsDNSSubdomain);
  let totalBytes = 0;
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    for (const msg of isConfigMapKey(k)) errs.push(fieldInvalid(key('data', k), k, msg));
    totalBytes += bytesOf(v).length;
  }
  if (totalBytes > MAX_CONFIG_SIZE_BYTES) errs.push(fieldTooLong('data', MAX_CONFIG_SIZE_BYTES));
  errs.push(...validateTypedData(secret));
  return errs;
}

/** The type never changes; an immutable Secret keeps its data (stringData is folded in by now). */
export function validateSecretUpdate(next: Secret, old: Secret): FieldError[] {
  const errs = validateObjectMetaUpdate(next.metadata, old.metadata);
  errs.push(...validateImmutableField(next.type, old.type, 'type'));
  if (old.immutable === true) {
    if (next.immutable !== true) errs.push(fieldForbidden('immutable', IMMUTABLE_SET_ERROR));
    if (!deepEqual(next.data, old.data)) errs.push(fieldForbidden('data', IMMUTABLE_SET_ERROR));
  }
  return [...errs, ...validateSecret(next)];
}

export const SECRET = defineResource<Secret>({
  discovery: { kind: 'Secret', group: '', resource: 'secrets', namespaced: true },
  decode: decodeSecret,
  // SetDefaults_Secret.
  defaults: (secret) => (secret.type ? secret : { ...secret, type: SECRET_TYPE_OPAQUE }),
  validate: validateSecret,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateSecretUpdate },
  table: [
    NAME_COLUMN,
    {
      name: 'Type',
      type: 'string',
      priority: 0,
      description: 'Used to facilitate programmatic handling of secret data.',
      cell: (s) => s.type ?? '',
    },
    {
      name: 'Data',
      type: 'string',
      priority: 0,
      description:
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here.",
      cell: (s) => Object.keys(s.data ?? {}).length,
    },
    AGE_COLUMN,
  ],
  fieldSelectors: [...OBJECT_META_FIELD_LABELS, 'type'],
  fields: (s) => ({ ...objectMetaFields(s.metadata), type: s.type ?? '' }),
});
