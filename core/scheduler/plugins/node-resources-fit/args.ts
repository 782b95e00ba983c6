/**
 * NodeResourcesFitArgs and NodeResourcesBalancedAllocationArgs (pkg/scheduler/apis/config/v1
 * defaults.go, validation/validation_pluginargs.go): defaults and checks.
 */
import { ArgsReader, isPlainObject, type ArgsResult } from '../helper/args.ts';

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

export interface ResourceSpec {
  readonly name: string;
  readonly weight: number;
}

export interface UtilizationShapePoint {
  readonly utilization: number;
  readonly score: number;
}

export interface ScoringStrategy {
  readonly type: ScoringStrategyType;
  readonly resources: readonly ResourceSpec[];
  readonly requestedToCapacityRatio?: { readonly shape: readonly UtilizationShapePoint[] };
}

export interface NodeResourcesFitArgs {
  readonly ignoredResources: readonly string[];
  readonly ignoredResourceGroups: readonly string[];
  readonly scoringStrategy: ScoringStrategy;
}

export interface NodeResourcesBalancedAllocationArgs {
  readonly resources: readonly ResourceSpec[];
}

export const DEFAULT_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

export const DEFAULT_FIT_ARGS: NodeResourcesFitArgs = {
  ignoredResources: [],
  ignoredResourceGroups: [],
  scoringStrategy: { type: 'LeastAllocated', resources: DEFAULT_RESOURCES },
};

export const DEFAULT_BALANCED_ALLOCATION_ARGS: NodeResourcesBalancedAllocationArgs = {
  resources: DEFAULT_RESOURCES,
};

/** config.MaxCustomPriorityScore: shape scores are 0..10, scaled to 0..100. */
export const MAX_CUSTOM_PRIORITY_SCORE = 10;
const MAX_RESOURCE_WEIGHT = 100;
const STRATEGIES: readonly ScoringStrategyType[] = [
  'LeastAllocated',
  'MostAllocated',
  'RequestedToCapacityRatio',
];

function parseResources(
  raw: unknown[] | undefined,
  path: string,
  errors: string[],
): ResourceSpec[] {
  if (raw === undefined || raw.length === 0) return [...DEFAULT_RESOURCES];
  const out: ResourceSpec[] = [];
  const seen = new Set<string>();
  raw.forEach((item, i) => {
    const r = new ArgsReader(item, `${path}[${i}]`, ['name', 'weight']);
    const name = r.string('name', '');
    // A weight of 0 (unset) defaults to 1, as SetDefaults_NodeResourcesFitArgs.
    let weight = r.int('weight', 0);
    if (weight === 0) weight = 1;
    errors.push(...r.errors);
    if (name === '') errors.push(`${path}[${i}].name: Required value`);
    else if (seen.has(name))
      errors.push(`${path}[${i}].name: Duplicate value: ${JSON.stringify(name)}`);
    seen.add(name);
    if (weight < 1 || weight > MAX_RESOURCE_WEIGHT)
      errors.push(
        `${path}[${i}].weight: Invalid value: ${weight}: resource weight of ${name} not in valid range [1, ${MAX_RESOURCE_WEIGHT}]`,
      );
    out.push({ name, weight });
  });
  return out;
}

function parseShape(raw: unknown, path: string, errors: string[]): UtilizationShapePoint[] {
  const r = new ArgsReader(raw, path, ['shape']);
  const list = r.array('shape');
  errors.push(...r.errors);
  if (list === undefined || list.length === 0) {
    errors.push(`${path}.shape: Required value: at least one point must be specified`);
    return [];
  }
  const out: UtilizationShapePoint[] = [];
  list.forEach((item, i) => {
    const p = new ArgsReader(item, `${path}.shape[${i}]`, ['utilization', 'score']);
    const utilization = p.int('utilization', 0, 0, 100);
    const score = p.int('score', 0, 0, MAX_CUSTOM_PRIORITY_SCORE);
    errors.push(...p.errors);
    const prev = out[out.length - 1];
    if (prev !== undefined && utilization <= prev.utilization)
      errors.push(
        `${path}.shape[${i}].utilization: Invalid value: ${utilization}: utilization values must be sorted in increasing order`,
      );
    out.push({ utilization, score });
  });
  return out;
}

export function parseFitArgs(raw: unknown, path: string): ArgsResult<NodeResourcesFitArgs> {
  const r = new ArgsReader(raw, path, [
    'ignoredResources',
    'ignoredResourceGroups',
    'scoringStrategy',
  ]);
  const more: string[] = [];
  const ignoredResources = r.stringArray('ignoredResources');
  const ignoredResourceGroups = r.stringArray('ignoredResourceGroups');
  ignoredResourceGroups.forEach((g, i) => {
    if (g.includes('/'))
      more.push(
        `${path}.ignoredResourceGroups[${i}]: Invalid value: ${JSON.stringify(g)}: resource group name can't contain '/'`,
      );
  });
  let scoringStrategy: ScoringStrategy = DEFAULT_FIT_ARGS.scoringStrategy;
  const rawStrategy = r.raw('scoringStrategy');
  if (rawStrategy !== undefined && rawStrategy !== null) {
    const sp = `${path}.scoringStrategy`;
    const s = new ArgsReader(rawStrategy, sp, ['type', 'resources', 'requestedToCapacityRatio']);
    const type = s.string('type', 'LeastAllocated', STRATEGIES) as ScoringStrategyType;
    const resources = parseResources(s.array('resources'), `${sp}.resources`, more);
    more.push(...s.errors);
    if (type === 'RequestedToCapacityRatio') {
      const shape = parseShape(
        s.raw('requestedToCapacityRatio'),
        `${sp}.requestedToCapacityRatio`,
        more,
      );
      scoringStrategy = { type, resources, requestedToCapacityRatio: { shape } };
    } else {
      if (isPlainObject(s.raw('requestedToCapacityRatio')))
        more.push(
          `${sp}.requestedToCapacityRatio: Forbidden: only valid with type RequestedToCapacityRatio`,
        );
      scoringStrategy = { type, resources };
    }
  }
  return r.result({ ignoredResources, ignoredResourceGroups, scoringStrategy }, more);
}

export function parseBalancedAllocationArgs(
  raw: unknown,
  path: string,
): ArgsResult<NodeResourcesBalancedAllocationArgs> {
  const r = new ArgsReader(raw, path, ['resources']);
  const more: string[] = [];
  const resources = parseResources(r.array('resources'), `${path}.resources`, more);
  return r.result({ resources }, more);
}
