/**
 * The framework's runners (core/scheduler/framework/framework.ts, upstream's
 * framework/runtime/framework.go) driven directly with scripted plugins: which status wins at
 * each extension point, how Skip, Wait and errors are turned into the status the cycle sees, and
 * which plugins run at all. The engine tests reach these paths only through whole scheduling
 * cycles; mutation testing (test/mutation/SCORES.md) showed their messages and corner cases
 * unobserved there.
 */
import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../core/scheduler/framework/cycle-state.ts';
import { Framework, MAX_PERMIT_TIMEOUT_US } from '../../../core/scheduler/framework/framework.ts';
import type { PodNominator } from '../../../core/scheduler/framework/handle.ts';
import {
  PreFilterResult,
  type PermitOutcome,
  type Plugin,
  type PostFilterOutcome,
} from '../../../core/scheduler/framework/interface.ts';
import type { ExplainCollector } from '../../../core/scheduler/framework/explain.ts';
import type { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { NodeToStatus } from '../../../core/scheduler/framework/node-to-status.ts';
import type { PodInfo } from '../../../core/scheduler/framework/pod-info.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import {
  EXTENSION_POINTS,
  type ExtensionPoint,
  type Registry,
  type ResolvedProfile,
} from '../../../core/scheduler/framework/profile.ts';
import { Status, type MaybeStatus } from '../../../core/scheduler/framework/status.ts';
import { SeededRandom } from '../../../sim/random.ts';
import { ManualClock, node, nodeInfo, pod } from './fixtures.ts';

/** What a scripted plugin answers; an unset answer is Success. The log records every call. */
interface Script {
  preEnqueue?: MaybeStatus;
  preFilter?: MaybeStatus | PreFilterResult;
  addPod?: MaybeStatus;
  filter?: (n: NodeInfo) => MaybeStatus;
  postFilter?: PostFilterOutcome;
  preScore?: MaybeStatus;
  score?: (n: NodeInfo) => number;
  normalize?: (scores: number[]) => MaybeStatus;
  reserve?: MaybeStatus;
  permit?: PermitOutcome;
  preBindPreFlight?: MaybeStatus;
  preBind?: MaybeStatus;
  bind?: MaybeStatus;
  events?: unknown[];
  /** Leave out the optional parts: PreFilter extensions and the PreBind preflight. */
  bare?: boolean;
  /** Score every node at once with this function instead of one by one. */
  scoreAll?: (n: NodeInfo) => number;
}

function scripted(name: string, s: Script, log: string[]): Plugin & Record<string, unknown> {
  return {
    name,
    preEnqueue: () => s.preEnqueue,
    less: () => false,
    preFilter: () => (log.push(`preFilter ${name}`), s.preFilter),
    ...(s.bare === true
      ? {}
      : {
          preFilterExtensions: {
            addPod: () => (log.push(`addPod ${name}`), s.addPod),
            removePod: () => (log.push(`removePod ${name}`), s.addPod),
          },
          preBindPreFlight: () => s.preBindPreFlight,
        }),
    filter: (_st: CycleState, _p: PodInfo, n: NodeInfo) => (
      log.push(`filter ${name} ${n.name}`),
      s.filter?.(n)
    ),
    postFilter: () => (log.push(`postFilter ${name}`), s.postFilter ?? { status: undefined }),
    preScore: () => s.preScore,
    score: (_st: CycleState, _p: PodInfo, n: NodeInfo) => s.score?.(n) ?? 0,
    ...(s.normalize === undefined
      ? {}
      : {
          normalizeScore: (_s: CycleState, _p: PodInfo, _n: NodeInfo[], sc: number[]) =>
            s.normalize!(sc),
        }),
    reserve: () => (log.push(`reserve ${name}`), s.reserve),
    unreserve: () => log.push(`unreserve ${name}`),
    permit: () => s.permit ?? { status: undefined, timeoutUs: 0 },
    preBind: () => (log.push(`preBind ${name}`), Promise.resolve(s.preBind)),
    bind: () => (log.push(`bind ${name}`), Promise.resolve(s.bind)),
    postBind: () => log.push(`postBind ${name}`),
    ...(s.events === undefined ? {} : { eventsToRegister: () => s.events }),
    ...(s.scoreAll === undefined
      ? {}
      : {
          scoreAll: (_s: CycleState, _p: PodInfo, ns: NodeInfo[], sc: number[]) =>
            ns.forEach((n, i) => (sc[i] = s.scoreAll!(n))),
        }),
  };
}

interface Built {
  fwk: Framework;
  log: string[];
  clock: ManualClock;
}

/**
 * A framework whose every extension point runs `names` in order (queueSort and bind get the
 * first only, unless given), each plugin answering from its script.
 */
function build(
  scripts: Record<string, Script>,
  opts: {
    points?: Partial<Record<ExtensionPoint, string[]>>;
    weights?: Record<string, number>;
    nominated?: PodInfo[];
  } = {},
): Built {
  const log: string[] = [];
  const names = Object.keys(scripts);
  const registry: Registry = new Map(
    names.map((n) => [
      n,
      {
        points: [...EXTENSION_POINTS],
        factory: () => (log.push(`new ${n}`), scripted(n, scripts[n]!, log)),
      },
    ]),
  );
  const points = Object.fromEntries(
    EXTENSION_POINTS.map((p) => [
      p,
      opts.points?.[p] ?? (p === 'queueSort' ? names.slice(0, 1) : names),
    ]),
  ) as Record<ExtensionPoint, string[]>;
  const profile: ResolvedProfile = {
    schedulerName: 'test-scheduler',
    percentageOfNodesToScore: 0,
    points,
    scoreWeights: new Map(Object.entries(opts.weights ?? {})),
    pluginArgs: new Map(),
  };
  const nominated = opts.nominated ?? [];
  const nominator: PodNominator & { isEmpty: boolean } = {
    isEmpty: nominated.length === 0,
    nominatedPodsForNode: () => nominated,
  } as unknown as PodNominator & { isEmpty: boolean };
  const clock = new ManualClock();
  const fwk = new Framework(profile, registry, {
    snapshot: undefined as never,
    listers: undefined as never,
    nominator,
    clock,
    random: SeededRandom.root(1),
    actions: undefined as never,
  });
  log.length = 0; // the plugins' construction is checked once, below
  return { fwk, log, clock };
}

const P = podInfoOf(pod('p', { cpu: '1' }));
const nodes = ['a', 'b', 'c'].map((n) => nodeInfo(node(n, { cpu: '4' })));
const msgOf = (s: MaybeStatus) => s && [s.code, s.message(), s.plugin];

describe('Framework construction', () => {
  it('refuses profiles without exactly one queue sort or without a bind plugin', () => {
    expect(() => build({ A: {}, B: {} }, { points: { queueSort: ['A', 'B'] } })).toThrow(
      'profile test-scheduler: exactly one queueSort plugin is required',
    );
    expect(() => build({ A: {} }, { points: { bind: [] } })).toThrow(
      'profile test-scheduler: at least one bind plugin is required',
    );
  });

  it('refuses an unregistered plugin and a plugin missing its extension point', () => {
    const bare: Registry = new Map([
      ['Sort', { points: ['queueSort'], factory: () => ({ name: 'Sort', less: () => false }) }],
      [
        'Bind',
        {
          points: ['bind'],
          factory: () => ({ name: 'Bind', bind: () => Promise.resolve(undefined) }),
        },
      ],
    ]);
    const profile = (filter: string[]): ResolvedProfile => ({
      schedulerName: 's',
      percentageOfNodesToScore: 0,
      points: {
        ...(Object.fromEntries(EXTENSION_POINTS.map((p) => [p, []])) as unknown as Record<
          ExtensionPoint,
          string[]
        >),
        queueSort: ['Sort'],
        bind: ['Bind'],
        filter,
      },
      scoreWeights: new Map(),
      pluginArgs: new Map(),
    });
    const deps = { nominator: { isEmpty: true } } as never;
    expect(() => new Framework(profile(['Nope']), bare, deps)).toThrow(
      'plugin Nope is not registered',
    );
    expect(() => new Framework(profile(['Sort']), bare, deps)).toThrow(
      'plugin Sort does not implement filter',
    );
    expect(new Framework(profile([]), bare, deps).filterPlugins).toEqual([]);
  });

  it('collects the events each plugin registers for requeueing', () => {
    const events = [{ event: { resource: 'Node', actionType: 'Add' } }];
    const { fwk } = build({ A: {}, B: { events } });
    expect([...fwk.eventsToRegister()]).toEqual([['B', events]]);
  });

  it('builds each plugin once however many points it serves, with its score weight', () => {
    const log: string[] = [];
    const entry = (n: string) => ({
      points: [...EXTENSION_POINTS],
      factory: () => (log.push(`new ${n}`), scripted(n, {}, [])),
    });
    const all = (names: string[]) =>
      Object.fromEntries(
        EXTENSION_POINTS.map((p) => [p, p === 'queueSort' ? names.slice(0, 1) : names]),
      ) as Record<ExtensionPoint, string[]>;
    const once = new Framework(
      {
        schedulerName: 's',
        percentageOfNodesToScore: 0,
        points: all(['A', 'B']),
        scoreWeights: new Map(),
        pluginArgs: new Map(),
      },
      new Map([
        ['A', entry('A')],
        ['B', entry('B')],
      ]),
      { nominator: { isEmpty: true } } as never,
    );
    expect(log).toEqual(['new A', 'new B']);
    expect(once.filterPlugins[0]).toBe(once.plugins.get('A'));
    expect(once.scorePlugins[0]!.plugin).toBe(once.plugins.get('A'));
    const { fwk } = build({ A: {}, B: {} }, { weights: { B: 3 } });
    expect([...fwk.plugins.keys()]).toEqual(['A', 'B']);
    expect(fwk.scorePlugins.map((s) => [s.plugin.name, s.weight])).toEqual([
      ['A', 1],
      ['B', 3],
    ]);
    expect(fwk.hasScorePlugins()).toBe(true);
    expect(fwk.hasPostFilterPlugins()).toBe(true);
    expect(build({ A: {} }, { points: { score: [], postFilter: [] } }).fwk.hasScorePlugins()).toBe(
      false,
    );
  });
});

describe('PreEnqueue', () => {
  it('the first plugin that does not succeed gates the pod, named', () => {
    const { fwk } = build({
      A: { preEnqueue: Status.of('Success') },
      B: { preEnqueue: Status.unresolvable('gated') },
      C: { preEnqueue: Status.unresolvable('later') },
    });
    expect(msgOf(fwk.runPreEnqueuePlugins(P))).toEqual([
      'UnschedulableAndUnresolvable',
      'gated',
      'B',
    ]);
    expect(build({ A: {} }).fwk.runPreEnqueuePlugins(P)).toBeUndefined();
  });
});

describe('PreFilter', () => {
  it('intersects the nodes plugins narrow to; Skip disables that plugin’s Filter', () => {
    const { fwk } = build({
      A: { preFilter: new PreFilterResult(new Set(['a', 'b'])) },
      B: { preFilter: Status.of('Skip') },
      C: { preFilter: new PreFilterResult(new Set(['b', 'c'])) },
    });
    const state = new CycleState();
    const out = fwk.runPreFilterPlugins(state, P);
    expect(out.status).toBeUndefined();
    expect([...out.nodeNames!]).toEqual(['b']);
    expect(out.pluginsWithNodes).toEqual(['A', 'C']);
    expect([...state.skipFilterPlugins]).toEqual(['B']);
    expect(state.activeFilters!.map((p) => p.name)).toEqual(['A', 'C']);
  });

  it.each([
    [
      'one plugin',
      { A: { preFilter: new PreFilterResult(new Set()) } },
      "node(s) didn't satisfy plugin A",
      ['A'],
    ],
    [
      'two plugins',
      {
        A: { preFilter: new PreFilterResult(new Set(['a'])) },
        B: { preFilter: new PreFilterResult(new Set(['b'])) },
      },
      "node(s) didn't satisfy plugin(s) [A B] simultaneously",
      ['A', 'B'],
    ],
  ])('an empty intersection is unresolvable (%s)', (_n, scripts, message, plugins) => {
    const out = build(scripts).fwk.runPreFilterPlugins(new CycleState(), P);
    expect(msgOf(out.status)).toEqual(['UnschedulableAndUnresolvable', message, '']);
    expect([...out.unschedulablePlugins]).toEqual(plugins);
    expect(out.nodeNames!.size).toBe(0);
  });

  it('Unschedulable keeps running the others and reports the first; unresolvable stops', () => {
    const { fwk, log } = build({
      A: { preFilter: Status.unschedulable('first') },
      B: { preFilter: Status.unschedulable('second') },
      C: { preFilter: Status.unresolvable('stop') },
      D: {},
    });
    const out = fwk.runPreFilterPlugins(new CycleState(), P);
    expect(msgOf(out.status)).toEqual(['UnschedulableAndUnresolvable', 'stop', 'C']);
    expect([...out.unschedulablePlugins]).toEqual(['C']);
    expect(log).toEqual(['preFilter A', 'preFilter B', 'preFilter C']);

    const soft = build({
      A: { preFilter: Status.unschedulable('first') },
      B: { preFilter: Status.unschedulable('second') },
    }).fwk.runPreFilterPlugins(new CycleState(), P);
    expect(msgOf(soft.status)).toEqual(['Unschedulable', 'first', 'A']);
    expect([...soft.unschedulablePlugins]).toEqual(['A', 'B']);
  });

  it('an error names the plugin and stops', () => {
    const { fwk, log } = build({ A: { preFilter: Status.error('boom') }, B: {} });
    const out = fwk.runPreFilterPlugins(new CycleState(), P);
    expect(msgOf(out.status)).toEqual(['Error', 'running PreFilter plugin "A": boom', 'A']);
    expect(log).toEqual(['preFilter A']);
  });

  it('AddPod/RemovePod run on non-skipped plugins; a failure is an error naming the plugin', () => {
    const { fwk, log } = build({ A: {}, B: { addPod: Status.unschedulable('no') }, C: {} });
    const state = new CycleState();
    state.skipFilterPlugins.add('A');
    expect(msgOf(fwk.runPreFilterExtensionAddPod(state, P, P, nodes[0]!))).toEqual([
      'Error',
      'running AddPod on PreFilter plugin "B": no',
      'B',
    ]);
    expect(msgOf(fwk.runPreFilterExtensionRemovePod(state, P, P, nodes[0]!))).toEqual([
      'Error',
      'running RemovePod on PreFilter plugin "B": no',
      'B',
    ]);
    expect(log).toEqual(['addPod B', 'removePod B']);
    const fresh = new CycleState();
    expect(build({ A: {} }).fwk.runPreFilterExtensionAddPod(fresh, P, P, nodes[0]!)).toBe(
      undefined,
    );
    expect(build({ A: {} }).fwk.runPreFilterExtensionRemovePod(fresh, P, P, nodes[0]!)).toBe(
      undefined,
    );
  });
});

describe('Filter', () => {
  it('the first rejection decides and names its plugin; an error is wrapped', () => {
    const { fwk, log } = build({
      A: {},
      B: { filter: (n) => (n.name === 'b' ? Status.unschedulable('full') : undefined) },
      C: { filter: (n) => (n.name === 'c' ? Status.error('broken') : undefined) },
    });
    const state = new CycleState();
    expect(fwk.runFilterPlugins(state, P, nodes[0]!)).toBeUndefined();
    expect(msgOf(fwk.runFilterPlugins(state, P, nodes[1]!))).toEqual([
      'Unschedulable',
      'full',
      'B',
    ]);
    expect(msgOf(fwk.runFilterPlugins(state, P, nodes[2]!))).toEqual([
      'Error',
      'running "C" filter plugin: broken',
      'C',
    ]);
    expect(log).toEqual([
      'filter A a',
      'filter B a',
      'filter C a',
      'filter A b',
      'filter B b',
      'filter A c',
      'filter B c',
      'filter C c',
    ]);
  });

  it('with nominated pods: filters with them added, then again without them', () => {
    const other = podInfoOf(pod('q', { cpu: '1' }));
    const { fwk, log } = build(
      { A: { filter: (n) => (n.pods.length > 0 ? undefined : Status.unschedulable('alone')) } },
      { nominated: [other] },
    );
    // Passes with the nominated pod, fails without it: the pod must not be placed.
    expect(msgOf(fwk.runFilterPluginsWithNominatedPods(new CycleState(), P, nodes[0]!))).toEqual([
      'Unschedulable',
      'alone',
      'A',
    ]);
    expect(log).toEqual(['addPod A', 'filter A a', 'filter A a']);
    expect(nodes[0]!.pods.length).toBe(0);
  });

  it('with nominated pods: a failure with them added is final', () => {
    const other = podInfoOf(pod('q', { cpu: '1' }));
    const { fwk, log } = build(
      { A: { filter: (n) => (n.pods.length > 0 ? Status.unschedulable('crowded') : undefined) } },
      { nominated: [other] },
    );
    expect(msgOf(fwk.runFilterPluginsWithNominatedPods(new CycleState(), P, nodes[0]!))).toEqual([
      'Unschedulable',
      'crowded',
      'A',
    ]);
    expect(log).toEqual(['addPod A', 'filter A a']);
  });

  it('nominated pods of lower priority or the pod itself are not counted', () => {
    const low = podInfoOf(pod('q', { cpu: '1', priority: -5 }));
    const { fwk, log } = build(
      { A: { filter: (n) => (n.pods.length > 0 ? Status.unschedulable('crowded') : undefined) } },
      { nominated: [low, P] },
    );
    expect(fwk.runFilterPluginsWithNominatedPods(new CycleState(), P, nodes[0]!)).toBeUndefined();
    expect(log).toEqual(['filter A a']);
  });
});

describe('PostFilter', () => {
  const nominate = { nominatedNodeName: 'b', mode: 'Override' as const };

  it('the first success ends it with its result', () => {
    const { fwk, log } = build({
      A: { postFilter: { status: Status.unschedulable('no victims') } },
      B: { postFilter: { result: nominate, status: undefined } },
      C: {},
    });
    expect(fwk.runPostFilterPlugins(new CycleState(), P, new NodeToStatus())).toEqual({
      result: nominate,
      status: undefined,
    });
    expect(log).toEqual(['postFilter A', 'postFilter B']);
  });

  it('rejections are joined and attributed to the first rejecting plugin', () => {
    const out = build({
      A: { postFilter: { status: Status.unschedulable('one') } },
      B: { postFilter: { result: nominate, status: Status.unschedulable('two', 'three') } },
    }).fwk.runPostFilterPlugins(new CycleState(), P, new NodeToStatus());
    expect(msgOf(out.status)).toEqual(['Unschedulable', 'one, two, three', 'A']);
    expect(out.result).toEqual(nominate);
  });

  it('unresolvable stops with its plugin; an error drops the result', () => {
    const unresolvable = build({
      A: { postFilter: { result: nominate, status: Status.unresolvable('never') } },
      B: {},
    }).fwk.runPostFilterPlugins(new CycleState(), P, new NodeToStatus());
    expect(msgOf(unresolvable.status)).toEqual(['UnschedulableAndUnresolvable', 'never', 'A']);
    expect(unresolvable.result).toEqual(nominate);
    const error = build({
      A: { postFilter: { result: nominate, status: Status.error('bad') } },
    }).fwk.runPostFilterPlugins(new CycleState(), P, new NodeToStatus());
    expect(error).toEqual({ status: Status.error('bad').withPlugin('A') });
  });

  it('no plugin at all is a plain Unschedulable', () => {
    const out = build({ A: {} }, { points: { postFilter: [] } }).fwk.runPostFilterPlugins(
      new CycleState(),
      P,
      new NodeToStatus(),
    );
    expect(msgOf(out.status)).toEqual(['Unschedulable', '', '']);
  });
});

describe('PreScore and Score', () => {
  it('Skip at PreScore skips that plugin’s Score; an error names the plugin', () => {
    const { fwk } = build(
      { A: { preScore: Status.of('Skip'), score: () => 50 }, B: { score: () => 7 } },
      { weights: { B: 2 } },
    );
    const state = new CycleState();
    expect(fwk.runPreScorePlugins(state, P, nodes)).toBeUndefined();
    expect([...state.skipScorePlugins]).toEqual(['A']);
    const totals = [0, 0, 0];
    expect(fwk.runScorePlugins(state, P, nodes, totals)).toBeUndefined();
    expect(totals).toEqual([14, 14, 14]);
    expect(
      msgOf(
        build({ A: { preScore: Status.unschedulable('x') } }).fwk.runPreScorePlugins(
          new CycleState(),
          P,
          nodes,
        ),
      ),
    ).toEqual(['Error', 'running PreScore plugin "A": x', 'A']);
  });

  it('normalized scores are weighted and summed per node', () => {
    const { fwk } = build(
      {
        A: {
          score: (n) => ({ a: 1, b: 2, c: 4 })[n.name]!,
          normalize: (sc) => {
            for (let i = 0; i < sc.length; i++) sc[i] = sc[i]! * 25;
            return undefined;
          },
        },
        B: { score: (n) => (n.name === 'a' ? 100 : 0) },
      },
      { weights: { A: 2 } },
    );
    const totals = [1, 1, 1];
    expect(fwk.runScorePlugins(new CycleState(), P, nodes, totals)).toBeUndefined();
    expect(totals).toEqual([1 + 50 + 100, 1 + 100, 1 + 200]);
  });

  it.each([
    [
      -1,
      'plugin "A" returns an invalid score -1, it should in the range of [0, 100] after normalizing',
    ],
    [
      101,
      'plugin "A" returns an invalid score 101, it should in the range of [0, 100] after normalizing',
    ],
    [
      2.5,
      'plugin "A" returns an invalid score 2.5, it should in the range of [0, 100] after normalizing',
    ],
  ])('a score of %s is an error', (score, message) => {
    const { fwk } = build({ A: { score: () => score } });
    expect(msgOf(fwk.runScorePlugins(new CycleState(), P, nodes, [0, 0, 0]))).toEqual([
      'Error',
      message,
      'A',
    ]);
  });

  it('scores 0 and 100 are valid', () => {
    const { fwk } = build({ A: { score: (n) => (n.name === 'a' ? 0 : 100) } });
    const totals = [0, 0, 0];
    expect(fwk.runScorePlugins(new CycleState(), P, nodes, totals)).toBeUndefined();
    expect(totals).toEqual([0, 100, 100]);
  });

  it('a failing normalization is an error naming the plugin', () => {
    const { fwk } = build({ A: { normalize: () => Status.error('nan') } });
    expect(msgOf(fwk.runScorePlugins(new CycleState(), P, nodes, [0, 0, 0]))).toEqual([
      'Error',
      'running Normalize on Score plugins: plugin "A" failed: nan',
      'A',
    ]);
  });
});

describe('Reserve, Permit, PreBind, Bind, PostBind', () => {
  it('Reserve stops at the first failure; Unreserve runs every plugin in reverse', () => {
    const { fwk, log } = build({
      A: {},
      B: { reserve: Status.unschedulable('taken') },
      C: {},
    });
    expect(msgOf(fwk.runReservePluginsReserve(new CycleState(), P, 'a'))).toEqual([
      'Unschedulable',
      'taken',
      'B',
    ]);
    fwk.runReservePluginsUnreserve(new CycleState(), P, 'a');
    expect(log).toEqual(['reserve A', 'reserve B', 'unreserve C', 'unreserve B', 'unreserve A']);
    expect(
      msgOf(
        build({ A: { reserve: Status.error('io') } }).fwk.runReservePluginsReserve(
          new CycleState(),
          P,
          'a',
        ),
      ),
    ).toEqual(['Error', 'running Reserve plugin "A": io', 'A']);
  });

  it('Permit: a rejection wins over waits; an error names the plugin', () => {
    const reject = build({
      A: { permit: { status: Status.of('Wait'), timeoutUs: 1 } },
      B: { permit: { status: Status.unschedulable('no'), timeoutUs: 0 } },
    });
    expect(msgOf(reject.fwk.runPermitPlugins(new CycleState(), P, 'a'))).toEqual([
      'Unschedulable',
      'no',
      'B',
    ]);
    expect(reject.fwk.getWaitingPod(P.key)).toBeUndefined();
    const error = build({ A: { permit: { status: Status.error('e'), timeoutUs: 0 } } });
    expect(msgOf(error.fwk.runPermitPlugins(new CycleState(), P, 'a'))).toEqual([
      'Error',
      'running Permit plugin "A": e',
      'A',
    ]);
  });

  it('Permit: waits hold the pod until every waiting plugin allows it', async () => {
    const { fwk } = build({
      A: { permit: { status: Status.of('Wait'), timeoutUs: 5_000_000 } },
      B: { permit: { status: Status.of('Wait'), timeoutUs: 9_000_000 } },
      C: {},
    });
    expect(msgOf(fwk.runPermitPlugins(new CycleState(), P, 'a'))).toEqual([
      'Wait',
      'one or more plugins asked to wait and no plugin rejected pod "p"',
      '',
    ]);
    const wp = fwk.getWaitingPod(P.key)!;
    expect(wp.pendingPlugins).toEqual(['A', 'B']);
    const done = fwk.waitOnPermit(P);
    wp.allow('A');
    wp.allow('B');
    expect(await done).toBeUndefined();
    expect(fwk.getWaitingPod(P.key)).toBeUndefined();
    expect(await fwk.waitOnPermit(P)).toBeUndefined();
  });

  it.each([
    [-5, 0],
    [MAX_PERMIT_TIMEOUT_US + 1, MAX_PERMIT_TIMEOUT_US],
  ])('Permit: a timeout of %s µs is clamped to %s', async (asked, applied) => {
    const { fwk, clock } = build({
      A: { permit: { status: Status.of('Wait'), timeoutUs: asked } },
    });
    fwk.runPermitPlugins(new CycleState(), P, 'a');
    const done = fwk.waitOnPermit(P);
    if (applied > 0) {
      clock.advance(applied - 1);
      expect(fwk.getWaitingPod(P.key)!.pendingPlugins).toEqual(['A']);
    }
    clock.advance(1);
    expect(msgOf(await done)).toEqual([
      'Unschedulable',
      `rejected due to timeout after waiting ${applied / 1_000_000}s at plugin A`,
      'A',
    ]);
  });

  it('rejecting a waiting pod names the plugin; an unknown pod is not rejected', async () => {
    const { fwk } = build({ A: { permit: { status: Status.of('Wait'), timeoutUs: 10 } } });
    expect(fwk.rejectWaitingPod(P.key, 'X', 'gone')).toBe(false);
    fwk.runPermitPlugins(new CycleState(), P, 'a');
    const done = fwk.waitOnPermit(P);
    expect(fwk.rejectWaitingPod(P.key, 'X', 'gone')).toBe(true);
    expect(msgOf(await done)).toEqual(['Unschedulable', 'gone', 'X']);
  });

  it('PreBind is needed unless every plugin’s preflight skips', () => {
    expect(
      build({ A: { preBindPreFlight: Status.of('Skip') } }).fwk.preBindNeeded(
        new CycleState(),
        P,
        'a',
      ),
    ).toBe(false);
    expect(
      build({ A: { preBindPreFlight: Status.of('Skip') }, B: {} }).fwk.preBindNeeded(
        new CycleState(),
        P,
        'a',
      ),
    ).toBe(true);
    expect(
      build({ A: {} }, { points: { preBind: [] } }).fwk.preBindNeeded(new CycleState(), P, 'a'),
    ).toBe(false);
  });

  it('PreBind: Skip and Success go on; a rejection or an error stops, named', async () => {
    const { fwk, log } = build({
      A: { preBind: Status.of('Skip') },
      B: { preBind: Status.unschedulable('volume') },
      C: {},
    });
    expect(msgOf(await fwk.runPreBindPlugins(new CycleState(), P, 'a'))).toEqual([
      'Unschedulable',
      'volume',
      'B',
    ]);
    expect(log).toEqual(['preBind A', 'preBind B']);
    const error = build({ A: { preBind: Status.error('io') } });
    expect(msgOf(await error.fwk.runPreBindPlugins(new CycleState(), P, 'a'))).toEqual([
      'Error',
      'running PreBind plugin "A": io',
      'A',
    ]);
    expect(await build({ A: {} }).fwk.runPreBindPlugins(new CycleState(), P, 'a')).toBe(undefined);
  });

  it('Bind: skipping plugins pass to the next; the first that binds ends it', async () => {
    const { fwk, log } = build({ A: { bind: Status.of('Skip') }, B: {}, C: {} });
    expect(await fwk.runBindPlugins(new CycleState(), P, 'a')).toBeUndefined();
    expect(log).toEqual(['bind A', 'bind B']);
    const allSkip = build({ A: { bind: Status.of('Skip') } });
    expect(msgOf(await allSkip.fwk.runBindPlugins(new CycleState(), P, 'a'))).toEqual([
      'Skip',
      '',
      '',
    ]);
    const rejected = build({ A: { bind: Status.unschedulable('gone') } });
    expect(msgOf(await rejected.fwk.runBindPlugins(new CycleState(), P, 'a'))).toEqual([
      'Unschedulable',
      'gone',
      'A',
    ]);
    const error = build({ A: { bind: Status.error('conflict') } });
    expect(msgOf(await error.fwk.runBindPlugins(new CycleState(), P, 'a'))).toEqual([
      'Error',
      'running Bind plugin "A": conflict',
      'A',
    ]);
  });

  it('PostBind runs every plugin in order', () => {
    const { fwk, log } = build({ A: {}, B: {} });
    fwk.runPostBindPlugins(new CycleState(), P, 'a');
    expect(log).toEqual(['postBind A', 'postBind B']);
  });
});

describe('explicit Success statuses and optional plugin parts', () => {
  const ok = Status.of('Success');

  it('a plugin answering Success (not undefined) lets every point go on', async () => {
    const { fwk, log } = build({
      A: {
        preFilter: ok,
        addPod: ok,
        filter: () => ok,
        preScore: ok,
        normalize: () => ok,
        reserve: ok,
        permit: { status: ok, timeoutUs: 0 },
        preBind: ok,
      },
      B: { postFilter: { status: Status.unschedulable('no') } },
    });
    const state = new CycleState();
    expect(fwk.runPreFilterPlugins(state, P).status).toBeUndefined();
    expect(fwk.runPreFilterExtensionAddPod(state, P, P, nodes[0]!)).toBeUndefined();
    expect(fwk.runPreFilterExtensionRemovePod(state, P, P, nodes[0]!)).toBeUndefined();
    expect(fwk.runFilterPlugins(state, P, nodes[0]!)).toBeUndefined();
    expect(fwk.runPreScorePlugins(state, P, nodes)).toBeUndefined();
    expect(fwk.runScorePlugins(state, P, nodes, [0, 0, 0])).toBeUndefined();
    expect(fwk.runReservePluginsReserve(state, P, 'a')).toBeUndefined();
    expect(fwk.runPermitPlugins(state, P, 'a')).toBeUndefined();
    expect(await fwk.runPreBindPlugins(state, P, 'a')).toBeUndefined();
    expect(log).toContain('reserve B');
    expect(log).toContain('preBind B');
    const post = build({
      A: { postFilter: { result: { nominatedNodeName: 'a', mode: 'Noop' }, status: ok } },
      B: {},
    });
    expect(post.fwk.runPostFilterPlugins(state, P, new NodeToStatus())).toEqual({
      result: { nominatedNodeName: 'a', mode: 'Noop' },
      status: undefined,
    });
    expect(post.log).toEqual(['postFilter A']);
    const bind = build({ A: { bind: ok }, B: {} });
    expect(await bind.fwk.runBindPlugins(state, P, 'a')).toBeUndefined();
    expect(bind.log).toEqual(['bind A']);
  });

  it('plugins without PreFilter extensions or a PreBind preflight are passed over', () => {
    const { fwk, log } = build({ A: { bare: true }, B: {} });
    const state = new CycleState();
    expect(fwk.runPreFilterExtensionAddPod(state, P, P, nodes[0]!)).toBeUndefined();
    expect(fwk.runPreFilterExtensionRemovePod(state, P, P, nodes[0]!)).toBeUndefined();
    expect(log).toEqual(['addPod B', 'removePod B']);
    expect(build({ A: { bare: true } }).fwk.preBindNeeded(state, P, 'a')).toBe(true);
  });

  it('a failing AddPod of a nominated pod is the filter’s answer', () => {
    const other = podInfoOf(pod('q', { cpu: '1' }));
    const { fwk, log } = build({ A: { addPod: Status.error('state') } }, { nominated: [other] });
    expect(msgOf(fwk.runFilterPluginsWithNominatedPods(new CycleState(), P, nodes[0]!))).toEqual([
      'Error',
      'running AddPod on PreFilter plugin "A": state',
      'A',
    ]);
    expect(log).toEqual(['addPod A']);
  });

  it('no PostFilter plugin: none to run', () => {
    expect(build({ A: {} }, { points: { postFilter: [] } }).fwk.hasPostFilterPlugins()).toBe(false);
  });

  it('scoreAll scores every node at once; an explain collector sees raw and normalized scores', () => {
    const seen: unknown[] = [];
    const explain = {
      preFilterResult: () => {},
      pluginScores: (name: string, weight: number, raw: number[], normalized: number[]) =>
        seen.push([name, weight, [...raw], [...normalized]]),
    } as unknown as ExplainCollector;
    const { fwk } = build(
      {
        A: {
          scoreAll: (n) => ({ a: 1, b: 2, c: 3 })[n.name]!,
          normalize: (sc) => {
            for (let i = 0; i < sc.length; i++) sc[i] = sc[i]! * 10;
            return undefined;
          },
        },
      },
      { weights: { A: 2 } },
    );
    const totals = [0, 0, 0];
    expect(fwk.runScorePlugins(new CycleState(), P, nodes, totals, explain)).toBeUndefined();
    expect(totals).toEqual([20, 40, 60]);
    expect(seen).toEqual([['A', 2, [1, 2, 3], [10, 20, 30]]]);
  });
});
