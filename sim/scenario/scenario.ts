import { LineCounter, parseDocument, isNode } from 'yaml';
import { isQuantityError, parseQuantity } from '../../core/api/quantity.ts';
import {
  any,
  bool,
  duration,
  formatPath,
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
import { clusterProblems } from './cluster-spec.ts';

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

const objectRef = obj({ kind: req(str), namespace: opt(str), name: req(str) });

const action = obj({
  at: req(duration),
  fault: opt(fault),
  apply: opt(any),
  delete: opt(objectRef),
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
    }),
  ),
});

type Defined<T> = T extends Schema<infer U> ? U : never;
export type Scenario = Defined<typeof scenarioSchema>;
export type ScenarioAction = NonNullable<Scenario['spec']['actions']>[number];
export type ScenarioFault = Defined<typeof fault>;
export type PodExpectation = Defined<typeof podExpectation>;
export type Expectation = Defined<typeof expectation>;

export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid scenario\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Parses and validates a scenario; every problem is reported as `line N: path: message`. */
export function parseScenario(text: string, file = '<scenario>'): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map(
        (e) =>
          `line ${lineCounter.linePos(e.pos[0]).line}: YAML syntax: ${e.message.split('\n')[0]}`,
      ),
    );
  }
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
      errors.map((e) => {
        const node = doc.getIn(e.path, true);
        const line =
          isNode(node) && node.range ? `line ${lineCounter.linePos(node.range[0]).line}: ` : '';
        return `${line}${formatPath(e.path)}: ${e.message}`;
      }),
    );
  }
  return scenario;
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
    const given = ['fault', 'apply', 'delete', 'scale'].filter(
      (k) => action[k] !== undefined && action[k] !== null,
    );
    if (given.length !== 1) {
      errors.push({
        path: ['spec', 'actions', i],
        message: `an action needs exactly one of fault, apply, delete, scale (got ${given.length === 0 ? 'none' : given.join(', ')})`,
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
