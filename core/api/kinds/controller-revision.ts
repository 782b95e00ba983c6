/**
 * ControllerRevisions of apps/v1: the stored history of a StatefulSet's or DaemonSet's template
 * (pkg/apis/apps/validation/validation.go ValidateControllerRevision*;
 * pkg/registry/apps/controllerrevision/strategy.go; printers: printControllerRevision).
 */
import type { ControllerRevision as UpstreamControllerRevision } from 'kubernetes-types/apps/v1.d.ts';
import { fieldRequired, type FieldError } from '../field-error.ts';
import { getControllerOf } from '../meta.ts';
import {
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import { validateNonnegative } from '../workload-validation.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export type ControllerRevision = Stored<UpstreamControllerRevision>;

export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain);
  if (cr.data === undefined || cr.data === null) {
    errs.push(fieldRequired('data', 'data is mandatory'));
  }
  errs.push(...validateNonnegative(cr.revision, 'revision'));
  return errs;
}

/** The recorded state never changes: data is immutable (revision may be renumbered). */
export function validateControllerRevisionUpdate(
  next: ControllerRevision,
  old: ControllerRevision,
): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateControllerRevision(next),
    ...validateImmutableField(next.data, old.data, 'data'),
  ];
}

/** formatResourceName: "statefulset.apps/web" for the owner, lower-cased group kind first. */
function controller(cr: ControllerRevision): string {
  const ref = getControllerOf(cr);
  if (ref === undefined) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const kind = group === '' ? ref.kind : `${ref.kind}.${group}`;
  return kind === '' ? ref.name : `${kind.toLowerCase()}/${ref.name}`;
}

export const CONTROLLER_REVISION = defineResource<ControllerRevision>({
  discovery: {
    kind: 'ControllerRevision',
    group: 'apps',
    resource: 'controllerrevisions',
    namespaced: true,
  },
  validate: validateControllerRevision,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateControllerRevisionUpdate },
  table: [
    NAME_COLUMN,
    {
      name: 'Controller',
      type: 'string',
      priority: 0,
      description: 'Controller of the object',
      cell: controller,
    },
    {
      name: 'Revision',
      type: 'string',
      priority: 0,
      description: 'Revision indicates the revision of the state represented by Data.',
      cell: (cr) => cr.revision,
    },
    AGE_COLUMN,
  ],
});
