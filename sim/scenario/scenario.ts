import { dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { isLabelValue, isQualifiedName } from '../../core/api/content-checks.ts';
import {
  DefinitionCatalog,
  definitionFor,
  DEFINITIONS,
  type RangeConfig,
} from '../../core/api/kinds/index.ts';
import { isQuantityError, parseQuantity } from '../../core/api/quantity.ts';
import { checkManifest, learnManifest } from '../../core/apiserver/registry/manifest-check.ts';
import {
  any,
  bool,
  duration,
  list,
  mapOf,
  num,
  obj,
  oneOf,
  opt,
  parseDuration,
  req,
  str,
  tagged,
  type Schema,
  type SchemaError,
} from './schema.ts';
import { clusterProblems, clusterSpecOf, nodeNames } from './cluster-spec.ts';
import { readManifests, YamlSource, type Manifest } from './manifests.ts';

const quantity: Schema<string> = (v, path, errors) => {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || isQuantityError(parseQuantity(s))) {
    errors.push({
      path,
      message: `expected a resource quantity such as 500m, 4, 8Gi, got ${JSON.stringify(v)}`,
    });
    return undefined;
  }
  return s;
};

const probability = num({ min: 0, max: 1 });

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
type TaintEffect = (typeof TAINT_EFFECTS)[number];
const taintEffect = oneOf(...TAINT_EFFECTS);

const taintKey: Schema<string> = (v, path, errors) => {
  const key = str(v, path, errors);
  if (key === undefined) return undefined;
  const bad = isQualifiedName(key);
  if (bad.length === 0) return key;
  errors.push({ path, message: `invalid taint key ${JSON.stringify(key)}: ${bad.join('; ')}` });
  return undefined;
};

export interface TaintSpec {
  readonly key: string;
  readonly value?: string;
  readonly effect?: TaintEffect;
}

/**
 * A taint as kubectl taint writes it: `key=value:Effect` or `key:Effect` to add; to remove,
 * also `key` alone (every effect).
 */
function taintText(effectRequired: boolean): Schema<TaintSpec> {
  return (v, path, errors) => {
    const text = str(v, path, errors);
    if (text === undefined) return undefined;
    const m = /^([^=:]+)(?:=([^:]*))?(?::(.*))?$/.exec(text);
    const fail = (why: string): undefined => {
      errors.push({ path, message: `${why} in ${JSON.stringify(text)}` });
      return undefined;
    };
    if (m === null) return fail('expected key=value:Effect');
    const [, key = '', value, effect] = m;
    if (isQualifiedName(key).length > 0) return fail(`invalid taint key ${JSON.stringify(key)}`);
    if (value !== undefined && isLabelValue(value).length > 0)
      return fail(`invalid taint value ${JSON.stringify(value)}`);
    if (effect === undefined && effectRequired)
      return fail(`a taint needs an effect (${TAINT_EFFECTS.join(', ')})`);
    if (effect !== undefined && !(TAINT_EFFECTS as readonly string[]).includes(effect))
      return fail(
        `unknown effect ${JSON.stringify(effect)} (expected ${TAINT_EFFECTS.join(', ')})`,
      );
    return {
      key,
      ...(value === undefined ? {} : { value }),
      ...(effect === undefined ? {} : { effect: effect as TaintEffect }),
    };
  };
}

/** A kind the API server serves; the error lists those it does. */
const servedKind: Schema<string> = (v, path, errors) => {
  const kind = str(v, path, errors);
  if (kind === undefined || definitionFor(kind) !== undefined) return kind;
  const kinds = [...new Set(DEFINITIONS.map((d) => d.resource.kind))].sort();
  errors.push({ path, message: `kind ${kind} is not served (served kinds: ${kinds.join(', ')})` });
  return undefined;
};
const processName = str;

const latency = obj({ min: req(duration), max: req(duration) });

const network = obj({
  latency: opt(latency),
  lossProbability: opt(probability),
  duplicateProbability: opt(probability),
});

const nodePool = obj({
  /** Nodes are named `<namePrefix>-1` … `<namePrefix>-<count>`. */
  namePrefix: opt(str),
  count: req(num({ integer: true, min: 1, max: 100_000 })),
  capacity: opt(mapOf(quantity)),
  labels: opt(mapOf(str)),
  /** Seconds to pull an image the node does not have yet. */
  imagePullSeconds: opt(num({ min: 0 })),
  /** The kubelet's --register-with-taints: node.spec.taints from the start. */
  taints: opt(list(obj({ key: req(taintKey), value: opt(str), effect: req(taintEffect) }))),
  /** Registered cordoned (the kubelet's --register-schedulable=false). */
  unschedulable: opt(bool),
});

/** --cluster-cidr and --node-cidr-mask-size: where each node's pod range comes from. */
const podNetwork = obj({
  clusterCIDR: req(str),
  nodeCIDRMaskSize: opt(num({ integer: true, min: 1, max: 30 })),
});

/** --service-cluster-ip-range and --service-node-port-range: where Services take values from. */
const serviceNetwork = obj({
  clusterIPRange: opt(str),
  nodePortRange: opt(str),
});

const cluster = obj({
  store: opt(obj({ members: opt(num({ integer: true, min: 1, max: 7 })), inMemory: opt(bool) })),
  network: opt(network),
  podNetwork: opt(podNetwork),
  serviceNetwork: opt(serviceNetwork),
  nodes: req(list(nodePool)),
});

const fault = tagged('kind', {
  crash: obj({ kind: req(oneOf('crash')), process: req(processName) }),
  restart: obj({ kind: req(oneOf('restart')), process: req(processName) }),
  isolate: obj({ kind: req(oneOf('isolate')), process: req(processName) }),
  partition: obj({ kind: req(oneOf('partition')), groups: req(list(list(processName))) }),
  block: obj({ kind: req(oneOf('block')), from: req(processName), to: req(processName) }),
  heal: obj({ kind: req(oneOf('heal')) }),
  clog: obj({ kind: req(oneOf('clog')), process: req(processName), duration: req(duration) }),
  link: obj({
    kind: req(oneOf('link')),
    from: opt(processName),
    to: opt(processName),
    latency: opt(latency),
    lossProbability: opt(probability),
    duplicateProbability: opt(probability),
  }),
  'disk-faults': obj({
    kind: req(oneOf('disk-faults')),
    process: req(processName),
    tornWriteProbability: opt(probability),
    readErrorProbability: opt(probability),
  }),
  'wipe-disk': obj({ kind: req(oneOf('wipe-disk')), process: req(processName) }),
  'clock-jump': obj({
    kind: req(oneOf('clock-jump')),
    process: req(processName),
    by: req(duration),
    backwards: opt(bool),
  }),
  'clock-rate': obj({
    kind: req(oneOf('clock-rate')),
    process: req(processName),
    rate: req(num({ min: 0.001, max: 1000 })),
  }),
});

const deleteAction = obj({
  kind: req(servedKind),
  namespace: opt(str),
  name: req(str),
  propagationPolicy: opt(oneOf('Foreground', 'Background', 'Orphan')),
  gracePeriodSeconds: opt(num({ integer: true, min: 0 })),
});

const patchAction = obj({
  kind: req(servedKind),
  namespace: opt(str),
  name: req(str),
  /** As `kubectl patch --type`: strategic (the default), merge or json. */
  type: opt(oneOf('strategic', 'merge', 'json')),
  patch: req(any),
});

const nodeAction = obj({ node: req(str) });

const taintAction = obj({
  node: req(str),
  add: opt(list(taintText(true))),
  remove: opt(list(taintText(false))),
});

const labelAction = obj({
  kind: req(servedKind),
  namespace: opt(str),
  name: req(str),
  set: opt(mapOf(str)),
  remove: opt(list(str)),
});

const restartAction = obj({
  kind: req(oneOf('Deployment', 'DaemonSet', 'StatefulSet')),
  namespace: opt(str),
  name: req(str),
});

/** The effects an action may have; it has exactly one. */
const ACTION_EFFECTS = [
  'fault',
  'apply',
  'delete',
  'scale',
  'patch',
  'cordon',
  'uncordon',
  'drain',
  'taint',
  'label',
  'restart',
] as const;

const action = obj({
  at: req(duration),
  fault: opt(fault),
  apply: opt(any),
  delete: opt(deleteAction),
  patch: opt(patchAction),
  cordon: opt(nodeAction),
  uncordon: opt(nodeAction),
  drain: opt(nodeAction),
  taint: opt(taintAction),
  label: opt(labelAction),
  restart: opt(restartAction),
  scale: opt(
    obj({
      kind: req(oneOf('ReplicaSet', 'Deployment')),
      namespace: opt(str),
      name: req(str),
      replicas: req(num({ integer: true, min: 0 })),
    }),
  ),
});

const podExpectation = obj({
  namespace: opt(str),
  labelSelector: opt(str),
  phase: opt(oneOf('Pending', 'Running', 'Succeeded', 'Failed', 'Unknown')),
  /** Exactly this many pods match (not counting pods being deleted). */
  count: req(num({ integer: true, min: 0 })),
  /** At least this many distinct nodes run them. */
  minNodes: opt(num({ integer: true, min: 0 })),
  /** Only pods whose Ready condition is (true) or is not (false) True count. */
  ready: opt(bool),
  /** Only pods whose containers restarted at least this many times in all count. */
  minRestarts: opt(num({ integer: true, min: 0 })),
});

const expectation = obj({
  name: opt(str),
  /**
   * With `within`: must hold at some check at or before this virtual time (checks run every
   * virtual second). Without: must hold at the end of the run.
   */
  within: opt(duration),
  pods: req(podExpectation),
});

/**
 * A service traffic generator: requests at `rate` per second (evenly spaced, or a Poisson
 * process) from a pod on `from.node` (or the node itself with hostNetwork) to a Service's
 * cluster IP and port, or to its node port on `to.nodePortOn`, routed by that node's rules.
 */
const trafficSpec = obj({
  name: opt(str),
  from: req(obj({ node: req(str), hostNetwork: opt(bool) })),
  to: req(
    obj({
      /** namespace/name, or a name in default. */
      service: req(str),
      /** The Service port (default: its first). */
      port: opt(num({ integer: true, min: 1, max: 65535 })),
      /** Send to this node's address at the port's nodePort instead of the cluster IP. */
      nodePortOn: opt(str),
    }),
  ),
  rate: req(num({ min: 0.001, max: 10_000 })),
  arrival: opt(oneOf('constant', 'poisson')),
  start: opt(duration),
  stop: opt(duration),
});

const scenarioSchema = obj({
  apiVersion: req(oneOf('ksim.io/v1alpha1')),
  kind: req(oneOf('Scenario')),
  metadata: req(obj({ name: req(str), description: opt(str) })),
  spec: req(
    obj({
      seed: opt(num({ integer: true, min: 0 })),
      duration: req(duration),
      cluster: req(cluster),
      objects: opt(list(any)),
      actions: opt(list(action)),
      expect: opt(list(expectation)),
      traffic: opt(list(trafficSpec)),
    }),
  ),
});

type Defined<T> = T extends Schema<infer U> ? U : never;
type RawScenario = Defined<typeof scenarioSchema>;
type RawAction = NonNullable<RawScenario['spec']['actions']>[number];

/** An action, its `apply` resolved to the manifests it applies (a file may hold several). */
export type ScenarioAction = Omit<RawAction, 'apply'> & {
  readonly apply?: readonly Manifest[];
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
export type ScenarioFault = Defined<typeof fault>;
export type PodExpectation = Defined<typeof podExpectation>;
export type Expectation = Defined<typeof expectation>;
export type TrafficSpec = Defined<typeof trafficSpec>;
export type { Manifest };

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
  const errors: SchemaError[] = [];
  const raw: unknown = doc.toJS();
  const scenario = scenarioSchema(raw, [], errors);
  checkActions(raw, errors);
  if (errors.length === 0 && scenario !== undefined) {
    const cluster = clusterProblems(scenario.spec.cluster);
    for (const message of cluster) errors.push({ path: ['spec', 'cluster'], message });
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
  return resolved.scenario;
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
    const atUs = typeof action.at === 'string' ? parseDuration(action.at) : undefined;
    if (atUs !== undefined && endUs !== undefined && atUs > endUs) {
      errors.push({
        path: ['spec', 'actions', i, 'at'],
        message: 'is after the end of the scenario (spec.duration)',
      });
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
  return { scenario: { ...raw, spec: { ...raw.spec, objects, actions } }, problems };
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
    .sort((x, y) => x.a.at - y.a.at || x.i - y.i);
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
  return checkManifest(m.object, { ranges, catalog })
    .filter((p) => !exists || (p.type !== 'FieldValueRequired' && sets(m.object, p.field)))
    .map((p) => `${m.at(p.field)}: ${p.message}`);
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
