/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) from an already-parsed YAML/JSON
 * object: strict field checking, upstream defaults, profile resolution (defaults merged as
 * pkg/scheduler/apis/config/v1/default_plugins.go mergePlugins does, multiPoint expanded as
 * pkg/scheduler/framework/runtime/framework.go expandMultiPointPlugins does) and plugin args
 * validation. Every error names the offending field or plugin.
 */
import {
  EXTENSION_POINTS,
  type ExtensionPoint,
  type Registry,
  type ResolvedProfile,
} from '../framework/profile.ts';
import { ArgsReader, isPlainObject } from '../plugins/helper/args.ts';
import {
  API_VERSION,
  DEFAULT_MULTI_POINT,
  DEFAULT_PARALLELISM,
  DEFAULT_POD_INITIAL_BACKOFF_SECONDS,
  DEFAULT_POD_MAX_BACKOFF_SECONDS,
  DEFAULT_SCHEDULER_NAME,
  KIND,
  type PluginRef,
} from './defaults.ts';

export interface SchedulerConfiguration {
  readonly parallelism: number;
  /** 0 = adaptive. */
  readonly percentageOfNodesToScore: number;
  readonly podInitialBackoffSeconds: number;
  readonly podMaxBackoffSeconds: number;
  readonly profiles: readonly ResolvedProfile[];
}

export type LoadResult =
  | { readonly ok: true; readonly config: SchedulerConfiguration }
  | { readonly ok: false; readonly errors: readonly string[] };

/** The YAML names of the per-point plugin sets. */
const POINT_FIELDS: Readonly<Record<ExtensionPoint, string>> = {
  preEnqueue: 'preEnqueue',
  queueSort: 'queueSort',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
  postBind: 'postBind',
};

interface PluginSet {
  readonly enabled: readonly PluginRef[];
  readonly disabled: readonly string[];
}

type RawPlugins = Partial<Record<ExtensionPoint | 'multiPoint', PluginSet>>;

/** The configuration a scheduler runs with when given none. */
export function defaultConfiguration(registry: Registry): SchedulerConfiguration {
  const r = loadSchedulerConfiguration({ apiVersion: API_VERSION, kind: KIND }, registry);
  if (!r.ok) throw new Error(`default configuration is invalid: ${r.errors.join('; ')}`);
  return r.config;
}

export function loadSchedulerConfiguration(raw: unknown, registry: Registry): LoadResult {
  const errors: string[] = [];
  const top = new ArgsReader(raw, 'KubeSchedulerConfiguration', [
    'parallelism',
    'leaderElection',
    'clientConnection',
    'healthzBindAddress',
    'metricsBindAddress',
    'enableProfiling',
    'enableContentionProfiling',
    'percentageOfNodesToScore',
    'podInitialBackoffSeconds',
    'podMaxBackoffSeconds',
    'profiles',
    'extenders',
    'delayCacheUntilActive',
  ]);
  if (isPlainObject(raw)) {
    if (raw.apiVersion !== API_VERSION)
      errors.push(
        `apiVersion: Unsupported value: ${JSON.stringify(raw.apiVersion)}: supported values: "${API_VERSION}"`,
      );
    if (raw.kind !== KIND)
      errors.push(
        `kind: Unsupported value: ${JSON.stringify(raw.kind)}: supported values: "${KIND}"`,
      );
  }
  const parallelism = top.int('parallelism', DEFAULT_PARALLELISM, 1);
  const pct = top.int('percentageOfNodesToScore', 0, 0, 100);
  const initial = top.int('podInitialBackoffSeconds', DEFAULT_POD_INITIAL_BACKOFF_SECONDS, 1);
  const max = top.int('podMaxBackoffSeconds', DEFAULT_POD_MAX_BACKOFF_SECONDS, 1);
  if (max < initial)
    errors.push(
      `podMaxBackoffSeconds: Invalid value: ${max}: must be greater than or equal to PodInitialBackoffSeconds`,
    );
  const extenders = top.array('extenders');
  if (extenders !== undefined && extenders.length > 0)
    errors.push(
      'extenders: Forbidden: scheduler extenders (deprecated upstream) are not supported by ksim',
    );
  const rawProfiles = top.array('profiles') ?? [{}];
  if (rawProfiles.length === 0)
    errors.push('profiles: Required value: at least one profile is required');
  errors.push(...top.errors);

  const profiles: ResolvedProfile[] = [];
  const names = new Set<string>();
  rawProfiles.forEach((rp, i) => {
    const path = `profiles[${i}]`;
    const p = resolveProfile(rp, path, pct, registry, errors);
    if (p === undefined) return;
    if (names.has(p.schedulerName))
      errors.push(`${path}.schedulerName: Duplicate value: ${JSON.stringify(p.schedulerName)}`);
    names.add(p.schedulerName);
    profiles.push(p);
  });
  const sorts = new Set(profiles.map((p) => JSON.stringify(p.points.queueSort)));
  if (sorts.size > 1)
    errors.push(
      'profiles[1].plugins.queueSort: Invalid value: queueSort must be the same for all profiles',
    );
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      parallelism,
      percentageOfNodesToScore: pct,
      podInitialBackoffSeconds: initial,
      podMaxBackoffSeconds: max,
      profiles,
    },
  };
}

function readPluginSet(raw: unknown, path: string, errors: string[]): PluginSet {
  const r = new ArgsReader(raw, path, ['enabled', 'disabled']);
  const readList = (field: string): PluginRef[] =>
    (r.array(field) ?? []).map((item, j) => {
      const pr = new ArgsReader(item, `${path}.${field}[${j}]`, ['name', 'weight']);
      const name = pr.string('name', '');
      const weight = pr.int('weight', 0, 0, 2 ** 31 - 1);
      errors.push(...pr.errors);
      if (name === '') errors.push(`${path}.${field}[${j}].name: Required value`);
      return weight === 0 ? { name } : { name, weight };
    });
  const enabled = readList('enabled');
  const disabled = readList('disabled').map((p) => p.name);
  errors.push(...r.errors);
  return { enabled, disabled };
}

/** mergePluginSet: defaults minus disabled ("*" = all), custom ones replacing defaults in place. */
function mergePluginSet(defaults: readonly PluginRef[], custom: PluginSet | undefined): PluginSet {
  if (custom === undefined) return { enabled: defaults, disabled: [] };
  const disabled = new Set(custom.disabled);
  const customByName = new Map(custom.enabled.map((p, i) => [p.name, { p, i }]));
  const replaced = new Set<number>();
  const enabled: PluginRef[] = [];
  if (!disabled.has('*'))
    for (const d of defaults) {
      if (disabled.has(d.name)) continue;
      const c = customByName.get(d.name);
      if (c !== undefined) {
        replaced.add(c.i);
        enabled.push(c.p);
      } else enabled.push(d);
    }
  custom.enabled.forEach((p, i) => {
    if (!replaced.has(i)) enabled.push(p);
  });
  return { enabled, disabled: custom.disabled };
}

function resolveProfile(
  raw: unknown,
  path: string,
  globalPct: number,
  registry: Registry,
  errors: string[],
): ResolvedProfile | undefined {
  const r = new ArgsReader(raw, path, [
    'schedulerName',
    'percentageOfNodesToScore',
    'plugins',
    'pluginConfig',
  ]);
  const schedulerName = r.string('schedulerName', DEFAULT_SCHEDULER_NAME);
  if (schedulerName === '') errors.push(`${path}.schedulerName: Required value`);
  const pct = r.int('percentageOfNodesToScore', globalPct, 0, 100);
  const pluginsPath = `${path}.plugins`;
  const pr = new ArgsReader(r.raw('plugins'), pluginsPath, [
    ...EXTENSION_POINTS.map((p) => POINT_FIELDS[p]),
    'multiPoint',
  ]);
  const sets: RawPlugins = {};
  for (const point of [...EXTENSION_POINTS, 'multiPoint'] as const)
    if (pr.has(point))
      sets[point] = readPluginSet(pr.raw(point), `${pluginsPath}.${point}`, errors);
  errors.push(...r.errors, ...pr.errors);

  const multiPoint = mergePluginSet(DEFAULT_MULTI_POINT, sets.multiPoint);
  const mpPath = `${pluginsPath}.multiPoint`;
  const known = (name: string, where: string): boolean => {
    if (registry.has(name)) return true;
    errors.push(
      `${where}: Invalid value: ${JSON.stringify(name)}: plugin "${name}" does not exist`,
    );
    return false;
  };
  multiPoint.enabled.forEach((p) => known(p.name, `${mpPath}.enabled`));

  const points = {} as Record<ExtensionPoint, string[]>;
  const scoreWeights = new Map<string, number>();
  for (const point of EXTENSION_POINTS) {
    const set = sets[point];
    const setPath = `${pluginsPath}.${point}`;
    const disabled = new Set(set?.disabled ?? []);
    const explicit: string[] = [];
    for (const p of set?.enabled ?? []) {
      if (!known(p.name, `${setPath}.enabled`)) continue;
      const entry = registry.get(p.name);
      if (entry === undefined || entry.points.length === 0) continue;
      if (!entry.points.includes(point)) {
        errors.push(
          `${setPath}.enabled: Invalid value: ${JSON.stringify(p.name)}: plugin "${p.name}" does not extend ${point} plugin`,
        );
        continue;
      }
      if (explicit.includes(p.name)) {
        errors.push(
          `${setPath}.enabled: Duplicate value: plugin "${p.name}" already registered as "${point}"`,
        );
        continue;
      }
      explicit.push(p.name);
      if (point === 'score') scoreWeights.set(p.name, p.weight ?? 1);
    }
    const fromMulti: string[] = [];
    const overrides: string[] = [];
    if (!disabled.has('*'))
      for (const p of multiPoint.enabled) {
        const entry = registry.get(p.name);
        if (entry === undefined || !entry.points.includes(point) || disabled.has(p.name)) continue;
        if (explicit.includes(p.name)) {
          overrides.push(p.name);
          continue;
        }
        if (fromMulti.includes(p.name)) {
          errors.push(
            `${mpPath}.enabled: Duplicate value: plugin "${p.name}" already registered as "${point}"`,
          );
          continue;
        }
        fromMulti.push(p.name);
        if (point === 'score' && !scoreWeights.has(p.name)) scoreWeights.set(p.name, p.weight ?? 1);
      }
    // Upstream's order: explicit plugins that override multiPoint ones, then multiPoint, then the other explicit ones.
    points[point] = [...overrides, ...fromMulti, ...explicit.filter((n) => !overrides.includes(n))];
  }
  if (points.queueSort.length !== 1)
    errors.push(
      `${pluginsPath}.queueSort: Invalid value: exactly one queueSort plugin must be enabled, got ${points.queueSort.length}`,
    );
  if (points.bind.length === 0)
    errors.push(`${pluginsPath}.bind: Invalid value: at least one bind plugin must be enabled`);

  const pluginArgs = resolveArgs(
    r.array('pluginConfig') ?? [],
    `${path}.pluginConfig`,
    points,
    registry,
    errors,
  );
  return { schedulerName, percentageOfNodesToScore: pct, points, scoreWeights, pluginArgs };
}

function resolveArgs(
  list: readonly unknown[],
  path: string,
  points: Readonly<Record<ExtensionPoint, readonly string[]>>,
  registry: Registry,
  errors: string[],
): Map<string, unknown> {
  const given = new Map<string, { raw: unknown; path: string }>();
  list.forEach((item, i) => {
    const ip = `${path}[${i}]`;
    const r = new ArgsReader(item, ip, ['name', 'args']);
    const name = r.string('name', '');
    errors.push(...r.errors);
    if (name === '') {
      errors.push(`${ip}.name: Required value`);
      return;
    }
    const entry = registry.get(name);
    if (entry === undefined) {
      errors.push(
        `${ip}.name: Invalid value: ${JSON.stringify(name)}: plugin "${name}" does not exist`,
      );
      return;
    }
    if (given.has(name)) {
      errors.push(`${ip}.name: Duplicate value: ${JSON.stringify(name)}`);
      return;
    }
    const args = r.raw('args');
    if (entry.parseArgs === undefined) {
      if (
        args !== undefined &&
        args !== null &&
        !(isPlainObject(args) && Object.keys(args).length === 0)
      )
        errors.push(`${ip}.args: Invalid value: plugin "${name}" takes no args`);
      return;
    }
    if (isPlainObject(args) && args.kind !== undefined && args.kind !== entry.argsKind)
      errors.push(
        `${ip}.args.kind: Invalid value: ${JSON.stringify(args.kind)}: want "${entry.argsKind}" for plugin "${name}"`,
      );
    given.set(name, { raw: args, path: `${ip}.args` });
  });
  const enabled = new Set(EXTENSION_POINTS.flatMap((p) => points[p]));
  const out = new Map<string, unknown>();
  for (const name of enabled) {
    const entry = registry.get(name);
    if (entry?.parseArgs === undefined) continue;
    const g = given.get(name);
    const res = entry.parseArgs(g?.raw, g?.path ?? `${path}[${name}].args`);
    if ('errors' in res) errors.push(...res.errors);
    else out.set(name, res.args);
  }
  return out;
}
