import type { Node } from '../../api/node-types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { EventRecorder } from '../common/events.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { runWorker } from '../common/worker.ts';
import { CidrSet } from './cidr-set.ts';

/** kube-controller-manager --allocate-node-cidrs with --cluster-cidr and --node-cidr-mask-size. */
export interface NodeIpamOptions {
  readonly clusterCIDR: string;
  /** Upstream's default for an IPv4 cluster CIDR is 24. */
  readonly nodeCIDRMaskSize: number;
}

export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
/** cidrUpdateRetries: patches of one allocation before it is given back. */
const CIDR_UPDATE_RETRIES = 3;
const NODE_GVK = { group: '', version: 'v1', kind: 'Node' } as const;

/**
 * The node IPAM controller with upstream's RangeAllocator (pkg/controller/nodeipam/ipam/
 * range_allocator.go): every Node without spec.podCIDRs gets the next free block of the cluster
 * CIDR; a Node that has one (set by its kubelet or an earlier allocation) holds it; a deleted
 * Node's block is free again. When no block is left the Node gets a Warning Event
 * `CIDRNotAvailable` and is retried with backoff, so it gets one as soon as a Node goes away.
 * It writes as the node-controller service account, as upstream's nodeipam does.
 */
export class NodeIpamController implements Controller {
  readonly name = 'nodeipam';
  private readonly nodes: Informer<'Node'>;
  private readonly queue: WorkQueue<string>;
  private readonly cidrs: CidrSet;
  private readonly events: EventRecorder;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    options: NodeIpamOptions,
  ) {
    this.cidrs = new CidrSet(options.clusterCIDR, options.nodeCIDRMaskSize);
    this.queue = new WorkQueue(ports);
    this.events = new EventRecorder(ports, api, 'cidrAllocator');
    this.nodes = informers.informer('Node');
    const enqueue = (node: Node): void => this.queue.add(node.metadata.name ?? '');
    this.nodes.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, node) => enqueue(node),
      // A Node has no finalizer, so its delete is the only chance to give its block back.
      onDelete: (node) => {
        this.release(node);
        enqueue(node);
      },
    });
  }

  /** How many node ranges are in use (for tests and status). */
  get allocatedCount(): number {
    return this.cidrs.allocatedCount;
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.nodes]);
    // Before any allocation: the blocks existing Nodes hold are not free.
    for (const node of this.nodes.list()) this.occupy(node);
    this.ports.spawn(() =>
      runWorker(
        this.queue,
        (name) => this.syncNode(name),
        (node, error) => this.ports.trace.debug('nodeipam.sync-error', { node, error }),
      ),
    );
  }

  stop(): void {
    this.queue.shutDown();
  }

  private async syncNode(name: string): Promise<string | undefined> {
    const node = this.nodes.get(name);
    if (node === undefined) return undefined;
    if (node.metadata.deletionTimestamp !== undefined) {
      this.release(node);
      return undefined;
    }
    if (podCIDRs(node).length > 0) return this.occupy(node);
    const allocated = this.cidrs.allocateNext();
    if (!allocated.ok) {
      this.events.event(
        node,
        NODE_GVK,
        'Warning',
        'CIDRNotAvailable',
        `Node ${name} status is now: CIDRNotAvailable`,
      );
      return `failed to allocate cidr from cluster cidr ${this.cidrs.clusterCIDR}: ${allocated.message}`;
    }
    return this.updateCIDRAllocation(name, allocated.cidr);
  }

  /** updateCIDRsAllocation: the block goes back when the Node already has another or the patch fails. */
  private async updateCIDRAllocation(name: string, cidr: string): Promise<string | undefined> {
    const current = this.nodes.get(name);
    const existing = current === undefined ? [] : podCIDRs(current);
    if (existing.length === 1 && existing[0] === cidr) return undefined;
    if (current === undefined || existing.length > 0) {
      this.cidrs.release(cidr);
      return undefined;
    }
    let failure = '';
    for (let i = 0; i < CIDR_UPDATE_RETRIES; i++) {
      const r = await this.api.patch('Node', undefined, name, {
        spec: { podCIDR: cidr, podCIDRs: [cidr] },
      });
      if (r.ok) {
        this.ports.trace.emit('nodeipam.allocate', { node: name, podCIDR: cidr });
        return undefined;
      }
      failure = describeFailure(r);
      // Gone, or someone set another range: retrying cannot help.
      if (r.status === 404 || r.status === 422) break;
    }
    this.cidrs.release(cidr);
    this.events.event(
      current,
      NODE_GVK,
      'Warning',
      'CIDRAssignmentFailed',
      `Node ${name} status is now: CIDRAssignmentFailed`,
    );
    return `set podCIDR ${cidr} on node ${name}: ${failure}`;
  }

  private occupy(node: Node): string | undefined {
    for (const cidr of podCIDRs(node).slice(0, 1)) {
      const problem = this.cidrs.occupy(cidr);
      if (problem !== undefined)
        return `failed to mark cidr ${cidr} as occupied for node ${node.metadata.name}: ${problem}`;
    }
    return undefined;
  }

  private release(node: Node): void {
    for (const cidr of podCIDRs(node).slice(0, 1)) {
      const problem = this.cidrs.release(cidr);
      if (problem !== undefined)
        this.ports.trace.debug('nodeipam.sync-error', {
          node: node.metadata.name ?? '',
          error: `release ${cidr}: ${problem}`,
        });
    }
  }
}

/** spec.podCIDRs, or the older single field when only it is set. */
function podCIDRs(node: Node): readonly string[] {
  const spec = node.spec;
  if (spec?.podCIDRs !== undefined && spec.podCIDRs.length > 0) return spec.podCIDRs;
  return spec?.podCIDR === undefined || spec.podCIDR === '' ? [] : [spec.podCIDR];
}
