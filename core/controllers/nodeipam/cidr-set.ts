/**
 * The node pod ranges of one cluster CIDR (pkg/controller/nodeipam/ipam/cidrset/cidr_set.go):
 * the cluster CIDR cut into blocks of the node mask size, each free or used. AllocateNext
 * scans from the block after the last one handed out, wrapping around, so a range released by
 * a deleted node is handed out again only after the others; Occupy marks every block a CIDR
 * covers (a node's podCIDR set by someone else, or a larger range kept out of use); Release
 * frees them.
 */
import { formatCIDR, parseCIDR } from '../../api/ip.ts';

interface Cidr {
  /** The network address as a number. */
  readonly base: number;
  readonly prefixLength: number;
}

/** An IPv4 CIDR with room for a gateway and a pod (at most /30). */
function parseCidr(text: string): Cidr | undefined {
  const c = parseCIDR(text);
  if (c === undefined || c.family !== 'IPv4' || c.prefixBits > 30) return undefined;
  return { base: Number(c.network), prefixLength: c.prefixBits };
}

/** ErrCIDRRangeNoCIDRsRemaining. */
export const NO_CIDRS_REMAINING =
  'CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range';

export type CidrResult =
  { readonly ok: true; readonly cidr: string } | { readonly ok: false; readonly message: string };

export class CidrSet {
  private readonly cluster: Cidr;
  private readonly blocks: number;
  private readonly used: Uint8Array;
  private usedCount = 0;
  private nextCandidate = 0;

  /** Throws on a CIDR that is not IPv4 or a mask size outside [prefix length, 30]. */
  constructor(
    readonly clusterCIDR: string,
    readonly nodeMaskSize: number,
  ) {
    const cluster = parseCidr(clusterCIDR);
    if (cluster === undefined) throw new Error(`cluster CIDR ${clusterCIDR} is not an IPv4 CIDR`);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < cluster.prefixLength || nodeMaskSize > 30)
      throw new Error(
        `node CIDR mask size ${nodeMaskSize} must be an integer from the cluster CIDR's prefix length (${cluster.prefixLength}) to 30`,
      );
    this.cluster = cluster;
    this.blocks = 2 ** (nodeMaskSize - cluster.prefixLength);
    this.used = new Uint8Array(this.blocks);
  }

  /** How many node ranges are in use. */
  get allocatedCount(): number {
    return this.usedCount;
  }

  get size(): number {
    return this.blocks;
  }

  allocateNext(): CidrResult {
    for (let i = 0; i < this.blocks; i++) {
      const candidate = (this.nextCandidate + i) % this.blocks;
      if (this.used[candidate] === 1) continue;
      this.mark(candidate, candidate, 1);
      this.nextCandidate = (candidate + 1) % this.blocks;
      return { ok: true, cidr: this.blockCidr(candidate) };
    }
    return { ok: false, message: NO_CIDRS_REMAINING };
  }

  /** Marks the blocks `cidr` covers used; an error when it is not inside the cluster CIDR. */
  occupy(cidr: string): string | undefined {
    const span = this.span(cidr);
    if (typeof span === 'string') return span;
    this.mark(span.first, span.last, 1);
    return undefined;
  }

  release(cidr: string): string | undefined {
    const span = this.span(cidr);
    if (typeof span === 'string') return span;
    this.mark(span.first, span.last, 0);
    return undefined;
  }

  /** Whether `cidr`'s blocks are all in use. */
  isUsed(cidr: string): boolean {
    const span = this.span(cidr);
    if (typeof span === 'string') return false;
    for (let i = span.first; i <= span.last; i++) if (this.used[i] !== 1) return false;
    return true;
  }

  private mark(first: number, last: number, value: 0 | 1): void {
    for (let i = first; i <= last; i++) {
      if (this.used[i] === value) continue;
      this.used[i] = value;
      this.usedCount += value === 1 ? 1 : -1;
    }
  }

  private blockCidr(index: number): string {
    const network = BigInt(this.cluster.base + index * this.blockSize());
    return formatCIDR({ family: 'IPv4', network, prefixBits: this.nodeMaskSize });
  }

  private blockSize(): number {
    return 2 ** (32 - this.nodeMaskSize);
  }

  /** getBeginningAndEndIndices: the blocks from the first to the last `cidr` touches. */
  private span(cidr: string): { first: number; last: number } | string {
    const c = parseCidr(cidr);
    if (c === undefined) return `${cidr} is not an IPv4 CIDR`;
    const clusterEnd = this.cluster.base + 2 ** (32 - this.cluster.prefixLength);
    const end = c.base + 2 ** (32 - c.prefixLength);
    if (c.base < this.cluster.base || end > clusterEnd)
      return `cidr ${cidr} is out the range of cluster cidr ${this.clusterCIDR}`;
    const first = Math.floor((c.base - this.cluster.base) / this.blockSize());
    const last = Math.floor((end - 1 - this.cluster.base) / this.blockSize());
    return { first, last };
  }
}
