/**
 * ConfigMaps (pkg/apis/core/validation/validation.go ValidateConfigMap / ValidateConfigMapUpdate;
 * pkg/registry/core/configmap/strategy.go; printers: printConfigMap). The object type is
 * upstream's, from kubernetes-types, as for every kind added from here on (see ../stored.ts).
 */
import type { ConfigMap as UpstreamConfigMap } from 'kubernetes-types/core/v1.d.ts';
import { DNS1123_SUBDOMAIN_MAX_LENGTH, maxLenError, regexError } from '../content-checks.ts';
import {
  fieldForbidden,
  fieldInvalid,
  fieldTooLong,
  key,
  type FieldError,
} from '../field-error.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export type ConfigMap = Stored<UpstreamConfigMap>;

/** core.MaxSecretSize: the data of a ConfigMap or Secret, summed over its values. */
export const MAX_CONFIG_SIZE_BYTES = 1024 * 1024;

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const IMMUTABLE_SET_ERROR = 'field is immutable when `immutable` is set';
const utf8 = new TextEncoder();

/** validation.IsConfigMapKey: a file name in a volume, so no path tricks. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH)
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!CONFIG_KEY.test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        '[-._a-zA-Z0-9]+',
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  const data = cm.data ?? {};
  const binary = cm.binaryData ?? {};
  let totalBytes = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errs.push(fieldInvalid(key('data', k), k, msg));
    if (Object.hasOwn(binary, k)) {
      errs.push(fieldInvalid(key('data', k), k, 'duplicate of key present in binaryData'));
    }
    totalBytes += utf8.encode(v).byteLength;
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const msg of isConfigMapKey(k)) errs.push(fieldInvalid(key('binaryData', k), k, msg));
    // binaryData values are base64 on the wire; upstream counts the decoded bytes.
    totalBytes += Math.floor((v.replace(/=+$/, '').length * 3) / 4);
  }
  if (totalBytes > MAX_CONFIG_SIZE_BYTES) errs.push(fieldTooLong('', MAX_CONFIG_SIZE_BYTES));
  return errs;
}

/** An immutable ConfigMap keeps its data for good; only its metadata may change. */
export function validateConfigMapUpdate(next: ConfigMap, old: ConfigMap): FieldError[] {
  const errs = validateObjectMetaUpdate(next.metadata, old.metadata);
  if (old.immutable === true) {
    if (next.immutable !== true) errs.push(fieldForbidden('immutable', IMMUTABLE_SET_ERROR));
    if (!deepEqual(next.data, old.data)) errs.push(fieldForbidden('data', IMMUTABLE_SET_ERROR));
    if (!deepEqual(next.binaryData, old.binaryData)) {
      errs.push(fieldForbidden('binaryData', IMMUTABLE_SET_ERROR));
    }
  }
  return [...errs, ...validateConfigMap(next)];
}

export const CONFIG_MAP = defineResource<ConfigMap>({
  discovery: {
    kind: 'ConfigMap',
    group: '',
    resource: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
  },
  validate: validateConfigMap,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateConfigMapUpdate },
  table: [
    NAME_COLUMN,
    {
      name: 'Data',
      type: 'integer',
      priority: 0,
      description: 'Data contains the configuration data.',
      cell: (cm) => Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length,
    },
    AGE_COLUMN,
  ],
});
