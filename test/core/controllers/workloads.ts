/**
 * Pieces the workload controller tests share: manifests, a stand-in for kubelets that makes
 * pods ready (or finish), and a watcher that counts a workload's pods at every change.
 */
import { isBeingDeleted } from '../../../core/api/meta.ts';
import type { Deployment } from '../../../core/api/kinds/deployment.ts';
import { isPodReady } from '../../../core/api/pod-helpers.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { formatTime } from '../../../core/api/time.ts';
import { Informer } from '../../../core/client/informer.ts';
import { isPodActive } from '../../../core/controllers/common/active-pods.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { KObject } from '../../../core/api/types.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { adminClient } from '../../support/cluster.ts';

export function deployment(
  name: string,
  replicas: number,
  spec: Partial<Deployment['spec']> = {},
  image = 'nginx:1.25',
): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image }] },
      },
      ...spec,
    },
  };
}

export function withImage(d: Deployment, image: string): Deployment {
  const spec = d.spec.template.spec;
  return {
    ...d,
    spec: {
      ...d.spec,
      template: {
        ...d.spec.template,
        spec: { ...spec, containers: spec.containers.map((c) => ({ ...c, image })) },
      },
    },
  };
}

export function readyStatus(pod: Pod, nowUs: number, podIP?: string): Pod {
  const iso = formatTime(nowUs);
  return {
    ...pod,
    status: {
      ...pod.status,
      ...(podIP === undefined ? {} : { podIP, podIPs: [{ ip: podIP }] }),
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso },
        { type: 'Ready', status: 'True', lastTransitionTime: iso },
      ],
    },
  };
}

/**
 * Plays the kubelets' part for controller tests without nodes: every new pod is reported
 * Running and Ready `delayUs` after it appears (unless `accept` says no), and a pod being
 * deleted is removed after `terminationUs`, as a kubelet finishing a graceful stop.
 */
export class FakeKubelets {
  accept: (pod: Pod) => boolean = () => true;
  /** Pods get addresses 10.244.0.1, 10.244.0.2, ... in the order they become ready. */
  private nextIP = 1;
  private informer: Informer<'Pod'> | undefined;

  constructor(
    sim: Simulation,
    private readonly delayUs = 2_000_000,
    private readonly terminationUs = 1_000_000,
  ) {
    sim.spawnProcess('fake-kubelets', (p) => {
      const api = adminClient(p);
      const inf = new Informer(p, api, 'Pod');
      this.informer = inf;
      inf.addEventHandler({
        onAdd: (pod) => p.spawn(() => this.handle(p, pod)),
        onUpdate: (old, pod) => {
          if (!isBeingDeleted(old) && isBeingDeleted(pod)) p.spawn(() => this.handle(p, pod));
        },
      });
      inf.start();
    });
  }

  private async handle(p: ProcessPorts, pod: Pod): Promise<void> {
    const api = adminClient(p);
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name ?? '';
    if (isBeingDeleted(pod)) {
      await p.clock.sleep(this.terminationUs);
      await api.delete('Pod', ns, name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid ?? '' },
      });
      return;
    }
    if (isPodReady(pod) || !this.accept(pod)) return;
    await p.clock.sleep(this.delayUs);
    const cur = this.informer?.get(`${ns}/${name}`);
    if (cur === undefined || cur.metadata.uid !== pod.metadata.uid || isBeingDeleted(cur)) return;
    const ip = `10.244.${this.nextIP >> 8}.${this.nextIP & 255}`;
    this.nextIP++;
    await api.updateStatus(readyStatus(cur, p.clock.now(), ip));
  }
}

/**
 * Counts the active and the available (active and Ready) pods labelled `labelKey`=`app` after every
 * pod event, and keeps the extremes seen while `watching` is on. With `replicaSets`, it also
 * watches the ReplicaSets of that template label and keeps two bounds a Deployment's rolling
 * update promises, as upstream's deployment controller states them: the sum of the ReplicaSets'
 * spec.replicas (`maxSpecTotal`), and the active pods each ReplicaSet still wants, at most its
 * spec.replicas (`maxWanted`). A ReplicaSet scaled down deletes its extra pods while another
 * scaled up creates, and upstream does not order the two: for a moment there may be one active
 * pod more than maxSurge, which `maxActive` sees and `maxWanted` does not count.
 */
export class RolloutMonitor {
  watching = false;
  maxActive = 0;
  maxWanted = 0;
  maxSpecTotal = 0;
  minAvailable = Infinity;
  readonly history: { atUs: number; active: number; available: number }[] = [];
  private informer: Informer<'Pod'> | undefined;
  private replicaSetInformer: Informer<'ReplicaSet'> | undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly app: string,
    private readonly labelKey = 'app',
    options: { readonly replicaSets?: boolean } = {},
  ) {
    sim.spawnProcess(`monitor-${app}`, (p) => {
      const check = (): void => this.observe();
      if (options.replicaSets === true) {
        const rsInf = new Informer(p, adminClient(p), 'ReplicaSet');
        this.replicaSetInformer = rsInf;
        rsInf.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
        rsInf.start();
      }
      const inf = new Informer(p, adminClient(p), 'Pod');
      this.informer = inf;
      inf.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
      inf.start();
    });
  }

  pods(): Pod[] {
    return (this.informer?.list() ?? []).filter(
      (p) => p.metadata.labels?.[this.labelKey] === this.app,
    );
  }

  active(): Pod[] {
    return this.pods().filter(isPodActive);
  }

  available(): number {
    return this.active().filter(isPodReady).length;
  }

  private observe(): void {
    const active = this.active().length;
    const available = this.available();
    const last = this.history.at(-1);
    if (last?.active !== active || last.available !== available)
      this.history.push({ atUs: this.sim.now, active, available });
    if (!this.watching) return;
    this.maxActive = Math.max(this.maxActive, active);
    this.minAvailable = Math.min(this.minAvailable, available);
    if (this.replicaSetInformer !== undefined) this.observeReplicaSets(this.replicaSetInformer);
  }

  private observeReplicaSets(informer: Informer<'ReplicaSet'>): void {
    const specs = new Map<string, number>();
    for (const rs of informer.list())
      if (rs.spec?.template?.metadata?.labels?.[this.labelKey] === this.app)
        specs.set(rs.metadata.uid ?? '', rs.spec?.replicas ?? 1);
    const perOwner = new Map<string, number>();
    let unowned = 0;
    for (const pod of this.active()) {
      const owner = pod.metadata.ownerReferences?.find((r) => r.controller === true)?.uid;
      if (owner === undefined || !specs.has(owner)) unowned++;
      else perOwner.set(owner, (perOwner.get(owner) ?? 0) + 1);
    }
    let wanted = unowned;
    let specTotal = 0;
    for (const [uid, spec] of specs) {
      specTotal += spec;
      wanted += Math.min(perOwner.get(uid) ?? 0, spec);
    }
    this.maxWanted = Math.max(this.maxWanted, wanted);
    this.maxSpecTotal = Math.max(this.maxSpecTotal, specTotal);
  }
}

/** harness.ts's watchKind with the admin's credential, for clusters that authenticate. */
export function watchKindAsAdmin<K extends KObject['kind']>(
  sim: Simulation,
  kind: K,
  name: string,
): () => Informer<K> {
  let inf: Informer<K> | undefined;
  sim.spawnProcess(name, (p) => {
    inf = new Informer(p, adminClient(p), kind);
    inf.start();
  });
  return () => {
    if (inf === undefined) throw new Error(`watcher ${name} is not running`);
    return inf;
  };
}
