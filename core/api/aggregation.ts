/**
 * API aggregation (kube-aggregator): a group version that another process serves, and the API
 * server proxies to it. The equivalent of an APIService object with a service behind it
 * (apiregistration.k8s.io/v1 APIService v1beta1.metrics.k8s.io), fixed when the cluster is
 * planned instead of stored.
 */
export interface AggregatedApi {
  readonly group: string;
  readonly version: string;
  /** The process that serves it (over the API protocol). */
  readonly service: string;
}

/**
 * The user the aggregator's proxy client authenticates as (kube-apiserver
 * --proxy-client-cert-file, as kubeadm issues it): backends accept requests only from it
 * (--requestheader-allowed-names).
 */
export const FRONT_PROXY_USER = 'front-proxy-client';
