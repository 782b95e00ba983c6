/**
 * The API server against a sequential model (issue 9's property): random sequences of create,
 * update, patch (merge, strategic merge, JSON patch), delete and deletecollection, with
 * current, stale, made-up and absent resourceVersions, give the answers the model predicts and
 * leave the same objects; watchers started first and midway see every change (since they
 * started) once and in order; and concurrent writers that do not retry never lose a write
 * silently (a 409 instead). The model runs over ConfigMaps, and over a custom resource served
 * in two versions converted by a conversion webhook, with CEL rules, each request through
 * either version.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WatchFrame } from '../../../core/api/http.ts';
import type { PatchContentType } from '../../../core/api/http.ts';
import type { KList } from '../../../core/api/meta-types.ts';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import type { CustomResourceDefinition } from '../../../core/api/kinds/custom-resource-definition.ts';
import {
  ConversionHooks,
  type CustomObject,
} from '../../../core/api/custom-resources/conversion.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { ApiClient, ApiResult } from '../../../core/client/api-client.ts';
import { controlPlane, runScript, type ControlPlaneOptions } from '../../support/cluster.ts';
import { establish } from './custom-resource-fixtures.ts';

const CMS = '/api/v1/namespaces/default/configmaps';
const NAMES = ['a', 'b', 'c'] as const;
const GROUPS = ['x', 'y'] as const;

type RvChoice = 'current' | 'stale' | 'none' | 'future';

type PatchType = 'merge' | 'smp' | 'json';

/** `via`: which served version the request goes through (targets with one serve it twice). */
type Command = { readonly via: 0 | 1 } & (
  | { readonly op: 'create'; readonly name: string; readonly group: string; readonly value: string }
  | { readonly op: 'update'; readonly name: string; readonly value: string; readonly rv: RvChoice }
  | {
      readonly op: 'patch';
      readonly name: string;
      readonly value: string;
      readonly type: PatchType;
      readonly rv: RvChoice;
    }
  | { readonly op: 'delete'; readonly name: string; readonly rv: RvChoice }
  | { readonly op: 'deletecollection'; readonly group: string }
);

const name = fc.constantFrom(...NAMES);
const group = fc.constantFrom(...GROUPS);
const value = fc.constantFrom('0', '1', '2', '3');
const rv = fc.constantFrom<RvChoice>('current', 'stale', 'none', 'future');

const via = fc.constantFrom<0 | 1>(0, 1);

function commands(patchTypes: readonly PatchType[]): fc.Arbitrary<Command> {
  return fc.oneof(
    fc.record({ op: fc.constant('create' as const), name, group, value, via }),
    fc.record({ op: fc.constant('update' as const), name, value, rv, via }),
    fc.record({
      op: fc.constant('patch' as const),
      name,
      value,
      type: fc.constantFrom(...patchTypes),
      rv,
      via,
    }),
    fc.record({ op: fc.constant('delete' as const), name, rv, via }),
    fc.record({ op: fc.constant('deletecollection' as const), group, via }),
  );
}

/** An object as the model reads it, in whichever version it was served. */
interface Seen {
  readonly name: string;
  readonly group: string;
  readonly value: string | undefined;
  readonly rv: string;
}

/** What the model's commands are sent to: a collection served in one or two versions. */
interface Target {
  readonly title: string;
  readonly options: ControlPlaneOptions;
  readonly patchTypes: readonly PatchType[];
  /** A PUT without resourceVersion is accepted (AllowUnconditionalUpdate). */
  readonly unconditionalUpdate: boolean;
  setup(api: ApiClient): Promise<void>;
  collection(via: 0 | 1): string;
  object(via: 0 | 1, n: string, g: string, v: string, rv?: string): unknown;
  /** The path of the value in a JSON patch and its place in a merge patch. */
  patchBody(via: 0 | 1, type: PatchType, v: string, sent: string | undefined): unknown;
  read(obj: unknown): Seen;
}

function seen(obj: unknown, value: (o: Record<string, unknown>) => unknown): Seen {
  const o = obj as {
    metadata: { name?: string; labels?: Record<string, string>; resourceVersion?: string };
  };
  const v = value(obj as Record<string, unknown>);
  return {
    name: o.metadata.name ?? '',
    group: o.metadata.labels?.g ?? '',
    value: typeof v === 'string' ? v : undefined,
    rv: o.metadata.resourceVersion ?? '',
  };
}

function rvPatch(sent: string | undefined, op: unknown): unknown[] {
  return [
    ...(sent === undefined
      ? []
      : [{ op: 'replace', path: '/metadata/resourceVersion', value: sent }]),
    op,
  ];
}

const CONFIG_MAPS: Target = {
  title: 'ConfigMaps',
  options: {},
  patchTypes: ['merge', 'smp', 'json'],
  unconditionalUpdate: true,
  setup: async () => undefined,
  collection: () => CMS,
  object: (_via, n, g, v, rv) => cm(n, g, v, rv),
  patchBody: (_via, type, v, sent) => patchBody(type, v, sent),
  read: (obj) => seen(obj, (o) => (o.data as Record<string, unknown> | undefined)?.v),
};

/** The custom resource's versions: v1 (stored) keeps the value in spec.v, v2 in spec.value. */
const FIELD = ['v', 'value'] as const;

function thingsCrd(): CustomResourceDefinition {
  const version = (i: 0 | 1) => ({
    name: `v${i + 1}`,
    served: true,
    storage: i === 0,
    schema: {
      openAPIV3Schema: {
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: { [FIELD[i]]: { type: 'string' } },
            'x-kubernetes-validations': [
              { rule: `self.${FIELD[i]}.size() == 1`, message: 'one character' },
              { rule: `self.${FIELD[i]}.size() == oldSelf.${FIELD[i]}.size()` },
            ],
          },
        },
      },
    },
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'things.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'things', kind: 'Thing' },
      versions: [version(0), version(1)],
      conversion: {
        strategy: 'Webhook',
        webhook: {
          clientConfig: { service: { namespace: 'default', name: 'things' } },
          conversionReviewVersions: ['v1'],
        },
      },
    },
  } as CustomResourceDefinition;
}

function thingHooks(): ConversionHooks {
  const hooks = new ConversionHooks();
  hooks.install({
    name: 'default/things',
    convert: (req) => ({
      result: { status: 'Success' },
      convertedObjects: req.objects.map((o) => {
        const spec = (o as { spec?: Record<string, unknown> }).spec ?? {};
        const value = spec.v ?? spec.value;
        const to = req.desiredAPIVersion === 'example.com/v1' ? 0 : 1;
        return {
          ...o,
          apiVersion: req.desiredAPIVersion,
          spec: value === undefined ? {} : { [FIELD[to]]: value },
        } as CustomObject;
      }),
    }),
  });
  return hooks;
}

const THINGS: Target = {
  title: 'a custom resource in two versions converted by a webhook, with CEL rules',
  options: { apiServer: { conversionHooks: thingHooks() } },
  patchTypes: ['merge', 'json'],
  unconditionalUpdate: false,
  setup: async (api) => {
    await establish(api, thingsCrd());
  },
  collection: (via) => `/apis/example.com/v${via + 1}/namespaces/default/things`,
  object: (via, n, g, v, rv) => ({
    apiVersion: `example.com/v${via + 1}`,
    kind: 'Thing',
    metadata: { name: n, labels: { g }, ...(rv === undefined ? {} : { resourceVersion: rv }) },
    spec: { [FIELD[via]]: v },
  }),
  patchBody: (via, type, v, sent) =>
    type === 'json'
      ? rvPatch(sent, { op: 'replace', path: `/spec/${FIELD[via]}`, value: v })
      : {
          ...(sent === undefined ? {} : { metadata: { resourceVersion: sent } }),
          spec: { [FIELD[via]]: v },
        },
  read: (obj) =>
    seen(obj, (o) => {
      const spec = o.spec as Record<string, unknown> | undefined;
      return spec?.v ?? spec?.value;
    }),
};

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
  expect(cmd: Command, sent: string | undefined, unconditionalUpdate: boolean): number {
    if (cmd.op === 'deletecollection') return 200;
    const current = this.objects.get(cmd.name);
    if (cmd.op === 'create') return current === undefined ? 201 : 409;
    if (current === undefined) return 404;
    if (cmd.op === 'update' && sent === undefined && !unconditionalUpdate) return 422;
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
async function step(api: ApiClient, model: Model, cmd: Command, t: Target): Promise<void> {
  const at = t.collection(cmd.via);
  const sent =
    cmd.op === 'update' || cmd.op === 'patch' || cmd.op === 'delete'
      ? model.versionFor(cmd.name, cmd.rv)
      : undefined;
  const want = model.expect(cmd, sent, t.unconditionalUpdate);
  let r: ApiResult<unknown>;
  switch (cmd.op) {
    case 'create':
      r = await api.request('POST', at, {
        body: t.object(cmd.via, cmd.name, cmd.group, cmd.value),
      });
      break;
    case 'update': {
      const group = model.objects.get(cmd.name)?.group ?? 'x';
      r = await api.request('PUT', `${at}/${cmd.name}`, {
        body: t.object(cmd.via, cmd.name, group, cmd.value, sent),
      });
      break;
    }
    case 'patch':
      r = await api.request('PATCH', `${at}/${cmd.name}`, {
        body: t.patchBody(cmd.via, cmd.type, cmd.value, sent),
        contentType: CONTENT[cmd.type],
      });
      break;
    case 'delete':
      r = await api.request('DELETE', `${at}/${cmd.name}`, {
        body: sent === undefined ? {} : { preconditions: { resourceVersion: sent } },
      });
      break;
    case 'deletecollection':
      r = await api.request('DELETE', at, { query: { labelSelector: `g=${cmd.group}` } });
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
  const obj = t.read(r.value);
  const objRv = obj.rv;
  expect(Number(objRv)).toBeGreaterThan(model.lastRv);
  model.lastRv = Number(objRv);
  if (cmd.op === 'delete') return model.wrote(cmd.name, undefined, 'DELETED', objRv);
  const g = cmd.op === 'create' ? cmd.group : (model.objects.get(cmd.name)?.group ?? '');
  const entry = { group: g, value: cmd.op === 'create' ? cmd.value : cmd.value, rv: objRv };
  expect({ value: obj.value, group: obj.group }).toEqual({
    value: entry.value,
    group: g,
  });
  model.wrote(cmd.name, entry, cmd.op === 'create' ? 'ADDED' : 'MODIFIED', objRv);
}

async function stored(api: ApiClient, t: Target, via: 0 | 1): Promise<Map<string, Entry>> {
  const r = await api.request<KList<unknown>>('GET', t.collection(via));
  if (!r.ok) throw new Error(`list failed: ${r.status}`);
  return new Map(
    r.value.items.map((o) => {
      const s = t.read(o);
      return [s.name, { group: s.group, value: s.value ?? '', rv: s.rv }];
    }),
  );
}

/** A watch of the collection through `via` from `resourceVersion`, collecting its events. */
function watch(ports: ProcessPorts, t: Target, via: 0 | 1, resourceVersion: string): WatchFrame[] {
  const frames: WatchFrame[] = [];
  ports.transport.openStream(
    API_PROTOCOL,
    API_SERVER,
    {
      kind: 'http',
      method: 'GET',
      path: t.collection(via),
      query: { watch: 'true', resourceVersion },
    },
    { onMessage: (f) => frames.push(f as WatchFrame), onClose: () => undefined },
  );
  return frames;
}

/** A watcher saw exactly `changes`, once each, in order of increasing resourceVersion. */
function expectSaw(frames: readonly WatchFrame[], changes: readonly Change[], t: Target): void {
  const saw = frames
    .filter((f) => f.type !== 'BOOKMARK')
    .map((f) => ({ type: f.type, ...t.read(f.object) }));
  expect(saw.map(({ type, name: n }) => ({ type, name: n }))).toEqual(
    changes.map(({ type, name: n }) => ({ type, name: n })),
  );
  const versions = saw.map((s) => Number(s.rv));
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
  expect(new Set(versions).size).toBe(versions.length);
  changes.forEach((c, i) => {
    if (c.rv !== undefined) expect(saw[i]?.rv).toBe(c.rv);
  });
}

/** Runs of the model property per target (about 2 s for ConfigMaps, 8 s for the custom resource at load 12). */
const MODEL_RUNS = 60;

describe.each([CONFIG_MAPS, THINGS])('request semantics against a sequential model: %s', (t) => {
  it(`answers, objects and every watcher's events agree with the model (${MODEL_RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commands(t.patchTypes), { minLength: 1, maxLength: 25 }),
        fc.nat(1000),
        async (cmds, seed) => {
          const sim = controlPlane({ seed, ...t.options });
          await runScript(sim, async (api, ports) => {
            await t.setup(api);
            const model = new Model();
            const start = await api.request<KList<unknown>>('GET', t.collection(0));
            const startRv = start.ok ? (start.value.metadata.resourceVersion ?? '') : '';
            const first = [watch(ports, t, 0, startRv), watch(ports, t, 1, startRv)];
            let later: { frames: WatchFrame[]; from: number } | undefined;
            for (const [i, cmd] of cmds.entries()) {
              if (i === Math.floor(cmds.length / 2)) {
                const list = await api.request<KList<unknown>>('GET', t.collection(1));
                const rv = list.ok ? (list.value.metadata.resourceVersion ?? '') : '';
                later = { frames: watch(ports, t, 1, rv), from: model.changes.length };
              }
              await step(api, model, cmd, t);
              expect(await stored(api, t, cmd.via)).toEqual(model.objects);
            }
            await ports.clock.sleep(2_000_000);
            for (const frames of first) expectSaw(frames, model.changes, t);
            if (later !== undefined) expectSaw(later.frames, model.changes.slice(later.from), t);
          });
        },
      ),
      { numRuns: MODEL_RUNS },
    );
  }, 120_000);
});

describe('request semantics against a sequential model', () => {
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

  it('a PUT without resourceVersion of a missing custom resource is a 404, not a 422 (store.go reads first)', async () => {
    await runScript(controlPlane({ seed: 1, ...THINGS.options }), async (api) => {
      await THINGS.setup(api);
      const r = await api.request('PUT', `${THINGS.collection(0)}/a`, {
        body: THINGS.object(0, 'a', 'x', '0'),
      });
      expect(r.status).toBe(404);
      const created = await api.request('POST', THINGS.collection(0), {
        body: THINGS.object(0, 'a', 'x', '0'),
      });
      expect(created.status).toBe(201);
      const unpinned = await api.request('PUT', `${THINGS.collection(0)}/a`, {
        body: THINGS.object(0, 'a', 'x', '1'),
      });
      expect(unpinned.status).toBe(422);
    });
  });
});
