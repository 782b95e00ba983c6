/** SubjectAccessReview: may this user do that? Asked by anyone allowed to ask (webhooks, proxies). */
import type { SubjectAccessReview } from '../access-review-types.ts';
import { validateAccessReviewSpec, validateReviewMeta } from '../access-review-validation.ts';
import { defineResource } from './common.ts';

export const SUBJECT_ACCESS_REVIEW = defineResource<SubjectAccessReview>({
  discovery: {
    kind: 'SubjectAccessReview',
    group: 'authorization.k8s.io',
    resource: 'subjectaccessreviews',
    namespaced: false,
    verbs: ['create'],
  },
  validate: (r) => [...validateReviewMeta(r.metadata), ...validateAccessReviewSpec(r.spec, false)],
});
