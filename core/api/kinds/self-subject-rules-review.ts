/** SelfSubjectRulesReview: what may I do in this namespace? (`kubectl auth can-i --list`). */
import type { SelfSubjectRulesReview } from '../access-review-types.ts';
import { validateReviewMeta } from '../access-review-validation.ts';
import { defineResource } from './common.ts';

export const SELF_SUBJECT_RULES_REVIEW = defineResource<SelfSubjectRulesReview>({
  discovery: {
    kind: 'SelfSubjectRulesReview',
    group: 'authorization.k8s.io',
    resource: 'selfsubjectrulesreviews',
    namespaced: false,
    verbs: ['create'],
  },
  validate: (r) => validateReviewMeta(r.metadata),
});
