import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  LIMIT_RANGE,
  validateLimitRange,
  type LimitRange,
} from '../../../../core/api/kinds/limit-range.ts';

type Item = NonNullable<LimitRange['spec']>['limits'][number];

const lr = (...limits: Item[]): LimitRange => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name: 'limits', namespace: 'default' },
  spec: { limits },
});

describe('LimitRange validation (ValidateLimitRange), upstream paths and messages', () => {
  it.each<[string, LimitRange, string[]]>([
    [
      'container defaults inside min and max',
      lr({
        type: 'Container',
        min: { cpu: '100m' },
        max: { cpu: '2' },
        default: { cpu: '500m' },
        defaultRequest: { cpu: '250m' },
        maxLimitRequestRatio: { cpu: '4' },
      }),
      [],
    ],
    ['a PVC limit on storage', lr({ type: 'PersistentVolumeClaim', max: { storage: '10Gi' } }), []],
    [
      'an unknown type',
      lr({ type: 'Node', max: { cpu: '1' } }),
      [
        'spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified',
      ],
    ],
    [
      'the same type twice',
      lr({ type: 'Pod', max: { cpu: '1' } }, { type: 'Pod', max: { cpu: '2' } }),
      ['spec.limits[1].type: Duplicate value: "Pod"'],
    ],
    [
      'defaults on a Pod limit',
      lr({ type: 'Pod', default: { cpu: '1' }, defaultRequest: { cpu: '1' } }),
      [
        "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
        "spec.limits[0].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
      ],
    ],
    [
      'a PVC limit without storage bounds',
      lr({ type: 'PersistentVolumeClaim', max: {} }),
      [
        'spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
      ],
    ],
    [
      'a non-container resource on a Container limit',
      lr({ type: 'Container', max: { pods: '1' } }),
      [
        'spec.limits[0].max[pods]: Invalid value: "pods": must be a standard resource for containers',
      ],
    ],
    [
      'min above max and a default above max',
      lr({
        type: 'Container',
        min: { memory: '2Gi' },
        max: { memory: '1Gi' },
        default: { memory: '3Gi' },
      }),
      [
        'spec.limits[0].min[memory]: Invalid value: "2Gi": min value 2Gi is greater than max value 1Gi',
        'spec.limits[0].default[memory]: Invalid value: "1Gi": default value 3Gi is greater than max value 1Gi',
      ],
    ],
    [
      'a default request above the default limit',
      lr({ type: 'Container', default: { cpu: '1' }, defaultRequest: { cpu: '2' } }),
      [
        'spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than default limit value 1',
      ],
    ],
    [
      'a ratio below 1 and one above max/min',
      lr(
        { type: 'Container', maxLimitRequestRatio: { cpu: '500m' } },
        { type: 'Pod', min: { cpu: '1' }, max: { cpu: '2' }, maxLimitRequestRatio: { cpu: '3' } },
      ),
      [
        'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
        'spec.limits[1].maxLimitRequestRatio[cpu]: Invalid value: "3": ratio 3 is greater than max/min = 2.000000',
      ],
    ],
    [
      'different default and default request for an extended resource',
      lr({
        type: 'Container',
        default: { 'example.com/gpu': '2' },
        defaultRequest: { 'example.com/gpu': '1' },
      }),
      [
        'spec.limits[0].defaultRequest[example.com/gpu]: Invalid value: "1": default value 2 must equal to defaultRequest value 1 in example.com/gpu',
      ],
    ],
  ])('%s', (_name, obj, expected) => {
    expect(validateLimitRange(obj).map(formatFieldError)).toEqual(expected);
  });

  it('prints the default table (Name, Created At)', () => {
    expect(LIMIT_RANGE.table.map((c) => c.name)).toEqual(['Name', 'Created At']);
  });
});
