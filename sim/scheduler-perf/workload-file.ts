/**
 * scheduler_perf's configuration format (kubernetes/kubernetes test/integration/scheduler_perf:
 * scheduler_perf.go testCase/Workload/params, operations.go ops): a YAML list of test cases,
 * each a `workloadTemplate` of ops with `$param` references and a list of `workloads` that
 * give the params, labels, feature gates and a CI `threshold` in pods/s. Template paths are
 * relative to the configuration file, as upstream's `../templates/...`.
 *
 * Parsing is strict like upstream's (DisallowUnknownFields, unknown opcodes, unused params), and
 * every error names the file, the test case and the path of the offending field. Templates are
 * read and checked here, so a missing file fails before anything runs.
 */
import { parse as parseYaml } from 'yaml';
import type { Namespace } from '../../core/api/cluster-types.ts';
import type { Node } from '../../core/api/node-types.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import { parseDuration } from '../scenario/schema.ts';

/** A count or duration given literally or as `$param`. */
export type ParamRef = { readonly param: string };
export type Countable = number | ParamRef;

export interface Template<T> {
  /** As written in the configuration file. */
  readonly path: string;
  readonly object: T;
}

export interface LabelNodePrepareStrategy {
  readonly labelKey: string;
  readonly labelValues: readonly string[];
}

export interface CreateNodesOp {
  readonly opcode: 'createNodes';
  readonly count: Countable;
  readonly nodeTemplate: Template<Node>;
  readonly labelNodePrepareStrategy: LabelNodePrepareStrategy | undefined;
  readonly uniqueNodeLabelStrategy: { readonly labelKey: string } | undefined;
  readonly nodeAllocatable: Readonly<Record<string, string>> | undefined;
}

export interface CreateNamespacesOp {
  readonly opcode: 'createNamespaces';
  readonly prefix: string;
  readonly count: Countable;
  readonly namespaceTemplate: Template<Namespace> | undefined;
}

export interface CreatePodsOp {
  readonly opcode: 'createPods';
  readonly count: Countable;
  readonly podTemplate: Template<Pod>;
  readonly collectMetrics: boolean;
  readonly skipWaitToCompletion: boolean;
  /** Defaults to `namespace-<op index>`. */
  readonly namespace: string | undefined;
}

export interface CreatePodSetsOp {
  readonly opcode: 'createPodSets';
  readonly count: Countable;
  readonly namespacePrefix: string;
  readonly createPodsOp: CreatePodsOp;
}

export interface DeletePodsOp {
  readonly opcode: 'deletePods';
  readonly namespace: string;
  readonly labelSelector: Readonly<Record<string, string>> | undefined;
  readonly skipWaitToCompletion: boolean;
  /** 0 deletes all at once. */
  readonly deletePodsPerSecond: number;
}

export interface ChurnOp {
  readonly opcode: 'churn';
  readonly mode: 'create' | 'recreate';
  /** create: stop after this many rounds (0 = never); recreate: objects kept alive per template. */
  readonly number: number;
  readonly intervalUs: number;
  readonly namespace: string | undefined;
  readonly templates: readonly Template<Node | Pod>[];
}

export interface BarrierOp {
  readonly opcode: 'barrier';
  readonly namespaces: readonly string[];
  readonly labelSelector: Readonly<Record<string, string>> | undefined;
  readonly stageRequirement: 'Scheduled' | 'Attempted';
}

export interface SleepOp {
  readonly opcode: 'sleep';
  readonly duration: number | ParamRef;
}

export interface StartCollectingMetricsOp {
  readonly opcode: 'startCollectingMetrics';
  readonly name: string;
  readonly namespaces: readonly string[];
  readonly labelSelector: Readonly<Record<string, string>> | undefined;
}

export interface StopCollectingMetricsOp {
  readonly opcode: 'stopCollectingMetrics';
}

export type Op =
  | CreateNodesOp
  | CreateNamespacesOp
  | CreatePodsOp
  | CreatePodSetsOp
  | DeletePodsOp
  | ChurnOp
  | BarrierOp
  | SleepOp
  | StartCollectingMetricsOp
  | StopCollectingMetricsOp;

export type ParamValue = number | string | boolean;

export interface Workload {
  readonly name: string;
  /** The workload's labels plus its test case's. */
  readonly labels: readonly string[];
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Upstream's CI floor in pods/s; 0 = none. */
  readonly threshold: number;
  /** The test case's gates overridden by the workload's. Recorded; ksim has one behaviour. */
  readonly featureGates: Readonly<Record<string, boolean>>;
}

export interface TestCase {
  readonly name: string;
  readonly labels: readonly string[];
  readonly workloadTemplate: readonly Op[];
  readonly workloads: readonly Workload[];
  /** A KubeSchedulerConfiguration object (`schedulerConfigPath`), not yet validated. */
  readonly schedulerConfig: unknown;
}

export interface WorkloadFile {
  readonly path: string;
  readonly testCases: readonly TestCase[];
}

export class WorkloadFileError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(errors.join('\n'));
    this.name = 'WorkloadFileError';
  }
}

/** How the parser reaches template files: resolve relative to the config file, then read. */
export interface TemplateSource {
  resolve(relativePath: string): string;
  /** The text, or undefined when there is no such file. */
  read(resolvedPath: string): string | undefined;
}

const OPCODES = [
  'createNodes',
  'createNamespaces',
  'createPods',
  'createPodSets',
  'deletePods',
  'churn',
  'barrier',
  'sleep',
  'startCollectingMetrics',
  'stopCollectingMetrics',
] as const;

/** Upstream opcodes ksim's harness does not model (DRA, arbitrary objects). */
const UNSUPPORTED_OPCODES: Readonly<Record<string, string>> = {
  createAny: 'arbitrary objects are not modelled; only nodes, namespaces and pods',
  updateAny: 'arbitrary objects are not modelled; only nodes, namespaces and pods',
  createResourceClaims: 'ksim models no dynamic resource allocation',
  createResourceDriver: 'ksim models no dynamic resource allocation',
  allocResourceClaims: 'ksim models no dynamic resource allocation',
  createPodGroups: 'ksim models no pod groups',
  startCollectingProfile: 'profile with node --cpu-prof instead',
  stopCollectingProfile: 'profile with node --cpu-prof instead',
};

/** Upstream's built-in pod when a test case names no template (test/utils MakePodSpec). */
const DEFAULT_POD: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'pod-' },
  spec: {
    containers: [
      {
        name: 'pause',
        image: 'registry.k8s.io/pause:3.10.1',
        ports: [{ containerPort: 80 }],
        resources: {
          requests: { cpu: '100m', memory: '500Mi' },
          limits: { cpu: '100m', memory: '500Mi' },
        },
      },
    ],
  },
};

/** Upstream's default node (scheduler_perf node-default.yaml). */
const DEFAULT_NODE: Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { generateName: 'scheduler-perf-' },
  spec: {},
  status: {
    capacity: { pods: '110', cpu: '4', memory: '32Gi' },
    conditions: [{ type: 'Ready', status: 'True' }],
  },
} as Node;

type Json = Record<string, unknown>;

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects errors with a location prefix; one instance per file. */
class Reporter {
  readonly errors: string[] = [];
  constructor(private readonly file: string) {}

  error(where: string, message: string): void {
    this.errors.push(`${this.file}: ${where}: ${message}`);
  }
}

/** Reads the fields of one YAML mapping, refusing unknown ones (DisallowUnknownFields). */
class Fields {
  constructor(
    private readonly obj: Json,
    private readonly where: string,
    private readonly r: Reporter,
    allowed: readonly string[],
  ) {
    for (const k of Object.keys(obj))
      if (!allowed.includes(k))
        r.error(`${where}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }

  at(key: string): string {
    return `${this.where}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  str(key: string, required = false): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (required) this.r.error(this.at(key), 'is required');
      return undefined;
    }
    if (typeof v === 'string') return v;
    this.r.error(this.at(key), `expected a string, got ${typeName(v)}`);
    return undefined;
  }

  bool(key: string): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return false;
    if (typeof v === 'boolean') return v;
    this.r.error(this.at(key), `expected true or false, got ${typeName(v)}`);
    return false;
  }

  int(key: string, fallback: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    this.r.error(this.at(key), `expected a non-negative integer, got ${JSON.stringify(v)}`);
    return fallback;
  }

  strings(key: string): string[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    this.r.error(this.at(key), `expected a list of strings, got ${typeName(v)}`);
    return [];
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (isObject(v) && Object.values(v).every((s) => typeof s === 'string'))
      return v as Record<string, string>;
    this.r.error(this.at(key), `expected a map of strings, got ${typeName(v)}`);
    return undefined;
  }

  object(key: string): Json | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (isObject(v)) return v;
    this.r.error(this.at(key), `expected a mapping, got ${typeName(v)}`);
    return undefined;
  }

  /** `count` / `countParam` (upstream's isValidCount): a literal or a `$param` reference. */
  countable(countKey: string, paramKey: string, fallback?: number): Countable {
    const ref = this.str(paramKey);
    if (ref !== undefined) {
      if (!ref.startsWith('$') || ref.length < 2) {
        this.r.error(
          this.at(paramKey),
          `expected a parameter reference like $name, got ${JSON.stringify(ref)}`,
        );
        return 0;
      }
      return { param: ref.slice(1) };
    }
    if (!this.has(countKey) && fallback === undefined) {
      this.r.error(this.where, `one of ${countKey} or ${paramKey} is required`);
      return 0;
    }
    return this.int(countKey, fallback ?? 0);
  }
}

export interface ParseOptions {
  /** Shown in errors; usually the path the user gave. */
  readonly file: string;
  readonly templates: TemplateSource;
}

/** Parses a scheduler_perf configuration; throws WorkloadFileError listing every problem. */
export function parseWorkloadFile(text: string, opts: ParseOptions): WorkloadFile {
  const r = new Reporter(opts.file);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new WorkloadFileError([`${opts.file}: not valid YAML: ${(e as Error).message}`]);
  }
  if (!Array.isArray(doc)) {
    throw new WorkloadFileError([
      `${opts.file}: expected a list of test cases (- name: ..., workloadTemplate: ..., workloads: ...), got ${typeName(doc)}`,
    ]);
  }
  const loader = new TemplateLoader(opts.templates, r);
  const testCases: TestCase[] = [];
  const names = new Set<string>();
  doc.forEach((raw, i) => {
    const tc = parseTestCase(raw, `[${i}]`, r, loader);
    if (tc === undefined) return;
    if (names.has(tc.name)) r.error(`[${i}].name`, `test case name ${tc.name} is not unique`);
    names.add(tc.name);
    testCases.push(tc);
  });
  for (const tc of testCases)
    for (const w of tc.workloads) checkParams(tc, w, r, testCases.indexOf(tc));
  if (r.errors.length > 0) throw new WorkloadFileError(r.errors);
  return { path: opts.file, testCases };
}

class TemplateLoader {
  private readonly cache = new Map<string, unknown>();

  constructor(
    private readonly source: TemplateSource,
    private readonly r: Reporter,
  ) {}

  /** A YAML file next to the configuration, parsed once per resolved path. */
  yaml(path: string, where: string, what: string): unknown {
    const resolved = this.source.resolve(path);
    const cached = this.cache.get(resolved);
    if (cached !== undefined) return cached;
    const text = this.source.read(resolved);
    if (text === undefined) {
      this.r.error(where, `${what} ${path} not found (looked for ${resolved})`);
      return undefined;
    }
    if (text.includes('{{')) {
      this.r.error(
        where,
        `${what} ${path} uses Go text/template actions ({{ ... }}), which ksim does not expand`,
      );
      return undefined;
    }
    try {
      const obj: unknown = parseYaml(text);
      this.cache.set(resolved, obj);
      return obj;
    } catch (e) {
      this.r.error(where, `${what} ${path} is not valid YAML: ${(e as Error).message}`);
      return undefined;
    }
  }

  load<K extends 'Pod' | 'Node' | 'Namespace'>(
    path: string,
    where: string,
    kinds: readonly K[],
  ): Template<Extract<Node | Pod | Namespace, { kind: K }>> | undefined {
    const obj = this.yaml(path, where, 'template');
    if (obj === undefined) return undefined;
    if (!isObject(obj) || !isObject(obj.metadata)) {
      this.r.error(where, `template ${path} is not a Kubernetes object with metadata`);
      return undefined;
    }
    if (!(kinds as readonly unknown[]).includes(obj.kind)) {
      this.r.error(
        where,
        `template ${path} has kind ${JSON.stringify(obj.kind)}, expected ${kinds.join(' or ')}`,
      );
      return undefined;
    }
    const meta = obj.metadata;
    if (typeof meta.name !== 'string' && typeof meta.generateName !== 'string')
      this.r.error(where, `template ${path} needs metadata.name or metadata.generateName`);
    if (obj.kind === 'Pod' && !isObject(obj.spec))
      this.r.error(where, `template ${path} has no spec`);
    return { path, object: obj as unknown as Extract<Node | Pod | Namespace, { kind: K }> };
  }
}

function parseTestCase(
  raw: unknown,
  where: string,
  r: Reporter,
  loader: TemplateLoader,
): TestCase | undefined {
  if (!isObject(raw)) {
    r.error(where, `expected a test case mapping, got ${typeName(raw)}`);
    return undefined;
  }
  const name = typeof raw.name === 'string' ? raw.name : where;
  if (typeof raw.name !== 'string') r.error(`${where}.name`, 'is required and must be a string');
  const at = `${where} (${name})`;
  const g = new Fields(raw, at, r, [
    'name',
    'featureGates',
    'workloadTemplate',
    'workloads',
    'defaultPodTemplatePath',
    'labels',
    'schedulerConfigPath',
    'defaultThresholdMetricSelector',
  ]);
  if (raw.defaultThresholdMetricSelector !== undefined)
    r.error(
      `${at}.defaultThresholdMetricSelector`,
      'not supported: ksim compares SchedulingThroughput only',
    );
  const defaultPath = g.str('defaultPodTemplatePath');
  const defaultPod =
    defaultPath === undefined
      ? { path: '(built-in default pod)', object: DEFAULT_POD }
      : loader.load(defaultPath, `${at}.defaultPodTemplatePath`, ['Pod']);
  const schedulerConfigPath = g.str('schedulerConfigPath');
  const schedulerConfig =
    schedulerConfigPath === undefined
      ? undefined
      : loader.yaml(schedulerConfigPath, `${at}.schedulerConfigPath`, 'scheduler configuration');
  const ops = raw.workloadTemplate;
  const workloadTemplate: Op[] = [];
  if (!Array.isArray(ops) || ops.length === 0)
    r.error(`${at}.workloadTemplate`, 'expected a non-empty list of ops');
  else
    ops.forEach((op, i) => {
      const o = parseOp(op, `${at}.workloadTemplate[${i}]`, r, loader, defaultPod);
      if (o !== undefined) workloadTemplate.push(o);
    });
  if (workloadTemplate.filter(collectsMetrics).length > 1)
    r.error(`${at}.workloadTemplate`, 'more than one op collects metrics');
  const labels = g.strings('labels');
  const gates = parseGates(g.object('featureGates'), `${at}.featureGates`, r);
  const rawWorkloads = raw.workloads;
  const workloads: Workload[] = [];
  if (!Array.isArray(rawWorkloads) || rawWorkloads.length === 0)
    r.error(`${at}.workloads`, 'expected a non-empty list of workloads');
  else
    rawWorkloads.forEach((w, i) => {
      const parsed = parseWorkload(w, `${at}.workloads[${i}]`, r, labels, gates);
      if (parsed === undefined) return;
      if (workloads.some((x) => x.name === parsed.name))
        r.error(`${at}.workloads[${i}].name`, `workload name ${parsed.name} is not unique`);
      workloads.push(parsed);
    });
  return { name, labels, workloadTemplate, workloads, schedulerConfig };
}

function collectsMetrics(op: Op): boolean {
  return (
    (op.opcode === 'createPods' && op.collectMetrics) ||
    (op.opcode === 'createPodSets' && op.createPodsOp.collectMetrics) ||
    op.opcode === 'stopCollectingMetrics'
  );
}

function parseGates(raw: Json | undefined, where: string, r: Reporter): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (typeof v === 'boolean') out[k] = v;
    else r.error(`${where}.${k}`, `expected true or false, got ${typeName(v)}`);
  }
  return out;
}

function parseWorkload(
  raw: unknown,
  where: string,
  r: Reporter,
  tcLabels: readonly string[],
  tcGates: Readonly<Record<string, boolean>>,
): Workload | undefined {
  if (!isObject(raw)) {
    r.error(where, `expected a workload mapping, got ${typeName(raw)}`);
    return undefined;
  }
  const f = new Fields(raw, where, r, [
    'name',
    'params',
    'labels',
    'threshold',
    'featureGates',
    'thresholdMetricSelector',
  ]);
  const name = f.str('name', true) ?? where;
  if (raw.thresholdMetricSelector !== undefined)
    r.error(
      f.at('thresholdMetricSelector'),
      'not supported: ksim compares SchedulingThroughput only',
    );
  let threshold = 0;
  if (raw.threshold !== undefined) {
    if (typeof raw.threshold === 'number' && raw.threshold >= 0) threshold = raw.threshold;
    else
      r.error(
        f.at('threshold'),
        `expected a non-negative number of pods/s, got ${JSON.stringify(raw.threshold)}`,
      );
  }
  const params: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(f.object('params') ?? {})) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') params[k] = v;
    else
      r.error(`${f.at('params')}.${k}`, `expected a number, string or boolean, got ${typeName(v)}`);
  }
  const labels = [...new Set([...tcLabels, ...f.strings('labels')])];
  const featureGates = {
    ...tcGates,
    ...parseGates(f.object('featureGates'), f.at('featureGates'), r),
  };
  return { name, labels, params, threshold, featureGates };
}

const OP_FIELDS: Readonly<Record<(typeof OPCODES)[number], readonly string[]>> = {
  createNodes: [
    'count',
    'countParam',
    'nodeTemplatePath',
    'labelNodePrepareStrategy',
    'uniqueNodeLabelStrategy',
    'nodeAllocatableStrategy',
  ],
  createNamespaces: ['prefix', 'count', 'countParam', 'namespaceTemplatePath'],
  createPods: [
    'count',
    'countParam',
    'podTemplatePath',
    'collectMetrics',
    'skipWaitToCompletion',
    'namespace',
  ],
  createPodSets: ['count', 'countParam', 'namespacePrefix', 'createPodsOp'],
  deletePods: ['namespace', 'labelSelector', 'skipWaitToCompletion', 'deletePodsPerSecond'],
  churn: ['mode', 'number', 'intervalMilliseconds', 'namespace', 'templatePaths'],
  barrier: ['namespaces', 'labelSelector', 'stageRequirement'],
  sleep: ['duration', 'durationParam'],
  startCollectingMetrics: ['name', 'namespaces', 'labelSelector'],
  stopCollectingMetrics: [],
};

function parseOp(
  raw: unknown,
  where: string,
  r: Reporter,
  loader: TemplateLoader,
  defaultPod: Template<Pod> | undefined,
): Op | undefined {
  if (!isObject(raw)) {
    r.error(where, `expected an op mapping, got ${typeName(raw)}`);
    return undefined;
  }
  const opcode = raw.opcode;
  if (typeof opcode !== 'string') {
    r.error(`${where}.opcode`, 'is required');
    return undefined;
  }
  const unsupported = UNSUPPORTED_OPCODES[opcode];
  if (unsupported !== undefined) {
    r.error(
      `${where}.opcode`,
      `opcode ${JSON.stringify(opcode)} is not supported by ksim (${unsupported})`,
    );
    return undefined;
  }
  if (!(OPCODES as readonly string[]).includes(opcode)) {
    r.error(
      `${where}.opcode`,
      `unknown opcode ${JSON.stringify(opcode)} (known: ${OPCODES.join(', ')})`,
    );
    return undefined;
  }
  const code = opcode as (typeof OPCODES)[number];
  const f = new Fields(raw, where, r, ['opcode', ...OP_FIELDS[code]]);
  switch (code) {
    case 'createNodes':
      return parseCreateNodes(f, r, loader);
    case 'createNamespaces': {
      const tp = f.str('namespaceTemplatePath');
      return {
        opcode: code,
        prefix: f.str('prefix', true) ?? '',
        count: f.countable('count', 'countParam'),
        namespaceTemplate:
          tp === undefined
            ? undefined
            : loader.load(tp, f.at('namespaceTemplatePath'), ['Namespace']),
      };
    }
    case 'createPods':
      return parseCreatePods(f, r, loader, defaultPod);
    case 'createPodSets': {
      const inner = f.object('createPodsOp');
      let createPodsOp: CreatePodsOp | undefined;
      if (inner === undefined) r.error(f.at('createPodsOp'), 'is required');
      else {
        const g = new Fields(inner, f.at('createPodsOp'), r, ['opcode', ...OP_FIELDS.createPods]);
        if (inner.opcode !== 'createPods')
          r.error(g.at('opcode'), `expected createPods, got ${JSON.stringify(inner.opcode)}`);
        if (inner.namespace !== undefined)
          r.error(g.at('namespace'), 'is set per set from namespacePrefix; remove it');
        createPodsOp = parseCreatePods(g, r, loader, defaultPod);
      }
      return createPodsOp === undefined
        ? undefined
        : {
            opcode: code,
            count: f.countable('count', 'countParam'),
            namespacePrefix: f.str('namespacePrefix', true) ?? '',
            createPodsOp,
          };
    }
    case 'deletePods':
      return {
        opcode: code,
        namespace: f.str('namespace', true) ?? '',
        labelSelector: f.stringMap('labelSelector'),
        skipWaitToCompletion: f.bool('skipWaitToCompletion'),
        deletePodsPerSecond: f.int('deletePodsPerSecond', 0),
      };
    case 'churn':
      return parseChurn(f, r, loader);
    case 'barrier': {
      const stage = f.str('stageRequirement') ?? 'Scheduled';
      if (stage !== 'Scheduled' && stage !== 'Attempted')
        r.error(
          f.at('stageRequirement'),
          `expected Scheduled or Attempted, got ${JSON.stringify(stage)}`,
        );
      return {
        opcode: code,
        namespaces: f.strings('namespaces'),
        labelSelector: f.stringMap('labelSelector'),
        stageRequirement: stage === 'Attempted' ? 'Attempted' : 'Scheduled',
      };
    }
    case 'sleep':
      return { opcode: code, duration: parseSleepDuration(f, r) };
    case 'startCollectingMetrics': {
      const namespaces = f.strings('namespaces');
      if (namespaces.length === 0) r.error(f.at('namespaces'), 'cannot be empty');
      return {
        opcode: code,
        name: f.str('name') ?? '',
        namespaces,
        labelSelector: f.stringMap('labelSelector'),
      };
    }
    case 'stopCollectingMetrics':
      return { opcode: code };
  }
}

function parseCreateNodes(
  f: Fields,
  r: Reporter,
  loader: TemplateLoader,
): CreateNodesOp | undefined {
  const tp = f.str('nodeTemplatePath');
  const nodeTemplate =
    tp === undefined
      ? { path: '(built-in default node)', object: DEFAULT_NODE }
      : loader.load(tp, f.at('nodeTemplatePath'), ['Node']);
  const strategies = [
    'labelNodePrepareStrategy',
    'uniqueNodeLabelStrategy',
    'nodeAllocatableStrategy',
  ].filter((k) => f.has(k));
  if (strategies.length > 1)
    r.error(
      f.at(strategies[1] ?? ''),
      `at most one node strategy may be set, got ${strategies.join(', ')}`,
    );
  let label: LabelNodePrepareStrategy | undefined;
  const l = f.object('labelNodePrepareStrategy');
  if (l !== undefined) {
    const g = new Fields(l, f.at('labelNodePrepareStrategy'), r, ['labelKey', 'labelValues']);
    const labelValues = g.strings('labelValues');
    if (labelValues.length === 0) r.error(g.at('labelValues'), 'needs at least one value');
    label = { labelKey: g.str('labelKey', true) ?? '', labelValues };
  }
  let unique: { labelKey: string } | undefined;
  const u = f.object('uniqueNodeLabelStrategy');
  if (u !== undefined) {
    const g = new Fields(u, f.at('uniqueNodeLabelStrategy'), r, ['labelKey']);
    unique = { labelKey: g.str('labelKey', true) ?? '' };
  }
  let nodeAllocatable: Record<string, string> | undefined;
  const a = f.object('nodeAllocatableStrategy');
  if (a !== undefined) {
    const g = new Fields(a, f.at('nodeAllocatableStrategy'), r, ['nodeAllocatable']);
    nodeAllocatable = g.stringMap('nodeAllocatable') ?? {};
  }
  if (nodeTemplate === undefined) return undefined;
  return {
    opcode: 'createNodes',
    count: f.countable('count', 'countParam'),
    nodeTemplate,
    labelNodePrepareStrategy: label,
    uniqueNodeLabelStrategy: unique,
    nodeAllocatable,
  };
}

function parseCreatePods(
  f: Fields,
  r: Reporter,
  loader: TemplateLoader,
  defaultPod: Template<Pod> | undefined,
): CreatePodsOp | undefined {
  const tp = f.str('podTemplatePath');
  const podTemplate =
    tp === undefined ? defaultPod : loader.load(tp, f.at('podTemplatePath'), ['Pod']);
  const collectMetrics = f.bool('collectMetrics');
  const skipWaitToCompletion = f.bool('skipWaitToCompletion');
  if (collectMetrics && skipWaitToCompletion)
    r.error(
      f.at('collectMetrics'),
      'collectMetrics and skipWaitToCompletion cannot be true at the same time',
    );
  const count = f.countable('count', 'countParam');
  const namespace = f.str('namespace');
  if (podTemplate === undefined) return undefined;
  return {
    opcode: 'createPods',
    count,
    podTemplate,
    collectMetrics,
    skipWaitToCompletion,
    namespace,
  };
}

function parseChurn(f: Fields, r: Reporter, loader: TemplateLoader): ChurnOp | undefined {
  const mode = f.str('mode', true);
  if (mode !== undefined && mode !== 'create' && mode !== 'recreate')
    r.error(f.at('mode'), `invalid mode ${JSON.stringify(mode)}: must be one of create, recreate`);
  const number = f.int('number', 0);
  if (mode === 'recreate' && number === 0)
    r.error(f.at('number'), 'cannot be 0 when mode is recreate');
  const intervalMs = f.int('intervalMilliseconds', 500);
  const paths = f.strings('templatePaths');
  if (paths.length === 0)
    r.error(f.at('templatePaths'), 'at least one template spec file needs to be specified');
  const templates: Template<Node | Pod>[] = [];
  paths.forEach((p, i) => {
    const t = loader.load(p, `${f.at('templatePaths')}[${i}]`, ['Node', 'Pod']);
    if (t !== undefined) templates.push(t);
  });
  return {
    opcode: 'churn',
    mode: mode === 'recreate' ? 'recreate' : 'create',
    number,
    intervalUs: (intervalMs === 0 ? 500 : intervalMs) * 1000,
    namespace: f.str('namespace'),
    templates,
  };
}

function parseSleepDuration(f: Fields, r: Reporter): number | ParamRef {
  const ref = f.str('durationParam');
  if (ref !== undefined) {
    if (ref.startsWith('$') && ref.length > 1) return { param: ref.slice(1) };
    r.error(
      f.at('durationParam'),
      `expected a parameter reference like $name, got ${JSON.stringify(ref)}`,
    );
    return 0;
  }
  const text = f.str('duration', true);
  if (text === undefined) return 0;
  const us = parseGoDuration(text);
  if (us === undefined)
    r.error(
      f.at('duration'),
      `expected a duration such as 500ms or 2s, got ${JSON.stringify(text)}`,
    );
  return us ?? 0;
}

/** Go's time.ParseDuration for the units benchmarks use ("1s", "500ms", "1m30s", "0"). */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  return parseDuration(text);
}

/** Every `$param` an op list references, with the op path, in order. */
function paramRefs(
  ops: readonly Op[],
): { path: string; ref: ParamRef; kind: 'count' | 'duration' }[] {
  const out: { path: string; ref: ParamRef; kind: 'count' | 'duration' }[] = [];
  ops.forEach((op, i) => {
    const at = `workloadTemplate[${i}]`;
    switch (op.opcode) {
      case 'createNodes':
      case 'createNamespaces':
      case 'createPods':
        if (typeof op.count !== 'number')
          out.push({ path: `${at}.countParam`, ref: op.count, kind: 'count' });
        break;
      case 'createPodSets':
        if (typeof op.count !== 'number')
          out.push({ path: `${at}.countParam`, ref: op.count, kind: 'count' });
        if (typeof op.createPodsOp.count !== 'number')
          out.push({
            path: `${at}.createPodsOp.countParam`,
            ref: op.createPodsOp.count,
            kind: 'count',
          });
        break;
      case 'sleep':
        if (typeof op.duration !== 'number')
          out.push({ path: `${at}.durationParam`, ref: op.duration, kind: 'duration' });
        break;
      case 'deletePods':
      case 'churn':
      case 'barrier':
      case 'startCollectingMetrics':
      case 'stopCollectingMetrics':
        break;
    }
  });
  return out;
}

/** Upstream fails a workload whose params are undefined, mistyped or unused (typo guard). */
function checkParams(tc: TestCase, w: Workload, r: Reporter, index: number): void {
  for (const e of paramErrors(tc, w)) r.error(`[${index}] (${tc.name}/${w.name})`, e);
}

/** Problems with a workload's params against its test case's ops; empty when it can run. */
export function paramErrors(tc: TestCase, w: Workload): string[] {
  const errors: string[] = [];
  const used = new Set<string>();
  for (const { path, ref, kind } of paramRefs(tc.workloadTemplate)) {
    used.add(ref.param);
    const v = w.params[ref.param];
    if (v === undefined)
      errors.push(`${path}: parameter ${ref.param} is undefined in the workload's params`);
    else if (kind === 'count' && !(typeof v === 'number' && Number.isInteger(v) && v >= 0))
      errors.push(
        `${path}: parameter ${ref.param} must be a non-negative integer, got ${JSON.stringify(v)}`,
      );
    else if (kind === 'duration' && (typeof v !== 'string' || parseGoDuration(v) === undefined))
      errors.push(
        `${path}: parameter ${ref.param} must be a duration such as 2s, got ${JSON.stringify(v)}`,
      );
  }
  for (const k of Object.keys(w.params))
    if (!used.has(k))
      errors.push(`params.${k}: defined but unused by the workload template (a typo?)`);
  return errors;
}

/** The value of a count for one workload (its params were checked by paramErrors). */
export function countOf(c: Countable, params: Readonly<Record<string, ParamValue>>): number {
  if (typeof c === 'number') return c;
  const v = params[c.param];
  if (typeof v !== 'number') throw new Error(`parameter ${c.param} is not a number`);
  return v;
}

export function durationOf(
  d: number | ParamRef,
  params: Readonly<Record<string, ParamValue>>,
): number {
  if (typeof d === 'number') return d;
  const v = params[d.param];
  const us = typeof v === 'string' ? parseGoDuration(v) : undefined;
  if (us === undefined) throw new Error(`parameter ${d.param} is not a duration`);
  return us;
}

/**
 * Upstream's label filter (`-perf-scheduling-label-filter`): comma-separated labels; a bare or
 * `+` label must be present, a `-` label must be absent.
 */
export function matchesLabelFilter(filter: string, labels: readonly string[]): boolean {
  for (const raw of filter.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    if (s.startsWith('-')) {
      if (labels.includes(s.slice(1))) return false;
    } else if (!labels.includes(s.startsWith('+') ? s.slice(1) : s)) return false;
  }
  return true;
}
