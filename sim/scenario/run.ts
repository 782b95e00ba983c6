import type { Node } from '../../core/api/node-types.ts';
import type { Pod } from '../../core/api/pod-types.ts';
import { keyOf } from '../../core/api/meta.ts';
import type { Kind, KObject } from '../../core/api/types.ts';
import type { TraceRecord } from '../../core/trace/types.ts';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import { ApiServerBalancer } from '../../core/cluster/api-balancer.ts';
import { ADMIN_IDENTITY, API_SERVER } from '../../core/cluster/identities.ts';
import { ApiClient, DEFAULT_API_CLIENT } from '../../core/client/api-client.ts';
import { Informer, type EventHandlers } from '../../core/client/informer.ts';
import { createObject, performAction, type ActionContext, type Rejection } from './actions.ts';
import { poolNodeNames, type ClusterLayout } from '../../core/cluster/assembly.ts';
import { buildCluster, SIM_HOST } from '../cluster.ts';
import { clusterSpecOf, groupMembers } from './cluster-spec.ts';
import { assert } from '../../core/util/assert.ts';
import { StoreMembers } from './membership.ts';
import { TrafficGenerator, type TrafficReport, type TrafficView } from './traffic.ts';
import { ClusterDns } from '../traffic/dns.ts';
import { Machines } from '../traffic/machines.ts';
import type { Completed } from '../traffic/outcome.ts';
import { TrafficRecorder } from '../traffic/recorder.ts';
import { TrafficWindows } from '../traffic/window.ts';
import { applyFault, type Fault, type FaultContext } from '../faults.ts';
import { LeaseLeaders } from '../lease-leaders.ts';
import {
  FIGURE_EIGHT_MAX_MSG_BYTES,
  PersistedListeners,
  startFigureEight,
} from '../store-fuzz/figure-eight.ts';
import type { MemberProbe } from '../../core/store/member/member-probe.ts';
import { drawFaults, drawnAction, type DrawnFault } from './fault-rates.ts';
import { LABEL_TOPOLOGY_ZONE } from '../../core/controllers/node-lifecycle/zone-disruption.ts';
import { ClusterInvariants, type InvariantResult } from '../invariants/cluster-invariants.ts';
import { DEFAULT_LINK, type LinkOptions } from '../network.ts';
import { Simulation } from '../simulation.ts';
import type { TraceLevel, TraceSink } from '../trace.ts';
import { ScenarioWatch, type ExpectationResult, type WhenResult } from './expectations.ts';
import type { ObjectView } from './predicates.ts';
import {
  ScenarioError,
  type Scenario,
  type ScenarioAction,
  type ScenarioFault,
} from './scenario.ts';

export interface RunOptions {
  readonly seed: number;
  readonly traceLevel?: TraceLevel;
  readonly traceSink?: TraceSink;
  /** Checks every trace record against the trace schema as it is written (slower). */
  readonly checkTrace?: boolean;
  /** Overrides spec.duration. */
  readonly durationUs?: number;
  /** Check mode (SimulationOptions.checkImmutability); default: the simulation's default. */
  readonly checkImmutability?: boolean;
  /**
   * Called every `progressEvents` events with the virtual time reached and the events run so
   * far (the CLI's progress display). The run is the same with or without it.
   */
  readonly onProgress?: (virtualUs: number, events: number) => void;
  /** Default 20,000 events: a few milliseconds of wall time on this machine. */
  readonly progressEvents?: number;
  /**
   * End the run at the first broken invariant (the fuzzers: a failing world's verdict is
   * known then, and a cluster whose store diverged may spin through events to no end).
   */
  readonly stopAtViolation?: boolean;
  /** Pods whose scheduling attempts the trace explains (SchedulerOptions.explain). */
  readonly explain?: readonly string[];
  /** Called when the run reaches its end, before the report (to read the world's final state). */
  readonly atEnd?: (world: ScenarioWorld) => void;
  /** The API server's CA bundle (`ksim serve`'s), which the root CA publisher puts in namespaces. */
  readonly rootCA?: string;
  /** Sees every finished request of the traffic generators, with its Service (for checkers). */
  readonly onRequest?: (service: string, request: Completed) => void;
  /** Sees every trace record as it is written (the SLO collector: works without a trace file). */
  readonly traceObserver?: (record: TraceRecord) => void;
}

export type { ExpectationResult, WhenResult };

/** A conditional action (`when`) and whether, and when, it fired. */
export interface ConditionalActionReport extends WhenResult {
  /** Where the action is written. */
  readonly source: string;
}

export interface PodSummary {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  readonly phase: string;
  readonly terminating: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Container restarts, summed over the pod's containers (kubectl get pods' RESTARTS). */
  readonly restarts: number;
  /** The pod's Ready condition is True. */
  readonly ready: boolean;
}

/** A node as `kubectl get nodes` shows it. */
export interface NodeSummary {
  readonly name: string;
  /** The Ready condition's status: True, False or Unknown (no status yet: Unknown). */
  readonly ready: 'True' | 'False' | 'Unknown';
  /** Cordoned: spec.unschedulable. */
  readonly unschedulable: boolean;
  /** spec.taints as `key=value:Effect`. */
  readonly taints: readonly string[];
}

export type { Rejection };

export interface RunReport {
  readonly scenario: string;
  readonly seed: number;
  readonly virtualTimeUs: number;
  readonly events: number;
  readonly traceRecords: number;
  readonly traceHash: string;
  readonly pods: readonly PodSummary[];
  /** The cluster's nodes at the end, as last observed (planned nodes that never registered: Unknown). */
  readonly nodes: readonly NodeSummary[];
  /** What the API server refused for good: objects, applies and other actions. */
  readonly rejections: readonly Rejection[];
  readonly expectations: readonly ExpectationResult[];
  /** The actions with `when`, in the scenario's order: when each fired, or that it never did. */
  readonly conditionalActions: readonly ConditionalActionReport[];
  /** Every always-on invariant (sim/invariants): on or off, and how often it was broken. */
  readonly invariants: readonly InvariantResult[];
  /** Per spec.traffic generator: requests, successes, errors by kind, successes per backend. */
  readonly traffic: readonly TrafficReport[];
  /** The same per Service (generators to one Service added up), sorted by Service. */
  readonly services: readonly TrafficReport[];
  /** The faults spec.faultRates drew for this seed, as timed fault actions (YAML lines). */
  readonly drawnFaults: readonly string[];
  readonly passed: boolean;
}

const RUNNER = 'ksim-runner';
/** How long a figure-8 fault unfolds when the scenario does not say. */
const FIGURE_EIGHT_DEFAULT_US = 30_000_000;
/** One revision in ten: enough samples for a p99 in a short run, a few records per ten writes. */
export const DEFAULT_WATCH_LATENCY_SAMPLE = 0.1;

function linkFrom(
  base: LinkOptions,
  spec: {
    latency?: { min: number; max: number };
    lossProbability?: number;
    duplicateProbability?: number;
  },
): LinkOptions {
  return {
    latency:
      spec.latency === undefined
        ? base.latency
        : { kind: 'uniform', minUs: spec.latency.min, maxUs: spec.latency.max },
    lossProbability: spec.lossProbability ?? base.lossProbability,
    duplicateProbability: spec.duplicateProbability ?? base.duplicateProbability,
  };
}

export function toFault(
  f: ScenarioFault,
  currentLink: LinkOptions,
  cluster: Scenario['spec']['cluster'],
): Fault {
  switch (f.kind) {
    case 'crash': {
      const restart = f.restartAfter === undefined ? {} : { restartAfterUs: f.restartAfter };
      if (f.leaderOf !== undefined)
        return { kind: 'crash-lease-leader', lease: f.leaderOf, ...restart };
      return { kind: 'crash', process: f.process as string, ...restart };
    }
    case 'zone-outage': {
      const label = f.label ?? LABEL_TOPOLOGY_ZONE;
      const processes = groupMembers(cluster, `${label}=${f.zone}`);
      assert(typeof processes !== 'string', `checked at load: ${String(processes)}`);
      return {
        kind: 'zone-outage',
        label,
        zone: f.zone,
        processes,
        ...(f.duration === undefined ? {} : { durationUs: f.duration }),
      };
    }
    case 'clog':
      return { kind: 'clog', process: f.process, durationUs: f.duration };
    case 'link':
      return {
        kind: 'link',
        link: linkFrom(currentLink, f),
        ...(f.from === undefined ? {} : { from: f.from }),
        ...(f.to === undefined ? {} : { to: f.to }),
      };
    case 'disk-faults':
      return {
        kind: 'disk-faults',
        process: f.process,
        tornWriteProbability: f.tornWriteProbability ?? 0,
        readErrorProbability: f.readErrorProbability ?? 0,
      };
    case 'clock-jump':
      return { kind: 'clock-jump', process: f.process, deltaUs: f.backwards ? -f.by : f.by };
    case 'figure-8':
      return {
        kind: 'figure-8',
        clients: f.clients ?? [],
        durationUs: f.duration ?? FIGURE_EIGHT_DEFAULT_US,
      };
    default:
      return f as Fault;
  }
}

/** Builds the world a scenario describes, runs it to its end and reports what happened. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunReport> {
  const world = startScenario(scenario, options);
  const onProgress = options.onProgress;
  const stop = options.stopAtViolation === true ? { stopWhen: () => world.violated() } : {};
  if (onProgress === undefined) await world.sim.run({ untilUs: world.durationUs, ...stop });
  else {
    // Stopping after a number of events and carrying on runs the same events in the same order.
    while (
      (
        await world.sim.run({
          untilUs: world.durationUs,
          maxEvents: options.progressEvents ?? 20_000,
          ...stop,
        })
      ).reason === 'max-events'
    )
      onProgress(world.sim.now, world.sim.loop.eventsProcessed);
  }
  options.atEnd?.(world);
  return world.finish();
}

/** A scenario's world, built and started: run it as far as you like, then `finish`. */
export interface ScenarioWorld {
  readonly sim: Simulation;
  readonly layout: ClusterLayout;
  /** spec.duration, or the run's override. */
  readonly durationUs: number;
  /** Whether an always-on invariant has broken so far. */
  violated(): boolean;
  /** Records the expectations' verdicts in the trace and reports the run so far. */
  finish(): RunReport;
}

/**
 * Builds the world a scenario describes and schedules its objects, actions and expectation
 * checks; nothing has run yet. `ksim run` runs it to the scenario's end, `ksim serve` paces it
 * to the wall clock until it is stopped.
 */
export function startScenario(scenario: Scenario, options: RunOptions): ScenarioWorld {
  const spec = scenario.spec;
  const link = linkFrom(DEFAULT_LINK, spec.cluster.network ?? {});
  const sim = new Simulation({
    seed: options.seed,
    traceLevel: options.traceLevel ?? 'info',
    checkTrace: options.checkTrace ?? false,
    network: { retransmitUs: 200_000, connectTimeoutUs: 1_000_000, link },
    ...(spec.buggify === undefined ? {} : { buggify: spec.buggify }),
    ...(options.checkImmutability === undefined
      ? {}
      : { checkImmutability: options.checkImmutability }),
  });
  if (options.traceSink !== undefined) sim.trace.addSink(options.traceSink);
  if (options.traceObserver !== undefined) sim.trace.observe(options.traceObserver);
  sim.trace.watchSampleEvery = watchSampleEvery(spec.slos?.watchLatencySample);
  const clusterSpec = clusterSpecOf(spec.cluster);
  const invariants = new ClusterInvariants(sim, {
    enabled: spec.invariants ?? {},
    nodes: clusterSpec.nodePools.flatMap(poolNodeNames),
    storeReportsCommits: clusterSpec.store.inMemory !== true,
  });
  const storeClient = invariants.storeClient;
  const persisted = new PersistedListeners();
  const storeProbe = tapPersisted(watchCommits(sim, invariants.probe), persisted);
  const storeTuning = {
    ...clusterSpec.store.tuning,
    ...(hasFigureEight(spec) ? { maxSizePerMsgBytes: FIGURE_EIGHT_MAX_MSG_BYTES } : {}),
  };
  const layout = buildCluster(sim, {
    ...clusterSpec,
    store: { ...clusterSpec.store, tuning: storeTuning, probe: storeProbe },
    ...(storeClient === undefined ? {} : { apiServer: { ...clusterSpec.apiServer, storeClient } }),
    ...(options.explain === undefined ? {} : { scheduler: { explain: options.explain } }),
    ...(options.rootCA === undefined ? {} : { controllerManager: { rootCA: options.rootCA } }),
  });
  setGroupLinks(sim, spec.cluster, link);
  const members = new StoreMembers(sim, spec.cluster.store?.members ?? 1, {
    ...storeTuning,
    probe: storeProbe,
  });
  checkProcessNames(scenario, sim);
  checkTrafficNodes(scenario, layout.nodes);
  const generators: TrafficGenerator[] = [];
  const windows = new TrafficWindows(sim);
  const recorder = new TrafficRecorder(windows, options.onRequest);
  const durationUs = options.durationUs ?? spec.duration;
  const leaders = new LeaseLeaders(sim);
  const faultContext: FaultContext = {
    leaseLeader: (lease) => leaders.leaderOf(lease),
    figureEight: (clients, untilUs) =>
      startFigureEight(sim, members, persisted, clients, untilUs, 'next-append'),
  };
  const drawn = scheduleDrawnFaults(sim, scenario, durationUs, link, faultContext);
  const rejections: Rejection[] = [];
  // The runner's informers by kind: pods and nodes always (the summary), the kinds predicates read.
  const informers = new Map<string, Informer<Kind>>();
  const view: ObjectView = {
    get: (kind, key) => informers.get(kind)?.get(key),
    list: (kind) => informers.get(kind)?.list() ?? [],
  };
  const watch = new ScenarioWatch({
    view,
    now: () => sim.now,
    at: (t, fn) => sim.at(Math.max(t, sim.now), fn),
    soon: (fn) => sim.at(sim.now, fn),
    synced: () => [...informers.values()].every((i) => i.hasSynced),
  });
  for (const e of spec.expect ?? []) watch.expect(e);
  const conditional = spec.actions.filter((a) => a.when !== undefined);

  sim.spawnProcess(RUNNER, (ports) => {
    // With several API servers the runner, like every client, goes through the load balancer.
    const transport =
      layout.apiServers.length > 1
        ? new ApiServerBalancer(ports.transport, API_SERVER, layout.apiServers)
        : ports.transport;
    const api = new ApiClient(
      transport,
      layout.apiServers.length > 1 ? API_SERVER : layout.apiServer,
      {
        ...DEFAULT_API_CLIENT,
        credential: issueClientCredential(SIM_HOST.signer, ADMIN_IDENTITY),
      },
    );
    const changeMembership = async (c: ActionContext, a: ScenarioAction): Promise<void> => {
      const change = a.membership;
      if (change === undefined) return;
      const refused = await members.change(c.ports, change);
      if (refused === undefined) return;
      const name = change.kind === 'replace' ? change.by.address : change.peer.address;
      c.reject({
        action: `member ${change.kind}`,
        target: `store member ${name}`,
        source: a.source,
        status: 0,
        message: refused,
      });
    };
    const ctx: ActionContext = {
      api,
      ports,
      reject: (r) => rejections.push({ atUs: sim.now, ...r }),
    };
    ports.spawn(async () => {
      for (const manifest of spec.objects) await createObject(ctx, manifest);
    });
    const perform = (action: ScenarioAction): void =>
      ports.spawn(async () => {
        if (action.fault !== undefined)
          return applyFault(sim, toFault(action.fault, link, spec.cluster), faultContext);
        if (action.membership !== undefined) return changeMembership(ctx, action);
        return performAction(ctx, action);
      });
    for (const action of spec.actions) {
      if (action.when === undefined) {
        sim.at(action.at ?? 0, () => perform(action));
        continue;
      }
      watch.when(action.when, action.at ?? action.after ?? 0, () => {
        sim.trace.record(RUNNER, 'runner.condition-met', { action: action.source });
        perform(action);
      });
    }
    // The runner observes the cluster like any client: through informers, on pods and nodes
    // and on the kinds its predicates read, whose changes it passes to the watch.
    for (const kind of ['Pod', 'Node', ...watch.kinds()]) {
      if (informers.has(kind)) continue;
      const informer = new Informer(ports, api, kind as Kind);
      informer.addEventHandler(watchFeed(kind, watch));
      informers.set(kind, informer);
      informer.start();
    }
    watch.start();
    if ((spec.traffic ?? []).length > 0) {
      const services = new Informer(ports, api, 'Service');
      services.start();
      const slices = new Informer(ports, api, 'EndpointSlice');
      const delayUs = spec.dns?.propagationDelay ?? 0;
      const dns = new ClusterDns((fn) => sim.at(sim.now + delayUs, fn));
      services.addEventHandler(dnsFeed((k, s) => dns.service(k, s)));
      slices.addEventHandler(dnsFeed((k, s) => dns.slice(k, s)));
      slices.start();
      const trafficView: TrafficView = {
        service: (namespace, name) => services.get(`${namespace}/${name}`),
        dns,
      };
      const machines = new Machines(sim, layout.nodes);
      windows.start(durationUs);
      (spec.traffic ?? []).forEach((t, i) => {
        const g = new TrafficGenerator(
          sim,
          t,
          i,
          ports.random.fork(`traffic-${i}`),
          trafficView,
          machines,
          recorder,
        );
        generators.push(g);
        g.start(durationUs);
      });
    }
  });

  const finish = (): RunReport => {
    if (generators.length > 0) windows.flush();
    const expectations = watch.results();
    const verdicts = invariants.finish();
    for (const e of expectations) {
      sim.trace.record(RUNNER, 'runner.verdict', {
        name: e.name,
        passed: e.passed,
        ...(e.metAtUs === undefined ? {} : { metAtUs: e.metAtUs }),
        ...(e.violatedAtUs === undefined ? {} : { violatedAtUs: e.violatedAtUs }),
        ...(e.objects === undefined ? {} : { objects: [...e.objects] }),
        ...(e.disabled === true ? { disabled: true } : {}),
        detail: e.detail,
      });
    }
    const conditionalActions = watch
      .whenResults()
      .map((w, i) => ({ source: conditional[i]?.source ?? '', ...w }));
    const pods = informers.get('Pod');
    const nodes = informers.get('Node');
    return {
      scenario: scenario.metadata.name,
      seed: options.seed,
      virtualTimeUs: sim.now,
      events: sim.loop.eventsProcessed,
      traceRecords: sim.trace.records,
      traceHash: sim.trace.digest(),
      pods: ((pods?.list() ?? []) as Pod[]).map(summarize),
      nodes:
        nodes?.hasSynced === true
          ? nodeSummaries(layout.nodes, nodes.list() as Node[])
          : layout.nodes.map(unknownNode),
      rejections: [...rejections],
      expectations,
      conditionalActions,
      invariants: verdicts,
      traffic: generators.map((g) => g.report()),
      services: recorder.reports(),
      drawnFaults: drawn,
      passed: expectations.every((e) => e.passed) && verdicts.every((v) => v.violations === 0),
    };
  };
  return { sim, layout, durationUs, finish, violated: () => !invariants.ok };
}

/**
 * spec.cluster.network.between: the link of every pair of processes across (or within) two
 * groups, both ways, over the default link; a later entry wins.
 */
function setGroupLinks(
  sim: Simulation,
  cluster: Scenario['spec']['cluster'],
  base: LinkOptions,
): void {
  for (const between of cluster.network?.between ?? []) {
    const link = linkFrom(base, between);
    const [a = [], b = []] = between.groups.map((g) => {
      const members = groupMembers(cluster, g);
      assert(typeof members !== 'string', `checked at load: ${String(members)}`);
      return members;
    });
    for (const from of a) {
      for (const to of b) {
        if (from === to) continue;
        sim.network.setLink(from, to, link);
        sim.network.setLink(to, from, link);
      }
    }
  }
}

/** Every how many revisions watch latency is sampled; 0 for none. */
export function watchSampleEvery(fraction = DEFAULT_WATCH_LATENCY_SAMPLE): number {
  return fraction <= 0 ? 0 : Math.max(1, Math.round(1 / fraction));
}

/**
 * The store members' probe, also recording when each sampled revision is committed: the first
 * time any member applies the entry that made it (watch.committed), where watch latency starts.
 */
function watchCommits(sim: Simulation, probe: MemberProbe): MemberProbe {
  let last = 0;
  return {
    ...probe,
    applied: (member, entry, revision, term) => {
      probe.applied(member, entry, revision, term);
      if (revision <= last) return;
      last = revision;
      const every = sim.trace.watchSampleEvery;
      if (every > 0 && revision % every === 0)
        sim.trace.record('sim', 'watch.committed', { revision });
    },
  };
}

/** A scenario with a figure-8 fault: its store's members send one entry per append. */
function hasFigureEight(spec: Scenario['spec']): boolean {
  return spec.actions.some((a) => a.fault?.kind === 'figure-8');
}

/** The probe, also telling `tap` of every persisted append (the Figure 8 shape follows them). */
function tapPersisted(probe: MemberProbe, tap: PersistedListeners): MemberProbe {
  return {
    ...probe,
    persisted: (member, entries, prevTerm) => {
      probe.persisted(member, entries, prevTerm);
      tap.persisted(member, entries);
    },
  };
}

/**
 * Draws spec.faultRates' faults from the seed, records each in the trace at the start as the
 * explicit action that reproduces it, and schedules it; the actions, as YAML lines.
 */
function scheduleDrawnFaults(
  sim: Simulation,
  scenario: Scenario,
  durationUs: number,
  link: LinkOptions,
  context: FaultContext,
): string[] {
  const spec = scenario.spec;
  let drawn: DrawnFault[];
  try {
    drawn = drawFaults(
      spec.faultRates ?? [],
      sim.random.fork('fault-rates'),
      durationUs,
      spec.cluster,
    );
  } catch (e) {
    throw new ScenarioError(scenario.metadata.name, [(e as Error).message]);
  }
  return drawn.map((d) => {
    const action = drawnAction(d);
    sim.trace.record('sim', 'fault.drawn', { rule: d.rule, atUs: d.atUs, action });
    sim.at(d.atUs, () => applyFault(sim, toFault(d.fault, link, spec.cluster), context));
    return action;
  });
}

/** Informer handlers that pass every change of a kind to the scenario's watch. */
function watchFeed(kind: string, watch: ScenarioWatch): EventHandlers<KObject> {
  return {
    onAdd: (o) => watch.change(kind, keyOf(o), undefined, o),
    onUpdate: (old, o) => watch.change(kind, keyOf(o), old, o),
    onDelete: (o) => watch.change(kind, keyOf(o), o, undefined),
  };
}

/** Informer handlers that pass every change, keyed namespace/name, to cluster DNS. */
function dnsFeed<T extends { metadata: { namespace?: string; name?: string } }>(
  change: (key: string, obj: T | undefined) => void,
): EventHandlers<T> {
  const key = (o: T): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  return {
    onAdd: (o) => change(key(o), o),
    onUpdate: (_, o) => change(key(o), o),
    onDelete: (o) => change(key(o), undefined),
  };
}

/** Traffic from or to a node the cluster does not have is a scenario error. */
function checkTrafficNodes(scenario: Scenario, nodes: readonly string[]): void {
  const problems: string[] = [];
  (scenario.spec.traffic ?? []).forEach((t, i) => {
    for (const [field, n] of [
      ['from.node', t.from.node],
      ['to.nodePortOn', t.to.nodePortOn],
    ] as const) {
      if (n !== undefined && !nodes.includes(n))
        problems.push(
          `spec.traffic[${i}].${field}: no node named ${JSON.stringify(n)} (nodes: ${nodes.join(', ')})`,
        );
    }
  });
  if (problems.length > 0) throw new ScenarioError(scenario.metadata.name, problems);
}

/** A fault that names a process the cluster does not have is a scenario error, not a crash. */
function checkProcessNames(scenario: Scenario, sim: Simulation): void {
  const known = new Set(sim.processNames());
  known.add(RUNNER);
  // Store members a membership change starts during the run.
  for (const a of scenario.spec.actions) {
    const m = a.membership;
    if (m?.kind === 'add') known.add(m.peer.address);
    if (m?.kind === 'replace') known.add(m.by.address);
  }
  const problems: string[] = [];
  (scenario.spec.actions ?? []).forEach((a, i) => {
    if (a.fault === undefined) return;
    const f = a.fault as Record<string, unknown>;
    const names = [
      f.process,
      f.from,
      f.to,
      ...((f.groups as string[][] | undefined) ?? []).flat(),
      ...((f.clients as string[] | undefined) ?? []),
    ].filter((n) => typeof n === 'string');
    for (const n of names as string[]) {
      if (!known.has(n))
        problems.push(
          `spec.actions[${i}].fault: no process named ${JSON.stringify(n)} (processes: ${[...known].sort().join(', ')})`,
        );
    }
  });
  if (problems.length > 0) throw new ScenarioError(scenario.metadata.name, problems);
}

function summarize(p: Pod): PodSummary {
  return {
    name: p.metadata.name ?? '',
    namespace: p.metadata.namespace ?? '',
    node: p.spec.nodeName ?? '',
    phase: p.status?.phase ?? 'Pending',
    terminating: p.metadata.deletionTimestamp !== undefined,
    labels: p.metadata.labels ?? {},
    restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  };
}

function unknownNode(name: string): NodeSummary {
  return { name, ready: 'Unknown', unschedulable: false, taints: [] };
}

/** The planned nodes in their order, then any other Node objects by name. */
function nodeSummaries(planned: readonly string[], observed: readonly Node[]): NodeSummary[] {
  const byName = new Map(observed.map((n) => [n.metadata.name ?? '', n]));
  const others = [...byName.keys()].filter((n) => !planned.includes(n)).sort();
  return [...planned, ...others].map((name) => {
    const n = byName.get(name);
    if (n === undefined) return unknownNode(name);
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    return {
      name,
      ready: ready === 'True' || ready === 'False' ? ready : 'Unknown',
      unschedulable: n.spec?.unschedulable === true,
      taints: (n.spec?.taints ?? []).map(
        (t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`,
      ),
    };
  });
}

export type { ClusterLayout };
