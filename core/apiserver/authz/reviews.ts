/**
 * The access reviews the API server answers without storing anything
 * (pkg/registry/authorization/{subjectaccessreview,selfsubjectaccessreview,
 * selfsubjectrulesreview}/rest.go): the authorizer chain's decision for the requesting user or
 * the named one, or the rules the requesting user holds in a namespace.
 */
import type {
  AccessReviewSpec,
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
} from '../../api/access-review-types.ts';
import type { KObject } from '../../api/types.ts';
import { userInfo, type UserInfo } from '../authn/user.ts';
import type { AccessControl } from './access-control.ts';
import type { Attributes } from './attributes.ts';

/** Answers a validated review body on behalf of `user`. */
export type ReviewHandler = (user: UserInfo, body: KObject) => Promise<KObject>;

export function accessReviews(access: AccessControl): ReadonlyMap<string, ReviewHandler> {
  return new Map<string, ReviewHandler>([
    [
      'subjectaccessreviews',
      async (_requester, body) => {
        const r = body as SubjectAccessReview;
        const subject = userInfo(
          r.spec.user ?? '',
          r.spec.groups ?? [],
          r.spec.uid ?? '',
          r.spec.extra ?? {},
        );
        return { ...r, status: await decide(access, subject, r.spec) };
      },
    ],
    [
      'selfsubjectaccessreviews',
      async (user, body) => {
        const r = body as SelfSubjectAccessReview;
        return { ...r, status: await decide(access, user, r.spec) };
      },
    ],
    [
      'selfsubjectrulesreviews',
      async (user, body) => {
        const r = body as SelfSubjectRulesReview;
        const rules = await access.rulesFor(user, r.spec.namespace ?? '');
        const status = {
          resourceRules: rules.resourceRules.map((x) => ({
            verbs: x.verbs,
            apiGroups: x.apiGroups ?? [],
            resources: x.resources ?? [],
            resourceNames: x.resourceNames ?? [],
          })),
          nonResourceRules: rules.nonResourceRules.map((x) => ({
            verbs: x.verbs,
            nonResourceURLs: x.nonResourceURLs ?? [],
          })),
          incomplete: rules.incomplete,
          ...(rules.errors.length > 0 ? { evaluationError: rules.errors.join(', ') } : {}),
        };
        return { ...r, status };
      },
    ],
  ]);
}

async function decide(access: AccessControl, user: UserInfo, spec: AccessReviewSpec) {
  const r = await Promise.resolve(access.authorize(attributesOf(user, spec)));
  return {
    allowed: r.decision === 'allow',
    ...(r.decision === 'deny' ? { denied: true } : {}),
    ...(r.reason === '' ? {} : { reason: r.reason }),
  };
}

/** authorizationutil.AuthorizationAttributesFrom. */
function attributesOf(user: UserInfo, spec: AccessReviewSpec): Attributes {
  const base = {
    user,
    namespace: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    name: '',
    fieldSelector: [],
  };
  const nr = spec.nonResourceAttributes;
  if (nr !== undefined) {
    return { ...base, verb: nr.verb ?? '', resourceRequest: false, path: nr.path ?? '' };
  }
  const ra = spec.resourceAttributes ?? {};
  return {
    ...base,
    verb: ra.verb ?? '',
    resourceRequest: true,
    path: '',
    namespace: ra.namespace ?? '',
    apiGroup: ra.group ?? '',
    apiVersion: ra.version ?? '',
    resource: ra.resource ?? '',
    subresource: ra.subresource ?? '',
    name: ra.name ?? '',
  };
}
