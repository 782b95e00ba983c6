import { describe, expect, it } from 'vitest';
import type { OwnerReference } from '../../../../core/api/meta-types.ts';
import { sameControllerRef, sameLabels } from '../../../../core/controllers/common/equality.ts';

describe('sameLabels (reflect.DeepEqual of label maps)', () => {
  it.each([
    [undefined, undefined, true],
    [undefined, {}, true],
    [{}, undefined, true],
    [{ a: '1' }, { a: '1' }, true],
    [{ a: '1', b: '2' }, { b: '2', a: '1' }, true],
    [{ a: '1' }, { a: '2' }, false],
    [{ a: '1' }, { b: '1' }, false],
    [{ a: '1' }, { a: '1', b: '2' }, false],
    [{ a: '1', b: '2' }, { a: '1' }, false],
    [{ a: '' }, {}, false],
    [undefined, { a: '1' }, false],
    [{ a: '1' }, undefined, false],
  ])('%j vs %j: %s', (a, b, want) => {
    expect(sameLabels(a, b)).toBe(want);
  });
});

describe('sameControllerRef', () => {
  const ref: OwnerReference = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: 'web-1',
    uid: 'u1',
    controller: true,
    blockOwnerDeletion: true,
  };
  it.each([
    [undefined, undefined, true],
    [ref, undefined, false],
    [undefined, ref, false],
    [ref, { ...ref }, true],
    [ref, { ...ref, uid: 'u2' }, false],
    [ref, { ...ref, name: 'web-2' }, false],
    [ref, { ...ref, kind: 'ReplicationController' }, false],
    [ref, { ...ref, apiVersion: 'apps/v2' }, false],
    [ref, { ...ref, blockOwnerDeletion: false }, false],
  ])('%j vs %j: %s', (a, b, want) => {
    expect(sameControllerRef(a, b)).toBe(want);
  });
});
