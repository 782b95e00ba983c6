/**
 * authorization.k8s.io/v1 reviews (staging/src/k8s.io/api/authorization/v1/types.go), from
 * kubernetes-types: create-only objects the API server answers and never stores.
 */
import type {
  SelfSubjectAccessReview as UpstreamSelfSubjectAccessReview,
  SelfSubjectRulesReview as UpstreamSelfSubjectRulesReview,
  SubjectAccessReview as UpstreamSubjectAccessReview,
  SubjectAccessReviewSpec as UpstreamSubjectAccessReviewSpec,
} from 'kubernetes-types/authorization/v1.d.ts';
import type { DeepReadonly, Stored } from './stored.ts';

export type SubjectAccessReview = Stored<UpstreamSubjectAccessReview>;
export type SelfSubjectAccessReview = Stored<UpstreamSelfSubjectAccessReview>;
export type SelfSubjectRulesReview = Stored<UpstreamSelfSubjectRulesReview>;
export type AccessReviewSpec = DeepReadonly<UpstreamSubjectAccessReviewSpec>;
