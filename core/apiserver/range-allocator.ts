/**
 * The API server's range allocators with upstream's rules (pkg/registry/core/service/allocator
 * bitmap.go, ipallocator/bitmap.go, portallocator/allocator.go):
 *
 * - An IPv4 range never hands out its network or broadcast address, an IPv6 range its network
 *   address; an IPv6 range is cut to its first 65,536 addresses (upstream's bitmap limit).
 * - The range is split at an offset, min(max(16, size/16), 256) for IPs and
 *   min(max(16, size/32), 128) for ports (KEP-3070, KEP-3668): values drawn at random come from
 *   the upper (dynamic) block while it has room, so the lower (static) block stays free for
 *   clients that ask for a value of their own.
 * - A drawn value starts at a random point of its block and takes the first free one from
 *   there, wrapping around (randomScanStrategyWithOffset).
 * - Errors are upstream's: "provided IP is already allocated", "the provided IP (x) is not in
 *   the valid range. The range of valid IPs is 10.96.0.0/12", "provided port is already
 *   allocated", "provided port is not in the valid range. The range of valid ports is
 *   30000-32767".
 */
import {
  configuredRange,
  DEFINITIONS,
  type RangeAllocator,
  type RangeConfig,
  type RangeDeclaration,
} from '../api/kinds/index.ts';
import { formatCIDR, formatIP, parseCIDR, parseIP, type CIDR } from '../api/ip.ts';
import type { Random } from '../ports/random.ts';

/** Offsets of a range, the allocated ones as a set (a bitmap upstream). */
export class OffsetRange {
  private readonly allocated = new Set<number>();

  /** `size` offsets [0, size); `staticSize` of them, from 0, form the static block. */
  constructor(
    readonly size: number,
    readonly staticSize: number,
    private readonly random: Random,
  ) {}

  get used(): number {
    return this.allocated.size;
  }

  has(offset: number): boolean {
    return this.allocated.has(offset);
  }

  /** Marks `offset` taken; false if it already was. */
  take(offset: number): boolean {
    if (this.allocated.has(offset)) return false;
    this.allocated.add(offset);
    return true;
  }

  free(offset: number): void {
    this.allocated.delete(offset);
  }

  clear(): void {
    this.allocated.clear();
  }

  /** A free offset, dynamic block first; undefined when the range is full. */
  takeNext(): number | undefined {
    if (this.allocated.size >= this.size) return undefined;
    const found =
      this.scan(this.staticSize, this.size - this.staticSize) ?? this.scan(0, this.staticSize);
    if (found !== undefined) this.allocated.add(found);
    return found;
  }

  private scan(from: number, length: number): number | undefined {
    if (length <= 0) return undefined;
    const start = this.random.int(length);
    for (let i = 0; i < length; i++) {
      const at = from + ((start + i) % length);
      if (!this.allocated.has(at)) return at;
    }
    return undefined;
  }
}

/** calculateRangeOffset: min(max(lower, size/step), upper), 0 for ranges of `lower` or less. */
function staticBlockSize(size: number, step: number, upper: number): number {
  const lower = 16;
  if (size <= lower) return 0;
  return Math.min(Math.max(lower, Math.floor(size / step)), upper);
}

/** Upstream caps an IPv6 range at 2^16 addresses. */
const MAX_IPV6_RANGE = 65536;

export class IPRangeAllocator implements RangeAllocator<string> {
  readonly range: string;
  private readonly offsets: OffsetRange;
  /** The first address handed out: the network address plus one. */
  private readonly base: bigint;

  constructor(
    private readonly cidr: CIDR,
    random: Random,
  ) {
    this.range = formatCIDR(cidr);
    const bits = (cidr.family === 'IPv4' ? 32 : 128) - cidr.prefixBits;
    const addresses = 2n ** BigInt(bits);
    let max =
      cidr.family === 'IPv6'
        ? addresses > BigInt(MAX_IPV6_RANGE)
          ? MAX_IPV6_RANGE
          : Number(addresses)
        : Number(addresses) - 1;
    max = Math.max(0, max - 1);
    this.base = cidr.network + 1n;
    const cidrSize = addresses > 2n ** 40n ? Number.MAX_SAFE_INTEGER : Number(addresses);
    this.offsets = new OffsetRange(max, staticBlockSize(cidrSize, 16, 256), random);
  }

  get used(): number {
    return this.offsets.used;
  }

  private offsetOf(ip: string): number | undefined {
    const parsed = parseIP(ip);
    if (parsed === undefined || parsed.family !== this.cidr.family) return undefined;
    const offset = parsed.value - this.base;
    return offset >= 0n && offset < BigInt(this.offsets.size) ? Number(offset) : undefined;
  }

  allocate(ip: string): string | undefined {
    const offset = this.offsetOf(ip);
    if (offset === undefined) {
      return `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range}`;
    }
    return this.offsets.take(offset) ? undefined : 'provided IP is already allocated';
  }

  allocateNext(): string | undefined {
    const offset = this.offsets.takeNext();
    return offset === undefined
      ? undefined
      : formatIP({ family: this.cidr.family, value: this.base + BigInt(offset) });
  }

  release(ip: string): void {
    const offset = this.offsetOf(ip);
    if (offset !== undefined) this.offsets.free(offset);
  }

  has(ip: string): boolean {
    const offset = this.offsetOf(ip);
    return offset !== undefined && this.offsets.has(offset);
  }

  clear(): void {
    this.offsets.clear();
  }
}

export class PortRangeAllocator implements RangeAllocator<number> {
  readonly range: string;
  private readonly offsets: OffsetRange;

  constructor(
    private readonly base: number,
    size: number,
    random: Random,
  ) {
    this.range = `${base}-${base + size - 1}`;
    this.offsets = new OffsetRange(size, staticBlockSize(size, 32, 128), random);
  }

  get used(): number {
    return this.offsets.used;
  }

  private offsetOf(port: number): number | undefined {
    const offset = port - this.base;
    return Number.isInteger(offset) && offset >= 0 && offset < this.offsets.size
      ? offset
      : undefined;
  }

  allocate(port: number): string | undefined {
    const offset = this.offsetOf(port);
    if (offset === undefined) {
      return `provided port is not in the valid range. The range of valid ports is ${this.range}`;
    }
    return this.offsets.take(offset) ? undefined : 'provided port is already allocated';
  }

  allocateNext(): number | undefined {
    const offset = this.offsets.takeNext();
    return offset === undefined ? undefined : this.base + offset;
  }

  release(port: number): void {
    const offset = this.offsetOf(port);
    if (offset !== undefined) this.offsets.free(offset);
  }

  has(port: number): boolean {
    const offset = this.offsetOf(port);
    return offset !== undefined && this.offsets.has(offset);
  }

  clear(): void {
    this.offsets.clear();
  }
}

export type AnyRangeAllocator = IPRangeAllocator | PortRangeAllocator;

/**
 * net.ParsePortRange: "30000-32767", "30000+2767" (base and extra ports) or a single port.
 * Answers [base, size] or undefined.
 */
export function parsePortRange(text: string): readonly [number, number] | undefined {
  const m = /^(\d{1,5})(?:([-+])(\d{1,5}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const base = Number(m[1]);
  const other = m[3] === undefined ? undefined : Number(m[3]);
  let size: number;
  if (other === undefined) size = 1;
  else if (m[2] === '+') size = other + 1;
  else size = other - base + 1;
  if (size < 1 || base < 0 || base + size - 1 > 65535) return undefined;
  return [base, size];
}

/** kube-apiserver's cap on the service range: at most 2^20 addresses (a /12 for IPv4). */
const MAX_CIDR_BITS = 20;

/** The allocator of a declared range with its configured value, or why the value is bad. */
export function newRangeAllocator(
  decl: RangeDeclaration,
  configured: string,
  random: Random,
): AnyRangeAllocator | string {
  if (decl.type === 'ip') {
    const cidr = parseCIDR(configured);
    if (cidr === undefined) return `--${decl.flag}: invalid CIDR ${JSON.stringify(configured)}`;
    const bits = cidr.family === 'IPv4' ? 32 : 128;
    if (bits - cidr.prefixBits > MAX_CIDR_BITS) {
      return `specified --${decl.flag} is too large; for ${bits}-bit addresses, the mask must be >= ${bits - MAX_CIDR_BITS}`;
    }
    return new IPRangeAllocator(cidr, random);
  }
  const ports = parsePortRange(configured);
  if (ports === undefined) {
    return `--${decl.flag}: invalid port range ${JSON.stringify(configured)}`;
  }
  return new PortRangeAllocator(ports[0], ports[1], random);
}

/** What is wrong with a range configuration: unknown flags and values that do not parse. */
export function rangeConfigProblems(
  config: RangeConfig,
  definitions: readonly {
    readonly allocation?: { readonly ranges: readonly RangeDeclaration[] };
  }[] = DEFINITIONS,
): string[] {
  const decls = definitions.flatMap((d) => d.allocation?.ranges ?? []);
  const problems = Object.keys(config)
    .filter((flag) => !decls.some((d) => d.flag === flag))
    .map((flag) => `unknown range flag ${JSON.stringify(flag)}`);
  const probe = { float: () => 0, int: () => 0, fork: () => probe };
  for (const decl of decls) {
    const r = newRangeAllocator(decl, configuredRange(decl, config), probe);
    if (typeof r === 'string') problems.push(r);
  }
  return problems;
}
