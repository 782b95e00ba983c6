/**
 * ServiceAccounts (pkg/apis/core/validation/validation.go ValidateServiceAccount /
 * ValidateServiceAccountUpdate: only the object's metadata; pkg/registry/core/serviceaccount;
 * printers: printServiceAccount; tags: `secrets` merge on name), and the token subresource
 * (service-account-token.ts), which signs with the API server's TokenIssuer.
 */
import type { ServiceAccount as UpstreamServiceAccount } from 'kubernetes-types/core/v1.d.ts';
import type { FieldError } from '../field-error.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import { requestToken } from './service-account-token.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN, OBJECT_META_PATCH } from './common.ts';

export type ServiceAccount = Stored<UpstreamServiceAccount>;

export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
}

export const SERVICE_ACCOUNT = defineResource<ServiceAccount>({
  discovery: {
    kind: 'ServiceAccount',
    group: '',
    resource: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
  },
  validate: validateServiceAccount,
  subresources: [
    {
      kind: 'action',
      name: 'token',
      verbs: ['create'],
      body: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      create: requestToken,
    },
  ],
  table: [
    NAME_COLUMN,
    {
      name: 'Secrets',
      type: 'string',
      priority: 0,
      description:
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      cell: (sa) => (sa.secrets ?? []).length,
    },
    AGE_COLUMN,
  ],
  patch: [...OBJECT_META_PATCH, { path: 'secrets', patchStrategy: 'merge', patchMergeKey: 'name' }],
});
