/**
 * metrics-server's storage (pkg/storage): the latest successful scrape of each node, replaced
 * whole by every scrape round, so a node that stopped answering drops out of NodeMetrics and
 * its pods out of PodMetrics at the next round. Upstream keeps two points per series to derive
 * CPU rates from cumulative counters; the kubelet here reports usage as rates already, so one
 * point is enough and a series is served from its first scrape.
 */
import type { KubeletReply, PodSample } from '../api/kubelet-protocol.ts';

export type NodeSample = Extract<KubeletReply, { kind: 'resource-metrics' }>;

export interface StoredPod {
  readonly sample: PodSample;
  readonly node: string;
  readonly timestampUs: number;
}

export class MetricsStorage {
  private nodes = new Map<string, NodeSample>();
  /** namespace/name -> the pod's latest sample. */
  private pods = new Map<string, StoredPod>();

  /** Replaces everything with one round's answers (in node-name order). */
  store(batch: readonly NodeSample[]): void {
    const nodes = new Map<string, NodeSample>();
    const pods = new Map<string, StoredPod>();
    for (const n of batch) {
      nodes.set(n.node, n);
      for (const p of n.pods) {
        // A pod with no container sampled yet has no usage to report (upstream skips it too).
        if (p.containers.length === 0) continue;
        pods.set(`${p.namespace}/${p.name}`, {
          sample: p,
          node: n.node,
          timestampUs: n.timestampUs,
        });
      }
    }
    this.nodes = nodes;
    this.pods = pods;
  }

  node(name: string): NodeSample | undefined {
    return this.nodes.get(name);
  }

  pod(namespace: string, name: string): StoredPod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }
}
