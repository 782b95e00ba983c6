import type { Namespace } from '../api/cluster-types.ts';
import type { LabelSelector } from '../api/meta-types.ts';
import { labelSelectorMatcher, type Labels } from '../api/selectors.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { EMPTY_CLUSTER_LISTERS, type ClusterListers, type PodDisruptionBudgetView } from './framework/listers.ts';

/**
 * ClusterListers backed by informers: namespace labels (for namespaceSelector in affinity
 * terms) and the selectors of the ReplicaSets that select a pod (helper.DefaultSelector's input,
 * which PodTopologySpread's default constraints spread by). Services and StatefulSets join when
 * those kinds exist; PodDisruptionBudgets likewise (none yet: preemption sees no budgets).
 */
export class InformerListers implements ClusterListers {
  private readonly namespaces: Informer<'Namespace'>;
  private readonly replicaSets: Informer<'ReplicaSet'>;

  constructor(ports: ProcessPorts, api: ApiClient) {
    this.namespaces = new Informer(ports, api, 'Namespace');
    this.replicaSets = new Informer(ports, api, 'ReplicaSet');
    this.replicaSets.addIndexer('namespace', (rs) => [rs.metadata.namespace ?? '']);
    this.namespaces.start();
    this.replicaSets.start();
  }

  get hasSynced(): boolean {
    return this.namespaces.hasSynced && this.replicaSets.hasSynced;
  }

  namespaceLabels(namespace: string): Labels {
    const ns: Namespace | undefined = this.namespaces.get(namespace);
    return ns?.metadata.labels ?? EMPTY_CLUSTER_LISTERS.namespaceLabels(namespace);
  }

  ownerSelectors(namespace: string, podLabels: Labels): readonly LabelSelector[] {
    const out: LabelSelector[] = [];
    for (const rs of this.replicaSets.byIndex('namespace', namespace)) {
      const selector = rs.spec.selector;
      if (labelSelectorMatcher(selector).matches(podLabels)) out.push(selector);
    }
    return out;
  }

  podDisruptionBudgets(): readonly PodDisruptionBudgetView[] {
    return [];
  }

  stop(): void {
    this.namespaces.stop();
    this.replicaSets.stop();
  }
}
