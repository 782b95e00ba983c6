/** SelfSubjectAccessReview: may I do that? (`kubectl auth can-i`). */
import type { SelfSubjectAccessReview } from '../access-review-types.ts';
import { validateAccessReviewSpec, validateReviewMeta } from '../access-review-validation.ts';
import { defineResource } from './common.ts';

export const SELF_SUBJECT_ACCESS_REVIEW = defineResource<SelfSubjectAccessReview>({
  discovery: {
    kind: 'SelfSubjectAccessReview',
    group: 'authorization.k8s.io',
    resource: 'selfsubjectaccessreviews',
    namespaced: false,
    verbs: ['create'],
  },
  validate: (r) => [...validateReviewMeta(r.metadata), ...validateAccessReviewSpec(r.spec, true)],
});
