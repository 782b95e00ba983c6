/**
 * NetworkPolicies of networking.k8s.io/v1 (pkg/apis/networking/validation/validation.go
 * ValidateNetworkPolicy / ValidateNetworkPolicyUpdate as of 1.32, pkg/apis/networking/v1/
 * defaults.go, pkg/registry/networking/networkpolicy/strategy.go; printers:
 * printNetworkPolicy). Stored and validated only: no dataplane enforces them.
 */
import type {
  NetworkPolicy as UpstreamNetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicySpec,
} from 'kubernetes-types/networking/v1.d.ts';
import { isValidPortName, isValidPortNum } from '../content-checks.ts';
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  goLiteral,
  index,
  type FieldError,
} from '../field-error.ts';
import {
  nameIsDNSSubdomain,
  validateAnnotations,
  validateLabels,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { LabelSelector } from '../meta-types.ts';
import { cidrContains, isValidCIDR, parseCIDR } from '../net-checks.ts';
import { formatLabelSelector } from '../selectors.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export type NetworkPolicy = Stored<UpstreamNetworkPolicy>;
type Spec = DeepReadonly<NetworkPolicySpec>;
type Port = DeepReadonly<NetworkPolicyPort>;
type Peer = DeepReadonly<NetworkPolicyPeer>;

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

/**
 * Selectors here are upstream's LabelSelector, whose operator is any string; ksim's validation
 * takes its own narrower type and reports an unknown operator itself.
 */
function selectorErrors(sel: Spec['podSelector'] | undefined, path: string): FieldError[] {
  return validateLabelSelector(sel as LabelSelector | undefined, path);
}

function validatePort(port: Port, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !PROTOCOLS.includes(port.protocol)) {
    errs.push(fieldNotSupported(child(path, 'protocol'), port.protocol, PROTOCOLS));
  }
  if (port.port === undefined) {
    if (port.endPort !== undefined) {
      errs.push(
        fieldInvalid(
          child(path, 'endPort'),
          port.endPort,
          'may not be specified when `port` is not specified',
        ),
      );
    }
  } else if (typeof port.port === 'number') {
    for (const msg of isValidPortNum(port.port)) {
      errs.push(fieldInvalid(child(path, 'port'), port.port, msg));
    }
    if (port.endPort !== undefined) {
      if (port.endPort < port.port) {
        errs.push(
          fieldInvalid(
            child(path, 'endPort'),
            port.endPort,
            'must be greater than or equal to `port`',
          ),
        );
      }
      for (const msg of isValidPortNum(port.endPort)) {
        errs.push(fieldInvalid(child(path, 'endPort'), port.endPort, msg));
      }
    }
  } else {
    if (port.endPort !== undefined) {
      errs.push(
        fieldInvalid(
          child(path, 'endPort'),
          port.endPort,
          'may not be specified when `port` is non-numeric',
        ),
      );
    }
    for (const msg of isValidPortName(port.port)) {
      errs.push(fieldInvalid(child(path, 'port'), port.port, msg));
    }
  }
  return errs;
}

function validateIPBlock(cidr: string, except: readonly string[], path: string): FieldError[] {
  if (cidr === '') return [fieldRequired(child(path, 'cidr'))];
  const errs = isValidCIDR(cidr).map((msg) => fieldInvalid(child(path, 'cidr'), cidr, msg));
  const net = parseCIDR(cidr);
  if (net === undefined) return errs;
  except.forEach((e, i) => {
    const p = index(child(path, 'except'), i);
    errs.push(...isValidCIDR(e).map((msg) => fieldInvalid(p, e, msg)));
    const ex = parseCIDR(e);
    if (ex === undefined) return;
    if (!cidrContains(net, ex.ip) || net.prefixLength >= ex.prefixLength) {
      errs.push(fieldInvalid(p, e, 'must be a strict subset of `cidr`'));
    }
  });
  return errs;
}

function validatePeer(peer: Peer, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  if (peer.podSelector !== undefined) {
    peers++;
    errs.push(...selectorErrors(peer.podSelector, child(path, 'podSelector')));
  }
  if (peer.namespaceSelector !== undefined) {
    peers++;
    errs.push(...selectorErrors(peer.namespaceSelector, child(path, 'namespaceSelector')));
  }
  if (peer.ipBlock !== undefined) {
    peers++;
    errs.push(
      ...validateIPBlock(
        peer.ipBlock.cidr ?? '',
        peer.ipBlock.except ?? [],
        child(path, 'ipBlock'),
      ),
    );
  }
  if (peers === 0) errs.push(fieldRequired(path, 'must specify a peer'));
  else if (peers > 1 && peer.ipBlock !== undefined) {
    errs.push(fieldForbidden(path, 'may not specify both ipBlock and another peer'));
  }
  return errs;
}

/** The ports and peers of one ingress ("from") or egress ("to") rule. */
function validateRule(
  ports: readonly Port[] | undefined,
  peers: readonly Peer[] | undefined,
  path: string,
  peersName: 'from' | 'to',
): FieldError[] {
  return [
    ...(ports ?? []).flatMap((port, j) => validatePort(port, index(child(path, 'ports'), j))),
    ...(peers ?? []).flatMap((peer, j) => validatePeer(peer, index(child(path, peersName), j))),
  ];
}

function validateSpec(spec: Spec | undefined): FieldError[] {
  const errs = selectorErrors(spec?.podSelector, 'spec.podSelector');
  (spec?.ingress ?? []).forEach((r, i) => {
    errs.push(...validateRule(r.ports, r.from, index('spec.ingress', i), 'from'));
  });
  (spec?.egress ?? []).forEach((r, i) => {
    errs.push(...validateRule(r.ports, r.to, index('spec.egress', i), 'to'));
  });
  const types = spec?.policyTypes ?? [];
  if (types.length > POLICY_TYPES.length) {
    const shown = `[]networking.PolicyType{${types.map((t) => JSON.stringify(t)).join(', ')}}`;
    errs.push(
      fieldInvalid(
        'spec.policyTypes',
        goLiteral(shown),
        'may not specify more than two policyTypes',
      ),
    );
    return errs;
  }
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) {
      errs.push(fieldNotSupported(index('spec.policyTypes', i), t, POLICY_TYPES));
    }
  });
  return errs;
}

export function validateNetworkPolicy(np: NetworkPolicy): FieldError[] {
  return [...validateObjectMeta(np.metadata, true, nameIsDNSSubdomain), ...validateSpec(np.spec)];
}

/** Upstream's ValidateObjectMetaUpdate also checks the new labels and annotations. */
export function validateNetworkPolicyUpdate(np: NetworkPolicy, old: NetworkPolicy): FieldError[] {
  return [
    ...validateObjectMetaUpdate(np.metadata, old.metadata),
    ...validateLabels(np.metadata.labels, 'metadata.labels'),
    ...validateAnnotations(np.metadata.annotations, 'metadata.annotations'),
    ...validateSpec(np.spec),
  ];
}

/** SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort. */
function defaultNetworkPolicy(np: NetworkPolicy): NetworkPolicy {
  // The spec and its podSelector are structs in Go: never absent, at worst empty.
  const given: Spec = np.spec ?? { podSelector: {} };
  const withTcp = <R extends { readonly ports?: readonly Port[] }>(
    rules: readonly R[] | undefined,
  ) =>
    rules?.map((r) =>
      r.ports === undefined
        ? r
        : {
            ...r,
            ports: r.ports.map((p) => (p.protocol === undefined ? { ...p, protocol: 'TCP' } : p)),
          },
    );
  const spec = {
    ...given,
    podSelector: given.podSelector ?? {},
    ingress: withTcp(given.ingress),
    egress: withTcp(given.egress),
  };
  if (spec.ingress === undefined) delete spec.ingress;
  if (spec.egress === undefined) delete spec.egress;
  if ((spec.policyTypes ?? []).length === 0) {
    // Any policy that does not specify policyTypes implies at least "Ingress".
    spec.policyTypes = (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
  return { ...np, spec };
}

export const NETWORK_POLICY = defineResource<NetworkPolicy>({
  discovery: {
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespaced: true,
    shortNames: ['netpol'],
  },
  defaults: defaultNetworkPolicy,
  validate: validateNetworkPolicy,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateNetworkPolicyUpdate },
  tracksGeneration: true,
  table: [
    NAME_COLUMN,
    {
      name: 'Pod-Selector',
      type: 'string',
      priority: 0,
      description:
        'Selects the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.',
      cell: (np) => formatLabelSelector(np.spec?.podSelector as LabelSelector | undefined),
    },
    AGE_COLUMN,
  ],
});
