/**
 * The Node authorizer (plugin/pkg/auth/authorizer/node/node_authorizer.go, with
 * AuthorizeNodeWithSelectors on, as in Kubernetes 1.32): a kubelet (system:node:<name> in
 * system:nodes) may read and write its own Node and Lease, list and watch only its own pods,
 * read a pod, secret, config map, claim or service account only while a pod bound to it uses
 * it, and do what the system:node role allows elsewhere. Whether a node writes only its own
 * objects is the NodeRestriction admission plugin's to check. Everyone else gets no opinion.
 */
import { nodeIdentity } from '../authn/user.ts';
import type { Attributes } from './attributes.ts';
import {
  ALLOW,
  NO_OPINION,
  type AuthorizationResult,
  type Authorizer,
  type RuleResolver,
  type UserRules,
} from './authorizer.ts';
import { NODE_RULES } from './bootstrap-policy.ts';
import type { NodeGraph, ReferenceType } from './node-graph.ts';
import { rulesAllow } from './rbac-rules.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const noOpinion = (reason: string): AuthorizationResult => ({ decision: 'no-opinion', reason });

export class NodeAuthorizer implements Authorizer, RuleResolver {
  readonly name = 'node';

  constructor(private readonly graph: NodeGraph) {}

  authorize(a: Attributes): AuthorizationResult {
    const node = nodeIdentity(a.user);
    if (node === undefined) return NO_OPINION;
    if (node === '') return noOpinion(`unknown node for user ${JSON.stringify(a.user.name)}`);
    if (a.resourceRequest) {
      const decided = this.subdivided(node, a);
      if (decided !== undefined) return decided;
    }
    return rulesAllow(a, NODE_RULES) ? ALLOW : NO_OPINION;
  }

  /** Nodes' permissions depend on the graph, so they cannot be listed (upstream says so too). */
  rulesFor(user: Attributes['user']): UserRules {
    return {
      resourceRules: [],
      nonResourceRules: [],
      incomplete: nodeIdentity(user) !== undefined,
      errors:
        nodeIdentity(user) !== undefined
          ? ['node authorizer does not support user rule resolution']
          : [],
    };
  }

  private subdivided(node: string, a: Attributes): AuthorizationResult | undefined {
    if (a.apiGroup === '') {
      switch (a.resource) {
        case 'secrets':
          return this.readNamespaced(node, 'secret', a);
        case 'configmaps':
          return this.readNamespaced(node, 'configmap', a);
        case 'persistentvolumeclaims':
          return a.subresource === 'status'
            ? this.statusUpdate(node, 'pvc', a)
            : this.get(node, 'pvc', a);
        case 'serviceaccounts':
          return this.createToken(node, a);
        case 'nodes':
          return this.nodeObject(node, a);
        case 'pods':
          return this.pod(node, a);
      }
    }
    if (a.apiGroup === 'coordination.k8s.io' && a.resource === 'leases') return this.lease(node, a);
    return undefined;
  }

  private statusUpdate(node: string, type: ReferenceType, a: Attributes): AuthorizationResult {
    if (a.verb !== 'update' && a.verb !== 'patch') {
      return noOpinion('can only get/update/patch this type');
    }
    if (a.subresource !== 'status') return noOpinion('can only update status subresource');
    return this.related(node, type, a);
  }

  private get(node: string, type: ReferenceType | 'pod', a: Attributes): AuthorizationResult {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource !== '') return noOpinion('cannot get subresource');
    return this.related(node, type, a);
  }

  private readNamespaced(node: string, type: ReferenceType, a: Attributes): AuthorizationResult {
    if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') {
      return noOpinion('can only read resources of this type');
    }
    if (a.subresource !== '') return noOpinion('cannot read subresource');
    if (a.namespace === '') return noOpinion('can only read namespaced object of this type');
    return this.related(node, type, a);
  }

  private related(node: string, type: ReferenceType | 'pod', a: Attributes): AuthorizationResult {
    if (a.name === '') return noOpinion('No Object name found');
    const ok =
      type === 'pod'
        ? this.graph.podOnNode(node, a.namespace, a.name)
        : this.graph.referencedFrom(node, type, a.namespace, a.name);
    return ok ? ALLOW : noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private createToken(node: string, a: Attributes): AuthorizationResult {
    if (a.verb !== 'create' || a.name === '') {
      return noOpinion('can only create tokens for individual service accounts');
    }
    if (a.subresource !== 'token') {
      return noOpinion('can only create token subresource of serviceaccount');
    }
    return this.related(node, 'serviceaccount', a);
  }

  private lease(node: string, a: Attributes): AuthorizationResult {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) {
      return noOpinion('can only get, create, update, patch, or delete a node lease');
    }
    if (a.namespace !== NODE_LEASE_NAMESPACE) {
      return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    }
    // A create names no object yet: NodeRestriction checks the lease's name.
    if (a.verb !== 'create' && a.name !== node) {
      return noOpinion('can only access node lease with the same name as the requesting node');
    }
    return ALLOW;
  }

  private nodeObject(node: string, a: Attributes): AuthorizationResult {
    if (a.subresource === '') {
      if (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch') return ALLOW;
      if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') {
        if (a.name === node) return ALLOW;
        return noOpinion(
          a.name === ''
            ? `node '${node}' cannot read all nodes, only its own Node object`
            : `node '${node}' cannot read '${a.name}', only its own Node object`,
        );
      }
    } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
      return ALLOW;
    }
    return NO_OPINION;
  }

  private pod(node: string, a: Attributes): AuthorizationResult {
    switch (a.subresource) {
      case '':
        if (a.verb === 'get') return this.get(node, 'pod', a);
        if (a.verb === 'list' || a.verb === 'watch') {
          const own = a.fieldSelector.some(
            (r) => r.field === 'spec.nodeName' && r.operator === '=' && r.value === node,
          );
          if (own) return ALLOW;
          if (a.name !== '') return this.related(node, 'pod', a);
          return noOpinion('can only list/watch pods with spec.nodeName field selector');
        }
        // Mirror pods: NodeRestriction limits them to the node's own.
        if (a.verb === 'create' || a.verb === 'delete') return ALLOW;
        break;
      case 'status':
        if (a.verb === 'update' || a.verb === 'patch') return ALLOW;
        break;
      case 'eviction':
        if (a.verb === 'create') return ALLOW;
        break;
    }
    return NO_OPINION;
  }
}
