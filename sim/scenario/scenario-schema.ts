/**
 * The scenario file's language as a zod schema: what the loader checks (converting durations to
 * microseconds) and, through z.toJSONSchema, the JSON Schema editors read (`ksim schema`,
 * scenarios/scenario.schema.json). The descriptions are the help an editor shows.
 */
import { INVARIANT_DOCS } from '../invariants/names.ts';
import { BUGGIFY_SITES } from '../../core/ports/buggify.ts';
import { z } from 'zod';
import { isLabelValue, isQualifiedName } from '../../core/api/content-checks.ts';
import { KNOWN_FEATURE_GATES } from '../../core/api/feature-gates.ts';
import { imageGCProblem } from '../../core/kubelet/config.ts';
import { SIGNALS } from '../../core/kubelet/eviction/signals.ts';
import { definitionFor, DEFINITIONS } from '../../core/api/kinds/index.ts';
import { isQuantityError, parseQuantity } from '../../core/api/quantity.ts';
import { MAX_CONTROL_PLANE_REPLICAS } from '../../core/cluster/assembly.ts';
import { CPU_WORK_KINDS } from '../../core/ports/cpu.ts';
import { CHARGED_ROLES, COST_MODELS } from '../cost-model.ts';
import { duration, obj } from './schema.ts';
import {
  alwaysSchema,
  eventuallySchema,
  neverSchema,
  podsPredicate,
  predicateSchema,
} from './predicate-schema.ts';

const str = z.string();
const int = z.number().int();
const bool = z.boolean();
const probability = z.number().min(0).max(1).describe('A probability from 0 to 1');

const quantityMessage = (v: unknown): string =>
  `expected a resource quantity such as 500m, 4, 8Gi, got ${JSON.stringify(v)}`;

/** A resource quantity, written as a string or a number; kept as the string. */
const quantity = z
  .union([z.string(), z.number()], {
    error: (iss) => (iss.input === undefined ? undefined : quantityMessage(iss.input)),
  })
  .refine((v) => !isQuantityError(parseQuantity(String(v))), {
    error: (iss) => quantityMessage(iss.input),
  })
  .transform((v) => String(v))
  .describe('A resource quantity: 500m, 4, 8Gi');

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
type TaintEffect = (typeof TAINT_EFFECTS)[number];

const taintKey = str.superRefine((key, ctx) => {
  const bad = isQualifiedName(key);
  if (bad.length > 0)
    ctx.addIssue({
      code: 'custom',
      message: `invalid taint key ${JSON.stringify(key)}: ${bad.join('; ')}`,
    });
});

export interface TaintSpec {
  readonly key: string;
  readonly value?: string;
  readonly effect?: TaintEffect;
}

/**
 * A taint as kubectl taint writes it: `key=value:Effect` or `key:Effect` to add; to remove,
 * also `key` alone (every effect).
 */
function taintText(effectRequired: boolean) {
  return str.transform((text, ctx): TaintSpec => {
    const m = /^([^=:]+)(?:=([^:]*))?(?::(.*))?$/.exec(text);
    const fail = (why: string): never => {
      ctx.issues.push({
        code: 'custom',
        message: `${why} in ${JSON.stringify(text)}`,
        input: text,
      });
      return z.NEVER;
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
  });
}

/** A kind the API server serves; the error lists those it does. */
const servedKind = str
  .refine((kind) => definitionFor(kind) !== undefined, {
    error: (iss) => {
      const kinds = [...new Set(DEFINITIONS.map((d) => d.resource.kind))].sort();
      return `kind ${String(iss.input)} is not served (served kinds: ${kinds.join(', ')})`;
    },
  })
  .describe('A kind the API server serves (Deployment, ConfigMap, Node, ...)');

const processName = str.describe(
  'A process: etcd-N, apiserver, scheduler, controller-manager, metrics-server, or a node',
);

const latency = obj({
  min: duration.describe('Shortest delivery time'),
  max: duration.describe('Longest delivery time'),
}).describe('Uniform latency in [min, max]');

/** A Lease as namespace/name. */
const leaseName = str
  .regex(/^[a-z0-9.-]+\/[a-z0-9.-]+$/, { error: 'expected a Lease as namespace/name' })
  .describe('A Lease, namespace/name: kube-system/kube-scheduler');

const zoneLabel = str
  .optional()
  .describe('The node label whose value is the zone (default topology.kubernetes.io/zone)');

const processGroup = str.describe(
  "control-plane (store, API servers, schedulers, controller managers, metrics-server), a node pool's namePrefix, or label=value (the nodes with that label)",
);

/** The link between two groups of processes (a zone and another, say), both ways. */
const groupLink = obj({
  groups: z
    .array(processGroup)
    .min(2)
    .max(2)
    .describe('Two groups; the same one twice sets the links within it'),
  latency: latency.optional(),
  lossProbability: probability.optional(),
  duplicateProbability: probability.optional(),
}).describe('The link model between two groups of processes, both ways (cross-zone latency)');

const network = obj({
  latency: latency.optional(),
  lossProbability: probability.optional().describe('Each message is lost with this probability'),
  duplicateProbability: probability
    .optional()
    .describe('Each message is delivered twice with this probability'),
  between: z
    .array(groupLink)
    .optional()
    .describe('Links between groups of processes, over the default; a later entry wins'),
}).describe('The default link model between processes, and between groups of them');

/**
 * A label's value on a pool's nodes: the same on every node, taken in turn from a list, or
 * spread by weight (smooth weighted round robin, so any prefix of the pool is as close to the
 * weights as whole nodes allow).
 */
const labelValue = z.union(
  [
    str,
    obj({ roundRobin: z.array(str).min(1).describe('Node i takes value i mod n') }),
    obj({
      weighted: z
        .record(z.string(), z.number().int().min(1))
        .refine((w) => Object.keys(w).length > 0, { error: 'needs at least one value' })
        .describe('Values and their whole-number weights'),
    }),
  ],
  {
    error: (iss) =>
      iss.code === 'invalid_union' && iss.input !== undefined
        ? `expected a label value, {roundRobin: [a, b]} or {weighted: {a: 2, b: 1}}, got ${JSON.stringify(iss.input)}`
        : undefined,
  },
);

const signal = z.enum(SIGNALS);
const thresholdText = str.refine((t) => /^\s*(\d+(\.\d+)?%|[0-9.]+[A-Za-z]*)\s*$/.test(t), {
  error: (iss) =>
    `expected a quantity such as 100Mi or a percentage such as 10%, got ${JSON.stringify(iss.input)}`,
});
const thresholds = (what: string) =>
  z.partialRecord(signal, thresholdText).optional().describe(what);

const kubeletConfig = obj({
  evictionHard: thresholds(
    'Hard eviction thresholds by signal (replaces the default memory.available<100Mi, nodefs.available<10%, imagefs.available<15%, inodesFree<5%)',
  ),
  evictionSoft: thresholds('Soft eviction thresholds by signal; each needs a grace period'),
  evictionSoftGracePeriod: z
    .partialRecord(signal, duration)
    .optional()
    .describe('How long a soft threshold must be met before the kubelet evicts'),
  evictionMinimumReclaim: thresholds(
    'Once a threshold is met, it stays met until this much more than the threshold is free',
  ),
  evictionMaxPodGracePeriod: int
    .min(0)
    .optional()
    .describe("Seconds a soft eviction gives a pod at most (default 0; the pod's own if lower)"),
  evictionPressureTransitionPeriod: duration
    .optional()
    .describe('How long a pressure condition stays after its threshold was last met (5m)'),
  pidMax: int.min(1).optional().describe("The node's process id limit (kernel.pid_max, 4194304)"),
  imageGCHighThresholdPercent: int
    .min(0)
    .max(100)
    .optional()
    .describe('Image GC starts when the image filesystem is this full (85); 100 turns it off'),
  imageGCLowThresholdPercent: int
    .min(0)
    .max(100)
    .optional()
    .describe('Image GC frees down to this usage (80); below the high threshold'),
  imageMinimumGCAge: duration
    .optional()
    .describe('Images younger than this are never garbage-collected (2m)'),
  imageMaximumGCAge: duration
    .optional()
    .describe('Images unused for longer are garbage-collected whatever the usage (default off)'),
})
  .superRefine((c, ctx) => {
    const problem = imageGCProblem({
      imageGCHighThresholdPercent: c.imageGCHighThresholdPercent ?? 85,
      imageGCLowThresholdPercent: c.imageGCLowThresholdPercent ?? 80,
    });
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', path: ['imageGCLowThresholdPercent'], message: problem });
    for (const s of Object.keys(c.evictionSoft ?? {})) {
      if (c.evictionSoftGracePeriod?.[s as keyof typeof c.evictionSoftGracePeriod] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['evictionSoftGracePeriod'],
          message: `grace period must be specified for the soft eviction threshold ${s}`,
        });
    }
  })
  .describe("Kubelet configuration of the pool's nodes (KubeletConfiguration field names)");

const nodePool = obj({
  namePrefix: str
    .optional()
    .describe('Nodes are named <namePrefix>-1 ... <namePrefix>-<count> (default: node)'),
  count: int
    .min(1)
    .max(100_000)
    .optional()
    .describe('How many nodes the pool has (default: as many as names)'),
  names: z
    .array(str)
    .min(1)
    .max(100_000)
    .optional()
    .describe(
      "The nodes' own names, one per node, instead of <namePrefix>-1 ...: a cluster imported from a real one or from a trace keeps the names its pods are bound to",
    ),
  capacity: z
    .record(z.string(), quantity)
    .optional()
    .describe("Merged over the kubelet's default capacity: cpu, memory, pods, ..."),
  labels: z
    .record(z.string(), labelValue)
    .optional()
    .describe(
      "Labels of the pool's Node objects: a value, or values spread over the nodes ({roundRobin: [a, b, c]} or {weighted: {a: 2, b: 1}})",
    ),
  imagePullSeconds: z
    .number()
    .min(0)
    .optional()
    .describe('Seconds to pull an image the node does not have yet'),
  imageSizes: z
    .record(z.string(), quantity)
    .optional()
    .describe(
      "Bytes each image takes on the nodes' disk, by image name as pods name it; '*' for any other image (default 0, images take no room)",
    ),
  inodes: int
    .min(1)
    .optional()
    .describe("Inodes of the nodes' filesystem (default: one per 16Ki of ephemeral-storage)"),
  staticPods: z
    .array(z.unknown())
    .optional()
    .describe(
      "Pod manifests (or {file: path}) the pool's kubelets run on their own, as from a staticPodPath: named <name>-<node>, running without the API server, shown there as mirror pods",
    ),
  kubeletConfig: kubeletConfig.optional(),
  taints: z
    .array(
      obj({
        key: taintKey,
        value: str.optional(),
        effect: z.enum(TAINT_EFFECTS),
      }),
    )
    .optional()
    .describe("The kubelet's --register-with-taints: node.spec.taints from the start"),
  unschedulable: bool
    .optional()
    .describe("Registered cordoned (the kubelet's --register-schedulable=false)"),
})
  .refine((p) => p.count !== undefined || p.names !== undefined, {
    error: 'a pool needs count or names',
  })
  .refine((p) => p.count === undefined || p.names === undefined || p.count === p.names.length, {
    error: 'count must equal the number of names',
  })
  .describe('A pool of identical nodes');

const podNetwork = obj({
  clusterCIDR: str.describe('--cluster-cidr: the range pod addresses come from'),
  nodeCIDRMaskSize: int
    .min(1)
    .max(30)
    .optional()
    .describe("--node-cidr-mask-size: the size of each node's pod range (default 24)"),
}).describe("Where each node's pod range comes from (default 10.244.0.0/14, /24 per node)");

const serviceNetwork = obj({
  clusterIPRange: str
    .optional()
    .describe('--service-cluster-ip-range: where cluster IPs come from'),
  nodePortRange: str.optional().describe('--service-node-port-range: where node ports come from'),
}).describe('Where Services take values from');

const replicas = int.min(1).max(MAX_CONTROL_PLANE_REPLICAS).optional();

const featureGateSettings = obj(
  Object.fromEntries(
    Object.entries(KNOWN_FEATURE_GATES).map(([name, gate]) => [
      name,
      bool
        .optional()
        .describe(`${gate.stage}, default ${String(gate.default)} in 1.32: ${gate.description}`),
    ]),
  ),
).describe('--feature-gates of the API servers and controller managers (the gates ksim models)');

const costModelName = z
  .enum(COST_MODELS)
  .describe(
    'zero: computation takes no virtual time; upstream-like: calibrated on upstream figures',
  );

const workCost = obj({
  baseUs: z.number().min(0).optional().describe('Microseconds of one core per charge'),
  perUnitUs: z.number().min(0).optional().describe('Microseconds of one core per unit of work'),
});

const costModel = z
  .union([
    costModelName,
    obj({
      model: costModelName,
      cores: obj(Object.fromEntries(CHARGED_ROLES.map((r) => [r, int.min(1).max(1024).optional()])))
        .optional()
        .describe('Cores of each process of a component (upstream-like: 8, 8, 2, 2)'),
      costs: obj(Object.fromEntries(CPU_WORK_KINDS.map((k) => [k, workCost.optional()])))
        .optional()
        .describe("What a kind of work costs, over the model's own value"),
    }),
  ])
  .describe(
    'The CPU cost model: how much virtual time the control plane spends per request, scheduling attempt, reconcile and Raft entry (default zero)',
  );

const cluster = obj({
  store: obj({
    members: int
      .min(1)
      .max(7)
      .optional()
      .describe('Raft members etcd-0 ... etcd-N-1, each with its own disk (default 1)'),
    inMemory: bool
      .optional()
      .describe('One volatile store process instead of Raft members (a crash loses everything)'),
  })
    .optional()
    .describe('The etcd-like store'),
  controlPlane: obj({
    apiServers: replicas.describe(
      'API servers apiserver-0 ... over the same store, reached through a client-side load balancer (default 1: apiserver)',
    ),
    schedulers: replicas.describe(
      'Schedulers scheduler-0 ...; several run with leader election, one acting (default 1: scheduler)',
    ),
    controllerManagers: replicas.describe(
      'Controller managers controller-manager-0 ...; several run with leader election, one acting (default 1: controller-manager)',
    ),
    zones: z
      .array(str)
      .min(1)
      .optional()
      .describe(
        'Zones (values of topology.kubernetes.io/zone) the replicas of each component are spread over, round-robin: etcd-0, apiserver-0, scheduler-0 and controller-manager-0 in the first. A zone-outage of a zone crashes its control-plane processes with its nodes (default: the control plane is in no zone)',
      ),
  })
    .optional()
    .describe('How many of each control-plane component run'),
  apiServer: obj({
    compactionInterval: duration
      .optional()
      .describe(
        "--etcd-compaction-interval: how often the API server compacts the store's history (default 5m; 0s: never)",
      ),
    watchCacheSize: int
      .min(1)
      .optional()
      .describe(
        '--default-watch-cache-size: changes per resource each API server keeps for resuming watches (default 1000); an older resume gets 410 Gone and the client relists',
      ),
  })
    .optional()
    .describe('Flags of the API servers'),
  featureGates: featureGateSettings.optional(),
  network: network.optional(),
  podNetwork: podNetwork.optional(),
  serviceNetwork: serviceNetwork.optional(),
  nodes: z.array(nodePool).describe('Pools of nodes, named pool by pool'),
  costModel: costModel.optional(),
}).describe('The cluster to build');

const fault = z
  .discriminatedUnion('kind', [
    obj({
      kind: z.literal('crash'),
      process: processName.optional(),
      leaderOf: leaseName
        .optional()
        .describe(
          'Instead of process: whichever process leads this Lease when the fault strikes (kube-system/kube-scheduler, kube-system/kube-controller-manager); nobody leading it is a traced no-op',
        ),
      restartAfter: duration
        .optional()
        .describe('Restart the process this long after the crash (default: it stays down)'),
    })
      .refine((f) => (f.process === undefined) !== (f.leaderOf === undefined), {
        error: 'a crash needs exactly one of process and leaderOf',
      })
      // The refinement, for editors (z.toJSONSchema cannot translate a refinement).
      .meta({ oneOf: [{ required: ['process'] }, { required: ['leaderOf'] }] })
      .describe(
        'The process stops, losing memory, timers, connections and unsynced writes, until restart',
      ),
    obj({ kind: z.literal('restart'), process: processName }).describe(
      'A crashed process starts again from what its disk kept',
    ),
    obj({ kind: z.literal('isolate'), process: processName }).describe(
      'Every message to or from the process is dropped until heal',
    ),
    obj({
      kind: z.literal('partition'),
      groups: z.array(z.array(processName)).describe('Groups of process names'),
    }).describe('Messages between different groups are dropped until heal'),
    obj({ kind: z.literal('block'), from: processName, to: processName }).describe(
      'Messages from one process to another are dropped (one direction) until heal',
    ),
    obj({ kind: z.literal('heal') }).describe('Ends every isolate, partition, block and clog'),
    obj({
      kind: z.literal('clog'),
      process: processName,
      duration: duration.describe('How long messages are held'),
    }).describe('Messages to and from the process are held (delayed, not lost)'),
    obj({
      kind: z.literal('link'),
      from: processName.optional(),
      to: processName.optional(),
      latency: latency.optional(),
      lossProbability: probability.optional(),
      duplicateProbability: probability.optional(),
    }).describe('Sets the link model between two processes (or the default without from and to)'),
    obj({
      kind: z.literal('disk-faults'),
      process: processName,
      tornWriteProbability: probability.optional(),
      readErrorProbability: probability.optional(),
    }).describe('Torn writes at a later crash and failing reads, with these probabilities'),
    obj({ kind: z.literal('wipe-disk'), process: processName }).describe(
      "Every file on the process's disk is gone",
    ),
    obj({
      kind: z.literal('clock-jump'),
      process: processName,
      by: duration,
      backwards: bool.optional(),
    }).describe("The process's clock jumps by `by`"),
    obj({
      kind: z.literal('clock-rate'),
      process: processName,
      rate: z.number().min(0.001).max(1000),
    }).describe("The process's clock runs `rate` times as fast as virtual time"),
    obj({
      kind: z.literal('zone-outage'),
      zone: str.describe('The zone: a value of the label'),
      label: zoneLabel,
      duration: duration
        .optional()
        .describe('The zone recovers (its nodes restart) after this long (default: it stays down)'),
    }).describe(
      'Every node of the zone (and every control-plane process spec.cluster.controlPlane.zones puts there) crashes at once, as one fault, and later recovers',
    ),
    obj({
      kind: z.literal('figure-8'),
      clients: z
        .array(processName)
        .optional()
        .describe(
          "Processes cut off beside the old leader, whose writes it appends but cannot commit (default: none; the API servers are the store's clients)",
        ),
      duration: duration
        .optional()
        .describe(
          'The shape unfolds (or gives up) within this long, then the network heals (default 30s)',
        ),
    }).describe(
      "Figure 8 of the Raft paper on the store's members (3 or more): the leader is cut off as it appends, the next leader is cut off as it is elected, the first is elected again and cut off from a follower it catches up with entries of its old term, and the second comes back. A Raft that commits an old-term entry by counting replicas loses it (raft-safety). Every step is traced as a network fault; the store's members send one entry per append in a run with this fault",
    ),
  ])
  .describe('A fault: crash, restart, isolate, partition, block, heal, clog, link, ...');

export const RATE_FAULT_KINDS = [
  'crash',
  'clog',
  'zone-outage',
  'partition',
  'clock-jump',
  'clock-rate',
  'link',
  'disk-faults',
] as const;

/** A probability, or {min, max}: drawn uniformly per fault. */
const drawnProbability = z
  .union([probability, obj({ min: probability, max: probability })])
  .refine((p) => typeof p === 'number' || p.min <= p.max, { error: 'min is more than max' })
  .describe('A probability, or {min, max} (uniform, drawn per fault)');

/** The fields of a rate that go with one kind only. */
export const RATE_KIND_FIELDS = {
  latency: 'link',
  lossProbability: 'link',
  duplicateProbability: 'link',
  tornWriteProbability: 'disk-faults',
  readErrorProbability: 'disk-faults',
} as const;

/** How long each drawn fault lasts: a duration, or uniform between min and max. */
const faultDuration = z
  .union([duration, obj({ min: duration, max: duration })])
  .refine((d) => typeof d === 'number' || d.min <= d.max, { error: 'min is more than max' })
  .describe('How long each fault lasts: a duration, or {min, max} (uniform)');

/**
 * Faults drawn from rates: arrivals of one kind of fault at a mean interval, each aimed at a
 * target drawn from `among`, each lasting a drawn duration. Drawn from the run's seed before it
 * starts, so the same seed gives the same faults; the draw is traced and printed as explicit
 * timed fault actions.
 */
const faultRate = obj({
  name: str.optional(),
  kind: z
    .enum(RATE_FAULT_KINDS)
    .describe(
      'crash (restarted after duration), clog (for duration), zone-outage, partition (healed after duration), clock-jump (by duration), clock-rate (drift for duration), link (latency, loss and duplication of a link changed for duration), disk-faults (torn writes and read errors on a disk for duration)',
    ),
  among: z
    .array(str)
    .min(1)
    .optional()
    .describe(
      'crash, clog, clock-jump, clock-rate and disk-faults: process names or groups (control-plane, a node pool, label=value), one drawn per fault; partition: the processes split into two random sides (or, oneWay, one cut off from another); zone-outage: zone values, one drawn per fault; link: the link from one drawn process to another (without among: the default link, every link)',
    ),
  oneWay: bool
    .optional()
    .describe(
      'partition only: instead of two sides, messages from one drawn process to another are dropped (one direction)',
    ),
  backwards: bool.optional().describe('clock-jump only: the clocks jump back (default: forwards)'),
  rate: z
    .union([
      z.number().min(0.001).max(1000),
      obj({ min: z.number().min(0.001).max(1000), max: z.number().min(0.001).max(1000) }),
    ])
    .optional()
    .describe(
      'clock-rate only: how fast the drawn clock runs (a number, or {min, max}, uniform); it runs at 1 again after duration',
    ),
  leaderOf: leaseName.optional().describe('crash only, instead of among: the leader of a Lease'),
  latency: latency
    .optional()
    .describe("link only: the link's latency during the fault (default: unchanged)"),
  lossProbability: drawnProbability
    .optional()
    .describe('link only: how often a message on the link is lost during the fault'),
  duplicateProbability: drawnProbability
    .optional()
    .describe('link only: how often a message on the link is delivered twice during the fault'),
  tornWriteProbability: drawnProbability
    .optional()
    .describe("disk-faults only: how often a crash tears a file's first unsynced write"),
  readErrorProbability: drawnProbability
    .optional()
    .describe('disk-faults only: how often a read fails with an I/O error'),
  label: zoneLabel,
  every: duration.describe('The mean interval between faults (poisson) or the interval (constant)'),
  arrival: z
    .enum(['poisson', 'constant'])
    .optional()
    .describe('poisson (exponential gaps, the default) or constant'),
  duration: faultDuration.optional(),
  from: duration.optional().describe('No fault before this virtual time (default 0)'),
  until: duration.optional().describe('No fault after this virtual time (default: the end)'),
})
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (r.every <= 0) issue('every', 'a rate needs an interval above 0');
    if (r.kind === 'crash' && (r.among === undefined) === (r.leaderOf === undefined))
      issue('among', 'a crash rate needs exactly one of among and leaderOf');
    if (r.kind !== 'crash' && r.leaderOf !== undefined)
      issue('leaderOf', 'leaderOf goes with kind crash');
    if (r.kind !== 'crash' && r.kind !== 'link' && r.among === undefined)
      issue('among', 'required field is missing');
    if (r.kind === 'clog' && r.duration === undefined) issue('duration', 'a clog needs a duration');
    for (const k of ['partition', 'clock-jump', 'clock-rate', 'link', 'disk-faults'] as const)
      if (r.kind === k && r.duration === undefined)
        issue('duration', `a ${k} rate needs a duration`);
    if (r.kind === 'partition' && (r.among?.length ?? 0) < 2)
      issue('among', 'a partition needs at least two processes or groups');
    if (r.kind !== 'partition' && r.oneWay !== undefined)
      issue('oneWay', 'oneWay goes with kind partition');
    if (r.kind !== 'clock-jump' && r.backwards !== undefined)
      issue('backwards', 'backwards goes with kind clock-jump');
    if ((r.kind === 'clock-rate') !== (r.rate !== undefined))
      issue(
        'rate',
        r.kind === 'clock-rate' ? 'a clock-rate needs a rate' : 'rate goes with kind clock-rate',
      );
    if (typeof r.rate === 'object' && r.rate.min > r.rate.max)
      issue('rate', 'min is more than max');
    for (const [field, kind] of Object.entries(RATE_KIND_FIELDS))
      if (r.kind !== kind && r[field as keyof typeof RATE_KIND_FIELDS] !== undefined)
        issue(field, `${field} goes with kind ${kind}`);
    if (r.kind === 'link' && r.latency !== undefined && r.latency.min > r.latency.max)
      issue('latency', 'min is more than max');
    if (
      r.kind === 'link' &&
      r.latency === undefined &&
      r.lossProbability === undefined &&
      r.duplicateProbability === undefined
    )
      issue('kind', 'a link rate needs latency, lossProbability or duplicateProbability');
    if (
      r.kind === 'disk-faults' &&
      r.tornWriteProbability === undefined &&
      r.readErrorProbability === undefined
    )
      issue('kind', 'a disk-faults rate needs tornWriteProbability or readErrorProbability');
    if (r.kind !== 'zone-outage' && r.label !== undefined)
      issue('label', 'label goes with kind zone-outage');
    if (r.from !== undefined && r.until !== undefined && r.from > r.until)
      issue('until', 'is before from');
  })
  .describe('Faults of one kind drawn at a rate from the seed');

const namespace = str.optional().describe('Default: default (ignored for cluster-scoped kinds)');

const deleteAction = obj({
  kind: servedKind,
  namespace,
  name: str,
  propagationPolicy: z.enum(['Foreground', 'Background', 'Orphan']).optional(),
  gracePeriodSeconds: int.min(0).optional(),
}).describe('kubectl delete');

const patchAction = obj({
  kind: servedKind,
  namespace,
  name: str,
  type: z
    .enum(['strategic', 'merge', 'json'])
    .optional()
    .describe('As kubectl patch --type: strategic (the default), merge or json'),
  patch: z
    .unknown()
    .describe('A mapping of the fields to change, or for json a list of operations'),
}).describe('kubectl patch');

const nodeAction = obj({ node: str.describe("The node's name") });

const taintAction = obj({
  node: str,
  add: z.array(taintText(true)).optional().describe('key=value:Effect or key:Effect'),
  remove: z.array(taintText(false)).optional().describe('key, or key:Effect'),
}).describe('kubectl taint');

const labelAction = obj({
  kind: servedKind,
  namespace,
  name: str,
  set: z.record(z.string(), str).optional(),
  remove: z.array(str).optional(),
}).describe('kubectl label');

const restartAction = obj({
  kind: z.enum(['Deployment', 'DaemonSet', 'StatefulSet']),
  namespace,
  name: str,
}).describe('kubectl rollout restart');

const scaleAction = obj({
  kind: z.enum(['ReplicaSet', 'Deployment']),
  namespace,
  name: str,
  replicas: int.min(0),
}).describe('kubectl scale');

const memberName = str.describe('A store member: etcd-0 ..., or one an earlier add named');

/**
 * A store membership change, as an operator makes it with etcdctl member add / promote /
 * remove (the store fuzzer's machinery): a new member is started as soon as it is added.
 */
const memberAction = z
  .discriminatedUnion('kind', [
    obj({
      kind: z.literal('add'),
      name: str.describe("The new member's process name (not taken by any process)"),
      learner: bool
        .optional()
        .describe('Add as a non-voting learner, promoted later (etcdctl member add --learner)'),
    }).describe('etcdctl member add, then the new member starts and catches up from the leader'),
    obj({ kind: z.literal('promote'), name: memberName }).describe(
      'etcdctl member promote: a learner becomes a voter once it is in sync',
    ),
    obj({ kind: z.literal('remove'), name: memberName }).describe('etcdctl member remove'),
    obj({
      kind: z.literal('replace'),
      name: memberName,
      by: str.describe("The new member's process name"),
    }).describe('Adds a new voter, starts it, then removes the old member'),
  ])
  .describe('A store membership change: add, promote, remove or replace');

/** The effects an action may have; it has exactly one. */
export const ACTION_EFFECTS = [
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
  'member',
] as const;

const action = obj({
  at: duration
    .optional()
    .describe('Virtual time of the action (with when: the earliest time it may fire)'),
  when: predicateSchema
    .optional()
    .describe('Fire once, the first time this predicate holds (not before at or after)'),
  after: duration.optional().describe('With when: the earliest virtual time it may fire'),
  fault: fault.optional(),
  apply: z
    .unknown()
    .optional()
    .describe('A manifest, or {file: path}: kubectl apply --server-side --force-conflicts'),
  delete: deleteAction.optional(),
  patch: patchAction.optional(),
  cordon: nodeAction.optional().describe('kubectl cordon'),
  uncordon: nodeAction.optional().describe('kubectl uncordon'),
  drain: nodeAction.optional().describe('kubectl drain (evictions honour disruption budgets)'),
  taint: taintAction.optional(),
  label: labelAction.optional(),
  restart: restartAction.optional(),
  scale: scaleAction.optional(),
  member: memberAction.optional(),
})
  .superRefine((a, ctx) => {
    if (a.at === undefined && a.when === undefined)
      ctx.addIssue({ code: 'custom', message: 'an action needs at or when' });
    if (a.after !== undefined && a.when === undefined)
      ctx.addIssue({ code: 'custom', path: ['after'], message: 'after goes with when' });
    if (a.when !== undefined && a.member !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['when'],
        message: 'a member action needs at: membership changes are planned in time order',
      });
    if (a.after !== undefined && a.at !== undefined)
      ctx.addIssue({ code: 'custom', path: ['after'], message: 'give at or after, not both' });
  })
  .describe(
    `At a virtual time, or when a predicate holds: exactly one of ${ACTION_EFFECTS.join(', ')}`,
  );

/**
 * An expectation: `eventually`, `always` or `never` a predicate; or the first form, `pods` with
 * an optional `within` (which is `eventually`; without `within`, the state at the end counts).
 */
const expectation = obj({
  name: str.optional(),
  enabled: bool
    .optional()
    .describe('false switches the expectation off: it is reported as disabled, not evaluated'),
  eventually: eventuallySchema.optional(),
  always: alwaysSchema.optional(),
  never: neverSchema.optional(),
  within: duration
    .optional()
    .describe(
      'With pods: must hold at some moment at or before this virtual time; without it, at the end of the run',
    ),
  pods: podsPredicate
    .optional()
    .describe('The first form of an expectation: pods, with an optional within'),
})
  .superRefine((e, ctx) => {
    const given = EXPECTATION_FORMS.filter((k) => e[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `an expectation needs exactly one of ${EXPECTATION_FORMS.join(', ')} (got ${given.length === 0 ? 'none' : given.join(', ')})`,
      });
    else if (e.within !== undefined && e.pods === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['within'],
        message: 'within goes with pods; with eventually, write eventually.within',
      });
  })
  .describe('An expectation on the cluster, with its verdict in the run summary');

const EXPECTATION_FORMS = ['eventually', 'always', 'never', 'pods'] as const;

/**
 * Thresholds of the SLOs `ksim run` reports; by default upstream's (kubernetes/community
 * sig-scalability/slos). With enforce, an SLO missed fails the run (exit code 1).
 */
const slos = obj({
  enforce: bool.optional().describe('A missed SLO fails the run, as a failed expectation does'),
  from: duration
    .optional()
    .describe(
      "Measure from this virtual time (default 0); the cluster's start-up, while requests wait for the store's first leader, is usually left out",
    ),
  apiCallLatency: obj({
    mutating: duration.optional().describe('p99 of POST, PUT, PATCH, DELETE (default 1s)'),
    get: duration.optional().describe('p99 of single-object reads (default 1s)'),
    listNamespace: duration.optional().describe('p99 of namespace-scoped lists (default 5s)'),
    listCluster: duration.optional().describe('p99 of cluster-scoped lists (default 30s)'),
  })
    .optional()
    .describe('API call latency thresholds (p99 per verb and scope)'),
  podStartup: duration
    .optional()
    .describe('p99 of pod startup latency, image pulls excluded (default 5s)'),
  schedulingThroughput: z
    .number()
    .min(0)
    .optional()
    .describe('Least average pods bound per second, first to last binding (default: none)'),
  watchLatency: duration
    .optional()
    .describe('p99 of watch latency, commit to delivery (default: none; upstream has no SLO yet)'),
  watchLatencySample: probability
    .optional()
    .describe(
      'The share of store revisions whose watch deliveries are traced and measured (default 0.1: every 10th revision; 0: none)',
    ),
}).describe('SLO thresholds, and whether a missed SLO fails the run');

const trafficSpec = obj({
  name: str.optional(),
  from: obj({
    node: str,
    hostNetwork: bool.optional().describe('Send from the node itself instead of a pod on it'),
    namespace: str
      .optional()
      .describe("The client pod's namespace, whose search path DNS names go through (default)"),
  }),
  to: obj({
    service: str.optional().describe('namespace/name, or a name in default'),
    name: str
      .optional()
      .describe(
        'A DNS name instead of a Service (svc, svc.ns, svc.ns.svc.cluster.local, a headless pod name), resolved by cluster DNS',
      ),
    port: int
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "The Service port (default: its first); to a headless Service's pods, the port on the pod (default: the first port's target port)",
      ),
    nodePortOn: str
      .optional()
      .describe("Send to this node's address at the port's nodePort instead of the cluster IP"),
  })
    .refine((to) => (to.service === undefined) !== (to.name === undefined), {
      error: 'needs exactly one of service and name',
    })
    .refine((to) => to.nodePortOn === undefined || to.service !== undefined, {
      error: 'nodePortOn needs a service',
    }),
  rate: z.number().min(0.001).max(10_000).describe('Requests per second'),
  arrival: z.enum(['constant', 'poisson']).optional(),
  start: duration.optional(),
  stop: duration.optional(),
  timeout: duration
    .optional()
    .describe('How long the client waits for an answer before it gives up (default 5s)'),
}).describe(
  "Requests from a pod on a node (or the node) to a Service, routed by that node's kube-proxy rules",
);

/** One switch per always-on invariant (sim/invariants/names.ts), documented with it. */
const invariantSwitches = obj(
  Object.fromEntries(
    Object.entries(INVARIANT_DOCS).map(([name, doc]) => [
      name,
      bool.optional().describe(`default true: ${doc}`),
    ]),
  ),
);

/** One probability per buggify site (core/ports/buggify.ts), documented with it. */
const buggifySites = obj(
  Object.fromEntries(
    Object.entries(BUGGIFY_SITES).map(([name, doc]) => [
      name,
      probability.optional().describe(`how often it fires when reached (default 0): ${doc}`),
    ]),
  ),
);

export const scenarioSchema = obj({
  apiVersion: z.literal('ksim.io/v1alpha1'),
  kind: z.literal('Scenario'),
  metadata: obj({ name: str, description: str.optional() }),
  spec: obj({
    seed: int.min(0).optional().describe('Default root seed; ksim run --seed overrides it'),
    duration: duration.describe('Virtual time to run'),
    cluster,
    objects: z
      .array(z.unknown())
      .optional()
      .describe('Kubernetes manifests (or {file: path}) created at the start, in order'),
    actions: z.array(action).optional(),
    faultRates: z
      .array(faultRate)
      .optional()
      .describe('Faults drawn from rates by the seed, besides the timed fault actions'),
    expect: z
      .array(expectation)
      .optional()
      .describe(
        'Expectations: eventually / always / never a predicate, evaluated whenever the objects it reads change',
      ),
    slos: slos.optional(),
    invariants: invariantSwitches
      .optional()
      .describe(
        'The always-on invariants, checked during the run; a broken one fails it. `name: false` turns one off',
      ),
    buggify: buggifySites
      .optional()
      .describe(
        'Buggify sites: rare but legal paths the components take with these probabilities (off by default)',
      ),
    traffic: z.array(trafficSpec).optional(),
    dns: obj({
      propagationDelay: duration
        .optional()
        .describe(
          "How long a change to Services and EndpointSlices takes to reach DNS answers after the runner's watch sees it (default 0s)",
        ),
    })
      .optional()
      .describe('Cluster DNS as traffic generators resolve names'),
  }),
}).describe('A ksim scenario: a cluster, a workload, actions and faults, and expectations');

export type RawScenario = z.output<typeof scenarioSchema>;
export type ScenarioFault = z.output<typeof fault>;
export type FaultRate = z.output<typeof faultRate>;
export type Slos = z.output<typeof slos>;
export type Expectation = z.output<typeof expectation>;
export type TrafficSpec = z.output<typeof trafficSpec>;
export type MemberAction = z.output<typeof memberAction>;
export type LabelValue = z.output<typeof labelValue>;
export type GroupLink = z.output<typeof groupLink>;

/** The JSON Schema (2020-12) of scenario files, as `ksim schema` prints it. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >),
    title: 'ksim scenario',
  };
}
