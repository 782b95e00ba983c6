/**
 * PodTopologySpreadArgs (pkg/scheduler/apis/config/v1 defaults.go, validation_pluginargs.go):
 * defaultingType System (the default) uses the built-in soft constraints below and requires
 * defaultConstraints to be empty; List uses defaultConstraints.
 */
import type { TopologySpreadConstraint } from '../../../api/pod-types.ts';
import { ArgsReader, type ArgsResult } from '../helper/args.ts';

export type DefaultingType = 'System' | 'List';

export interface PodTopologySpreadArgs {
  readonly defaultConstraints: readonly TopologySpreadConstraint[];
  readonly defaultingType: DefaultingType;
}

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** plugin.go systemDefaultConstraints. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_TOPOLOGY_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

export const DEFAULT_POD_TOPOLOGY_SPREAD_ARGS: PodTopologySpreadArgs = {
  defaultConstraints: [],
  defaultingType: 'System',
};

export function parsePodTopologySpreadArgs(
  raw: unknown,
  path: string,
): ArgsResult<PodTopologySpreadArgs> {
  const r = new ArgsReader(raw, path, ['defaultConstraints', 'defaultingType']);
  const defaultingType = r.string('defaultingType', 'System', ['System', 'List']) as DefaultingType;
  const list = r.array('defaultConstraints') ?? [];
  const more: string[] = [];
  const constraints: TopologySpreadConstraint[] = [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const p = `${path}.defaultConstraints[${i}]`;
    const c = new ArgsReader(item, p, [
      'maxSkew',
      'topologyKey',
      'whenUnsatisfiable',
      'labelSelector',
      'minDomains',
      'nodeAffinityPolicy',
      'nodeTaintsPolicy',
      'matchLabelKeys',
    ]);
    const maxSkew = c.int('maxSkew', 0);
    const topologyKey = c.string('topologyKey', '');
    const whenUnsatisfiable = c.string('whenUnsatisfiable', '', [
      'DoNotSchedule',
      'ScheduleAnyway',
    ]);
    more.push(...c.errors);
    if (maxSkew <= 0)
      more.push(`${p}.maxSkew: Invalid value: ${maxSkew}: must be greater than zero`);
    if (topologyKey === '') more.push(`${p}.topologyKey: Required value: can not be empty`);
    if (whenUnsatisfiable === '') more.push(`${p}.whenUnsatisfiable: Required value`);
    if (c.has('labelSelector'))
      more.push(
        `${p}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod`,
      );
    const key = `${topologyKey}\0${whenUnsatisfiable}`;
    if (seen.has(key))
      more.push(
        `${p}: Duplicate value: {${JSON.stringify(topologyKey)}, ${JSON.stringify(whenUnsatisfiable)}}`,
      );
    seen.add(key);
    constraints.push({
      maxSkew,
      topologyKey,
      whenUnsatisfiable: whenUnsatisfiable as TopologySpreadConstraint['whenUnsatisfiable'],
    });
  });
  if (defaultingType === 'System' && constraints.length > 0)
    more.push(
      `${path}.defaultConstraints: Invalid value: when .defaultingType is "System", .defaultConstraints must be empty`,
    );
  return r.result({ defaultConstraints: constraints, defaultingType }, more);
}
