/**
 * Store membership changes in scenario files: planned at load against the members the store
 * will have at each change, and made during the run as etcdctl would, with the members the
 * changes add started as joining members.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../core/trace/types.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const FILE = 'scenarios/store-membership.yaml';
const text = readFileSync(FILE, 'utf8');

function problems(t: string): string[] {
  try {
    parseScenario(t, 'test.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

/** The example with its member actions replaced by `actions` (YAML flow lines). */
const withActions = (...actions: string[]): string =>
  text.replace(
    /  actions:\n(    - .*\n)+/,
    `  actions:\n${actions.map((a) => `    - ${a}\n`).join('')}`,
  );

describe('store membership changes in scenario files', () => {
  it('resolves Raft ids in the order the changes run', () => {
    const scenario = parseScenario(text, FILE);
    const changes = scenario.spec.actions.flatMap((a) =>
      a.membership === undefined ? [] : [a.membership],
    );
    expect(changes).toEqual([
      { kind: 'add', peer: { id: 4, address: 'etcd-3' }, learner: true },
      { kind: 'promote', peer: { id: 4, address: 'etcd-3' } },
      { kind: 'remove', peer: { id: 1, address: 'etcd-0' } },
      {
        kind: 'replace',
        peer: { id: 2, address: 'etcd-1' },
        by: { id: 5, address: 'etcd-4' },
      },
    ]);
  });

  it('refuses changes the store will not be able to make, naming the action', () => {
    const got = problems(
      withActions(
        '{ at: 10s, member: { kind: promote, name: etcd-1 } }',
        '{ at: 20s, member: { kind: remove, name: etcd-0 } }',
        '{ at: 30s, member: { kind: remove, name: etcd-0 } }',
        '{ at: 40s, member: { kind: add, name: node-1 } }',
        '{ at: 50s, member: { kind: replace, name: etcd-1, by: etcd-0 } }',
      ),
    ).join('\n');
    expect(got).toMatch(/spec\.actions\[0\]\.member: etcd-1 is not a learner then/);
    expect(got).toMatch(
      /spec\.actions\[2\]\.member: no store member named "etcd-0" then \(members: etcd-1, etcd-2\)/,
    );
    expect(got).toMatch(/spec\.actions\[3\]\.member: "node-1" is taken by another process/);
    expect(got).toMatch(/spec\.actions\[4\]\.member: "etcd-0" is taken by another process/);

    expect(problems(withActions('{ at: 60s, member: { kind: grow } }'))).toEqual([
      expect.stringMatching(
        /spec\.actions\[0\]\.member\.kind: expected one of add, promote, remove, replace, got "grow"/,
      ),
    ]);
    expect(
      problems(
        withActions('{ at: 10s, member: { kind: add, name: etcd-1 } }').replace(
          'store: { members: 3 }',
          'store: { inMemory: true }',
        ),
      ),
    ).toEqual([expect.stringMatching(/an in-memory store has no members to change/)]);
  });

  it('faults may name a member a change adds', () => {
    expect(
      problems(
        withActions(
          '{ at: 10s, member: { kind: add, name: etcd-7 } }',
          '{ at: 30s, fault: { kind: crash, process: etcd-7 } }',
        ),
      ),
    ).toEqual([]);
  });

  it('the example changes every member but one while the cluster keeps serving', async () => {
    const records: (TraceRecord & Record<string, unknown>)[] = [];
    const report = await runScenario(parseScenario(text, FILE), {
      seed: 1,
      traceSink: (line) => {
        if (line !== '') records.push(JSON.parse(line));
      },
    });
    expect(report.expectations.filter((e) => !e.passed)).toEqual([]);
    expect(report.rejections).toEqual([]);
    // The added members started empty and caught up from the leader.
    const joined = records.filter((r) => r.k === 'store.member.start' && r.t > 0 && r.id > 3);
    expect(joined.map((r) => [r.p, r.id])).toEqual([
      ['etcd-3', 4],
      ['etcd-4', 5],
    ]);
    // Every remaining member ends with voters 3, 4, 5 and no learners.
    const last = new Map<string, unknown>();
    for (const r of records)
      if (r.k === 'store.member.conf-change') last.set(r.p, [r.voters, r.learners]);
    for (const m of ['etcd-2', 'etcd-3', 'etcd-4']) expect(last.get(m), m).toEqual([[3, 4, 5], []]);
    // As etcd-2 applied them before its crash at 100s (it applies them again at its restart).
    const changes = records
      .filter((r) => r.k === 'store.member.conf-change' && r.p === 'etcd-2' && r.t < 100_000_000)
      .map((r) => `${r.change} ${r.member}`);
    expect(changes).toEqual([
      'add-learner 4',
      'add-voter 4',
      'remove 1',
      'add-voter 5',
      'remove 2',
    ]);
  });
});
