/**
 * IngressClasses of networking.k8s.io/v1 (pkg/apis/networking/validation/validation.go
 * ValidateIngressClass / ValidateIngressClassUpdate as of 1.32, pkg/apis/networking/v1/
 * defaults.go, pkg/registry/networking/ingressclass/strategy.go; printers: printIngressClass).
 * Stored and validated only: no ingress controller claims them.
 */
import type {
  IngressClass as UpstreamIngressClass,
  IngressClassParametersReference,
} from 'kubernetes-types/networking/v1.d.ts';
import { isDNS1123Subdomain, regexError } from '../content-checks.ts';
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  type FieldError,
} from '../field-error.ts';
import {
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import { isPathSegmentName } from '../net-checks.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export type IngressClass = Stored<UpstreamIngressClass>;
type ParametersReference = DeepReadonly<IngressClassParametersReference>;

const MAX_CONTROLLER_LENGTH = 250;
const SCOPES = ['Cluster', 'Namespace'];
const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const httpPathRe = new RegExp(`^${HTTP_PATH_FMT}$`);

/** validation.IsDomainPrefixedPath: "acme.io/foo", reporting each part as the bad value. */
function domainPrefixedPathErrors(value: string, path: string): FieldError[] {
  if (value.length === 0) return [fieldRequired(path)];
  const slash = value.indexOf('/');
  const host = slash < 0 ? '' : value.slice(0, slash);
  const rest = slash < 0 ? '' : value.slice(slash + 1);
  if (host.length === 0 || rest.length === 0) {
    return [fieldInvalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  }
  const errs = isDNS1123Subdomain(host).map((msg) => fieldInvalid(path, host, msg));
  if (!httpPathRe.test(rest)) {
    errs.push(fieldInvalid(path, rest, regexError('Invalid path', HTTP_PATH_FMT)));
  }
  return errs;
}

function validateParameters(params: ParametersReference | undefined): FieldError[] {
  if (params === undefined) return [];
  const path = 'spec.parameters';
  const errs: FieldError[] = [];
  if (params.apiGroup !== undefined) {
    for (const msg of isDNS1123Subdomain(params.apiGroup)) {
      errs.push(fieldInvalid(child(path, 'apiGroup'), params.apiGroup, msg));
    }
  }
  for (const f of ['kind', 'name'] as const) {
    const v = params[f] ?? '';
    if (v === '') errs.push(fieldRequired(child(path, f)));
    else errs.push(...isPathSegmentName(v).map((msg) => fieldInvalid(child(path, f), v, msg)));
  }
  if (params.scope === undefined) return [...errs, fieldRequired(child(path, 'scope'))];
  if (!SCOPES.includes(params.scope)) {
    errs.push(fieldNotSupported(child(path, 'scope'), params.scope, SCOPES));
  } else if (params.scope === 'Namespace') {
    if (params.namespace === undefined) {
      errs.push(
        fieldRequired(child(path, 'namespace'), "`parameters.scope` is set to 'Namespace'"),
      );
    } else {
      for (const msg of nameIsDNSLabel(params.namespace, false)) {
        errs.push(fieldInvalid(child(path, 'namespace'), params.namespace, msg));
      }
    }
  } else if (params.namespace !== undefined) {
    errs.push(fieldForbidden(child(path, 'namespace'), "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

export function validateIngressClass(ic: IngressClass): FieldError[] {
  const errs = validateObjectMeta(ic.metadata, false, nameIsDNSSubdomain);
  const controller = ic.spec?.controller ?? '';
  if (controller.length > MAX_CONTROLLER_LENGTH) {
    errs.push(fieldTooLong('spec.controller', MAX_CONTROLLER_LENGTH));
  }
  errs.push(...domainPrefixedPathErrors(controller, 'spec.controller'));
  errs.push(...validateParameters(ic.spec?.parameters));
  return errs;
}

/** The controller that owns a class cannot change; everything else is revalidated. */
export function validateIngressClassUpdate(ic: IngressClass, old: IngressClass): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ic.metadata, old.metadata),
    ...validateImmutableField(
      ic.spec?.controller ?? '',
      old.spec?.controller ?? '',
      'spec.controller',
    ),
    ...validateIngressClass(ic),
  ];
}

/** SetDefaults_IngressClass: parameters without a scope are cluster-scoped. */
function defaultIngressClass(ic: IngressClass): IngressClass {
  const params = ic.spec?.parameters;
  if (params === undefined || params.scope !== undefined) return ic;
  return { ...ic, spec: { ...ic.spec, parameters: { ...params, scope: 'Cluster' } } };
}

/** "Kind.group/name" of the parameters, or "<none>". */
function formatParameters(ic: IngressClass): string {
  const p = ic.spec?.parameters;
  if (p === undefined) return '<none>';
  const kind = p.apiGroup === undefined ? p.kind : `${p.kind}.${p.apiGroup}`;
  return `${kind}/${p.name}`;
}

export const INGRESS_CLASS = defineResource<IngressClass>({
  discovery: {
    kind: 'IngressClass',
    group: 'networking.k8s.io',
    resource: 'ingressclasses',
    namespaced: false,
  },
  defaults: defaultIngressClass,
  validate: validateIngressClass,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateIngressClassUpdate },
  tracksGeneration: true,
  table: [
    NAME_COLUMN,
    {
      name: 'Controller',
      type: 'string',
      priority: 0,
      description: 'Controller that is responsible for handling this class',
      cell: (ic) => ic.spec?.controller ?? '',
    },
    {
      name: 'Parameters',
      type: 'string',
      priority: 0,
      description: 'A reference to a resource with additional parameters',
      cell: formatParameters,
    },
    AGE_COLUMN,
  ],
});
