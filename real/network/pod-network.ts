/**
 * Pod networking on one node, the way the CNI bridge plugin does it: a Linux bridge in the
 * node's network namespace (the one this process runs in) holds the podCIDR's first address;
 * each pod gets its own network namespace (`ip netns`, so it has a path containerd can join)
 * with `eth0`, the far end of a veth pair whose near end is a port of the bridge, an address
 * from the podCIDR and a default route through the bridge. Bridge ports run in hairpin mode so
 * a pod reaches itself through a Service's address once kube-proxy rewrites it.
 */
import { existsSync } from 'node:fs';
import { mustRun, runCommand } from '../os/command.ts';
import { IpAllocator } from './ip-allocator.ts';
import { formatIpv4, gatewayOf, parseIpv4Cidr, type Ipv4Cidr } from './ipv4-cidr.ts';

export const IP_BINARY = 'ip';
export const NETNS_DIR = '/var/run/netns';

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
const IFNAME_MAX = 15;

export interface PodNetworkOptions {
  /** The node's bridge, e.g. `ksim0`. */
  readonly bridge: string;
  /** Prefix of pod namespace names (`<prefix><sandboxId>`) and host-side veths. */
  readonly prefix: string;
}

export interface PodAttachment {
  readonly netns: string;
  readonly netnsPath: string;
  readonly hostVeth: string;
  readonly ip: string;
  readonly prefixLength: number;
  readonly gateway: string;
}

export type AttachResult =
  | { readonly ok: true; readonly attachment: PodAttachment }
  | { readonly ok: false; readonly message: string };

export class PodNetwork {
  private allocator: IpAllocator | undefined;
  private cidr: Ipv4Cidr | undefined;

  constructor(readonly options: PodNetworkOptions) {
    if (options.bridge.length > IFNAME_MAX)
      throw new Error(`bridge name too long: ${options.bridge}`);
  }

  get configured(): boolean {
    return this.cidr !== undefined;
  }

  /** Creates the bridge with the podCIDR's gateway address (idempotent for the same CIDR). */
  async configure(podCIDR: string): Promise<{ ok: true } | { ok: false; message: string }> {
    const parsed = parseIpv4Cidr(podCIDR);
    if (!parsed.ok) return { ok: false, message: parsed.message };
    if (this.cidr !== undefined) {
      if (
        this.cidr.network === parsed.cidr.network &&
        this.cidr.prefixLength === parsed.cidr.prefixLength
      ) {
        return { ok: true };
      }
      return {
        ok: false,
        message: `the pod CIDR is already ${formatIpv4(this.cidr.network)}/${this.cidr.prefixLength}`,
      };
    }
    const bridge = this.options.bridge;
    const gateway = `${formatIpv4(gatewayOf(parsed.cidr))}/${parsed.cidr.prefixLength}`;
    if ((await runCommand(IP_BINARY, ['link', 'show', bridge])).code !== 0) {
      await mustRun(IP_BINARY, ['link', 'add', bridge, 'type', 'bridge']);
    }
    await mustRun(IP_BINARY, ['addr', 'replace', gateway, 'dev', bridge]);
    await mustRun(IP_BINARY, ['link', 'set', bridge, 'up']);
    this.cidr = parsed.cidr;
    this.allocator = new IpAllocator(parsed.cidr);
    return { ok: true };
  }

  netnsName(sandboxId: string): string {
    return `${this.options.prefix}${sandboxId}`;
  }

  hostVethName(sandboxId: string): string {
    return `${this.options.prefix}${sandboxId}`.slice(0, IFNAME_MAX);
  }

  async attach(sandboxId: string): Promise<AttachResult> {
    const cidr = this.cidr;
    const allocator = this.allocator;
    if (cidr === undefined || allocator === undefined) {
      return { ok: false, message: 'no pod CIDR yet: the node has not set its runtime config' };
    }
    const ip = allocator.allocate();
    if (ip === undefined) return { ok: false, message: `no free address in the pod CIDR` };
    const netns = this.netnsName(sandboxId);
    const hostVeth = this.hostVethName(sandboxId);
    const gateway = formatIpv4(gatewayOf(cidr));
    const inPod = (args: readonly string[]): Promise<string> =>
      mustRun(IP_BINARY, ['-n', netns, ...args]);
    try {
      await mustRun(IP_BINARY, ['netns', 'add', netns]);
      await mustRun(IP_BINARY, [
        'link',
        'add',
        hostVeth,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        netns,
      ]);
      await mustRun(IP_BINARY, ['link', 'set', hostVeth, 'master', this.options.bridge]);
      await mustRun(IP_BINARY, ['link', 'set', hostVeth, 'type', 'bridge_slave', 'hairpin', 'on']);
      await mustRun(IP_BINARY, ['link', 'set', hostVeth, 'up']);
      await inPod(['link', 'set', 'lo', 'up']);
      await inPod(['addr', 'add', `${ip}/${cidr.prefixLength}`, 'dev', 'eth0']);
      await inPod(['link', 'set', 'eth0', 'up']);
      await inPod(['route', 'add', 'default', 'via', gateway]);
    } catch (e) {
      await this.detachNamed(netns, hostVeth);
      allocator.release(ip);
      return { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    return {
      ok: true,
      attachment: {
        netns,
        netnsPath: `${NETNS_DIR}/${netns}`,
        hostVeth,
        ip,
        prefixLength: cidr.prefixLength,
        gateway,
      },
    };
  }

  /** Marks an address taken by a pod made before this process started. */
  reserve(ip: string): void {
    this.allocator?.reserve(ip);
  }

  /** Removes the pod's namespace (which takes the veth pair with it) and frees its IP. */
  async detach(attachment: PodAttachment): Promise<void> {
    await this.detachNamed(attachment.netns, attachment.hostVeth);
    this.allocator?.release(attachment.ip);
  }

  private async detachNamed(netns: string, hostVeth: string): Promise<void> {
    if (existsSync(`${NETNS_DIR}/${netns}`))
      await runCommand(IP_BINARY, ['netns', 'delete', netns]);
    // Deleting the namespace destroys eth0 and so its peer; a half-made pair may remain.
    await runCommand(IP_BINARY, ['link', 'delete', hostVeth]);
  }

  /** Deletes the bridge (after every pod is detached). */
  async tearDown(): Promise<void> {
    await runCommand(IP_BINARY, ['link', 'delete', this.options.bridge]);
    this.cidr = undefined;
    this.allocator = undefined;
  }
}
