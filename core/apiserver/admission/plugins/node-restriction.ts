/**
 * NodeRestriction (plugin/pkg/admission/noderestriction/admission.go): what the Node
 * authorizer lets every kubelet do by verb, narrowed to the kubelet's own objects. A node may
 * create and modify only its own Node (never its taints), its own Lease, and only mirror pods
 * bound to itself that reference nothing secret; it may write the status of, and delete, only
 * pods bound to itself. Users that are not nodes pass untouched.
 */
import { MIRROR_POD_ANNOTATION } from '../../../api/pod-helpers.ts';
import type { Pod } from '../../../api/pod-types.ts';
import type { Node } from '../../../api/node-types.ts';
import { deepEqual } from '../../../api/meta-validation.ts';
import { nodeIdentity } from '../../authn/user.ts';
import { podReferences } from '../../authz/node-graph.ts';
import { NODE_LEASE_NAMESPACE } from '../../authz/node-authorizer.ts';
import {
  ADMIT,
  deny,
  forbidden,
  type AdmissionAttributes,
  type AdmissionPlugin,
  type AdmissionResult,
} from '../attributes.ts';

export const NODE_RESTRICTION = 'NodeRestriction';

export const nodeRestriction: AdmissionPlugin = {
  name: NODE_RESTRICTION,
  handles: () => true,
  validate: (a) => {
    const node = nodeIdentity(a.userInfo);
    if (node === undefined) return ADMIT;
    if (node === '') return refuse(a, `could not determine node from user "${a.userInfo.name}"`);
    if (a.resource.group === 'coordination.k8s.io' && a.resource.resource === 'leases') {
      return lease(node, a);
    }
    if (a.resource.group !== '') return ADMIT;
    switch (a.resource.resource) {
      case 'nodes':
        return nodeObject(node, a);
      case 'pods':
        return pod(node, a);
      default:
        return ADMIT;
    }
  },
};

function refuse(a: AdmissionAttributes, cause: string): AdmissionResult {
  return deny(forbidden(a, cause));
}

function nodeObject(node: string, a: AdmissionAttributes): AdmissionResult {
  if (a.name !== node) return refuse(a, `node "${node}" is not allowed to modify node "${a.name}"`);
  if (a.operation === 'UPDATE' && a.subresource === '') {
    const next = a.object as Node | undefined;
    const old = a.oldObject as Node | undefined;
    if (!deepEqual(next?.spec?.taints ?? [], old?.spec?.taints ?? [])) {
      return refuse(a, `node "${node}" is not allowed to modify taints`);
    }
  }
  return ADMIT;
}

function lease(node: string, a: AdmissionAttributes): AdmissionResult {
  if (a.namespace !== NODE_LEASE_NAMESPACE) {
    return refuse(a, `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
  }
  if (a.name !== node) {
    return refuse(a, 'can only access node lease with the same name as the requesting node');
  }
  return ADMIT;
}

function pod(node: string, a: AdmissionAttributes): AdmissionResult {
  switch (a.subresource) {
    case '':
      if (a.operation === 'CREATE') return mirrorPod(node, a);
      if (a.operation === 'DELETE') return ownPod(node, a, 'delete pods');
      return refuse(a, `node "${node}" can only create and delete pods`);
    case 'status':
      return ownPod(node, a, 'update pod status for pods');
    case 'eviction':
      return ADMIT;
    default:
      return refuse(a, `unexpected subresource ${a.subresource}`);
  }
}

function ownPod(node: string, a: AdmissionAttributes, what: string): AdmissionResult {
  const bound = (a.oldObject as Pod | undefined)?.spec.nodeName;
  return bound === node
    ? ADMIT
    : refuse(a, `node "${node}" can only ${what} with spec.nodeName set to itself`);
}

function mirrorPod(node: string, a: AdmissionAttributes): AdmissionResult {
  const p = a.object as Pod | undefined;
  if (p === undefined) return ADMIT;
  if (p.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
    return refuse(
      a,
      `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`,
    );
  }
  if (p.spec.nodeName !== node) {
    return refuse(a, `node "${node}" can only create pods with spec.nodeName set to itself`);
  }
  const refs = podReferences(p as never);
  const kinds: [string, string][] = [
    ['serviceaccount', 'service accounts'],
    ['secret', 'secrets'],
    ['configmap', 'configmaps'],
    ['pvc', 'persistentvolumeclaims'],
  ];
  for (const [type, what] of kinds) {
    if (refs.some((r) => r.type === type)) {
      return refuse(a, `node "${node}" can not create pods that reference ${what}`);
    }
  }
  return ADMIT;
}
