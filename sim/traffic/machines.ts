/**
 * The simulated machines service traffic crosses: node processes, their packet filters and
 * container runtimes, and which node's pod range holds an address.
 */
import { parseCidr, parseIPv4 } from '../../core/kubelet/pod-ip.ts';
import type { NodeProcess } from '../../core/cluster/assembly.ts';
import { assert } from '../../core/util/assert.ts';
import type { SimNetfilter } from '../netfilter.ts';
import type { SimProcess } from '../process.ts';
import type { SimRuntime } from '../runtime.ts';
import type { Simulation } from '../simulation.ts';

export interface Machine {
  readonly process: SimProcess;
  readonly netfilter: SimNetfilter;
  readonly runtime: SimRuntime;
  readonly internalIP: string;
}

interface NodeRange {
  readonly node: string;
  readonly base: number;
  readonly size: number;
}

export class Machines {
  private readonly ranges: NodeRange[] = [];
  readonly internalIPs = new Map<string, string>();
  private readonly podCIDRs = new Map<string, string>();

  /** Reads each node's pod range and address from its kubelet's configuration (fixed at start). */
  constructor(
    readonly sim: Simulation,
    nodes: readonly string[],
  ) {
    for (const node of nodes) {
      const config = (sim.process(node).instance as NodeProcess).kubelet.config;
      const cidr = parseCidr(config.podCIDR);
      assert(cidr !== undefined, `node ${node} has pod range ${config.podCIDR}`);
      this.ranges.push({ node, base: cidr.base, size: 2 ** (32 - cidr.prefixLength) });
      this.internalIPs.set(node, config.internalIP);
      this.podCIDRs.set(node, config.podCIDR);
    }
  }

  podCIDR(node: string): string {
    const cidr = this.podCIDRs.get(node);
    assert(cidr !== undefined, `no node ${node}`);
    return cidr;
  }

  /** The node's machine while its process is up. */
  up(node: string): Machine | undefined {
    const process = this.sim.process(node);
    if (!process.alive) return undefined;
    const instance = process.instance as NodeProcess;
    return {
      process,
      netfilter: instance.netfilter as SimNetfilter,
      runtime: instance.runtime as SimRuntime,
      internalIP: instance.kubelet.config.internalIP,
    };
  }

  /** The node whose pod range holds `ip`, or whose own address it is. */
  nodeOf(ip: string): string | undefined {
    const n = parseIPv4(ip);
    if (n === undefined) return undefined;
    for (const r of this.ranges) if (n >= r.base && n < r.base + r.size) return r.node;
    for (const [node, internal] of this.internalIPs) if (internal === ip) return node;
    return undefined;
  }
}
