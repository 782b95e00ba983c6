/**
 * Server-side apply's building blocks: field sets in upstream's FieldsV1 spelling, the walk
 * that turns an object into its set (associative lists keyed on the merge key, sets of
 * scalars, atomic structs), the comparison an Update is tracked with, and apply itself.
 */
import { describe, expect, it } from 'vitest';
import { mustDefinitionFor } from '../../../../core/api/kinds/index.ts';
import {
  apply,
  compare,
  FieldSet,
  pathString,
  toFieldSet,
  trackUpdate,
  type TypeModel,
  type Writer,
} from '../../../../core/api/managed-fields/index.ts';
import type { FieldsV1 } from '../../../../core/api/meta-types.ts';
import { patchMetaOf, type JsonObject } from '../../../../core/api/patch/index.ts';
import { kindType } from '../../../../core/api/schema/index.ts';

const podDef = mustDefinitionFor('Pod');
const POD: TypeModel = { patch: patchMetaOf(podDef.patch), root: kindType('v1', 'Pod') };

const writer = (manager: string): Writer => ({
  manager,
  apiVersion: 'v1',
  subresource: '',
  time: '2026-01-01T00:00:00Z',
});

const pod = (containers: JsonObject[], extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers, ...extra },
});

describe('field sets', () => {
  it('round-trip FieldsV1, with "." for a member that has children', () => {
    const v: FieldsV1 = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } },
    };
    expect(FieldSet.fromFieldsV1(v).toFieldsV1()).toEqual(v);
  });

  it.each([
    [['f:spec', 'f:replicas'], '.spec.replicas'],
    [['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'], '.spec.containers[name="c"].image'],
    [['f:metadata', 'f:finalizers', 'v:"a/b"'], '.metadata.finalizers[="a/b"]'],
  ])('%j prints as %s', (path, want) => {
    expect(pathString(path)).toBe(want);
  });
});

describe('the walk of a pod', () => {
  it('keys containers by name, their ports by containerPort, and keeps atomic structs whole', () => {
    const set = toFieldSet(
      POD,
      pod([{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }], {
        nodeSelector: { disk: 'ssd' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [] }],
            },
          },
        },
      }),
    );
    const members = set.members().map(pathString);
    expect(members).toContain('.spec.containers[name="c"].image');
    expect(members).toContain('.spec.containers[name="c"].ports[containerPort=80].containerPort');
    expect(members).toContain('.spec.nodeSelector.disk');
    // core/v1.NodeSelector is +structType=atomic: one member, nothing below it.
    expect(members).toContain(
      '.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution',
    );
    expect(members.some((m) => m.includes('nodeSelectorTerms'))).toBe(false);
  });

  it('compares item by item: a changed image is modified, a new container added', () => {
    const c = compare(
      POD,
      pod([{ name: 'a', image: '1' }]),
      pod([
        { name: 'a', image: '2' },
        { name: 'b', image: '1' },
      ]),
    );
    expect(c.modified.members().map(pathString)).toEqual(['.spec.containers[name="a"].image']);
    expect(c.added.members().map(pathString)).toEqual([
      '.spec.containers[name="b"]',
      '.spec.containers[name="b"].image',
      '.spec.containers[name="b"].name',
    ]);
    expect(c.removed.empty).toBe(true);
  });
});

describe('apply and update tracking', () => {
  it('an Update takes the fields it changed from an applier, so the next apply conflicts', () => {
    const applied = apply(POD, undefined, pod([{ name: 'a', image: '1' }]), writer('alice'), false);
    if (applied.kind !== 'applied') throw new Error(applied.kind);
    const updated = trackUpdate(
      POD,
      applied.object,
      { ...applied.object, spec: { containers: [{ name: 'a', image: '2' }] } },
      writer('bob'),
    );
    const again = apply(POD, updated, pod([{ name: 'a', image: '3' }]), writer('alice'), false);
    expect(again.kind).toBe('conflict');
    if (again.kind !== 'conflict') return;
    expect(again.status.message).toBe(
      'Apply failed with 1 conflict: conflict with "bob" using v1: .spec.containers[name="a"].image',
    );
    const forced = apply(POD, updated, pod([{ name: 'a', image: '3' }]), writer('alice'), true);
    expect(forced.kind).toBe('applied');
  });

  it('several conflicts are listed per manager', () => {
    const first = apply(
      POD,
      undefined,
      pod([{ name: 'a', image: '1' }], { nodeName: 'n1' }),
      writer('alice'),
      false,
    );
    if (first.kind !== 'applied') throw new Error(first.kind);
    const r = apply(
      POD,
      first.object,
      pod([{ name: 'a', image: '2' }], { nodeName: 'n2' }),
      writer('bob'),
      false,
    );
    expect(r.kind === 'conflict' && r.status.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.containers[name="a"].image\n- .spec.nodeName',
    );
  });
});
