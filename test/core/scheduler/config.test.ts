/** KubeSchedulerConfiguration loading: defaults, merging, multiPoint expansion, clear errors. */
import { describe, expect, it } from 'vitest';
import { loadSchedulerConfiguration } from '../../../core/scheduler/config/load.ts';
import { IN_TREE_REGISTRY } from '../../../core/scheduler/plugins/registry.ts';

const HEADER = { apiVersion: 'kubescheduler.config.k8s.io/v1', kind: 'KubeSchedulerConfiguration' };

function load(extra: Record<string, unknown>) {
  return loadSchedulerConfiguration({ ...HEADER, ...extra }, IN_TREE_REGISTRY);
}

function ok(extra: Record<string, unknown> = {}) {
  const r = load(extra);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

function errors(extra: Record<string, unknown>): readonly string[] {
  const r = load(extra);
  return r.ok ? [] : r.errors;
}

describe('default configuration', () => {
  const c = ok();
  const p = c.profiles[0];

  it('has upstream defaults', () => {
    expect(c).toMatchObject({
      parallelism: 16,
      percentageOfNodesToScore: 0,
      podInitialBackoffSeconds: 1,
      podMaxBackoffSeconds: 10,
    });
    expect(p?.schedulerName).toBe('default-scheduler');
  });

  it('expands the default multiPoint plugins in upstream order', () => {
    expect(p?.points.preEnqueue).toEqual(['SchedulingGates']);
    expect(p?.points.queueSort).toEqual(['PrioritySort']);
    expect(p?.points.preFilter).toEqual([
      'NodeName',
      'NodeAffinity',
      'NodePorts',
      'NodeResourcesFit',
      'VolumeRestrictions',
      'VolumeBinding',
      'PodTopologySpread',
      'InterPodAffinity',
    ]);
    expect(p?.points.filter).toEqual([
      'NodeUnschedulable',
      'NodeName',
      'TaintToleration',
      'NodeAffinity',
      'NodePorts',
      'NodeResourcesFit',
      'VolumeBinding',
      'PodTopologySpread',
      'InterPodAffinity',
    ]);
    expect(p?.points.postFilter).toEqual(['DefaultPreemption']);
    expect(p?.points.score).toEqual([
      'TaintToleration',
      'NodeAffinity',
      'NodeResourcesFit',
      'PodTopologySpread',
      'InterPodAffinity',
      'NodeResourcesBalancedAllocation',
      'ImageLocality',
    ]);
    expect(p?.points.reserve).toEqual(['VolumeBinding']);
    expect(p?.points.preBind).toEqual(['VolumeBinding']);
    expect(p?.points.bind).toEqual(['DefaultBinder']);
  });

  it('has upstream score weights and default args', () => {
    expect(Object.fromEntries(p?.scoreWeights ?? [])).toEqual({
      TaintToleration: 3,
      NodeAffinity: 2,
      NodeResourcesFit: 1,
      PodTopologySpread: 2,
      InterPodAffinity: 2,
      NodeResourcesBalancedAllocation: 1,
      ImageLocality: 1,
    });
    expect(p?.pluginArgs.get('NodeResourcesFit')).toEqual({
      ignoredResources: [],
      ignoredResourceGroups: [],
      scoringStrategy: {
        type: 'LeastAllocated',
        resources: [
          { name: 'cpu', weight: 1 },
          { name: 'memory', weight: 1 },
        ],
      },
    });
    expect(p?.pluginArgs.get('PodTopologySpread')).toEqual({
      defaultConstraints: [],
      defaultingType: 'System',
    });
    expect(p?.pluginArgs.get('DefaultPreemption')).toEqual({
      minCandidateNodesPercentage: 10,
      minCandidateNodesAbsolute: 100,
    });
  });
});

describe('profiles', () => {
  it('disables and re-weights plugins, adds profiles', () => {
    const c = ok({
      percentageOfNodesToScore: 30,
      profiles: [
        { schedulerName: 'default-scheduler' },
        {
          schedulerName: 'bin-packer',
          percentageOfNodesToScore: 100,
          plugins: {
            multiPoint: {
              enabled: [{ name: 'NodeResourcesFit', weight: 5 }],
              disabled: [{ name: 'ImageLocality' }],
            },
            score: { disabled: [{ name: 'NodeResourcesBalancedAllocation' }] },
          },
          pluginConfig: [
            { name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } },
          ],
        },
      ],
    });
    const [a, b] = c.profiles;
    expect(a?.percentageOfNodesToScore).toBe(30);
    expect(b?.percentageOfNodesToScore).toBe(100);
    expect(b?.points.score).toEqual([
      'TaintToleration',
      'NodeAffinity',
      'NodeResourcesFit',
      'PodTopologySpread',
      'InterPodAffinity',
    ]);
    expect(b?.scoreWeights.get('NodeResourcesFit')).toBe(5);
    expect(b?.pluginArgs.get('NodeResourcesFit')).toMatchObject({
      scoringStrategy: { type: 'MostAllocated' },
    });
  });

  it('puts plugins enabled at a point explicitly first when they override multiPoint', () => {
    const p = ok({
      profiles: [{ plugins: { score: { enabled: [{ name: 'ImageLocality', weight: 7 }] } } }],
    }).profiles[0];
    expect(p?.points.score[0]).toBe('ImageLocality');
    expect(p?.scoreWeights.get('ImageLocality')).toBe(7);
  });

  it('disables everything at a point with "*"', () => {
    const p = ok({ profiles: [{ plugins: { score: { disabled: [{ name: '*' }] } } }] }).profiles[0];
    expect(p?.points.score).toEqual([]);
    expect(p?.points.filter.length).toBe(9);
  });

  it('accepts the upstream volume plugins ksim does not model and ignores them', () => {
    const p = ok({
      profiles: [{ plugins: { filter: { enabled: [{ name: 'NodeVolumeLimits' }] } } }],
    }).profiles[0];
    expect(p?.points.filter).not.toContain('NodeVolumeLimits');
  });

  it('runs VolumeBinding at its extension points in the default profile', () => {
    const p = ok({}).profiles[0];
    for (const point of ['preFilter', 'filter', 'reserve', 'preBind'] as const)
      expect(p?.points[point]).toContain('VolumeBinding');
  });
});

describe('errors name the bad field or plugin', () => {
  it.each([
    [
      { apiVersion: 'v1' },
      'apiVersion: Unsupported value: "v1": supported values: "kubescheduler.config.k8s.io/v1"',
    ],
    [
      { percentageOfNodesToScore: 101 },
      'KubeSchedulerConfiguration.percentageOfNodesToScore: Invalid value: 101: must be in the range [0, 100]',
    ],
    [
      { podInitialBackoffSeconds: 5, podMaxBackoffSeconds: 2 },
      'podMaxBackoffSeconds: Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds',
    ],
    [{ bogus: 1 }, 'KubeSchedulerConfiguration.bogus: Unknown field'],
    [{ profiles: [] }, 'profiles: Required value: at least one profile is required'],
    [{ profiles: [{}, {}] }, 'profiles[1].schedulerName: Duplicate value: "default-scheduler"'],
    [
      { profiles: [{ plugins: { filter: { enabled: [{ name: 'NoSuchPlugin' }] } } }] },
      'profiles[0].plugins.filter.enabled: Invalid value: "NoSuchPlugin": plugin "NoSuchPlugin" does not exist',
    ],
    [
      { profiles: [{ plugins: { filter: { enabled: [{ name: 'ImageLocality' }] } } }] },
      'profiles[0].plugins.filter.enabled: Invalid value: "ImageLocality": plugin "ImageLocality" does not extend filter plugin',
    ],
    [
      {
        profiles: [
          {
            pluginConfig: [
              { name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'Cheapest' } } },
            ],
          },
        ],
      },
      'profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: "Cheapest": supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"',
    ],
    [
      {
        profiles: [
          {
            pluginConfig: [
              {
                name: 'NodeResourcesFit',
                args: { scoringStrategy: { resources: [{ name: 'cpu', weight: 200 }] } },
              },
            ],
          },
        ],
      },
      'profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: 200: resource weight of cpu not in valid range [1, 100]',
    ],
    [
      {
        profiles: [
          {
            pluginConfig: [
              {
                name: 'NodeResourcesFit',
                args: { scoringStrategy: { type: 'RequestedToCapacityRatio' } },
              },
            ],
          },
        ],
      },
      'profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified',
    ],
    [
      {
        profiles: [
          { pluginConfig: [{ name: 'InterPodAffinity', args: { hardPodAffinityWeight: 101 } }] },
        ],
      },
      'profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 101: must be in the range [0, 100]',
    ],
    [
      {
        profiles: [
          {
            pluginConfig: [
              {
                name: 'PodTopologySpread',
                args: {
                  defaultConstraints: [
                    { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' },
                  ],
                },
              },
            ],
          },
        ],
      },
      'profiles[0].pluginConfig[0].args.defaultConstraints: Invalid value: when .defaultingType is "System", .defaultConstraints must be empty',
    ],
    [
      {
        profiles: [
          { pluginConfig: [{ name: 'NodeResourcesFit', args: { kind: 'InterPodAffinityArgs' } }] },
        ],
      },
      'profiles[0].pluginConfig[0].args.kind: Invalid value: "InterPodAffinityArgs": want "NodeResourcesFitArgs" for plugin "NodeResourcesFit"',
    ],
    [
      { profiles: [{ pluginConfig: [{ name: 'Nope' }] }] },
      'profiles[0].pluginConfig[0].name: Invalid value: "Nope": plugin "Nope" does not exist',
    ],
    [
      { profiles: [{ plugins: { queueSort: { disabled: [{ name: '*' }] } } }] },
      'profiles[0].plugins.queueSort: Invalid value: exactly one queueSort plugin must be enabled, got 0',
    ],
    [
      { extenders: [{ urlPrefix: 'http://x' }] },
      'extenders: Forbidden: scheduler extenders (deprecated upstream) are not supported by ksim',
    ],
  ])('%j', (extra, message) => {
    expect(errors(extra)).toContain(message);
  });
});
