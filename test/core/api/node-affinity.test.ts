import { describe, expect, it } from 'vitest';
import {
  findUntoleratedTaint,
  nodeSelectorMatcher,
  podMatchesNodeSelectorAndAffinity,
  toleratesTaint,
} from '../../../core/api/node-affinity.ts';
import type { Node, Taint } from '../../../core/api/node-types.ts';
import type { NodeSelector, Pod, Toleration } from '../../../core/api/pod-types.ts';

const node: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', labels: { zone: 'a', disk: 'ssd', cores: '8' } },
};

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const table: [Toleration, boolean][] = [
    [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
    [{ key: 'dedicated', value: 'gpu' }, true],
    [{ key: 'dedicated', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'dedicated', value: 'cpu' }, false],
    [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
  ];
  it.each(table)('%j -> %s', (t, want) => {
    expect(toleratesTaint(t, taint)).toBe(want);
  });

  it('finds the first untolerated taint', () => {
    const taints: Taint[] = [
      { key: 'a', effect: 'PreferNoSchedule' },
      { key: 'b', effect: 'NoSchedule' },
    ];
    expect(findUntoleratedTaint(taints, [])).toEqual(taints[0]);
    expect(findUntoleratedTaint(taints, [], (t) => t.effect !== 'PreferNoSchedule')).toEqual(
      taints[1],
    );
    expect(findUntoleratedTaint(taints, [{ operator: 'Exists' }])).toBeUndefined();
  });
});

describe('node selectors', () => {
  const table: [string, NodeSelector, boolean][] = [
    [
      'In',
      {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
        ],
      },
      true,
    ],
    [
      'NotIn',
      {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
        ],
      },
      false,
    ],
    [
      'Gt',
      {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] },
        ],
      },
      true,
    ],
    [
      'Lt',
      {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] },
        ],
      },
      false,
    ],
    [
      'ORed terms',
      {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] },
          { matchExpressions: [{ key: 'disk', operator: 'Exists' }] },
        ],
      },
      true,
    ],
    [
      'ANDed within a term',
      {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: 'zone', operator: 'In', values: ['a'] },
              { key: 'disk', operator: 'DoesNotExist' },
            ],
          },
        ],
      },
      false,
    ],
    [
      'matchFields name',
      {
        nodeSelectorTerms: [
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] },
        ],
      },
      true,
    ],
    [
      'matchFields other name',
      {
        nodeSelectorTerms: [
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] },
        ],
      },
      false,
    ],
    ['empty term matches nothing', { nodeSelectorTerms: [{}] }, false],
    ['no terms matches nothing', { nodeSelectorTerms: [] }, false],
    [
      'invalid term is skipped',
      {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['x'] }] },
        ],
      },
      false,
    ],
  ];
  it.each(table)('%s', (_name, sel, want) => {
    expect(nodeSelectorMatcher(sel).matches(node)).toBe(want);
  });

  it('combines spec.nodeSelector with required node affinity', () => {
    const pod = (spec: Partial<Pod['spec']>): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'd' },
      spec: { containers: [], ...spec },
    });
    expect(podMatchesNodeSelectorAndAffinity(pod({}), node)).toBe(true);
    expect(podMatchesNodeSelectorAndAffinity(pod({ nodeSelector: { zone: 'a' } }), node)).toBe(
      true,
    );
    expect(podMatchesNodeSelectorAndAffinity(pod({ nodeSelector: { zone: 'b' } }), node)).toBe(
      false,
    );
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'disk', operator: 'In' as const, values: ['hdd'] }] },
          ],
        },
      },
    };
    expect(
      podMatchesNodeSelectorAndAffinity(pod({ nodeSelector: { zone: 'a' }, affinity }), node),
    ).toBe(false);
  });
});
