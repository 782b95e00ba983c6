/**
 * Every kind with a status subresource splits its object as upstream's strategies do: the main
 * resource's update keeps the stored status, the status subresource's keeps the stored spec.
 * Runs over all definitions, so a kind added later is checked too.
 */
import { DEFAULT_FEATURE_GATES } from '../../../../core/api/feature-gates.ts';
import { describe, expect, it } from 'vitest';
import { DEFINITIONS, type StrategySubresource } from '../../../../core/api/kinds/index.ts';
import type { KObject } from '../../../../core/api/types.ts';

const withStatus = DEFINITIONS.flatMap((def) => {
  const sub = def.subresources.find((s) => s.name === 'status');
  return sub?.kind === 'strategy' ? [[def.resource.kind, def, sub] as const] : [];
});

function object(kind: string, apiVersion: string, marker: string): KObject {
  return {
    apiVersion,
    kind,
    metadata: { name: 'x', namespace: 'default', resourceVersion: '5' },
    spec: { marker },
    status: { marker },
  } as unknown as KObject;
}

const part = (o: KObject, key: 'spec' | 'status'): unknown => (o as Record<string, unknown>)[key];

describe('status subresource strategies', () => {
  it('exist for the kinds upstream gives one', () => {
    expect(withStatus.length).toBeGreaterThan(0);
  });

  it.each(withStatus)(
    '%s: the main resource ignores status, /status ignores spec',
    (kind, def, sub) => {
      const { apiVersion } = def.resource;
      const old = object(kind, apiVersion, 'old');
      const next = object(kind, apiVersion, 'new');
      const main = def.update.prepareForUpdate(next, old, DEFAULT_FEATURE_GATES);
      // A Service that is not of type LoadBalancer also has its load balancer status cleared
      // (upstream's dropTypeDependentFields), whatever the old status held.
      const expected =
        kind === 'Service'
          ? { ...(part(old, 'status') as object), loadBalancer: {} }
          : part(old, 'status');
      expect(part(main, 'status')).toEqual(expected);
      // A CertificateSigningRequest's spec is immutable: csrStrategy keeps it as well.
      const mainSpec =
        kind === 'CertificateSigningRequest' ? part(old, 'spec') : part(next, 'spec');
      expect(part(main, 'spec')).toEqual(mainSpec);
      const status = (sub as StrategySubresource<KObject>).strategy.prepareForUpdate(
        next,
        old,
        DEFAULT_FEATURE_GATES,
      );
      expect(part(status, 'spec')).toEqual(part(old, 'spec'));
      expect(part(status, 'status')).toEqual(part(next, 'status'));
    },
  );
});
