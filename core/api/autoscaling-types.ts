import type { ObjectMeta } from './meta-types.ts';

/**
 * autoscaling/v1 Scale: the view of a replicated object that the scale subresource serves
 * (staging/src/k8s.io/api/autoscaling/v1/types.go). It is never stored.
 */
export interface Scale {
  readonly apiVersion: 'autoscaling/v1';
  readonly kind: 'Scale';
  readonly metadata: ObjectMeta;
  readonly spec: { readonly replicas?: number };
  readonly status: {
    readonly replicas: number;
    /** The label selector in its string form ("app=web"), for clients that cannot read the object. */
    readonly selector?: string;
  };
}
