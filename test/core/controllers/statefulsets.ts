/** Pieces the StatefulSet tests share: a manifest, and a watcher that checks ordering. */
import type { StatefulSet } from '../../../core/api/kinds/stateful-set.ts';
import { isBeingDeleted } from '../../../core/api/meta.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { Informer } from '../../../core/client/informer.ts';
import {
  getOrdinal,
  isMemberOf,
  isRunningAndReady,
} from '../../../core/controllers/statefulset/stateful-set-utils.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { adminClient } from '../../support/cluster.ts';

export function statefulSet(
  name: string,
  replicas: number,
  spec: Partial<StatefulSet['spec']> = {},
  image = 'nginx:1.25',
): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image }] },
      },
      ...spec,
    },
  };
}

export function withSetImage(set: StatefulSet, image: string): StatefulSet {
  const spec = set.spec.template.spec;
  return {
    ...set,
    spec: {
      ...set.spec,
      template: {
        ...set.spec.template,
        spec: { ...spec, containers: (spec?.containers ?? []).map((c) => ({ ...c, image })) },
      },
    },
  };
}

/**
 * Watches a set's pods in store order (the watch is ordered and gap-free) and records every
 * creation with the ordinals that had been Running and Ready before it, per live pod UID:
 * under OrderedReady, pod N is never created before pods start..N-1 have each been ready.
 */
export class OrderingMonitor {
  /** Ordinals in creation order. */
  readonly created: number[] = [];
  /** Creations that came before a predecessor (a live pod of a lower ordinal) had been ready. */
  readonly violations: string[] = [];
  private readonly everReady = new Set<string>();
  private informer: Informer<'Pod'> | undefined;

  constructor(
    sim: Simulation,
    private readonly set: StatefulSet,
    private readonly start = 0,
  ) {
    sim.spawnProcess(`ordering-${set.metadata.name}`, (p) => {
      const inf = new Informer(p, adminClient(p), 'Pod');
      this.informer = inf;
      inf.addEventHandler({
        onAdd: (pod) => this.added(pod),
        onUpdate: (_old, pod) => this.observe(pod),
      });
      inf.start();
    });
  }

  pods(): Pod[] {
    return (this.informer?.list() ?? []).filter((p) => isMemberOf(this.set, p));
  }

  live(): Pod[] {
    return this.pods().filter((p) => !isBeingDeleted(p));
  }

  private observe(pod: Pod): void {
    if (isRunningAndReady(pod)) this.everReady.add(pod.metadata.uid ?? '');
  }

  private added(pod: Pod): void {
    if (!isMemberOf(this.set, pod)) return;
    this.observe(pod);
    const ordinal = getOrdinal(pod);
    this.created.push(ordinal);
    const byOrdinal = new Map(this.pods().map((p) => [getOrdinal(p), p]));
    for (let o = this.start; o < ordinal; o++) {
      const prev = byOrdinal.get(o);
      if (prev === undefined || !this.everReady.has(prev.metadata.uid ?? ''))
        this.violations.push(`${pod.metadata.name} created before ordinal ${o} was ready`);
    }
  }
}
