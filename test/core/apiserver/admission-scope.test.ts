/**
 * Admission plugins that act on some resources only say so (`resources`), and the chain calls
 * them for no other: a ConfigMap write, the API server benchmark's, meets the plugins that can
 * act on any resource and none of the Pod and claim plugins. Skipping changes no answer: every
 * plugin the chain would skip, called directly on any built-in resource, admits at once and
 * leaves the object as it is.
 */
import { describe, expect, it } from 'vitest';
import * as errors from '../../../core/api/errors.ts';
import { RESOURCES } from '../../../core/api/resources.ts';
import type { ResourceInfo } from '../../../core/api/resources.ts';
import type { KObject } from '../../../core/api/types.ts';
import type {
  AdmissionAttributes,
  AdmissionPlugin,
  GroupVersionResource,
  Operation,
} from '../../../core/apiserver/admission/attributes.ts';
import { AdmissionChain } from '../../../core/apiserver/admission/chain.ts';
import { AdmissionHooks } from '../../../core/apiserver/admission/hooks.ts';
import type { ObjectLookups } from '../../../core/apiserver/admission/lookups.ts';
import { admissionPlugins } from '../../../core/apiserver/admission/plugins.ts';
import { userInfo } from '../../../core/apiserver/authn/user.ts';
import { pod } from './fixtures.ts';

const NAMESPACE = 'app';

/** Every namespace exists and is active, with its default ServiceAccount; nothing else exists. */
const lookups: ObjectLookups = {
  get: (kind, _namespace, name) => Promise.resolve(errors.notFound(kind.toLowerCase(), name)),
  list: () => Promise.resolve([]),
  cached: (kind, namespace, name) => {
    if (kind === 'Namespace') {
      return { apiVersion: 'v1', kind, metadata: { name }, status: { phase: 'Active' } } as never;
    }
    if (kind === 'ServiceAccount' && name === 'default') {
      return { apiVersion: 'v1', kind, metadata: { name, namespace } } as never;
    }
    return undefined;
  },
  cachedList: () => [],
};

/** The server's plugins, ServiceAccount and ResourceQuota (no quota anywhere) included. */
function plugins(): readonly AdmissionPlugin[] {
  return admissionPlugins(
    lookups,
    new AdmissionHooks(),
    { serviceAccount: true },
    {
      sleep: () => Promise.resolve(),
      now: () => 0,
      quotas: {
        quotas: () => Promise.resolve([]),
        hasNone: () => true,
        fresh: (_namespace, name) => Promise.resolve(errors.notFound('resourcequotas', name)),
        updateStatus: (q) => Promise.resolve(q),
      },
    },
  );
}

/** One resource object per resource, as the API server's attributes share them. */
const identities = new Map<ResourceInfo, GroupVersionResource>();
function resourceOf(r: ResourceInfo): GroupVersionResource {
  let identity = identities.get(r);
  if (identity === undefined) {
    identity = { group: r.group, version: r.version, resource: r.resource };
    identities.set(r, identity);
  }
  return identity;
}

function attributes(r: ResourceInfo, operation: Operation, object: KObject): AdmissionAttributes {
  return {
    operation,
    kind: { group: r.group, version: r.version, kind: r.kind },
    resource: resourceOf(r),
    subresource: '',
    namespace: r.namespaced ? NAMESPACE : '',
    name: object.metadata.name ?? '',
    object: operation === 'DELETE' ? undefined : object,
    oldObject: operation === 'CREATE' ? undefined : object,
    dryRun: false,
    userInfo: userInfo('alice', []),
  };
}

function objectOf(r: ResourceInfo): KObject {
  return {
    apiVersion: r.group === '' ? r.version : `${r.group}/${r.version}`,
    kind: r.kind,
    metadata: r.namespaced ? { name: 'x', namespace: NAMESPACE } : { name: 'x' },
  } as KObject;
}

const byKind = (kind: string): ResourceInfo => {
  const r = RESOURCES.find((x) => x.kind === kind);
  if (r === undefined) throw new Error(`${kind} is not served`);
  return r;
};

/** The plugins wrapped to record, in order, each one the chain calls. */
function recording(all: readonly AdmissionPlugin[]) {
  const called: string[] = [];
  const wrapped = all.map((p): AdmissionPlugin => ({
    ...p,
    ...(p.admit === undefined
      ? {}
      : { admit: (a) => (called.push(`admit ${p.name}`), (p.admit as typeof p.validate)!(a)) }),
    ...(p.validate === undefined
      ? {}
      : { validate: (a) => (called.push(`validate ${p.name}`), p.validate!(a)) }),
  }));
  return { called, wrapped };
}

describe('admission plugins scoped to resources', () => {
  it('a ConfigMap create meets only the plugins that act on any resource', async () => {
    const all = plugins();
    const { called, wrapped } = recording(all);
    const chain = new AdmissionChain(wrapped);
    const r = byKind('ConfigMap');
    const object = objectOf(r);
    const a = attributes(r, 'CREATE', object);
    const admitted = chain.admit(a);
    const validated = chain.validate(a);
    // Nothing to wait for: both answered at once, the object untouched.
    expect(admitted).toEqual({ ok: true, object, warnings: [] });
    expect(validated).toEqual({ ok: true, warnings: [] });
    expect(called).toEqual([
      'admit MutatingAdmissionWebhook',
      'validate NamespaceLifecycle',
      'validate NodeRestriction',
      'validate ValidatingAdmissionWebhook',
      'validate ResourceQuota',
    ]);
    expect(chain.calls).toBe(5);
    // Of the thirteen entry points (admit, validate) of the plugins that handle a create.
    const entries = all
      .filter((p) => p.handles('CREATE'))
      .flatMap((p) => [p.admit, p.validate].filter((f) => f !== undefined));
    expect(entries.length).toBe(13);
    // A second create asks nothing of the plugins that the first did not.
    chain.admit(attributes(r, 'CREATE', { ...object, metadata: { name: 'y' } } as KObject));
    expect(chain.calls).toBe(6);
  });

  it('a Pod create meets the Pod plugins and those of any resource, in chain order', async () => {
    const { called, wrapped } = recording(plugins());
    const chain = new AdmissionChain(wrapped);
    const a = attributes(byKind('Pod'), 'CREATE', pod('web', {}, NAMESPACE));
    const admitted = await chain.admit(a);
    expect(admitted.ok).toBe(true);
    // The claim plugins (DefaultStorageClass, StorageObjectInUseProtection) are not asked.
    expect(called).toEqual([
      'admit LimitRanger',
      'admit ServiceAccount',
      'admit Priority',
      'admit DefaultTolerationSeconds',
      'admit MutatingAdmissionWebhook',
    ]);
    // The mutating plugins' changes reached the outcome (the service account's token volume).
    const created = (admitted as { object: { spec: { volumes?: unknown[] } } }).object;
    expect(created.spec.volumes?.length).toBe(1);
  });

  it('every plugin the chain skips would have admitted the request unchanged', () => {
    const all = plugins();
    let skipped = 0;
    for (const r of RESOURCES) {
      for (const p of all) {
        const scoped = p.resources;
        if (scoped === undefined) continue;
        if (scoped.some((s) => s.group === r.group && s.resource === r.resource)) continue;
        for (const operation of ['CREATE', 'UPDATE', 'DELETE'] as const) {
          if (!p.handles(operation)) continue;
          const a = attributes(r, operation, objectOf(r));
          for (const entry of [p.admit, p.validate]) {
            if (entry === undefined) continue;
            skipped++;
            const answer = entry(a);
            expect(answer, `${p.name} on ${r.resource} ${operation}`).toEqual({ allowed: true });
          }
        }
      }
    }
    // Seven plugins over the built-in resources: not a vacuous loop.
    expect(skipped).toBeGreaterThan(7 * RESOURCES.length);
  });
});
