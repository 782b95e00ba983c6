/**
 * One parsed iptables rule: its matches, in the order the kernel checks them (the IP header's
 * -s/-d/-p first, then each match module as written), and its target.
 */
import type { Ipv4Cidr } from './ipv4.ts';

export type IpProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp';
export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/** Connection tracking states a rule can test (-m conntrack --ctstate). */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export type Match =
  | { readonly kind: 'source'; readonly cidr: Ipv4Cidr; readonly negate: boolean }
  | { readonly kind: 'destination'; readonly cidr: Ipv4Cidr; readonly negate: boolean }
  | { readonly kind: 'protocol'; readonly protocol: IpProtocol; readonly negate: boolean }
  | {
      readonly kind: 'ports';
      readonly protocol: PortProtocol;
      readonly sport: PortRange | undefined;
      readonly sportNegate: boolean;
      readonly dport: PortRange | undefined;
      readonly dportNegate: boolean;
    }
  | { readonly kind: 'comment'; readonly text: string }
  | { readonly kind: 'statistic'; readonly probability: number; readonly negate: boolean }
  | {
      readonly kind: 'mark';
      readonly value: number;
      readonly mask: number;
      readonly negate: boolean;
    }
  | {
      readonly kind: 'addrtype';
      readonly srcLocal: boolean | undefined;
      readonly dstLocal: boolean | undefined;
    }
  | { readonly kind: 'conntrack'; readonly states: readonly CtState[]; readonly negate: boolean }
  /**
   * -m recent on the source address (--rsource, the default, with the full mask): `set`
   * records it in the list and matches; `rcheck` matches when it is in the list, seen within
   * `seconds` if given; `reap` drops the list's entries older than `seconds` as it checks.
   */
  | {
      readonly kind: 'recent';
      readonly name: string;
      readonly mode: 'set' | 'rcheck';
      readonly seconds: number | undefined;
      readonly reap: boolean;
      readonly negate: boolean;
    };

export type Target =
  /** No -j: the rule only counts packets, and the walk goes on. */
  | { readonly kind: 'none' }
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'reject'; readonly rejectWith: string }
  | { readonly kind: 'return' }
  | { readonly kind: 'jump'; readonly chain: string }
  /** Rewrites the destination; `port` undefined keeps the packet's. */
  | { readonly kind: 'dnat'; readonly ip: number; readonly port: number | undefined }
  | { readonly kind: 'snat'; readonly ip: number }
  | { readonly kind: 'masquerade' }
  /** mark = (mark & ~mask) ^ value: the one form every MARK option reduces to (--set-xmark). */
  | { readonly kind: 'mark'; readonly value: number; readonly mask: number };

export interface Rule {
  readonly matches: readonly Match[];
  readonly target: Target;
  /** The rule in iptables-save's canonical form (without `-A CHAIN`): what -C compares. */
  readonly spec: string;
}
