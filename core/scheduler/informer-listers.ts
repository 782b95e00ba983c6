import type { Namespace } from '../api/cluster-types.ts';
import { getControllerOf, objectKey } from '../api/meta.ts';
import type { LabelSelector } from '../api/meta-types.ts';
import type { Pod } from '../api/pod-types.ts';
import { selectorFromSet, type Labels } from '../api/selectors.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { ActionType, type OtherEventResource } from './framework/cluster-event.ts';
import {
  EMPTY_CLUSTER_LISTERS,
  type ClusterListers,
  type PodDisruptionBudgetView,
  type VolumeListers,
} from './framework/listers.ts';

/** An object of a kind plugins registered for changed (the engine's onOtherEvent). */
export type OtherEventSink = (
  resource: OtherEventResource,
  actionType: number,
  oldObj: unknown,
  newObj: unknown,
) => void;

/**
 * ClusterListers backed by informers: namespace labels (for namespaceSelector in affinity
 * terms); Services, ReplicationControllers, ReplicaSets and StatefulSets, whose selectors make
 * helper.DefaultSelector (which PodTopologySpread's default constraints spread by); and
 * PodDisruptionBudgets, which preemption respects.
 */
export class InformerListers implements ClusterListers {
  private readonly namespaces: Informer<'Namespace'>;
  private readonly services: Informer<'Service'>;
  private readonly replicationControllers: Informer<'ReplicationController'>;
  private readonly replicaSets: Informer<'ReplicaSet'>;
  private readonly statefulSets: Informer<'StatefulSet'>;
  private readonly budgets: Informer<'PodDisruptionBudget'>;
  private readonly claims: Informer<'PersistentVolumeClaim'>;
  private readonly persistentVolumes: Informer<'PersistentVolume'>;
  private readonly storageClasses: Informer<'StorageClass'>;
  readonly volumes: VolumeListers;
  private readonly all: readonly { hasSynced: boolean; start(): void; stop(): void }[];

  constructor(ports: ProcessPorts, api: ApiClient, onEvent: OtherEventSink = () => undefined) {
    this.namespaces = new Informer(ports, api, 'Namespace');
    this.services = new Informer(ports, api, 'Service');
    this.services.addIndexer('namespace', (s) => [s.metadata.namespace ?? '']);
    this.replicationControllers = new Informer(ports, api, 'ReplicationController');
    this.replicaSets = new Informer(ports, api, 'ReplicaSet');
    this.statefulSets = new Informer(ports, api, 'StatefulSet');
    this.budgets = new Informer(ports, api, 'PodDisruptionBudget');
    this.claims = new Informer(ports, api, 'PersistentVolumeClaim');
    this.persistentVolumes = new Informer(ports, api, 'PersistentVolume');
    this.storageClasses = new Informer(ports, api, 'StorageClass');
    const forward = (resource: OtherEventResource) => ({
      onAdd: (o: unknown) => onEvent(resource, ActionType.Add, undefined, o),
      onUpdate: (o: unknown, n: unknown) => onEvent(resource, ActionType.UpdateOther, o, n),
      onDelete: (o: unknown) => onEvent(resource, ActionType.Delete, o, undefined),
    });
    this.claims.addEventHandler(forward('PersistentVolumeClaim'));
    this.persistentVolumes.addEventHandler(forward('PersistentVolume'));
    this.storageClasses.addEventHandler(forward('StorageClass'));
    const { claims, persistentVolumes, storageClasses } = this;
    this.volumes = {
      claim: (namespace, name) => claims.get(objectKey(namespace, name)),
      volume: (name) => persistentVolumes.get(name),
      volumes: () => persistentVolumes.list(),
      storageClass: (name) => storageClasses.get(name),
    };
    this.all = [
      this.namespaces,
      this.services,
      this.replicationControllers,
      this.replicaSets,
      this.statefulSets,
      this.budgets,
      this.claims,
      this.persistentVolumes,
      this.storageClasses,
    ];
    for (const i of this.all) i.start();
  }

  get hasSynced(): boolean {
    return this.all.every((i) => i.hasSynced);
  }

  namespaceLabels(namespace: string): Labels {
    const ns: Namespace | undefined = this.namespaces.get(namespace);
    return ns?.metadata.labels ?? EMPTY_CLUSTER_LISTERS.namespaceLabels(namespace);
  }

  defaultSelectors(pod: Pod): readonly LabelSelector[] {
    const namespace = pod.metadata.namespace ?? '';
    const out: LabelSelector[] = [];
    for (const svc of this.services.byIndex('namespace', namespace)) {
      const selector = svc.spec?.selector;
      // GetPodServices: a Service without a selector selects nothing, not everything.
      if (selector === undefined || selector === null) continue;
      if (selectorFromSet(selector).matches(pod.metadata.labels))
        out.push({ matchLabels: selector });
    }
    const owner = getControllerOf(pod);
    if (owner === undefined) return out;
    const key = objectKey(namespace, owner.name);
    switch (`${owner.apiVersion}/${owner.kind}`) {
      case 'v1/ReplicationController': {
        const selector = this.replicationControllers.get(key)?.spec?.selector;
        if (selector !== undefined && selector !== null) out.push({ matchLabels: selector });
        break;
      }
      case 'apps/v1/ReplicaSet': {
        const rs = this.replicaSets.get(key);
        if (rs !== undefined) out.push(rs.spec.selector);
        break;
      }
      case 'apps/v1/StatefulSet': {
        const ss = this.statefulSets.get(key);
        if (ss !== undefined) out.push(ss.spec.selector);
        break;
      }
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
    for (const i of this.all) i.stop();
  }
}
