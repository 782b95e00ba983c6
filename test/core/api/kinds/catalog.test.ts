import { describe, expect, it } from 'vitest';
import { customResourceDefinitions } from '../../../../core/api/custom-resources/definition.ts';
import type { CustomResourceDefinition } from '../../../../core/api/kinds/custom-resource-definition.ts';
import { DefinitionCatalog, DEFINITIONS } from '../../../../core/api/kinds/index.ts';

function crd(kind: string, plural: string, versions = ['v1']): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural, kind },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === versions.length - 1,
        schema: { openAPIV3Schema: { type: 'object' } },
      })),
    },
    status: {
      acceptedNames: { plural, kind, singular: kind.toLowerCase(), listKind: `${kind}List` },
    },
  };
}

describe('the definition catalog', () => {
  it('serves the built-in kinds and custom groups added and removed at run time', () => {
    const catalog = new DefinitionCatalog(DEFINITIONS);
    expect(catalog.all).toEqual(DEFINITIONS);
    const g0 = catalog.generation;
    catalog.set(
      'widgets.example.com',
      customResourceDefinitions(crd('Widget', 'widgets', ['v1beta1', 'v1'])),
    );
    expect(catalog.generation).toBe(g0 + 1);
    expect(catalog.forPath('example.com/v1', 'widgets')?.resource.kind).toBe('Widget');
    expect(catalog.forPath('example.com/v1beta1', 'widgets')?.storedAs?.kind).toBe('Widget');
    expect(catalog.forKind('Widget')?.resource.apiVersion).toBe('example.com/v1');
    expect(catalog.forVersion('example.com/v1beta1', 'Widget')?.resource.version).toBe('v1beta1');
    // Sorted by group then resource: example.com comes after the core group's resources.
    const groups = catalog.all.map((d) => d.resource.group);
    expect([...groups].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(groups);
    catalog.set('widgets.example.com', []);
    expect(catalog.forPath('example.com/v1', 'widgets')).toBeUndefined();
    expect(catalog.all).toEqual(DEFINITIONS);
    catalog.set('nothing', []);
    expect(catalog.generation).toBe(g0 + 2);
  });

  it('keeps the built-in kind for a name a custom kind of another group shares', () => {
    const catalog = new DefinitionCatalog(DEFINITIONS);
    catalog.set('pods.example.com', customResourceDefinitions(crd('Pod', 'pods')));
    expect(catalog.forKind('Pod')?.resource.group).toBe('');
    expect(catalog.forPath('example.com/v1', 'pods')?.resource.kind).toBe('Pod');
    expect(catalog.forPath('v1', 'pods')?.resource.group).toBe('');
  });
});
