import { describe, expect, it } from 'vitest';
import {
  mustResourceForKind,
  qualifiedKind,
  qualifiedResource,
  resolveResourceName,
  resourceFor,
  RESOURCES,
} from '../../../core/api/resources.ts';

describe('resource table', () => {
  const table: [string, string, string, boolean, string[], string][] = [
    // kind, apiVersion, resource, namespaced, shortNames, listKind
    ['Pod', 'v1', 'pods', true, ['po'], 'PodList'],
    ['Node', 'v1', 'nodes', false, ['no'], 'NodeList'],
    ['Namespace', 'v1', 'namespaces', false, ['ns'], 'NamespaceList'],
    ['Event', 'v1', 'events', true, ['ev'], 'EventList'],
    ['Binding', 'v1', 'bindings', true, [], 'BindingList'],
    ['ReplicaSet', 'apps/v1', 'replicasets', true, ['rs'], 'ReplicaSetList'],
    ['Lease', 'coordination.k8s.io/v1', 'leases', true, [], 'LeaseList'],
  ];
  it.each(table)('%s', (kind, apiVersion, resource, namespaced, shortNames, listKind) => {
    const r = mustResourceForKind(kind);
    expect(r).toMatchObject({
      apiVersion,
      resource,
      namespaced,
      shortNames,
      listKind,
      singular: kind.toLowerCase(),
    });
    expect(resourceFor(r.group, resource)).toBe(r);
  });

  it('verbs follow upstream', () => {
    expect(mustResourceForKind('Binding').verbs).toEqual(['create']);
    expect(mustResourceForKind('Namespace').verbs).not.toContain('deletecollection');
    expect(mustResourceForKind('Pod').verbs).toContain('watch');
    expect(RESOURCES.every((r) => r.verbs.length > 0)).toBe(true);
  });

  it('resolves what kubectl users type', () => {
    expect(resolveResourceName('po')?.kind).toBe('Pod');
    expect(resolveResourceName('pod')?.kind).toBe('Pod');
    expect(resolveResourceName('rs')?.kind).toBe('ReplicaSet');
    expect(resolveResourceName('replicasets.apps')?.kind).toBe('ReplicaSet');
    expect(resolveResourceName('ReplicaSet')?.kind).toBe('ReplicaSet');
    expect(resolveResourceName('replicasets.batch')).toBeUndefined();
    expect(resolveResourceName('lease')?.kind).toBe('Lease');
  });

  it('qualified names', () => {
    expect(qualifiedResource(mustResourceForKind('ReplicaSet'))).toBe('replicasets.apps');
    expect(qualifiedResource(mustResourceForKind('Pod'))).toBe('pods');
    expect(qualifiedKind(mustResourceForKind('ReplicaSet'))).toBe('ReplicaSet.apps');
  });
});
