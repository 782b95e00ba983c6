/**
 * Ingresses of networking.k8s.io/v1 (pkg/apis/networking/validation/validation.go
 * ValidateIngressCreate / ValidateIngressUpdate / ValidateIngressStatusUpdate as of 1.32,
 * pkg/registry/networking/ingress/strategy.go and storage/storage.go; printers: printIngress).
 * Stored and validated only: no ingress controller routes traffic.
 */
import type { TypedLocalObjectReference } from 'kubernetes-types/core/v1.d.ts';
import type {
  HTTPIngressPath,
  Ingress as UpstreamIngress,
  IngressBackend,
  IngressRule,
  IngressSpec,
} from 'kubernetes-types/networking/v1.d.ts';
import { isDNS1123Subdomain, isValidPortName, isValidPortNum } from '../content-checks.ts';
import {
  child,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  goLiteral,
  index,
  type FieldError,
} from '../field-error.ts';
import {
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import {
  isDNS1035Label,
  isPathSegmentName,
  isValidIP,
  isWildcardDNS1123Subdomain,
  parseIP,
} from '../net-checks.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import {
  AGE_COLUMN,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  statusSubresource,
} from './common.ts';

export type Ingress = Stored<UpstreamIngress>;
type Spec = DeepReadonly<IngressSpec>;
type Rule = DeepReadonly<IngressRule>;
type Backend = DeepReadonly<IngressBackend>;

/** The annotation that named the class before spec.ingressClassName existed. */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
/** printers' loadBalancerWidth: the Address column is clipped to it. */
const LOAD_BALANCER_WIDTH = 16;

/** What an update tolerates because the stored object already had it (upstream's options). */
interface Options {
  readonly allowInvalidSecretName: boolean;
  readonly allowInvalidWildcardHostRule: boolean;
}

const STRICT: Options = { allowInvalidSecretName: false, allowInvalidWildcardHostRule: false };

function hostErrors(host: string, path: string): FieldError[] {
  const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  return msgs.map((msg) => fieldInvalid(path, host, msg));
}

/** An empty secret name is allowed; a set one must be a Secret's name (a DNS subdomain). */
function tlsSecretNameErrors(name: string | undefined): string[] {
  return name ? nameIsDNSSubdomain(name, false) : [];
}

function validateTLS(spec: Spec, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  (spec.tls ?? []).forEach((tls, i) => {
    const p = index('spec.tls', i);
    (tls.hosts ?? []).forEach((host, j) => {
      errs.push(...hostErrors(host, index(child(p, 'hosts'), j)));
    });
    if (!opts.allowInvalidSecretName) {
      for (const msg of tlsSecretNameErrors(tls.secretName)) {
        errs.push(fieldInvalid(child(p, 'secretName'), tls.secretName, msg));
      }
    }
  });
  return errs;
}

function validateTypedLocalObjectReference(
  ref: DeepReadonly<TypedLocalObjectReference>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup !== undefined) {
    for (const msg of isDNS1123Subdomain(ref.apiGroup)) {
      errs.push(fieldInvalid(child(path, 'apiGroup'), ref.apiGroup, msg));
    }
  }
  for (const f of ['kind', 'name'] as const) {
    const v = ref[f] ?? '';
    if (v === '') errs.push(fieldRequired(child(path, f)));
    else errs.push(...isPathSegmentName(v).map((msg) => fieldInvalid(child(path, f), v, msg)));
  }
  return errs;
}

function validateBackend(backend: Backend, path: string): FieldError[] {
  const { resource, service } = backend;
  if (resource !== undefined && service !== undefined) {
    return [fieldInvalid(path, '', 'cannot set both resource and service backends')];
  }
  if (resource !== undefined)
    return validateTypedLocalObjectReference(resource, child(path, 'resource'));
  if (service === undefined) {
    return [fieldInvalid(path, '', 'resource or service backend is required')];
  }
  const errs: FieldError[] = [];
  const namePath = child(child(path, 'service'), 'name');
  if (!service.name) errs.push(fieldRequired(namePath));
  else
    errs.push(...isDNS1035Label(service.name).map((m) => fieldInvalid(namePath, service.name, m)));
  const portPath = child(child(path, 'service'), 'port');
  const portName = service.port?.name ?? '';
  const portNumber = service.port?.number ?? 0;
  if (portName !== '' && portNumber !== 0) {
    errs.push(fieldInvalid(path, '', 'cannot set both port name & port number'));
  } else if (portName !== '') {
    for (const msg of isValidPortName(portName)) {
      errs.push(fieldInvalid(child(portPath, 'name'), portName, msg));
    }
  } else if (portNumber !== 0) {
    for (const msg of isValidPortNum(portNumber)) {
      errs.push(fieldInvalid(child(portPath, 'number'), portNumber, msg));
    }
  } else {
    errs.push(fieldRequired(path, 'port name or number is required'));
  }
  return errs;
}

function validatePath(p: DeepReadonly<HTTPIngressPath>, path: string): FieldError[] {
  if (p.pathType === undefined) {
    return [fieldRequired(child(path, 'pathType'), 'pathType must be specified')];
  }
  const errs: FieldError[] = [];
  const value = p.path ?? '';
  const pathPath = child(path, 'path');
  switch (p.pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/'))
        errs.push(fieldInvalid(pathPath, value, 'must be an absolute path'));
      for (const seq of INVALID_PATH_SEQUENCES) {
        if (value.includes(seq))
          errs.push(fieldInvalid(pathPath, value, `must not contain '${seq}'`));
      }
      for (const suffix of INVALID_PATH_SUFFIXES) {
        if (value.endsWith(suffix)) {
          errs.push(fieldInvalid(pathPath, value, `cannot end with '${suffix}'`));
        }
      }
      break;
    case 'ImplementationSpecific':
      if (value.length > 0 && !value.startsWith('/')) {
        errs.push(fieldInvalid(pathPath, value, 'must be an absolute path'));
      }
      break;
    default:
      errs.push(fieldNotSupported(child(path, 'pathType'), p.pathType, PATH_TYPES));
  }
  return [...errs, ...validateBackend(p.backend ?? {}, child(path, 'backend'))];
}

/** validateIngressRuleValue: an http rule needs at least one path. */
function validateRuleValue(rule: Rule, path: string): FieldError[] {
  if (rule.http === undefined) return [];
  const httpPath = child(path, 'http');
  const paths = rule.http.paths ?? [];
  const errs = paths.length === 0 ? [fieldRequired(child(httpPath, 'paths'))] : [];
  paths.forEach((p, i) => errs.push(...validatePath(p, index(child(httpPath, 'paths'), i))));
  return errs;
}

function validateRules(rules: readonly Rule[], opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  rules.forEach((rule, i) => {
    const p = index('spec.rules', i);
    const host = rule.host ?? '';
    if (host.length > 0) {
      if (parseIP(host) !== undefined) {
        errs.push(fieldInvalid(child(p, 'host'), host, 'must be a DNS name, not an IP address'));
      }
      errs.push(...hostErrors(host, child(p, 'host')));
    }
    if (!host.includes('*') || !opts.allowInvalidWildcardHostRule) {
      errs.push(...validateRuleValue(rule, p));
    }
  });
  return errs;
}

function validateSpec(spec: Spec, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const rules = spec.rules ?? [];
  if (rules.length === 0 && spec.defaultBackend === undefined) {
    // Go prints the (nil or empty) rules slice with %#v.
    const shown =
      spec.rules === undefined ? '[]networking.IngressRule(nil)' : '[]networking.IngressRule{}';
    errs.push(
      fieldInvalid(
        'spec',
        goLiteral(shown),
        'either `defaultBackend` or `rules` must be specified',
      ),
    );
  }
  if (spec.defaultBackend !== undefined) {
    errs.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  }
  errs.push(...validateRules(rules, opts), ...validateTLS(spec, opts));
  if (spec.ingressClassName !== undefined) {
    for (const msg of nameIsDNSSubdomain(spec.ingressClassName, false)) {
      errs.push(fieldInvalid('spec.ingressClassName', spec.ingressClassName, msg));
    }
  }
  return errs;
}

function validateIngress(ing: Ingress, opts: Options): FieldError[] {
  return [
    ...validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain),
    ...validateSpec(ing.spec ?? {}, opts),
  ];
}

export function validateIngressCreate(ing: Ingress): FieldError[] {
  const errs = validateIngress(ing, STRICT);
  const annotation = ing.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  const className = ing.spec?.ingressClassName;
  if (annotation !== undefined && className !== undefined && annotation !== className) {
    // Upstream's path starts at "annotations", without "metadata".
    errs.push(
      fieldInvalid(
        `annotations.${INGRESS_CLASS_ANNOTATION}`,
        annotation,
        'must match `ingressClassName` when both are specified',
      ),
    );
  }
  return errs;
}

/** Invalid secret names and wildcard-host rules already stored stay allowed (compatibility). */
export function validateIngressUpdate(ing: Ingress, old: Ingress): FieldError[] {
  const oldSpec = old.spec ?? {};
  const opts: Options = {
    allowInvalidSecretName: (oldSpec.tls ?? []).some(
      (t) => tlsSecretNameErrors(t.secretName).length > 0,
    ),
    allowInvalidWildcardHostRule: (oldSpec.rules ?? []).some(
      (r) => (r.host ?? '').includes('*') && validateRuleValue(r, '').length > 0,
    ),
  };
  return [...validateObjectMetaUpdate(ing.metadata, old.metadata), ...validateIngress(ing, opts)];
}

export function validateIngressStatusUpdate(ing: Ingress, old: Ingress): FieldError[] {
  const errs = validateObjectMetaUpdate(ing.metadata, old.metadata);
  (ing.status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
    const p = index('status.loadBalancer.ingress', i);
    if (lb.ip)
      errs.push(...isValidIP(lb.ip).map((msg) => fieldInvalid(child(p, 'ip'), lb.ip, msg)));
    if (lb.hostname) {
      for (const msg of isDNS1123Subdomain(lb.hostname)) {
        errs.push(fieldInvalid(child(p, 'hostname'), lb.hostname, msg));
      }
      if (parseIP(lb.hostname) !== undefined) {
        errs.push(
          fieldInvalid(child(p, 'hostname'), lb.hostname, 'must be a DNS name, not an IP address'),
        );
      }
    }
  });
  return errs;
}

/**
 * formatHosts: the hosts of the first rules, up to three, and then how many rules follow the
 * third shown host (upstream counts all rules beyond three, with or without a host).
 */
function formatHosts(rules: readonly Rule[]): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (list.length === max) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${rules.length - max} more...` : list.join(',');
}

/** ingressLoadBalancerStatusStringer: sorted distinct IPs (else hostnames), clipped. */
function formatAddress(ing: Ingress): string {
  const seen = new Set<string>();
  for (const lb of ing.status?.loadBalancer?.ingress ?? []) {
    if (lb.ip) seen.add(lb.ip);
    else if (lb.hostname) seen.add(lb.hostname);
  }
  const r = [...seen].sort().join(',');
  return r.length > LOAD_BALANCER_WIDTH ? `${r.slice(0, LOAD_BALANCER_WIDTH - 3)}...` : r;
}

export const INGRESS = defineResource<Ingress>({
  discovery: {
    kind: 'Ingress',
    group: 'networking.k8s.io',
    resource: 'ingresses',
    namespaced: true,
    shortNames: ['ing'],
  },
  // ingressStrategy.PrepareForCreate: status starts empty.
  prepareForCreate: (ing) => ({ ...ing, status: { loadBalancer: {} } }),
  validate: validateIngressCreate,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateIngressUpdate },
  tracksGeneration: true,
  subresources: [statusSubresource(validateIngressStatusUpdate)],
  table: [
    NAME_COLUMN,
    {
      name: 'Class',
      type: 'string',
      priority: 0,
      description:
        'The name of the IngressClass resource that should be used for additional configuration',
      cell: (ing) => ing.spec?.ingressClassName ?? '<none>',
    },
    {
      name: 'Hosts',
      type: 'string',
      priority: 0,
      description: 'Hosts that incoming requests are matched against before the ingress rule',
      cell: (ing) => formatHosts(ing.spec?.rules ?? []),
    },
    {
      name: 'Address',
      type: 'string',
      priority: 0,
      description: 'Address is a list containing ingress points for the load-balancer',
      cell: formatAddress,
    },
    {
      name: 'Ports',
      type: 'string',
      priority: 0,
      description: 'Ports of TLS configurations that open',
      cell: (ing) => ((ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80'),
    },
    AGE_COLUMN,
  ],
});
