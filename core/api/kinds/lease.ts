/** Leases (pkg/registry/coordination/lease/strategy.go; printers: printLease). */
import type { Lease } from '../cluster-types.ts';
import { validateLease } from '../validation.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export const LEASE = defineResource<Lease>({
  discovery: {
    kind: 'Lease',
    group: 'coordination.k8s.io',
    resource: 'leases',
    namespaced: true,
  },
  validate: validateLease,
  table: [
    NAME_COLUMN,
    {
      name: 'Holder',
      type: 'string',
      priority: 0,
      description: 'holderIdentity contains the identity of the holder of a current lease.',
      cell: (lease) => lease.spec?.holderIdentity ?? '',
    },
    AGE_COLUMN,
  ],
});
