/**
 * PodDisruptionBudgets of policy/v1 (pkg/registry/policy/poddisruptionbudget/strategy.go;
 * printers: printPodDisruptionBudget; tags: staging/src/k8s.io/api/policy/v1/types.go).
 */
import type { PodDisruptionBudget } from '../policy-types.ts';
import {
  validateMetaUpdateAnd,
  validatePodDisruptionBudget,
  validatePodDisruptionBudgetStatusUpdate,
} from '../validation.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  statusSubresource,
} from './common.ts';

export const POD_DISRUPTION_BUDGET = defineResource<PodDisruptionBudget>({
  discovery: {
    kind: 'PodDisruptionBudget',
    group: 'policy',
    resource: 'poddisruptionbudgets',
    namespaced: true,
    shortNames: ['pdb'],
  },
  // A missing spec decodes to Go's zero PodDisruptionBudgetSpec, which is valid: it selects nothing.
  defaults: (pdb) => (pdb.spec === undefined ? { ...pdb, spec: {} } : pdb),
  // podDisruptionBudgetStrategy.PrepareForCreate: status starts empty.
  prepareForCreate: (pdb) => ({
    ...pdb,
    status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  }),
  validate: validatePodDisruptionBudget,
  update: {
    prepareForUpdate: keepStatus,
    validateUpdate: validateMetaUpdateAnd(validatePodDisruptionBudget),
  },
  tracksGeneration: true,
  subresources: [statusSubresource(validatePodDisruptionBudgetStatusUpdate)],
  table: [
    NAME_COLUMN,
    {
      name: 'Min Available',
      type: 'string',
      priority: 0,
      description: 'The minimum number of pods that must be available.',
      cell: (pdb) => (pdb.spec.minAvailable === undefined ? 'N/A' : String(pdb.spec.minAvailable)),
    },
    {
      name: 'Max Unavailable',
      type: 'string',
      priority: 0,
      description: 'The maximum number of pods that may be unavailable.',
      cell: (pdb) =>
        pdb.spec.maxUnavailable === undefined ? 'N/A' : String(pdb.spec.maxUnavailable),
    },
    {
      name: 'Allowed Disruptions',
      type: 'integer',
      priority: 0,
      description: 'Calculated number of pods that may be disrupted at this time.',
      cell: (pdb) => pdb.status?.disruptionsAllowed ?? 0,
    },
    AGE_COLUMN,
  ],
  patch: [
    ...OBJECT_META_PATCH,
    // A new selector replaces the old one whole (`+patchStrategy=replace` on the struct).
    { path: 'spec.selector', patchStrategy: 'replace' },
    conditionsPatch('status.conditions'),
  ],
});
