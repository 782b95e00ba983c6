import type { Namespace } from '../api/cluster-types.ts';
import type { LabelSelector } from '../api/meta-types.ts';
import { labelSelectorMatcher, type Labels } from '../api/selectors.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import type { ProcessPorts } from '../ports/process.ts';
import {
  EMPTY_CLUSTER_LISTERS,
  type ClusterListers,
  type PodDisruptionBudgetView,
} from './framework/listers.ts';

/**
 * ClusterListers backed by informers: namespace labels (for namespaceSelector in affinity
 * terms) and the selectors of the ReplicaSets that select a pod (helper.DefaultSelector's input,
 * which PodTopologySpread's default constraints spread by), and PodDisruptionBudgets, which
 * preemption respects. Services and StatefulSets join when those kinds exist.
 */
export class InformerListers implements ClusterListers {
  private readonly namespaces: Informer<'Namespace'>;
  private readonly replicaSets: Informer<'ReplicaSet'>;
  private readonly budgets: Informer<'PodDisruptionBudget'>;

  constructor(ports: ProcessPorts, api: ApiClient) {
    this.namespaces = new Informer(ports, api, 'Namespace');
    this.replicaSets = new Informer(ports, api, 'ReplicaSet');
    this.replicaSets.addIndexer('namespace', (rs) => [rs.metadata.namespace ?? '']);
    this.budgets = new Informer(ports, api, 'PodDisruptionBudget');
    this.namespaces.start();
    this.replicaSets.start();
    this.budgets.start();
  }

  get hasSynced(): boolean {
    return this.namespaces.hasSynced && this.replicaSets.hasSynced && this.budgets.hasSynced;
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
    return this.budgets.list().map((b) => ({
      namespace: b.metadata.namespace ?? '',
      selector: b.spec.selector,
      disruptionsAllowed: b.status?.disruptionsAllowed ?? 0,
      disruptedPods: new Set(Object.keys(b.status?.disruptedPods ?? {})),
    }));
  }

  stop(): void {
    this.namespaces.stop();
    this.replicaSets.stop();
    this.budgets.stop();
  }
}
