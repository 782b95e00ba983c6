/**
 * The structural-schema rules a v1 CRD's openAPIV3Schema must follow
 * (pkg/apiserver/schema/validation.go validateStructuralInvariants and
 * validateStructuralMetadataInvariants, pkg/apis/apiextensions/validation ValidateCustomResourceDefinitionOpenAPISchema):
 * every specified field has a type, the root is an object, arrays say what their items are,
 * properties and additionalProperties exclude each other, metadata is left to the server.
 * Value validation of instances is validator.ts.
 */
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldRequired,
  key,
  type FieldError,
} from '../field-error.ts';
import { isObject, type Schema } from './schema.ts';

const TYPES = ['object', 'array', 'string', 'integer', 'number', 'boolean'];

export function validateCrdSchema(root: Schema, path: string): FieldError[] {
  if (!isObject(root as unknown)) return [fieldInvalid(path, root, 'must be an object')];
  const errs: FieldError[] = [];
  if (root.type === undefined || root.type === '') {
    errs.push(fieldRequired(child(path, 'type'), 'must not be empty at the root'));
  } else if (root.type !== 'object') {
    errs.push(fieldInvalid(child(path, 'type'), root.type, 'must be object at the root'));
  }
  if (root.nullable === true)
    errs.push(fieldForbidden(child(path, 'nullable'), 'must be false at the root'));
  const metadata = root.properties?.metadata;
  if (metadata !== undefined) {
    const extra = Object.keys(metadata.properties ?? {}).filter(
      (k) => k !== 'name' && k !== 'generateName',
    );
    if (extra.length > 0 || (metadata.type !== undefined && metadata.type !== 'object')) {
      errs.push(
        fieldForbidden(
          key(child(path, 'properties'), 'metadata'),
          'must not specify anything other than name and generateName, but metadata is implicitly specified',
        ),
      );
    }
  }
  errs.push(...nodeErrors(root, path));
  return errs;
}

function nodeErrors(s: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (s.type !== undefined && s.type !== '' && !TYPES.includes(s.type)) {
    errs.push(fieldInvalid(child(path, 'type'), s.type, `must be one of ${TYPES.join(', ')}`));
  }
  if (intOrString && s.type !== undefined && s.type !== '') {
    errs.push(
      fieldInvalid(
        child(path, 'type'),
        s.type,
        'must be empty if x-kubernetes-int-or-string is true',
      ),
    );
  }
  if (s.properties !== undefined && typeof s.additionalProperties === 'object') {
    errs.push(
      fieldForbidden(
        child(path, 'additionalProperties'),
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (s.type === 'array' && s.items === undefined)
    errs.push(fieldRequired(child(path, 'items'), 'must be specified'));
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    const p = key(child(path, 'properties'), name);
    if (!isObject(prop as unknown)) {
      errs.push(fieldInvalid(p, prop, 'must be an object'));
      continue;
    }
    if (untyped(prop))
      errs.push(fieldRequired(child(p, 'type'), 'must not be empty for specified object fields'));
    errs.push(...nodeErrors(prop, p));
  }
  if (s.items !== undefined) {
    const p = child(path, 'items');
    if (!isObject(s.items as unknown)) {
      errs.push(fieldForbidden(p, 'items must be a schema object and not an array'));
    } else {
      if (untyped(s.items))
        errs.push(fieldRequired(child(p, 'type'), 'must not be empty for specified array items'));
      errs.push(...nodeErrors(s.items, p));
    }
  }
  if (typeof s.additionalProperties === 'object') {
    const p = child(path, 'additionalProperties');
    if (untyped(s.additionalProperties)) {
      errs.push(fieldRequired(child(p, 'type'), 'must not be empty for specified object fields'));
    }
    errs.push(...nodeErrors(s.additionalProperties, p));
  }
  return errs;
}

function untyped(s: Schema): boolean {
  return (
    (s.type === undefined || s.type === '') &&
    s['x-kubernetes-int-or-string'] !== true &&
    s['x-kubernetes-preserve-unknown-fields'] !== true
  );
}
