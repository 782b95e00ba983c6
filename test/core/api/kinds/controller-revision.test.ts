import { describe, expect, it } from 'vitest';
import {
  CONTROLLER_REVISION,
  validateControllerRevision,
  validateControllerRevisionUpdate,
  type ControllerRevision,
} from '../../../../core/api/kinds/controller-revision.ts';
import { messages } from './workload-fixtures.ts';

const revision: ControllerRevision = {
  apiVersion: 'apps/v1',
  kind: 'ControllerRevision',
  metadata: {
    name: 'db-7b9c5',
    namespace: 'default',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u1', controller: true },
    ],
  },
  data: { spec: { template: { metadata: { labels: { app: 'db' } } } } },
  revision: 2,
};

describe('ControllerRevision', () => {
  it.each([
    ['a valid revision', revision, []],
    ['no data', { ...revision, data: undefined }, ['data: Required value: data is mandatory']],
    [
      'a negative revision',
      { ...revision, revision: -1 },
      ['revision: Invalid value: -1: must be greater than or equal to 0'],
    ],
  ] as const)('validates %s', (_name, cr, expected) => {
    expect(messages(validateControllerRevision(cr as ControllerRevision))).toEqual(expected);
  });

  it('keeps data immutable and lets the revision be renumbered', () => {
    const old = { ...revision, metadata: { ...revision.metadata, resourceVersion: '3' } };
    expect(validateControllerRevisionUpdate({ ...old, revision: 5 }, old)).toEqual([]);
    expect(messages(validateControllerRevisionUpdate({ ...old, data: { x: 1 } }, old))).toEqual([
      'data: Invalid value: {"x":1}: field is immutable',
    ]);
  });

  it('prints its controller as kind.group/name', () => {
    expect(CONTROLLER_REVISION.table.map((c) => c.name)).toEqual([
      'Name',
      'Controller',
      'Revision',
      'Age',
    ]);
    expect(CONTROLLER_REVISION.table[1]?.cell(revision, 0)).toBe('statefulset.apps/db');
    expect(CONTROLLER_REVISION.table[2]?.cell(revision, 0)).toBe(2);
  });
});
