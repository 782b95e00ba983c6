import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Trace } from '../../../core/ports/trace.ts';
import {
  checkTraceLine,
  checkTraceRecord,
  parseTraceRecord,
  TRACE_DEFINITIONS,
  TRACE_GROUPS,
  TRACE_SCHEMA_VERSION,
  traceRecord,
  TraceChecker,
  type TraceRecord,
} from '../../../core/trace/index.ts';
import { Simulation } from '../../../sim/simulation.ts';
import { KSIM_VERSION } from '../../../sim/version.ts';

const header = (level: 'info' | 'debug' = 'info', schemaVersion = TRACE_SCHEMA_VERSION) =>
  JSON.stringify({
    t: 0,
    p: 'sim',
    k: 'trace.header',
    schemaVersion,
    ksimVersion: '0',
    seed: 1,
    level,
  });

const bind = {
  t: 5,
  p: 'scheduler',
  k: 'scheduler.bind',
  pod: 'default/a',
  node: 'node-1',
  attempts: 1,
  latencyUs: 1_200,
};

function problem(value: unknown): string {
  const r = checkTraceRecord(value);
  return r.ok ? 'ok' : r.problem;
}

describe('trace schema', () => {
  it('defines each kind once, in a group, with a level', () => {
    const kinds = TRACE_GROUPS.flatMap((g) => g.records.map((d) => d.kind));
    expect(new Set(kinds).size).toBe(kinds.length);
    expect([...TRACE_DEFINITIONS.keys()]).toEqual(kinds);
    expect(kinds.length).toBeGreaterThan(60);
    for (const def of TRACE_DEFINITIONS.values()) expect(['info', 'debug']).toContain(def.level);
  });

  it('refuses a definition without docs, with a reserved field or a badly named kind', () => {
    const doc = (s: z.ZodString) => s.describe('documented');
    expect(() =>
      traceRecord('a.b', { level: 'info', doc: 'x', fields: z.strictObject({ f: z.string() }) }),
    ).toThrow(/field f has no doc/);
    expect(() =>
      traceRecord('a.b', {
        level: 'info',
        doc: 'x',
        fields: z.strictObject({ t: doc(z.string()) }),
      }),
    ).toThrow(/field t is reserved/);
    expect(() =>
      traceRecord('Ab', { level: 'info', doc: 'x', fields: z.strictObject({}) }),
    ).toThrow(/not dotted kebab-case/);
    expect(() =>
      traceRecord('a.b', { level: 'info', doc: ' ', fields: z.strictObject({}) }),
    ).toThrow(/no doc/);
  });

  it('accepts a record that matches its definition, optional fields either way', () => {
    expect(problem(bind)).toBe('ok');
    const request = {
      t: 1,
      p: 'apiserver',
      k: 'api.request',
      verb: 'GET',
      path: '/api',
      code: 200,
    };
    expect(problem({ ...request, latencyUs: 3 })).toBe('ok');
    expect(problem({ ...request, latencyUs: 3, user: 'admin' })).toBe('ok');
    const crash = {
      t: 1,
      p: 'node-1',
      k: 'runtime.fault',
      fault: 'crash',
      container: 'c',
      id: 'i',
    };
    expect(problem(crash)).toBe('ok');
    expect(problem({ t: 1, p: 'sim', k: 'fault.heal' })).toBe('ok');
  });

  it('rejects unknown kinds, missing, unknown and mistyped fields, and bad envelopes', () => {
    expect(problem({ ...bind, k: 'scheduler.bound' })).toMatch(/^unknown kind scheduler.bound/);
    expect(problem({ t: 5, p: 'scheduler', k: 'scheduler.bind', pod: 'a' })).toMatch(
      /scheduler.bind does not match its definition: .*at node/,
    );
    expect(problem({ ...bind, extra: 1 })).toMatch(/Unrecognized key: "extra"/);
    expect(problem({ ...bind, node: 3 })).toMatch(/expected string.*at node/);
    expect(problem({ ...bind, t: 1.5 })).toMatch(/expected int.*at t/);
    expect(problem({ ...bind, t: -1 })).toMatch(/at t/);
    expect(problem({ ...bind, p: undefined })).toMatch(/at p/);
    expect(problem({ t: 1, p: 'n', k: 'runtime.fault', fault: 'crash', image: 'x' })).toMatch(
      /does not match/,
    );
    expect(
      problem({ t: 1, p: 'n', k: 'kubelet.pod-phase', pod: 'a', node: 'n', phase: 'Gone' }),
    ).toMatch(/at phase/);
    expect(problem([1])).toMatch(/^not an object/);
    expect(problem({ t: 1 })).toMatch(/^no kind/);
    const notJson = checkTraceLine('{"t":');
    expect(notJson.ok ? '' : notJson.problem).toMatch(/^not JSON/);
  });

  it('parses a line into a record that narrows on its kind', () => {
    const r: TraceRecord = parseTraceRecord(JSON.stringify(bind));
    expect(r.k === 'scheduler.bind' ? r.node : undefined).toBe('node-1');
    expect(() => parseTraceRecord(JSON.stringify({ ...bind, node: 1 }))).toThrow(
      /invalid trace record: scheduler.bind/,
    );
  });
});

describe('TraceChecker', () => {
  function run(lines: readonly string[]): string[] {
    const checker = new TraceChecker();
    return lines.map((l) => {
      const r = checker.line(l);
      return r.ok ? 'ok' : r.problem;
    });
  }

  it('accepts a trace that starts with its header and keeps time in order', () => {
    const later = JSON.stringify({ ...bind, t: 9 });
    const checker = new TraceChecker();
    for (const l of [header(), JSON.stringify(bind), later]) expect(checker.line(l).ok).toBe(true);
    expect([...checker.kinds]).toEqual([
      ['trace.header', 1],
      ['scheduler.bind', 2],
    ]);
  });

  it('rejects a missing or second header, another schema version, and time going back', () => {
    expect(run([JSON.stringify(bind)])[0]).toMatch(/does not start with trace.header/);
    expect(run([header('info', TRACE_SCHEMA_VERSION + 1)])[0]).toMatch(
      new RegExp(`trace schema version ${TRACE_SCHEMA_VERSION + 1}; this reader knows`),
    );
    expect(run([header(), header()])[1]).toMatch(/a second header/);
    expect(run([header(), JSON.stringify(bind), JSON.stringify({ ...bind, t: 4 })])[2]).toMatch(
      /time goes back from 5 to 4/,
    );
  });

  it('accepts debug records only in a debug-level trace', () => {
    const recv = JSON.stringify({ t: 1, p: 'a', k: 'net.recv', from: 'b', msg: 'x' });
    expect(run([header('info'), recv])[1]).toMatch(/debug record net.recv in an info-level trace/);
    expect(run([header('debug'), recv])).toEqual(['ok', 'ok']);
  });
});

describe('TraceRecorder', () => {
  it('writes the header first, also to a sink added later', async () => {
    const sim = new Simulation({ seed: 42, traceLevel: 'debug' });
    const early: string[] = [];
    sim.trace.addSink((l) => early.push(l));
    sim.trace.record('sim', 'fault.heal');
    const late: string[] = [];
    sim.trace.addSink((l) => late.push(l));
    const expected = {
      t: 0,
      p: 'sim',
      k: 'trace.header',
      schemaVersion: TRACE_SCHEMA_VERSION,
      ksimVersion: KSIM_VERSION,
      seed: 42,
      level: 'debug',
    };
    expect(early.map((l) => JSON.parse(l))).toEqual([
      expected,
      { t: 0, p: 'sim', k: 'fault.heal' },
    ]);
    expect(late.map((l) => JSON.parse(l))).toEqual([expected]);
    expect(sim.trace.records).toBe(2);
  });

  it('with checkTrace, throws at a record that does not match its definition', () => {
    const sim = new Simulation({ seed: 1, checkTrace: true });
    let trace: Trace | undefined;
    sim.spawnProcess('p', (ports) => (trace = ports.trace));
    const fields = { pod: 'a', node: 'b', attempts: 1, latencyUs: 0 };
    expect(() => trace!.emit('scheduler.bind', fields)).not.toThrow();
    const untyped = trace!.emit as (kind: string, fields?: object) => void;
    expect(() => untyped('scheduler.bind', { pod: 'a' })).toThrow(
      /trace check: scheduler.bind does not match its definition/,
    );
    expect(() => untyped('no.such-kind')).toThrow(/trace check: unknown kind no.such-kind/);
  });

  it('types emits against the schema', () => {
    // Never called: tsc checks these lines (npm test runs it), each must be a type error.
    const typeErrors = (t: Trace): void => {
      // @ts-expect-error a field is missing
      t.emit('scheduler.bind', { pod: 'a' });
      // @ts-expect-error an unknown field
      t.emit('scheduler.bind', { pod: 'a', node: 'b', attempts: 1, latencyUs: 0, extra: 1 });
      // @ts-expect-error an unknown kind
      t.emit('scheduler.bound', { pod: 'a', node: 'b' });
      // @ts-expect-error a debug kind through emit
      t.emit('net.recv', { from: 'a', msg: 'b' });
      // @ts-expect-error an info kind through debug
      t.debug('scheduler.bind', { pod: 'a', node: 'b' });
      // @ts-expect-error the header is the host's
      t.emit('trace.header', { schemaVersion: 1, ksimVersion: '', seed: 1, level: 'info' });
      // @ts-expect-error a field of another variant
      t.emit('runtime.fault', { fault: 'crash', image: 'x' });
      // @ts-expect-error fields are required when the kind has any
      t.emit('scheduler.bind');
    };
    expect(typeErrors).toBeTypeOf('function');
  });
});
