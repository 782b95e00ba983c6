/**
 * Nodes (pkg/registry/core/node/strategy.go; printers: printNode; tags:
 * staging/src/k8s.io/api/core/v1/types.go).
 */
import { defaultNode } from '../defaults.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import type { Node, NodeAddressType } from '../node-types.ts';
import { validateNode, validateNodeUpdate } from '../validation.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  statusSubresource,
} from './common.ts';
import type { TableColumn } from './definition.ts';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** "Ready" or "NotReady" from the Ready condition, plus SchedulingDisabled when cordoned. */
function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role` values, sorted. */
function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_LABEL_PREFIX)) {
      const role = k.slice(ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v) {
      roles.add(v);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

const address = (node: Node, type: NodeAddressType): string =>
  node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';

const orUnknown = (value: string | undefined): string => (value ? value : '<unknown>');

const TABLE: readonly TableColumn<Node>[] = [
  NAME_COLUMN,
  {
    name: 'Status',
    type: 'string',
    priority: 0,
    description: 'The status of the node',
    cell: nodeStatus,
  },
  {
    name: 'Roles',
    type: 'string',
    priority: 0,
    description: 'The roles of the node',
    cell: nodeRoles,
  },
  AGE_COLUMN,
  {
    name: 'Version',
    type: 'string',
    priority: 0,
    description: 'Kubelet Version reported by the node.',
    cell: (node) => node.status?.nodeInfo?.kubeletVersion ?? '',
  },
  {
    name: 'Internal-IP',
    type: 'string',
    priority: 1,
    description: 'List of addresses reachable to the node.',
    cell: (node) => address(node, 'InternalIP'),
  },
  {
    name: 'External-IP',
    type: 'string',
    priority: 1,
    description: 'List of addresses reachable to the node.',
    cell: (node) => address(node, 'ExternalIP'),
  },
  {
    name: 'OS-Image',
    type: 'string',
    priority: 1,
    description:
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
    cell: (node) => orUnknown(node.status?.nodeInfo?.osImage),
  },
  {
    name: 'Kernel-Version',
    type: 'string',
    priority: 1,
    description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    cell: (node) => orUnknown(node.status?.nodeInfo?.kernelVersion),
  },
  {
    name: 'Container-Runtime',
    type: 'string',
    priority: 1,
    description:
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
    cell: (node) => orUnknown(node.status?.nodeInfo?.containerRuntimeVersion),
  },
];

export const NODE = defineResource<Node>({
  discovery: { kind: 'Node', group: '', resource: 'nodes', namespaced: false, shortNames: ['no'] },
  defaults: defaultNode,
  validate: validateNode,
  // nodeStrategy: the main path keeps status, nodeStatusStrategy keeps spec; both validate alike.
  update: { prepareForUpdate: keepStatus, validateUpdate: validateNodeUpdate },
  subresources: [statusSubresource(validateNodeUpdate)],
  table: TABLE,
  fieldSelectors: [...OBJECT_META_FIELD_LABELS, 'spec.unschedulable'],
  fields: (node) => ({
    ...objectMetaFields(node.metadata),
    'spec.unschedulable': String(node.spec?.unschedulable ?? false),
  }),
  patch: [
    ...OBJECT_META_PATCH,
    { path: 'spec.podCIDRs', patchStrategy: 'merge' },
    conditionsPatch('status.conditions'),
    { path: 'status.addresses', patchStrategy: 'merge', patchMergeKey: 'type' },
  ],
});
