/**
 * Node iteration order (pkg/scheduler/backend/cache/node_tree.go): nodes grouped by zone and
 * listed round-robin across zones, so that sampling a percentage of nodes from any start index
 * still sees every zone.
 */
import type { Node } from '../../api/node-types.ts';

export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_TOPOLOGY_REGION = 'topology.kubernetes.io/region';

/** utilnode.GetZoneKey: region and zone joined with ":\x00:"; "" when neither is set. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const region = labels[LABEL_TOPOLOGY_REGION] ?? '';
  const zone = labels[LABEL_TOPOLOGY_ZONE] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\x00:${zone}`;
}

export class NodeTree {
  /** Zone key -> node names, zones in first-seen order. */
  private readonly zones = new Map<string, string[]>();
  private readonly zoneOf = new Map<string, string>();

  get numNodes(): number {
    return this.zoneOf.size;
  }

  add(node: Node): void {
    const name = node.metadata.name ?? '';
    const zone = zoneKey(node);
    const old = this.zoneOf.get(name);
    if (old === zone) return;
    if (old !== undefined) this.remove(name);
    let names = this.zones.get(zone);
    if (names === undefined) {
      names = [];
      this.zones.set(zone, names);
    }
    names.push(name);
    this.zoneOf.set(name, zone);
  }

  remove(name: string): void {
    const zone = this.zoneOf.get(name);
    if (zone === undefined) return;
    const names = this.zones.get(zone) ?? [];
    const i = names.indexOf(name);
    if (i >= 0) names.splice(i, 1);
    if (names.length === 0) this.zones.delete(zone);
    this.zoneOf.delete(name);
  }

  /** Has the node's zone changed (or is it new)? */
  needsUpdate(node: Node): boolean {
    return this.zoneOf.get(node.metadata.name ?? '') !== zoneKey(node);
  }

  list(): string[] {
    const out: string[] = [];
    const zones = [...this.zones.values()];
    for (let i = 0; out.length < this.zoneOf.size; i++)
      for (const names of zones) {
        const n = names[i];
        if (n !== undefined) out.push(n);
      }
    return out;
  }
}
