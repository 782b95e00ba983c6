/** Tables after pkg/controller/history/controller_history_test.go (case names in each row). */
import { describe, expect, it } from 'vitest';
import type { ControllerRevision } from '../../../core/api/kinds/controller-revision.ts';
import {
  controllerRevisionName,
  equalRevision,
  findEqualRevisions,
  hashControllerRevision,
  newControllerRevision,
  nextRevision,
  sortControllerRevisions,
} from '../../../core/controllers/history/controller-history.ts';
import { statefulSet } from './statefulsets.ts';

const GVK = { group: 'apps', version: 'v1', kind: 'StatefulSet' };
const parent = { metadata: { name: 'web', namespace: 'default', uid: 'u1' } };

function revision(name: string, rev: number, data: object, created?: string): ControllerRevision {
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name, ...(created === undefined ? {} : { creationTimestamp: created }) },
    data,
    revision: rev,
  };
}

describe('NewControllerRevision (TestNewControllerRevision)', () => {
  it('names the revision after its parent and the hash of its data, owned by the parent', () => {
    const set = statefulSet('web', 1);
    const cr = newControllerRevision(parent, GVK, { app: 'web' }, { a: 1 }, 3, 0);
    const hash = hashControllerRevision({ a: 1 }, 0);
    expect(cr.metadata.name).toBe(`web-${hash}`);
    expect(cr.metadata.labels).toEqual({ app: 'web', 'controller-revision-hash': hash });
    expect(cr.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      uid: 'u1',
      controller: true,
    });
    expect(cr.revision).toBe(3);
    expect(set.metadata.name).toBe('web');
  });
  it('the collision count changes the hash; key order does not', () => {
    expect(hashControllerRevision({ a: 1, b: 2 }, 0)).toBe(
      hashControllerRevision({ b: 2, a: 1 }, 0),
    );
    expect(hashControllerRevision({ a: 1 }, 0)).not.toBe(hashControllerRevision({ a: 1 }, 1));
    expect(hashControllerRevision({ a: 1 }, undefined)).not.toBe(
      hashControllerRevision({ a: 2 }, undefined),
    );
  });
  it('ControllerRevisionName truncates a long prefix', () => {
    expect(controllerRevisionName('x'.repeat(300), 'abc')).toBe(`${'x'.repeat(223)}-abc`);
  });
});

describe('SortControllerRevisions (TestSortControllerRevisions)', () => {
  it.each([
    [
      'by revision',
      [
        ['a', 3],
        ['b', 1],
        ['c', 2],
      ],
      ['b', 'c', 'a'],
    ],
    [
      'ties by creation time',
      [
        ['a', 1, '2026-01-01T00:00:02Z'],
        ['b', 1, '2026-01-01T00:00:01Z'],
      ],
      ['b', 'a'],
    ],
    [
      'ties by name',
      [
        ['b', 1, '2026-01-01T00:00:01Z'],
        ['a', 1, '2026-01-01T00:00:01Z'],
      ],
      ['a', 'b'],
    ],
  ] as const)('%s', (_case, input, want) => {
    const revs = input.map(([n, r, t]) => revision(n, r, {}, t));
    expect(sortControllerRevisions(revs).map((r) => r.metadata.name)).toEqual(want);
    expect(nextRevision(sortControllerRevisions(revs))).toBe(
      Math.max(...input.map((i) => i[1])) + 1,
    );
  });
  it('an empty history starts at 1', () => {
    expect(nextRevision([])).toBe(1);
  });
});

describe('EqualRevision and FindEqualRevisions (TestEqualRevision, TestFindEqualRevisions)', () => {
  const a = newControllerRevision(parent, GVK, {}, { spec: 1 }, 1, 0);
  const b = newControllerRevision(parent, GVK, {}, { spec: 2 }, 2, 0);
  const aAgain = newControllerRevision(parent, GVK, {}, { spec: 1 }, 5, 0);
  const unlabelled = { ...a, metadata: { name: 'x' } };
  it.each([
    ['same data', a, aAgain, true],
    ['other data', a, b, false],
    ['no hash label: data decides', unlabelled, a, true],
  ] as const)('%s', (_case, l, r, want) => {
    expect(equalRevision(l, r)).toBe(want);
  });
  it('finds every equal revision', () => {
    expect(findEqualRevisions([a, b, aAgain], a).map((r) => r.revision)).toEqual([1, 5]);
  });
});
