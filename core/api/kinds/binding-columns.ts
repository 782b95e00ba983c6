/** The columns `kubectl get` prints for RoleBindings and ClusterRoleBindings (printRoleBinding). */
import type { ObjectMeta } from '../meta-types.ts';
import { SERVICE_ACCOUNT_KIND, type RoleRef, type Subject } from '../rbac-types.ts';
import { AGE_COLUMN, NAME_COLUMN } from './common.ts';
import type { TableColumn } from './definition.ts';

interface Bound {
  readonly metadata: ObjectMeta;
  readonly roleRef: RoleRef;
  readonly subjects?: readonly Subject[];
}

const ROLE_REF_DESCRIPTION =
  'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.';

function subjectsOf(b: Bound, kind: string): string {
  return (b.subjects ?? [])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === SERVICE_ACCOUNT_KIND ? `${s.namespace ?? ''}:${s.name}` : s.name))
    .join(', ');
}

function subjectColumn(name: string, kind: string, what: string): TableColumn<Bound> {
  return {
    name,
    type: 'string',
    priority: 1,
    description: `${what} in the roleBinding`,
    cell: (b) => subjectsOf(b, kind),
  };
}

export const BINDING_TABLE: readonly TableColumn<Bound>[] = [
  NAME_COLUMN,
  {
    name: 'Role',
    type: 'string',
    priority: 0,
    description: ROLE_REF_DESCRIPTION,
    cell: (b) => `${b.roleRef.kind}/${b.roleRef.name}`,
  },
  AGE_COLUMN,
  subjectColumn('Users', 'User', 'Users'),
  subjectColumn('Groups', 'Group', 'Groups'),
  subjectColumn('ServiceAccounts', SERVICE_ACCOUNT_KIND, 'ServiceAccounts'),
];
