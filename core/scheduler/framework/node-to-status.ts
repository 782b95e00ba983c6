/**
 * Why each node was turned down in a cycle (pkg/scheduler/framework/types.go NodeToStatus).
 * Nodes not listed share `absentStatus` (set when PreFilter rejected or narrowed the nodes).
 *
 * Unschedulable pods list every node, so entries are kept in arrays (with the NodeInfo when
 * the caller has it) and the by-name index is built only if someone asks by name.
 */
import type { NodeInfo } from './node-info.ts';
import { Status } from './status.ts';

export class NodeToStatus {
  private readonly names: string[] = [];
  private readonly statuses: Status[] = [];
  private readonly nodes: (NodeInfo | undefined)[] = [];
  private index: Map<string, number> | undefined = undefined;
  absentStatus: Status = Status.unresolvable();

  /** Records a node's status; each node is recorded at most once per cycle. */
  set(nodeName: string, s: Status, nodeInfo?: NodeInfo): void {
    const i = this.index?.get(nodeName);
    if (i !== undefined) {
      this.statuses[i] = s;
      this.nodes[i] = nodeInfo;
      return;
    }
    this.index?.set(nodeName, this.names.length);
    this.names.push(nodeName);
    this.statuses.push(s);
    this.nodes.push(nodeInfo);
  }

  get(nodeName: string): Status {
    const i = this.lookup(nodeName);
    return i === undefined ? this.absentStatus : (this.statuses[i] as Status);
  }

  has(nodeName: string): boolean {
    return this.lookup(nodeName) !== undefined;
  }

  get size(): number {
    return this.names.length;
  }

  *entries(): IterableIterator<[string, Status]> {
    for (let i = 0; i < this.names.length; i++)
      yield [this.names[i] as string, this.statuses[i] as Status];
  }

  /** Recorded statuses in order, without allocating per entry. */
  forEach(fn: (nodeName: string, s: Status, nodeInfo: NodeInfo | undefined) => void): void {
    for (let i = 0; i < this.names.length; i++)
      fn(this.names[i] as string, this.statuses[i] as Status, this.nodes[i]);
  }

  private lookup(nodeName: string): number | undefined {
    if (this.index === undefined) {
      this.index = new Map();
      this.names.forEach((n, i) => this.index?.set(n, i));
    }
    return this.index.get(nodeName);
  }
}
