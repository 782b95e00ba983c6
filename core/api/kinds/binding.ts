/**
 * Bindings (pkg/registry/core/pod/storage: LegacyBindingREST): the "bindings" resource stores
 * nothing; a create binds the pod the body names, exactly as pods/{name}/binding does.
 */
import type { Binding } from '../cluster-types.ts';
import { validateBinding } from '../validation.ts';
import { defineResource } from './common.ts';
import { BINDING_SUBRESOURCE } from './pod-binding.ts';

export const BINDING = defineResource<Binding>({
  discovery: {
    kind: 'Binding',
    group: '',
    resource: 'bindings',
    namespaced: true,
    verbs: ['create'],
  },
  validate: validateBinding,
  createAs: { kind: 'Pod', subresource: BINDING_SUBRESOURCE },
});
