import { dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import {
  definitionFor,
  DefinitionCatalog,
  DEFINITIONS,
  type RangeConfig,
} from '../../core/api/kinds/index.ts';
import type { KObject } from '../../core/api/types.ts';
import { checkManifest, learnManifest } from '../../core/apiserver/registry/manifest-check.ts';
import { parseDuration, validate, type SchemaError } from './schema.ts';
import { LABEL_TOPOLOGY_ZONE } from '../../core/controllers/node-lifecycle/zone-disruption.ts';
import {
  ACTION_EFFECTS,
  scenarioSchema,
  type Expectation,
  type RawScenario,
  type Slos,
  type ScenarioFault,
  type TaintSpec,
  type TrafficSpec,
} from './scenario-schema.ts';
import { planMembership, type MembershipChange, type MembershipPlan } from './membership.ts';
import { faultRateProblems } from './fault-rates.ts';
import {
  clusterProblems,
  clusterSpecOf,
  electedLeases,
  groupMembers,
  nodeNames,
  processNames,
} from './cluster-spec.ts';
import { readManifests, YamlSource, type Manifest } from './manifests.ts';

type RawAction = NonNullable<RawScenario['spec']['actions']>[number];

/** An action, its `apply` resolved to the manifests it applies (a file may hold several). */
export type ScenarioAction = Omit<RawAction, 'apply'> & {
  readonly apply?: readonly Manifest[];
  /** A `member` action with its members' Raft ids resolved. */
  readonly membership?: MembershipChange;
  /** Where the action is written, for messages during the run. */
  readonly source: string;
};

/** A scenario as loaded: every manifest read from its file and checked. */
export type Scenario = Omit<RawScenario, 'spec'> & {
  readonly spec: Omit<RawScenario['spec'], 'objects' | 'actions'> & {
    readonly objects: readonly Manifest[];
    readonly actions: readonly ScenarioAction[];
  };
};
export type { Expectation, Manifest, ScenarioFault, Slos, TaintSpec, TrafficSpec };

export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid scenario\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export interface ParseOptions {
  /** Where `file:` references are resolved from; default: the scenario file's directory. */
  readonly baseDir?: string;
  /** Plain manifest files or directories created after spec.objects (`ksim run --objects`). */
  readonly objectFiles?: readonly string[];
  /** Paths in messages are relative to this directory; default: the process's. */
  readonly shownFrom?: string;
}

/**
 * Parses and checks a scenario and every manifest it names; each problem is reported as
 * `file:line: path: message`, before anything runs.
 */
export function parseScenario(
  text: string,
  file = '<scenario>',
  options: ParseOptions = {},
): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map(
        (e) =>
          `${file}:${lineCounter.linePos(e.pos[0]).line}: YAML syntax: ${e.message.split('\n')[0]}`,
      ),
    );
  }
  const source = new YamlSource(file, doc, lineCounter);
  const raw: unknown = doc.toJS();
  const checked = validate(scenarioSchema, raw);
  const errors: SchemaError[] = checked.ok ? [] : checked.errors;
  const scenario = checked.ok ? checked.value : undefined;
  checkActions(raw, errors);
  let membership: MembershipPlan | undefined;
  if (errors.length === 0 && scenario !== undefined) {
    const cluster = clusterProblems(scenario.spec.cluster);
    for (const message of cluster) errors.push({ path: ['spec', 'cluster'], message });
    if (cluster.length === 0) {
      (scenario.spec.cluster.network?.between ?? []).forEach((link, i) =>
        link.groups.forEach((group, j) => {
          const members = groupMembers(scenario.spec.cluster, group);
          if (typeof members === 'string') {
            const path = ['spec', 'cluster', 'network', 'between', i, 'groups', j];
            errors.push({ path, message: members });
          }
        }),
      );
      errors.push(...faultProblems(scenario.spec));
      membership = planMembership(scenario.spec, processNames(scenario.spec.cluster));
      for (const [i, message] of membership.problems)
        errors.push({ path: ['spec', 'actions', i, 'member'], message });
    }
  }
  if (errors.length > 0 || scenario === undefined) {
    throw new ScenarioError(
      file,
      errors.map((e) => `${source.at(e.path)}: ${e.message}`),
    );
  }
  const resolved = resolveManifests(scenario, source, {
    baseDir: options.baseDir ?? (file === '<scenario>' ? process.cwd() : dirname(file)),
    shownFrom: options.shownFrom ?? process.cwd(),
    objectFiles: options.objectFiles ?? [],
  });
  if (resolved.problems.length > 0) throw new ScenarioError(file, resolved.problems);
  const changes = membership?.changes ?? new Map<number, MembershipChange>();
  const spec = resolved.scenario.spec;
  const actions = spec.actions.map((a, i) => {
    const change = changes.get(i);
    return change === undefined ? a : { ...a, membership: change };
  });
  return { ...resolved.scenario, spec: { ...spec, actions } };
}

/**
 * Faults naming what the cluster does not have: a Lease nobody elects a leader over, a zone no
 * node is in, a rate's target that is no process or group.
 */
function faultProblems(spec: RawScenario['spec']): SchemaError[] {
  const errors: SchemaError[] = [];
  const leases = electedLeases(spec.cluster);
  const leaseProblem = (lease: string): string | undefined =>
    leases.includes(lease)
      ? undefined
      : `no leader is elected over ${lease} in this cluster (${leases.length === 0 ? 'a component runs leader election only with several replicas: controlPlane.schedulers or controllerManagers' : `leases: ${leases.join(', ')}`})`;
  (spec.actions ?? []).forEach((a, i) => {
    const f = a.fault;
    const path = ['spec', 'actions', i, 'fault'];
    if (f?.kind === 'crash' && f.leaderOf !== undefined) {
      const message = leaseProblem(f.leaderOf);
      if (message !== undefined) errors.push({ path: [...path, 'leaderOf'], message });
    }
    if (f?.kind === 'figure-8') {
      const store = spec.cluster.store;
      if (store?.inMemory === true || (store?.members ?? 1) < 3)
        errors.push({
          path,
          message: `Figure 8 needs a replicated store of 3 or more members (spec.cluster.store.members is ${store?.inMemory === true ? 'in memory' : (store?.members ?? 1)})`,
        });
    }
    if (f?.kind === 'zone-outage') {
      const members = groupMembers(spec.cluster, `${f.label ?? LABEL_TOPOLOGY_ZONE}=${f.zone}`);
      if (typeof members === 'string')
        errors.push({ path: [...path, 'zone'], message: `unknown zone: ${members}` });
    }
  });
  (spec.faultRates ?? []).forEach((rule, i) => {
    const path = ['spec', 'faultRates', i];
    if (rule.leaderOf !== undefined) {
      const message = leaseProblem(rule.leaderOf);
      if (message !== undefined) errors.push({ path: [...path, 'leaderOf'], message });
    }
    for (const [field, message] of faultRateProblems(rule, spec.cluster, spec.duration))
      errors.push({ path: [...path, field], message });
  });
  return errors;
}

/**
 * Rules across fields of an action, checked on the raw document so they are reported together
 * with any schema errors elsewhere in the file.
 */
function checkActions(raw: unknown, errors: SchemaError[]): void {
  const spec = (raw as { spec?: { actions?: unknown; duration?: unknown } } | null)?.spec;
  if (!Array.isArray(spec?.actions)) return;
  const endUs = typeof spec.duration === 'string' ? parseDuration(spec.duration) : undefined;
  spec.actions.forEach((a: unknown, i: number) => {
    if (typeof a !== 'object' || a === null) return;
    const action = a as Record<string, unknown>;
    const given = ACTION_EFFECTS.filter((k) => action[k] !== undefined && action[k] !== null);
    if (given.length !== 1) {
      errors.push({
        path: ['spec', 'actions', i],
        message: `an action needs exactly one of ${ACTION_EFFECTS.join(', ')} (got ${given.length === 0 ? 'none' : given.join(', ')})`,
      });
    }
    for (const field of ['at', 'after']) {
      const v = action[field];
      const us = typeof v === 'string' ? parseDuration(v) : undefined;
      if (us !== undefined && endUs !== undefined && us > endUs) {
        errors.push({
          path: ['spec', 'actions', i, field],
          message: 'is after the end of the scenario (spec.duration)',
        });
      }
    }
  });
}

interface Resolution {
  readonly baseDir: string;
  readonly shownFrom: string;
  readonly objectFiles: readonly string[];
}

/** A `{file: path}` entry in place of a manifest. */
function fileRef(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  const file = (v as { file?: unknown }).file;
  return keys.length === 1 && typeof file === 'string' ? file : undefined;
}

/** The manifests an `objects` entry or an `apply` stands for. */
function manifestsOf(
  v: unknown,
  root: readonly (string | number)[],
  source: YamlSource,
  r: Resolution,
  problems: string[],
): Manifest[] {
  const file = fileRef(v);
  if (file === undefined) return [source.manifest(v, root)];
  const read = readManifests(file, r.baseDir, r.shownFrom);
  problems.push(...read.problems.map((p) => `${source.at([...root, 'file'])}: ${p}`));
  return [...read.manifests];
}

const keyOf = (o: {
  kind?: unknown;
  metadata?: { namespace?: unknown; name?: unknown } | null;
}): string | undefined => {
  const name = o.metadata?.name;
  if (typeof o.kind !== 'string' || typeof name !== 'string' || name === '') return undefined;
  const namespaced = definitionFor(o.kind)?.resource.namespaced ?? true;
  const ns = namespaced
    ? typeof o.metadata?.namespace === 'string'
      ? o.metadata.namespace
      : 'default'
    : '';
  return `${o.kind}/${ns}/${name}`;
};

/**
 * Reads the manifests the scenario names and checks each as the API server would check its
 * create, then the actions that name nodes or carry patches.
 */
function resolveManifests(
  raw: RawScenario,
  source: YamlSource,
  r: Resolution,
): { scenario: Scenario; problems: string[] } {
  const problems: string[] = [];
  const objects: Manifest[] = [];
  (raw.spec.objects ?? []).forEach((v, i) => {
    objects.push(...manifestsOf(v, ['spec', 'objects', i], source, r, problems));
  });
  for (const f of r.objectFiles) {
    const read = readManifests(f, r.shownFrom, r.shownFrom);
    problems.push(...read.problems.map((p) => `--objects ${f}: ${p}`));
    objects.push(...read.manifests);
  }
  // Objects that exist by the time of each apply: the cluster's nodes, then in scenario order.
  const known = new Map<string, string>();
  for (const name of nodeNames(raw.spec.cluster)) known.set(nodeKey(name), 'a node of the cluster');
  const ranges = clusterSpecOf(raw.spec.cluster).apiServer?.ranges ?? {};
  // Custom resources a CustomResourceDefinition of the file declares are served to the
  // manifests after it, as they will be once the API server has Established it.
  const catalog = new DefinitionCatalog(DEFINITIONS);
  for (const m of objects) {
    const found = manifestProblems(m, false, ranges, catalog);
    problems.push(...found);
    if (found.length === 0) learnManifest(catalog, m.object);
    const key = keyOf(m.object);
    if (key === undefined) continue;
    const earlier = known.get(key);
    if (earlier !== undefined) problems.push(`${m.at([])}: the same object as ${earlier}`);
    else known.set(key, m.source);
  }
  const cluster = resolveStaticPods(raw, source, r, ranges, catalog, problems);
  const applied = resolveApplies(raw, source, r, known, ranges, catalog, problems);
  const nodes = [...known.keys()]
    .filter((k) => k.startsWith(NODE_KEY))
    .map((k) => k.slice(NODE_KEY.length));
  const actions = (raw.spec.actions ?? []).map((a, i): ScenarioAction => {
    problems.push(...actionProblems(a, i, source, nodes));
    const { apply: _, ...rest } = a;
    const manifests = applied.get(i);
    const at = source.location(['spec', 'actions', i]);
    return { ...rest, ...(manifests === undefined ? {} : { apply: manifests }), source: at };
  });
  return { scenario: { ...raw, spec: { ...raw.spec, cluster, objects, actions } }, problems };
}

/**
 * Each pool's static pods read from their files and checked as Pods: the cluster with every
 * `staticPods` entry a Pod manifest.
 */
function resolveStaticPods(
  raw: RawScenario,
  source: YamlSource,
  r: Resolution,
  ranges: RangeConfig,
  catalog: DefinitionCatalog,
  problems: string[],
): RawScenario['spec']['cluster'] {
  const nodes = raw.spec.cluster.nodes.map((pool, i) => {
    if (pool.staticPods === undefined) return pool;
    const pods: unknown[] = [];
    pool.staticPods.forEach((v, j) => {
      const root = ['spec', 'cluster', 'nodes', i, 'staticPods', j];
      for (const m of manifestsOf(v, root, source, r, problems)) {
        const { apiVersion, kind } = m.object as { apiVersion?: unknown; kind?: unknown };
        if (apiVersion !== 'v1' || kind !== 'Pod') {
          problems.push(`${m.at([])}: a static pod must be a v1 Pod, not ${String(kind)}`);
          continue;
        }
        const found = manifestProblems(m, false, ranges, catalog);
        problems.push(...found);
        if (found.length === 0) pods.push(m.object);
      }
    });
    return { ...pool, staticPods: pods };
  });
  return { ...raw.spec.cluster, nodes };
}

const NODE_KEY = 'Node//';
const nodeKey = (name: string): string => `${NODE_KEY}${name}`;

/**
 * The manifests of each apply, checked in the order the applies run. An apply of an object
 * that exists by then updates only the fields it sets, so only their problems count there.
 */
function resolveApplies(
  raw: RawScenario,
  source: YamlSource,
  r: Resolution,
  known: Map<string, string>,
  ranges: RangeConfig,
  catalog: DefinitionCatalog,
  problems: string[],
): Map<number, Manifest[]> {
  const order = (raw.spec.actions ?? [])
    .map((a, i) => ({ a, i }))
    .sort((x, y) => earliest(x.a) - earliest(y.a) || x.i - y.i);
  const applied = new Map<number, Manifest[]>();
  for (const { a, i } of order) {
    if (a.apply === undefined) continue;
    const manifests = manifestsOf(a.apply, ['spec', 'actions', i, 'apply'], source, r, problems);
    for (const m of manifests) {
      const key = keyOf(m.object);
      if (key === undefined) {
        problems.push(
          `${m.at(['metadata', 'name'])}: apply needs a name (generateName only works with objects, which are created)`,
        );
        continue;
      }
      const found = manifestProblems(m, known.has(key), ranges, catalog);
      problems.push(...found);
      if (found.length === 0) learnManifest(catalog, m.object);
      if (!known.has(key)) known.set(key, m.source);
    }
    applied.set(i, manifests);
  }
  return applied;
}

/** The earliest virtual time an action may run: its `at`, or a conditional action's `after`. */
function earliest(a: RawAction): number {
  return a.at ?? a.after ?? 0;
}

/** An action's node must exist; a patch must have its type's shape. */
function actionProblems(
  a: RawAction,
  i: number,
  source: YamlSource,
  nodes: readonly string[],
): string[] {
  const problems: string[] = [];
  const node = a.cordon?.node ?? a.uncordon?.node ?? a.drain?.node ?? a.taint?.node;
  if (node !== undefined && !nodes.includes(node)) {
    problems.push(
      `${source.at(['spec', 'actions', i])}: no node named ${JSON.stringify(node)} (nodes: ${nodes.join(', ')})`,
    );
  }
  if (a.patch !== undefined) problems.push(...patchShapeProblems(a.patch, source, i));
  return problems;
}

/** checkManifest's problems of `m`; for an existing object, those of the fields it sets. */
function manifestProblems(
  m: Manifest,
  exists: boolean,
  ranges: RangeConfig,
  catalog: DefinitionCatalog,
): string[] {
  return checkManifest(withPlaceholderOwnerUids(m.object), { ranges, catalog })
    .filter((p) => !exists || (p.type !== 'FieldValueRequired' && sets(m.object, p.field)))
    .map((p) => `${m.at(p.field)}: ${p.message}`);
}

/**
 * An ownerReference without a uid names its owner by kind and name: the runner fills in the
 * uid when it creates the object (actions.ts), so the check stands in a placeholder for it.
 */
function withPlaceholderOwnerUids(o: KObject): KObject {
  const refs = o.metadata?.ownerReferences;
  if (refs === undefined || refs.every((r) => r.uid)) return o;
  const ownerReferences = refs.map((r) => (r.uid ? r : { ...r, uid: 'resolved-by-name' }));
  return { ...o, metadata: { ...o.metadata, ownerReferences } } as KObject;
}

function sets(obj: unknown, field: readonly (string | number)[]): boolean {
  let v: unknown = obj;
  for (const step of field) {
    if (typeof v !== 'object' || v === null) return false;
    v = (v as Record<string | number, unknown>)[step];
  }
  return v !== undefined;
}

/** A JSON patch is a list of operations; a merge or strategic patch is a mapping. */
function patchShapeProblems(
  p: NonNullable<RawAction['patch']>,
  source: YamlSource,
  i: number,
): string[] {
  const at = source.at(['spec', 'actions', i, 'patch', 'patch']);
  if ((p.type ?? 'strategic') === 'json') {
    const ops = Array.isArray(p.patch) ? p.patch : undefined;
    const ok = ops?.every(
      (op: unknown) =>
        typeof op === 'object' &&
        op !== null &&
        typeof (op as { op?: unknown }).op === 'string' &&
        typeof (op as { path?: unknown }).path === 'string',
    );
    return ok
      ? []
      : [
          `${at}: a json patch is a list of operations such as {op: replace, path: /spec/replicas, value: 3}`,
        ];
  }
  const isMap = typeof p.patch === 'object' && p.patch !== null && !Array.isArray(p.patch);
  return isMap
    ? []
    : [`${at}: a ${p.type ?? 'strategic'} patch is a mapping of the fields to change`];
}
