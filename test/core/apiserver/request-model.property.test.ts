/**
 * The API server against a sequential model (issue 9's property): random sequences of create,
 * update, patch (merge, strategic merge, JSON patch), delete and deletecollection, with
 * current, stale, made-up and absent resourceVersions, give the answers the model predicts and
 * leave the same objects; a watcher started first sees every change once and in order; and
 * concurrent writers that do not retry never lose a write silently (a 409 instead).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WatchFrame } from '../../../core/api/http.ts';
import type { PatchContentType } from '../../../core/api/http.ts';
import type { KList } from '../../../core/api/meta-types.ts';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import type { ApiClient, ApiResult } from '../../../core/client/api-client.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';

const CMS = '/api/v1/namespaces/default/configmaps';
const NAMES = ['a', 'b', 'c'] as const;
const GROUPS = ['x', 'y'] as const;

type RvChoice = 'current' | 'stale' | 'none' | 'future';

type Command =
  | { readonly op: 'create'; readonly name: string; readonly group: string; readonly value: string }
  | { readonly op: 'update'; readonly name: string; readonly value: string; readonly rv: RvChoice }
  | {
      readonly op: 'patch';
      readonly name: string;
      readonly value: string;
      readonly type: 'merge' | 'smp' | 'json';
      readonly rv: RvChoice;
    }
  | { readonly op: 'delete'; readonly name: string; readonly rv: RvChoice }
  | { readonly op: 'deletecollection'; readonly group: string };

const name = fc.constantFrom(...NAMES);
const group = fc.constantFrom(...GROUPS);
const value = fc.constantFrom('0', '1', '2', '3');
const rv = fc.constantFrom<RvChoice>('current', 'stale', 'none', 'future');

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), name, group, value }),
  fc.record({ op: fc.constant('update' as const), name, value, rv }),
  fc.record({
    op: fc.constant('patch' as const),
    name,
    value,
    type: fc.constantFrom('merge' as const, 'smp' as const, 'json' as const),
    rv,
  }),
  fc.record({ op: fc.constant('delete' as const), name, rv }),
  fc.record({ op: fc.constant('deletecollection' as const), group }),
);

interface Entry {
  readonly group: string;
  readonly value: string;
  readonly rv: string;
}

/** What the model expects a watcher to see: the type, the name, and the version where known. */
interface Change {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly name: string;
  readonly rv: string | undefined;
}

class Model {
  readonly objects = new Map<string, Entry>();
  /** Every version each name has had, for stale choices. */
  readonly history = new Map<string, string[]>();
  readonly changes: Change[] = [];
  lastRv = 0;

  /** The resourceVersion a command sends for `name`, or undefined for none. */
  versionFor(n: string, choice: RvChoice): string | undefined {
    const current = this.objects.get(n)?.rv;
    switch (choice) {
      case 'none':
        return undefined;
      case 'current':
        return current ?? '1';
      case 'future':
        return String(this.lastRv + 1000);
      case 'stale':
        return (this.history.get(n) ?? []).find((v) => v !== current) ?? '1';
    }
  }

  /** The status the command should get, given the version it sends. */
  expect(cmd: Command, sent: string | undefined): number {
    if (cmd.op === 'deletecollection') return 200;
    const current = this.objects.get(cmd.name);
    if (cmd.op === 'create') return current === undefined ? 201 : 409;
    if (current === undefined) return 404;
    return sent === undefined || sent === current.rv ? 200 : 409;
  }

  wrote(n: string, entry: Entry | undefined, type: Change['type'], rv: string | undefined): void {
    if (entry === undefined) this.objects.delete(n);
    else this.objects.set(n, entry);
    if (rv !== undefined) this.history.set(n, [...(this.history.get(n) ?? []), rv]);
    this.changes.push({ type, name: n, rv });
  }
}

const cm = (n: string, g: string, v: string, rv?: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: n, labels: { g }, ...(rv === undefined ? {} : { resourceVersion: rv }) },
  data: { v },
});

const CONTENT: Record<'merge' | 'smp' | 'json', PatchContentType> = {
  merge: 'application/merge-patch+json',
  smp: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

function patchBody(type: 'merge' | 'smp' | 'json', v: string, sent: string | undefined): unknown {
  if (type === 'json') {
    return [
      ...(sent === undefined
        ? []
        : [{ op: 'replace', path: '/metadata/resourceVersion', value: sent }]),
      { op: 'replace', path: '/data/v', value: v },
    ];
  }
  return { ...(sent === undefined ? {} : { metadata: { resourceVersion: sent } }), data: { v } };
}

/** Runs `cmd` against the server and the model; fails the property where they disagree. */
async function step(api: ApiClient, model: Model, cmd: Command): Promise<void> {
  const sent =
    cmd.op === 'update' || cmd.op === 'patch' || cmd.op === 'delete'
      ? model.versionFor(cmd.name, cmd.rv)
      : undefined;
  const want = model.expect(cmd, sent);
  let r: ApiResult<unknown>;
  switch (cmd.op) {
    case 'create':
      r = await api.request('POST', CMS, { body: cm(cmd.name, cmd.group, cmd.value) });
      break;
    case 'update': {
      const group = model.objects.get(cmd.name)?.group ?? 'x';
      r = await api.request('PUT', `${CMS}/${cmd.name}`, {
        body: cm(cmd.name, group, cmd.value, sent),
      });
      break;
    }
    case 'patch':
      r = await api.request('PATCH', `${CMS}/${cmd.name}`, {
        body: patchBody(cmd.type, cmd.value, sent),
        contentType: CONTENT[cmd.type],
      });
      break;
    case 'delete':
      r = await api.request('DELETE', `${CMS}/${cmd.name}`, {
        body: sent === undefined ? {} : { preconditions: { resourceVersion: sent } },
      });
      break;
    case 'deletecollection':
      r = await api.request('DELETE', CMS, { query: { labelSelector: `g=${cmd.group}` } });
      break;
  }
  expect({ cmd, sent, status: r.status }).toEqual({ cmd, sent, status: want });
  if (!r.ok) return;
  if (cmd.op === 'deletecollection') {
    for (const n of [...model.objects.keys()].sort()) {
      if (model.objects.get(n)?.group === cmd.group)
        model.wrote(n, undefined, 'DELETED', undefined);
    }
    return;
  }
  const obj = r.value as ConfigMap;
  const objRv = obj.metadata.resourceVersion ?? '';
  expect(Number(objRv)).toBeGreaterThan(model.lastRv);
  model.lastRv = Number(objRv);
  if (cmd.op === 'delete') return model.wrote(cmd.name, undefined, 'DELETED', objRv);
  const g = cmd.op === 'create' ? cmd.group : (model.objects.get(cmd.name)?.group ?? '');
  const entry = { group: g, value: cmd.op === 'create' ? cmd.value : cmd.value, rv: objRv };
  expect({ value: obj.data?.v, group: obj.metadata.labels?.g }).toEqual({
    value: entry.value,
    group: g,
  });
  model.wrote(cmd.name, entry, cmd.op === 'create' ? 'ADDED' : 'MODIFIED', objRv);
}

async function stored(api: ApiClient): Promise<Map<string, Entry>> {
  const r = await api.request<KList<ConfigMap>>('GET', CMS);
  if (!r.ok) throw new Error(`list failed: ${r.status}`);
  return new Map(
    r.value.items.map((o) => [
      o.metadata.name ?? '',
      {
        group: o.metadata.labels?.g ?? '',
        value: o.data?.v ?? '',
        rv: o.metadata.resourceVersion ?? '',
      },
    ]),
  );
}

describe('request semantics against a sequential model', () => {
  it('answers, objects and watch events agree with the model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 25 }),
        fc.nat(1000),
        async (cmds, seed) => {
          const sim = controlPlane({ seed });
          await runScript(sim, async (api, ports) => {
            const model = new Model();
            const start = await api.request<KList<ConfigMap>>('GET', CMS);
            const frames: WatchFrame[] = [];
            const stream = api.watch(
              'ConfigMap',
              'default',
              { resourceVersion: start.ok ? (start.value.metadata.resourceVersion ?? '') : '' },
              { onFrame: (f) => frames.push(f), onClose: () => undefined },
            );
            for (const cmd of cmds) {
              await step(api, model, cmd);
              expect(await stored(api)).toEqual(model.objects);
            }
            await ports.clock.sleep(2_000_000);
            stream.close();
            const seen = frames
              .filter((f) => f.type !== 'BOOKMARK')
              .map((f) => {
                const o = f.object as ConfigMap;
                return {
                  type: f.type,
                  name: o.metadata.name ?? '',
                  rv: o.metadata.resourceVersion,
                };
              });
            expect(seen.map(({ type, name: n }) => ({ type, name: n }))).toEqual(
              model.changes.map(({ type, name: n }) => ({ type, name: n })),
            );
            const versions = seen.map((s) => Number(s.rv));
            expect(versions).toEqual([...versions].sort((a, b) => a - b));
            expect(new Set(versions).size).toBe(versions.length);
            model.changes.forEach((c, i) => {
              if (c.rv !== undefined) expect(seen[i]?.rv).toBe(c.rv);
            });
          });
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('concurrent writers without retries never lose a write: each one lands or gets a 409', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 10 }), fc.nat(1000), async (writers, seed) => {
        const sim = controlPlane({ seed });
        await runScript(sim, async (api) => {
          const created = await api.request<ConfigMap>('POST', CMS, { body: cm('n', 'x', '0') });
          expect(created.ok).toBe(true);
          // Read-modify-write of a counter pinned to the version read, and an unpinned patch
          // that adds the writer's own key: the first may conflict, the second never.
          const outcomes = await Promise.all(
            Array.from({ length: writers }, async (_, i) => {
              const read = await api.request<ConfigMap>('GET', `${CMS}/n`);
              if (!read.ok) throw new Error('read failed');
              const count = Number(read.value.data?.v ?? '0');
              const put = await api.request('PUT', `${CMS}/n`, {
                body: { ...read.value, data: { ...read.value.data, v: String(count + 1) } },
              });
              expect([200, 409]).toContain(put.status);
              const patch = await api.request('PATCH', `${CMS}/n`, {
                body: { metadata: { labels: { [`w${i}`]: 'y' } } },
              });
              expect(patch.status).toBe(200);
              return put.status === 200;
            }),
          );
          const final = await api.request<ConfigMap>('GET', `${CMS}/n`);
          if (!final.ok) throw new Error('read failed');
          const landed = outcomes.filter((x) => x).length;
          expect(landed).toBeGreaterThan(0);
          expect(Number(final.value.data?.v)).toBe(landed);
          for (let i = 0; i < writers; i++)
            expect(final.value.metadata.labels?.[`w${i}`]).toBe('y');
        });
      }),
      { numRuns: 30 },
    );
  }, 120_000);

  // Regressions the properties found.

  it('a watch from the version of a list sees a write made between the two (a watch cache starts at the version of its first watch)', async () => {
    await runScript(controlPlane({ seed: 8 }), async (api, ports) => {
      const list = await api.request<KList<ConfigMap>>('GET', CMS);
      if (!list.ok) throw new Error('list failed');
      const frames: WatchFrame[] = [];
      api.watch(
        'ConfigMap',
        'default',
        { resourceVersion: list.value.metadata.resourceVersion ?? '' },
        { onFrame: (f) => frames.push(f), onClose: () => undefined },
      );
      expect((await api.request('POST', CMS, { body: cm('a', 'x', '0') })).status).toBe(201);
      await ports.clock.sleep(1_000_000);
      expect(frames.map((f) => f.type)).toEqual(['ADDED']);
    });
  });

  it('eight concurrent unpinned patches of one object all land (no 409 from internal retries)', async () => {
    await runScript(controlPlane({ seed: 384 }), async (api) => {
      expect((await api.request('POST', CMS, { body: cm('n', 'x', '0') })).status).toBe(201);
      const statuses = await Promise.all(
        Array.from(
          { length: 8 },
          async (_, i) =>
            (await api.request('PATCH', `${CMS}/n`, { body: { data: { [`k${i}`]: 'v' } } })).status,
        ),
      );
      expect(statuses).toEqual(Array(8).fill(200));
    });
  });
});
