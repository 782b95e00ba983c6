/**
 * Validation and defaulting of the RBAC kinds (pkg/apis/rbac/validation/validation.go,
 * pkg/apis/rbac/v1/defaults.go), shared by the four kind definitions.
 */
import {
  child,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  index,
  type FieldError,
} from './field-error.ts';
import { nameIsDNSSubdomain, validateLabelSelector } from './meta-validation.ts';
import {
  GROUP_KIND,
  RBAC_GROUP,
  SERVICE_ACCOUNT_KIND,
  USER_KIND,
  type AggregationRule,
  type PolicyRule,
  type RoleRef,
  type Subject,
} from './rbac-types.ts';

/** path.IsValidPathSegmentName / IsValidPathSegmentPrefix: RBAC names are URL path segments. */
export function rbacName(name: string, prefix: boolean): string[] {
  if (!prefix) {
    for (const illegal of ['.', '..']) if (name === illegal) return [`may not be '${illegal}'`];
  }
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** ValidatePolicyRule. */
export function validatePolicyRule(
  rule: PolicyRule,
  namespaced: boolean,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (rule.verbs.length === 0) {
    errs.push(fieldRequired(child(path, 'verbs'), 'verbs must contain at least one value'));
  }
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (namespaced) {
      errs.push(
        fieldInvalid(
          child(path, 'nonResourceURLs'),
          urls,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    const resourceParts =
      (rule.apiGroups ?? []).length +
      (rule.resources ?? []).length +
      (rule.resourceNames ?? []).length;
    if (resourceParts > 0) {
      errs.push(
        fieldInvalid(
          child(path, 'nonResourceURLs'),
          urls,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if ((rule.apiGroups ?? []).length === 0) {
    errs.push(
      fieldRequired(child(path, 'apiGroups'), 'resource rules must supply at least one api group'),
    );
  }
  if ((rule.resources ?? []).length === 0) {
    errs.push(
      fieldRequired(child(path, 'resources'), 'resource rules must supply at least one resource'),
    );
  }
  return errs;
}

export function validateRules(
  rules: readonly PolicyRule[] | undefined,
  namespaced: boolean,
): FieldError[] {
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(r, namespaced, index('rules', i)));
}

/** ValidateClusterRole's aggregation part. */
export function validateAggregationRule(rule: AggregationRule | undefined): FieldError[] {
  if (rule === undefined) return [];
  const selectors = rule.clusterRoleSelectors ?? [];
  if (selectors.length === 0) {
    return [
      fieldRequired(
        'aggregationRule.clusterRoleSelectors',
        'at least one clusterRoleSelector required if aggregationRule is non-nil',
      ),
    ];
  }
  return selectors.flatMap((s, i) =>
    validateLabelSelector(s, index('aggregationRule.clusterRoleSelectors', i)),
  );
}

/** The roleRef of a binding: `kinds` are the role kinds it may name. */
export function validateRoleRef(ref: RoleRef, kinds: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup !== RBAC_GROUP) {
    errs.push(fieldNotSupported('roleRef.apiGroup', ref.apiGroup, [RBAC_GROUP]));
  }
  if (!kinds.includes(ref.kind)) errs.push(fieldNotSupported('roleRef.kind', ref.kind, kinds));
  if (ref.name === '') errs.push(fieldRequired('roleRef.name'));
  else {
    for (const msg of rbacName(ref.name, false)) {
      errs.push(fieldInvalid('roleRef.name', ref.name, msg));
    }
  }
  return errs;
}

/** ValidateRoleBindingSubject. */
export function validateSubject(s: Subject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (s.name === '') errs.push(fieldRequired(child(path, 'name')));
  switch (s.kind) {
    case SERVICE_ACCOUNT_KIND:
      if (s.name !== '') {
        for (const msg of nameIsDNSSubdomain(s.name, false)) {
          errs.push(fieldInvalid(child(path, 'name'), s.name, msg));
        }
      }
      if ((s.apiGroup ?? '') !== '') {
        errs.push(fieldNotSupported(child(path, 'apiGroup'), s.apiGroup, ['']));
      }
      if (!namespaced && (s.namespace ?? '') === '') {
        errs.push(fieldRequired(child(path, 'namespace')));
      }
      break;
    case USER_KIND:
    case GROUP_KIND:
      if (s.apiGroup !== RBAC_GROUP) {
        errs.push(fieldNotSupported(child(path, 'apiGroup'), s.apiGroup ?? '', [RBAC_GROUP]));
      }
      break;
    default:
      errs.push(
        fieldNotSupported(child(path, 'kind'), s.kind, [
          SERVICE_ACCOUNT_KIND,
          USER_KIND,
          GROUP_KIND,
        ]),
      );
  }
  return errs;
}

export function validateSubjects(
  subjects: readonly Subject[] | undefined,
  namespaced: boolean,
): FieldError[] {
  return (subjects ?? []).flatMap((s, i) => validateSubject(s, namespaced, index('subjects', i)));
}

/** SetDefaults_Subject: users and groups are RBAC's, service accounts the core group's. */
export function defaultSubjects(
  subjects: readonly Subject[] | undefined,
): readonly Subject[] | undefined {
  return subjects?.map((s) =>
    (s.apiGroup ?? '') === '' && (s.kind === USER_KIND || s.kind === GROUP_KIND)
      ? { ...s, apiGroup: RBAC_GROUP }
      : s,
  );
}

/** SetDefaults_RoleBinding / ClusterRoleBinding: the roleRef's group. */
/** A missing roleRef is Go's zero RoleRef (a struct, not a pointer): empty strings. */
export function defaultRoleRef(given: RoleRef | undefined): RoleRef {
  const ref = given ?? { apiGroup: '', kind: '', name: '' };
  return ref.apiGroup === '' ? { ...ref, apiGroup: RBAC_GROUP } : ref;
}
