import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  defaultPersistentVolumeClaim,
  PERSISTENT_VOLUME_CLAIM,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimUpdate,
  type PersistentVolumeClaim,
} from '../../../../core/api/kinds/persistent-volume-claim.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

type Spec = NonNullable<PersistentVolumeClaim['spec']>;

const pvc = (spec: Spec, status?: PersistentVolumeClaim['status']): PersistentVolumeClaim =>
  defaultPersistentVolumeClaim({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default' },
    spec,
    ...(status ? { status } : {}),
  });

const good: Spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

describe('PersistentVolumeClaim validation, upstream paths and messages', () => {
  it.each<[string, Spec, string[]]>([
    ['a claim for 1Gi', good, []],
    [
      'no access modes and no storage request',
      {},
      ['spec.accessModes: Required value', 'spec.resources[storage]: Required value'],
    ],
    [
      'a zero storage request',
      { ...good, resources: { requests: { storage: '0' } } },
      ['spec.resources[storage]: Invalid value: "0": must be greater than zero'],
    ],
    [
      'a storage class that is not a DNS subdomain',
      { ...good, storageClassName: 'Fast_SSD' },
      [
        "spec.storageClassName: Invalid value: \"Fast_SSD\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
  ])('%s', (_name, spec, expected) => {
    expect(validatePersistentVolumeClaim(pvc(spec)).map(formatFieldError)).toEqual(expected);
  });

  it('keeps its spec, except that a bound claim may grow', () => {
    const old = pvc(good);
    const grown = pvc({ ...good, resources: { requests: { storage: '2Gi' } } });
    expect(validatePersistentVolumeClaimUpdate(grown, old).map(formatFieldError)).toEqual([
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ]);
    const boundOld = pvc({ ...good, volumeName: 'pv-1' }, { phase: 'Bound' });
    const boundGrown = pvc(
      { ...good, volumeName: 'pv-1', resources: { requests: { storage: '2Gi' } } },
      { phase: 'Bound' },
    );
    expect(validatePersistentVolumeClaimUpdate(boundGrown, boundOld)).toEqual([]);
    const shrunk = pvc(
      { ...good, volumeName: 'pv-1', resources: { requests: { storage: '500Mi' } } },
      { phase: 'Bound' },
    );
    expect(validatePersistentVolumeClaimUpdate(shrunk, boundOld).map(formatFieldError)).toEqual([
      'spec.resources.requests.storage: Forbidden: field can not be less than status.capacity',
    ]);
    const binding = pvc({ ...good, volumeName: 'pv-1' });
    expect(validatePersistentVolumeClaimUpdate(binding, old)).toEqual([]);
  });

  it('prints capacity and access modes only once bound', () => {
    const pending = pvc(good, { phase: 'Pending' });
    expect(PERSISTENT_VOLUME_CLAIM.table.map((c) => c.cell(pending, 0))).toEqual([
      'data',
      'Pending',
      '',
      '',
      '',
      '',
      '<unset>',
      '<unknown>',
      'Filesystem',
    ]);
    const bound = pvc(
      { ...good, volumeName: 'pv-1' },
      { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
    );
    expect(PERSISTENT_VOLUME_CLAIM.table.slice(1, 5).map((c) => c.cell(bound, 0))).toEqual([
      'Bound',
      'pv-1',
      '1Gi',
      'RWO',
    ]);
  });

  it('is served with a status subresource: status starts Pending and only /status changes it', async () => {
    await runScript(controlPlane(), async (api) => {
      const created = await api.create(pvc(good));
      if (!created.ok) throw new Error(created.error.message);
      expect(created.value.status).toEqual({ phase: 'Pending' });
      const ignored = await api.update({ ...created.value, status: { phase: 'Bound' } });
      expect(ignored.ok && ignored.value.status?.phase).toBe('Pending');
      const current = ignored.ok ? ignored.value : created.value;
      const bound = await api.updateStatus({ ...current, status: { phase: 'Bound' } });
      expect(bound.ok && bound.value.status?.phase).toBe('Bound');
      const bad = await api.updateStatus({
        ...(bound.ok ? bound.value : current),
        status: { phase: 'Gone' },
      });
      expect(!bad.ok && bad.error.message).toBe(
        'PersistentVolumeClaim "data" is invalid: status.phase: Unsupported value: "Gone": supported values: "Bound", "Lost", "Pending"',
      );
    });
  });
});
