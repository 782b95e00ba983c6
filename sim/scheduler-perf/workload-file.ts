/**
 * scheduler_perf's configuration format (kubernetes/kubernetes test/integration/scheduler_perf:
 * scheduler_perf.go testCase/Workload/params, operations.go, create.go and update.go ops): a YAML
 * list of test cases, each a `workloadTemplate` of ops with `$param` references and a list of
 * `workloads` that give the params, labels, feature gates and a CI `threshold` in pods/s.
 * Template paths are relative to the configuration file, as upstream's `../templates/...`;
 * templates are Go text/template files rendered with {Index, Count, ...templateParams}.
 *
 * Parsing is strict like upstream's (DisallowUnknownFields, unknown opcodes, unused params), and
 * every error names the file, the test case and the path of the offending field. Templates are
 * read and checked here, so a missing file fails before anything runs. What upstream supports
 * but ksim does not model (DRA and PodGroup ops, steady-state pod creation, objects of other
 * kinds, Go template constructs outside ksim's subset) does not fail the file: the test case is
 * kept with `unsupported` reasons naming the step, and the runner skips it with that reason.
 */
import { parse as parseYaml } from 'yaml';
import type { Namespace } from '../../core/api/cluster-types.ts';
import type { Service } from '../../core/api/kinds/service.ts';
import type { Node } from '../../core/api/node-types.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import { parseDuration } from '../scenario/schema.ts';
import { gateSkipReason } from './feature-gates.ts';
import { decodeLikeGo } from './go-decode.ts';
import { GoTemplateError, hasTemplateActions, parseGoTemplate } from './go-template.ts';

/** A count or duration given literally or as `$param`. */
export type ParamRef = { readonly param: string };
export type Countable = number | ParamRef;

/** The kinds ksim's harness holds (the API objects the scheduler reads). */
export type TemplateKind = 'Pod' | 'Node' | 'Namespace' | 'Service';
export type KindObject = Pod | Node | Namespace | Service;
type ObjectOf<K extends TemplateKind> = Extract<KindObject, { kind: K }>;

/** What a template is executed with: upstream's {Index, Count} plus the op's templateParams. */
export type TemplateEnv = Readonly<Record<string, unknown>>;

export interface Template<T> {
  /** As written in the configuration file. */
  readonly path: string;
  /** True when the file has Go template actions, so each object is rendered on its own. */
  readonly dynamic: boolean;
  /** The object for one environment; TemplateRenderError when the rendered text is wrong. */
  render(env: TemplateEnv): T;
}

/** A template that failed when executed for one object (its static form was checked). */
export class TemplateRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

/** A `$param` in templateParams, resolved to the workload's value when the op runs. */
export class TemplateParamRef {
  constructor(readonly param: string) {}
}

/** An op's `templateParams`: literals, or `$param` references resolved per workload. */
export type TemplateParams = Readonly<Record<string, unknown>>;

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
  readonly templateParams: TemplateParams;
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
  /** countMultiplierParam: the count is multiplied by this param. */
  readonly countMultiplier: ParamRef | undefined;
  readonly podTemplate: Template<Pod>;
  readonly collectMetrics: boolean;
  readonly skipWaitToCompletion: boolean;
  /** Defaults to `namespace-<op index>`. */
  readonly namespace: string | undefined;
  readonly templateParams: TemplateParams;
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
  readonly templates: readonly Template<Node | Pod | Service>[];
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

/** create.go createAny: `count` objects from a template, in `namespace` when namespaced. */
export interface CreateAnyOp {
  readonly opcode: 'createAny';
  readonly namespace: string | undefined;
  readonly template: Template<KindObject>;
  /** Defaults to 1. */
  readonly count: Countable;
  readonly templateParams: TemplateParams;
}

/** update.go updateAny: `count` updates (Update, then UpdateStatus) from a template. */
export interface UpdateAnyOp {
  readonly opcode: 'updateAny';
  readonly namespace: string | undefined;
  readonly template: Template<KindObject>;
  readonly count: Countable;
  /** 0 updates all at once. */
  readonly updatePerSecond: number;
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
  | StopCollectingMetricsOp
  | CreateAnyOp
  | UpdateAnyOp;

export type ParamValue = number | string | boolean;

export interface Workload {
  readonly name: string;
  /** The workload's labels plus its test case's. */
  readonly labels: readonly string[];
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Upstream's CI floor in pods/s; 0 = none. */
  readonly threshold: number;
  /** The test case's gates overridden by the workload's. */
  readonly featureGates: Readonly<Record<string, boolean>>;
  /** Why ksim cannot run this workload (its feature gates, its threshold metric), if so. */
  readonly unsupported: string | undefined;
}

export interface TestCase {
  readonly name: string;
  readonly labels: readonly string[];
  readonly workloadTemplate: readonly Op[];
  readonly workloads: readonly Workload[];
  /** A KubeSchedulerConfiguration object (`schedulerConfigPath`), not yet validated. */
  readonly schedulerConfig: unknown;
  /**
   * Steps ksim does not model, each naming where it is and why; non-empty means the test case
   * is skipped (its ops are then only partly parsed).
   */
  readonly unsupported: readonly string[];
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
  'createAny',
  'updateAny',
] as const;

/** Upstream opcodes ksim's harness does not model: a test case using one is skipped. */
const UNSUPPORTED_OPCODES: Readonly<Record<string, string>> = {
  createResourceClaims: 'ksim models no dynamic resource allocation',
  createResourceDriver: 'ksim models no dynamic resource allocation',
  allocResourceClaims: 'ksim models no dynamic resource allocation',
  createPodGroups: 'ksim models no PodGroups (gang scheduling)',
  startCollectingProfile: 'ksim takes no pprof profiles (run under node --cpu-prof instead)',
  stopCollectingProfile: 'ksim takes no pprof profiles (run under node --cpu-prof instead)',
};

/** Upstream op fields ksim does not implement: a test case setting one is skipped. */
const UNSUPPORTED_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  createPods: {
    steadyState: 'steady-state pod creation is not implemented',
    steadyStateParam: 'steady-state pod creation is not implemented',
    duration: 'steady-state pod creation is not implemented',
    durationParam: 'steady-state pod creation is not implemented',
    persistentVolumeTemplatePath: 'the harness creates no PersistentVolumes',
    persistentVolumeClaimTemplatePath: 'the harness creates no PersistentVolumeClaims',
  },
  updateAny: { subresources: 'updates of named subresources are not implemented' },
};

const HELD_KINDS: readonly TemplateKind[] = ['Pod', 'Node', 'Namespace', 'Service'];

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

/**
 * Collects errors with a location prefix; one instance per file. `unsupported` records a step
 * ksim does not model against the test case being parsed, which is then skipped, not failed.
 */
class Reporter {
  readonly errors: string[] = [];
  private skips: string[] = [];
  constructor(private readonly file: string) {}

  error(where: string, message: string): void {
    this.errors.push(`${this.file}: ${where}: ${message}`);
  }

  unsupported(where: string, reason: string): void {
    this.skips.push(`${where}: ${reason}`);
  }

  /** Starts a test case; returns the list its unsupported steps go to. */
  beginTestCase(): string[] {
    this.skips = [];
    return this.skips;
  }
}

/** Reads the fields of one YAML mapping, refusing unknown ones (DisallowUnknownFields). */
class Fields {
  constructor(
    private readonly obj: Json,
    private readonly where: string,
    private readonly r: Reporter,
    allowed: readonly string[],
    upstreamOnly: Readonly<Record<string, string>> = {},
  ) {
    for (const k of Object.keys(obj)) {
      if (allowed.includes(k)) continue;
      const why = upstreamOnly[k];
      if (why !== undefined) r.unsupported(`${where}.${k}`, why);
      else r.error(`${where}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
    }
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

  /** `templateParams`: each value literal, or a `$param` string resolved per workload. */
  templateParams(key: string): TemplateParams {
    const raw = this.object(key) ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw))
      out[k] =
        typeof v === 'string' && v.startsWith('$') && v.length > 1
          ? new TemplateParamRef(v.slice(1))
          : v;
    return out;
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

/** How a template is checked: the kinds it may hold and what to do with others. */
interface LoadOptions {
  /** Namespace templates may leave the name out: createNamespaces names them. */
  readonly nameless?: boolean;
  /** createAny/updateAny: another kind makes the test case unsupported, not invalid. */
  readonly otherKindsUnsupported?: boolean;
}

/** A checked template object, or the reason it is wrong. */
type Checked =
  { readonly ok: true; readonly object: KindObject } | { readonly ok: false; readonly why: string };

class TemplateLoader {
  private readonly texts = new Map<string, string | undefined>();

  constructor(
    private readonly source: TemplateSource,
    private readonly r: Reporter,
  ) {}

  /** A file next to the configuration, read once per resolved path. */
  private text(path: string, where: string, what: string): string | undefined {
    const resolved = this.source.resolve(path);
    if (!this.texts.has(resolved)) this.texts.set(resolved, this.source.read(resolved));
    const text = this.texts.get(resolved);
    if (text === undefined)
      this.r.error(where, `${what} ${path} not found (looked for ${resolved})`);
    return text;
  }

  /** A YAML file (the scheduler configuration). */
  yaml(path: string, where: string, what: string): unknown {
    const text = this.text(path, where, what);
    if (text === undefined) return undefined;
    try {
      return parseYaml(text);
    } catch (e) {
      this.r.error(where, `${what} ${path} is not valid YAML: ${(e as Error).message}`);
      return undefined;
    }
  }

  load<K extends TemplateKind>(
    path: string,
    where: string,
    kinds: readonly K[],
    opts: LoadOptions = {},
  ): Template<ObjectOf<K>> | undefined {
    const text = this.text(path, where, 'template');
    if (text === undefined) return undefined;
    return hasTemplateActions(text)
      ? this.dynamic(text, path, where, kinds, opts)
      : this.static(text, path, where, kinds, opts);
  }

  private static<K extends TemplateKind>(
    text: string,
    path: string,
    where: string,
    kinds: readonly K[],
    opts: LoadOptions,
  ): Template<ObjectOf<K>> | undefined {
    let obj: unknown;
    try {
      obj = parseYaml(text);
    } catch (e) {
      this.r.error(where, `template ${path} is not valid YAML: ${(e as Error).message}`);
      return undefined;
    }
    if (opts.otherKindsUnsupported && isObject(obj) && !isHeldKind(obj.kind)) {
      this.r.unsupported(where, otherKindReason(path, obj));
      return undefined;
    }
    const c = checkObject(obj, path, kinds, opts);
    if (!c.ok) {
      this.r.error(where, c.why);
      return undefined;
    }
    const object = c.object as ObjectOf<K>;
    return { path, dynamic: false, render: () => object };
  }

  /** Parsed as a Go template now; each rendering is read and checked when it is made. */
  private dynamic<K extends TemplateKind>(
    text: string,
    path: string,
    where: string,
    kinds: readonly K[],
    opts: LoadOptions,
  ): Template<ObjectOf<K>> | undefined {
    let tmpl: ReturnType<typeof parseGoTemplate>;
    try {
      tmpl = parseGoTemplate(text, path);
    } catch (e) {
      if (!(e instanceof GoTemplateError)) throw e;
      if (e.message.includes('not supported by ksim')) this.r.unsupported(where, e.message);
      else this.r.error(where, `template ${path} is not a valid Go template: ${e.message}`);
      return undefined;
    }
    // The kind line is plain text in every upstream template: check it before running anything.
    const kind = /^kind:[ \t]*([A-Za-z]+)[ \t]*$/m.exec(text)?.[1];
    if (kind !== undefined && !isHeldKind(kind) && opts.otherKindsUnsupported) {
      this.r.unsupported(where, otherKindReason(path, { kind }));
      return undefined;
    }
    if (kind !== undefined && !(kinds as readonly string[]).includes(kind)) {
      this.r.error(where, `template ${path} has kind "${kind}", expected ${kinds.join(' or ')}`);
      return undefined;
    }
    return {
      path,
      dynamic: true,
      render: (env) => {
        let rendered: string;
        let obj: unknown;
        try {
          rendered = tmpl.render(env);
          obj = parseYaml(rendered);
        } catch (e) {
          throw new TemplateRenderError(`template ${path}: ${(e as Error).message}`);
        }
        const c = checkObject(obj, path, kinds, opts);
        if (!c.ok) throw new TemplateRenderError(c.why);
        return c.object as ObjectOf<K>;
      },
    };
  }
}

const isHeldKind = (k: unknown): k is TemplateKind =>
  (HELD_KINDS as readonly unknown[]).includes(k);

function otherKindReason(path: string, obj: Json): string {
  const what = typeof obj.kind === 'string' ? obj.kind : JSON.stringify(obj.kind);
  return `template ${path} holds a ${what}; ksim's scheduler_perf harness holds ${HELD_KINDS.join(', ')} only`;
}

/**
 * A template's object as the API server would take it: a Kubernetes object of an allowed kind,
 * with a name or generateName, decoded as upstream decodes it (members matched to fields
 * case-insensitively; a member no field matches is an error, as UnmarshalStrict makes it).
 */
function checkObject(
  obj: unknown,
  path: string,
  kinds: readonly TemplateKind[],
  opts: LoadOptions,
): Checked {
  if (!isObject(obj) || !isObject(obj.metadata))
    return { ok: false, why: `template ${path} is not a Kubernetes object with metadata` };
  if (!(kinds as readonly unknown[]).includes(obj.kind))
    return {
      ok: false,
      why: `template ${path} has kind ${JSON.stringify(obj.kind)}, expected ${kinds.join(' or ')}`,
    };
  const meta = obj.metadata;
  const named = typeof meta.name === 'string' || typeof meta.generateName === 'string';
  if (!named && !(opts.nameless && obj.kind === 'Namespace'))
    return { ok: false, why: `template ${path} needs metadata.name or metadata.generateName` };
  if (obj.kind === 'Pod' && !isObject(obj.spec))
    return { ok: false, why: `template ${path} has no spec` };
  const decoded = decodeLikeGo(obj);
  if (decoded === undefined)
    return {
      ok: false,
      why: `template ${path}: apiVersion ${JSON.stringify(obj.apiVersion)} has no kind ${JSON.stringify(obj.kind)}`,
    };
  if (decoded.unknown.length > 0)
    return {
      ok: false,
      why: `template ${path}: unknown field ${decoded.unknown.map((u) => JSON.stringify(u)).join(', ')}`,
    };
  return { ok: true, object: decoded.value as unknown as KindObject };
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
  const skips = r.beginTestCase();
  const defaultMetric = metricSelector(g, 'defaultThresholdMetricSelector', r);
  const defaultPath = g.str('defaultPodTemplatePath');
  const defaultPod: Template<Pod> | undefined =
    defaultPath === undefined
      ? { path: '(built-in default pod)', dynamic: false, render: () => DEFAULT_POD }
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
      const parsed = parseWorkload(w, `${at}.workloads[${i}]`, r, {
        labels,
        gates,
        metric: defaultMetric,
      });
      if (parsed === undefined) return;
      if (workloads.some((x) => x.name === parsed.name))
        r.error(`${at}.workloads[${i}].name`, `workload name ${parsed.name} is not unique`);
      workloads.push(parsed);
    });
  return { name, labels, workloadTemplate, workloads, schedulerConfig, unsupported: skips };
}

/**
 * `thresholdMetricSelector`: which metric the threshold is a floor for. ksim measures
 * SchedulingThroughput only; a threshold on another metric is not compared (returns false).
 */
function metricSelector(f: Fields, key: string, r: Reporter): boolean {
  const sel = f.object(key);
  if (sel === undefined) return true;
  const g = new Fields(sel, f.at(key), r, ['name', 'labels', 'expectLower']);
  g.stringMap('labels');
  g.bool('expectLower');
  return (g.str('name', true) ?? '') === 'SchedulingThroughput';
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

/** What a workload inherits from its test case. */
interface TestCaseDefaults {
  readonly labels: readonly string[];
  readonly gates: Readonly<Record<string, boolean>>;
  /** Whether the test case's default threshold metric is SchedulingThroughput. */
  readonly metric: boolean;
}

function parseWorkload(
  raw: unknown,
  where: string,
  r: Reporter,
  tc: TestCaseDefaults,
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
  const throughputFloor =
    raw.thresholdMetricSelector === undefined
      ? tc.metric
      : metricSelector(f, 'thresholdMetricSelector', r);
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
  const labels = [...new Set([...tc.labels, ...f.strings('labels')])];
  const featureGates = {
    ...tc.gates,
    ...parseGates(f.object('featureGates'), f.at('featureGates'), r),
  };
  return {
    name,
    labels,
    params,
    threshold: throughputFloor ? threshold : 0,
    featureGates,
    unsupported: gateSkipReason(featureGates),
  };
}

const OP_FIELDS: Readonly<Record<(typeof OPCODES)[number], readonly string[]>> = {
  createNodes: [
    'count',
    'countParam',
    'nodeTemplatePath',
    'labelNodePrepareStrategy',
    'uniqueNodeLabelStrategy',
    'nodeAllocatableStrategy',
    'templateParams',
  ],
  createNamespaces: ['prefix', 'count', 'countParam', 'namespaceTemplatePath'],
  createPods: [
    'count',
    'countParam',
    'podTemplatePath',
    'collectMetrics',
    'skipWaitToCompletion',
    'namespace',
    'templateParams',
    'countMultiplierParam',
  ],
  createPodSets: ['count', 'countParam', 'namespacePrefix', 'createPodsOp'],
  deletePods: ['namespace', 'labelSelector', 'skipWaitToCompletion', 'deletePodsPerSecond'],
  churn: ['mode', 'number', 'intervalMilliseconds', 'namespace', 'templatePaths'],
  barrier: ['namespaces', 'labelSelector', 'stageRequirement'],
  sleep: ['duration', 'durationParam'],
  startCollectingMetrics: ['name', 'namespaces', 'labelSelector'],
  stopCollectingMetrics: [],
  createAny: ['namespace', 'templatePath', 'count', 'countParam', 'templateParams'],
  updateAny: ['namespace', 'templatePath', 'count', 'countParam', 'updatePerSecond'],
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
    r.unsupported(`${where}.opcode`, `${opcode}: ${unsupported}`);
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
  const f = new Fields(raw, where, r, ['opcode', ...OP_FIELDS[code]], UNSUPPORTED_FIELDS[code]);
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
            : loader.load(tp, f.at('namespaceTemplatePath'), ['Namespace'], { nameless: true }),
      };
    }
    case 'createPods':
      return parseCreatePods(f, r, loader, defaultPod);
    case 'createPodSets': {
      const inner = f.object('createPodsOp');
      let createPodsOp: CreatePodsOp | undefined;
      if (inner === undefined) r.error(f.at('createPodsOp'), 'is required');
      else {
        const g = new Fields(
          inner,
          f.at('createPodsOp'),
          r,
          ['opcode', ...OP_FIELDS.createPods],
          UNSUPPORTED_FIELDS.createPods,
        );
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
    case 'createAny':
    case 'updateAny':
      return parseAnyOp(code, f, loader);
  }
}

/** createAny / updateAny: a template of any kind ksim holds; other kinds skip the test case. */
function parseAnyOp(
  code: 'createAny' | 'updateAny',
  f: Fields,
  loader: TemplateLoader,
): CreateAnyOp | UpdateAnyOp | undefined {
  const path = f.str('templatePath', true);
  const namespace = f.str('namespace');
  const count = f.countable('count', 'countParam', 1);
  const template =
    path === undefined
      ? undefined
      : loader.load(path, f.at('templatePath'), HELD_KINDS, { otherKindsUnsupported: true });
  if (template === undefined) return undefined;
  if (code === 'createAny')
    return {
      opcode: code,
      namespace,
      template,
      count,
      templateParams: f.templateParams('templateParams'),
    };
  return { opcode: code, namespace, template, count, updatePerSecond: f.int('updatePerSecond', 0) };
}

function parseCreateNodes(
  f: Fields,
  r: Reporter,
  loader: TemplateLoader,
): CreateNodesOp | undefined {
  const tp = f.str('nodeTemplatePath');
  const nodeTemplate: Template<Node> | undefined =
    tp === undefined
      ? { path: '(built-in default node)', dynamic: false, render: () => DEFAULT_NODE }
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
    templateParams: f.templateParams('templateParams'),
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
  const multiplier = f.str('countMultiplierParam');
  if (multiplier !== undefined && !(multiplier.startsWith('$') && multiplier.length > 1))
    r.error(
      f.at('countMultiplierParam'),
      `expected a parameter reference like $name, got ${JSON.stringify(multiplier)}`,
    );
  const namespace = f.str('namespace');
  if (podTemplate === undefined) return undefined;
  return {
    opcode: 'createPods',
    count,
    countMultiplier: multiplier?.startsWith('$') ? { param: multiplier.slice(1) } : undefined,
    podTemplate,
    collectMetrics,
    skipWaitToCompletion,
    namespace,
    templateParams: f.templateParams('templateParams'),
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
  const templates: Template<Node | Pod | Service>[] = [];
  paths.forEach((p, i) => {
    const t = loader.load(p, `${f.at('templatePaths')}[${i}]`, ['Node', 'Pod', 'Service'], {
      otherKindsUnsupported: true,
    });
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
function paramRefs(ops: readonly Op[]): { path: string; ref: ParamRef; kind: ParamKind }[] {
  const out: { path: string; ref: ParamRef; kind: ParamKind }[] = [];
  const templateParams = (at: string, tp: TemplateParams): void => {
    for (const [k, v] of Object.entries(tp))
      if (v instanceof TemplateParamRef)
        out.push({ path: `${at}.templateParams.${k}`, ref: { param: v.param }, kind: 'any' });
  };
  ops.forEach((op, i) => {
    const at = `workloadTemplate[${i}]`;
    if (op.opcode !== 'createPodSets' && 'count' in op && typeof op.count !== 'number')
      out.push({ path: `${at}.countParam`, ref: op.count, kind: 'count' });
    switch (op.opcode) {
      case 'createPods':
        if (op.countMultiplier !== undefined)
          out.push({ path: `${at}.countMultiplierParam`, ref: op.countMultiplier, kind: 'count' });
        templateParams(at, op.templateParams);
        break;
      case 'createNodes':
      case 'createAny':
        templateParams(at, op.templateParams);
        break;
      case 'createNamespaces':
      case 'updateAny':
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
        if (op.createPodsOp.countMultiplier !== undefined)
          out.push({
            path: `${at}.createPodsOp.countMultiplierParam`,
            ref: op.createPodsOp.countMultiplier,
            kind: 'count',
          });
        templateParams(`${at}.createPodsOp`, op.createPodsOp.templateParams);
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

type ParamKind = 'count' | 'duration' | 'any';

/**
 * Upstream fails a workload whose params are undefined, mistyped or unused (typo guard). A
 * skipped test case is not checked: the params of the ops ksim did not parse look unused.
 */
function checkParams(tc: TestCase, w: Workload, r: Reporter, index: number): void {
  if (tc.unsupported.length > 0) return;
  for (const e of paramErrors(tc, w)) r.error(`[${index}] (${tc.name}/${w.name})`, e);
}

/** An op's templateParams with `$param` references replaced by the workload's values. */
export function resolveTemplateParams(
  tp: TemplateParams,
  params: Readonly<Record<string, ParamValue>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tp))
    out[k] = v instanceof TemplateParamRef ? params[v.param] : v;
  return out;
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
