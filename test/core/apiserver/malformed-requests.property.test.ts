/**
 * Bad input (issue 9): malformed requests of every sort — bodies that are not objects, wrong
 * kinds and types, unknown resources and fields, names and labels too long or ill-formed,
 * invalid selectors, patches and content types, query options out of range — each get a Status
 * error with a client-error code, never a success and never a crash, and the store is left
 * exactly as it was (its revision does not move). 100 runs of 100 requests: 10,000 requests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse } from '../../../core/api/http.ts';
import type { KList } from '../../../core/api/meta-types.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok, pod, send } from './fixtures.ts';

const RUNS = 100;
const REQUESTS_PER_RUN = 100;

const CMS = '/api/v1/namespaces/default/configmaps';
const PODS = '/api/v1/namespaces/default/pods';
const TARGET = `${CMS}/target`;

type Request = Omit<ApiRequest, 'kind'>;

const configMap = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data: { k: 'v' },
  ...extra,
});

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,12}$/);
const anyText = fc.string({ maxLength: 40 });
const jsonValue = fc.jsonValue({ maxDepth: 2 });

/** Bodies that cannot be an object of any kind (JSON has no NaN or Infinity: seed -41837728). */
const notAnObject = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(jsonValue, { maxLength: 3 }),
);

/** A name no DNS subdomain can be: an upper-case letter, a bad character, or too long. */
const badName = fc.oneof(
  word.map((w) => `${w}X`),
  word.map((w) => `${w}_${w}`),
  word.map((w) => `-${w}`),
  word.map((w) => `${w} ${w}`),
  fc.integer({ min: 254, max: 2_000 }).map((n) => 'a'.repeat(n)),
);

/** A label that upstream's validation refuses: a value over 63 characters or a bad key. */
const badLabels = fc.oneof(
  fc.integer({ min: 64, max: 1_000 }).map((n) => ({ app: 'v'.repeat(n) })),
  word.map((w) => ({ [`${w}/${w}/${w}`]: 'x' })),
  word.map((w) => ({ [`${w}!`]: 'x' })),
  word.map((w) => ({ app: `${w} ${w}` })),
);

/** Label selectors that do not parse. */
const badLabelSelector = fc.oneof(
  fc.constantFrom('app in (', 'app notin', '==x', 'a=b=c', '!', 'app in (a,,b', 'x,', '!=x'),
  word.map((w) => `${w} in ${w}`),
  word.map((w) => `${w}=(${w})`),
);

/** A malformed request, built to be refused whatever the draw. */
const malformed: fc.Arbitrary<Request> = fc.oneof(
  // Bodies that are not objects, on create, update and every patch type.
  notAnObject.map((body) => ({ method: 'POST' as const, path: CMS, body })),
  notAnObject.map((body) => ({ method: 'PUT' as const, path: TARGET, body })),
  notAnObject
    .filter((b) => !Array.isArray(b))
    .map((body) => ({
      method: 'PATCH' as const,
      path: TARGET,
      body,
      contentType: 'application/json-patch+json',
    })),
  notAnObject.map((body) => ({
    method: 'PATCH' as const,
    path: TARGET,
    body,
    contentType: 'application/merge-patch+json',
  })),
  // The wrong kind or apiVersion for the path.
  word
    .filter((k) => k !== 'ConfigMap')
    .map((kind) => ({ method: 'POST' as const, path: CMS, body: { ...configMap('x'), kind } })),
  word.map((v) => ({
    method: 'POST' as const,
    path: CMS,
    body: { ...configMap('x'), apiVersion: `${v}/v9` },
  })),
  // Wrong types where upstream's decoder wants strings, maps and lists.
  fc
    .oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }))
    .map((v) => ({ method: 'POST' as const, path: CMS, body: configMap('typed', { data: v }) })),
  fc.oneof(fc.integer(), fc.constant('x')).map((v) => ({
    method: 'POST' as const,
    path: PODS,
    body: { ...pod('typed'), spec: { containers: v } },
  })),
  fc.oneof(fc.integer(), fc.constant(true)).map((v) => ({
    method: 'POST' as const,
    path: CMS,
    body: { ...configMap('typed'), metadata: v },
  })),
  // Names and labels.
  badName.map((name) => ({ method: 'POST' as const, path: CMS, body: configMap(name) })),
  badLabels.map((labels) => ({
    method: 'POST' as const,
    path: CMS,
    body: { ...configMap('labelled'), metadata: { name: 'labelled', labels } },
  })),
  badLabels.map((labels) => ({
    method: 'PATCH' as const,
    path: TARGET,
    body: { metadata: { labels } },
    contentType: 'application/merge-patch+json',
  })),
  // Unknown resources and groups.
  word.map((r) => ({ method: 'GET' as const, path: `/api/v1/namespaces/default/${r}zz` })),
  fc.tuple(word, word).map(([g, r]) => ({
    method: 'POST' as const,
    path: `/apis/${g}.example.com/v1/${r}`,
    body: {},
  })),
  word.map((v) => ({ method: 'GET' as const, path: `/apis/apps/${v}9/deployments` })),
  // Unknown fields under strict validation.
  word.map((f) => ({
    method: 'POST' as const,
    path: CMS,
    body: configMap('strict', { [`zz${f}`]: 1 }),
    query: { fieldValidation: 'Strict' },
  })),
  // Selectors.
  badLabelSelector.map((labelSelector) => ({
    method: 'GET' as const,
    path: CMS,
    query: { labelSelector },
  })),
  badLabelSelector.map((labelSelector) => ({
    method: 'DELETE' as const,
    path: CMS,
    query: { labelSelector },
  })),
  word.map((f) => ({
    method: 'GET' as const,
    path: PODS,
    query: { fieldSelector: `spec.${f}zz=x` },
  })),
  // Patches: unknown content types, ill-formed and failing JSON patches.
  anyText
    .filter((t) => !t.startsWith('application/'))
    .map((contentType) => ({
      method: 'PATCH' as const,
      path: TARGET,
      body: { data: { k: 'changed' } },
      contentType,
    })),
  word.map((op) => ({
    method: 'PATCH' as const,
    path: TARGET,
    body: [{ op: `${op}zz`, path: '/data/k', value: 'x' }],
    contentType: 'application/json-patch+json',
  })),
  word.map((p) => ({
    method: 'PATCH' as const,
    path: TARGET,
    body: [{ op: 'remove', path: `/data/${p}zz` }],
    contentType: 'application/json-patch+json',
  })),
  word.map((v) => ({
    method: 'PATCH' as const,
    path: TARGET,
    body: [
      { op: 'test', path: '/data/k', value: `${v}zz` },
      { op: 'replace', path: '/data/k', value: 'changed' },
    ],
    contentType: 'application/json-patch+json',
  })),
  fc.constant({
    method: 'PATCH' as const,
    path: TARGET,
    body: { metadata: { name: 'renamed' } },
    contentType: 'application/merge-patch+json',
  }),
  fc.constant({
    method: 'PATCH' as const,
    path: TARGET,
    body: { data: { k: 'x' } },
    contentType: 'application/apply-patch+yaml',
  }),
  // Query options out of range.
  word.map((v) => ({ method: 'GET' as const, path: CMS, query: { resourceVersion: `${v}x` } })),
  // (A negative limit is no limit upstream, so not malformed; a limit that is no number is.)
  word.map((v) => ({ method: 'GET' as const, path: CMS, query: { limit: `${v}x` } })),
  word.map((v) => ({ method: 'GET' as const, path: CMS, query: { continue: `${v}==` } })),
  word.map((v) => ({
    method: 'POST' as const,
    path: CMS,
    body: configMap('dry'),
    query: { dryRun: `${v}x` },
  })),
  word.map((v) => ({
    method: 'DELETE' as const,
    path: TARGET,
    query: { propagationPolicy: `${v}x` },
  })),
  word.map((v) => ({
    method: 'DELETE' as const,
    path: TARGET,
    query: { gracePeriodSeconds: `${v}x` },
  })),
  word.map((v) => ({
    method: 'PUT' as const,
    path: TARGET,
    body: { ...configMap('target'), metadata: { name: 'target', resourceVersion: `${v}x` } },
  })),
  // A name on the path that differs from the body's, and a namespace that differs.
  word.map((n) => ({ method: 'PUT' as const, path: TARGET, body: configMap(`${n}-other`) })),
  word.map((ns) => ({
    method: 'POST' as const,
    path: CMS,
    body: { ...configMap('elsewhere'), metadata: { name: 'elsewhere', namespace: `${ns}-ns` } },
  })),
);

const CLIENT_ERRORS = new Set([400, 404, 405, 406, 409, 410, 413, 415, 422]);

/** The store's current revision, as a list of an unchanging collection reports it. */
async function storeRevision(ports: ProcessPorts): Promise<string> {
  const r = await send(ports, { method: 'GET', path: '/api/v1/namespaces' });
  return (r.body as KList<unknown>).metadata.resourceVersion ?? '';
}

function problemWith(req: Request, res: ApiResponse): string | undefined {
  const status = res.body as { kind?: unknown; code?: unknown; status?: unknown };
  const what = `${req.method} ${req.path} ${JSON.stringify(req.query ?? {})}`;
  if (!CLIENT_ERRORS.has(res.status)) return `${what}: answered ${res.status}`;
  if (status.kind !== 'Status' || status.code !== res.status || status.status !== 'Failure')
    return `${what}: ${res.status} without a Failure Status body`;
  return undefined;
}

describe('malformed requests', () => {
  it(`each get a Status error and leave the store alone (${RUNS * REQUESTS_PER_RUN} requests)`, async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(malformed, { minLength: REQUESTS_PER_RUN, maxLength: REQUESTS_PER_RUN }),
        async (requests) => {
          const problems: string[] = [];
          await runScript(controlPlane(), async (api, ports) => {
            ok(await api.create(configMap('target') as never));
            ok(await api.create(pod('p')));
            const before = await storeRevision(ports);
            for (const req of requests) {
              const problem = problemWith(req, await send(ports, req));
              if (problem !== undefined) problems.push(problem);
              sent++;
            }
            const after = await storeRevision(ports);
            if (after !== before) problems.push(`the store moved from ${before} to ${after}`);
          });
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThanOrEqual(RUNS * REQUESTS_PER_RUN);
  });

  it('the check itself sees a write and a success', async () => {
    await runScript(controlPlane(), async (api, ports) => {
      ok(await api.create(configMap('target') as never));
      const before = await storeRevision(ports);
      const res = await send(ports, { method: 'POST', path: CMS, body: configMap('fine') });
      expect(problemWith({ method: 'POST', path: CMS }, res)).toBe(
        'POST /api/v1/namespaces/default/configmaps {}: answered 201',
      );
      expect(await storeRevision(ports)).not.toBe(before);
    });
  });
});

describe('members of the wrong JSON type', () => {
  it('are refused with the decoder’s 400 as upstream words it (the first bug the fuzz found: a crash)', async () => {
    await runScript(controlPlane(), async (_api, ports) => {
      const message = async (path: string, body: unknown): Promise<unknown> => {
        const r = await send(ports, { method: 'POST', path, body });
        expect(r.status).toBe(400);
        return (r.body as { message?: unknown }).message;
      };
      expect(await message(PODS, { ...pod('p'), spec: { containers: 'x' } })).toBe(
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container',
      );
      expect(
        await message(CMS, { ...configMap('c'), metadata: { name: 'c', labels: { a: 5 } } }),
      ).toBe(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
      );
      expect(
        await message(PODS, {
          ...pod('p'),
          spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: '80' }] }] },
        }),
      ).toBe(
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type number',
      );
      // IntOrString takes either; null is Go's zero value.
      const fine = await send(ports, {
        method: 'POST',
        path: PODS,
        body: {
          ...pod('q'),
          spec: {
            containers: [{ name: 'c', image: 'i', readinessProbe: { httpGet: { port: 'http' } } }],
            nodeSelector: null,
          },
        },
      });
      expect(fine.status).toBe(201);
    });
  });
});
