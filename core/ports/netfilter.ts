/**
 * A node's packet filter, programmed the way kube-proxy's iptables mode programs it
 * (pkg/proxy/iptables/proxier.go, through pkg/util/iptables): the whole service ruleset as
 * iptables-restore text, applied with `--noflush`, plus a few idempotent single-rule calls that
 * hook kube-proxy's chains into the built-in ones, which a restore must not flush because other
 * software (the CNI plugin, Docker, the administrator) has rules there too.
 *
 * `restore` semantics (iptables-restore --noflush): tables are `*nat` / `*filter` blocks ended by
 * COMMIT. A chain line (`:KUBE-SVC-X - [0:0]`) creates the chain, or flushes it if it exists;
 * chains the text does not mention keep their rules; a built-in chain's line only sets its
 * policy. Then `-A`/`-I` add rules, `-F` flushes, `-N` creates and `-X` deletes a chain (empty and
 * unreferenced). The input applies entirely or not at all (iptables-nft-restore runs it as one
 * transaction); a failure names the line, as iptables-restore's "line N failed" does.
 *
 * In simulation the rules are evaluated for simulated packets; in real mode they are loaded
 * with iptables-restore inside the node's network namespace.
 */
export type NetfilterTable = 'nat' | 'filter';

export type NetfilterResult<T = void> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly message: string;
      /** 1-based line of the restore input that failed, when the input was at fault. */
      readonly line?: number;
    };

export type RulePosition = 'prepend' | 'append';

/**
 * Which connection-tracking entries to delete (`conntrack -D` with these filters; every given
 * field must match). kube-proxy deletes the entries of UDP flows whose backend or ClusterIP
 * went away, which would otherwise keep sending a flow's packets to the old address.
 */
export interface ConntrackFilter {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** --orig-dst: the destination of the flow's first packet (a ClusterIP). */
  readonly originalDst?: string;
  /** --dst-nat: the address the flow was DNAT'ed to (an endpoint). */
  readonly dnatTo?: string;
  /** --dport: the original destination port (a NodePort). */
  readonly originalDstPort?: number;
}

export interface Netfilter {
  /** Applies an iptables-restore text with --noflush semantics, all or nothing. */
  restore(rules: string): Promise<NetfilterResult>;
  /** Creates the chain unless it exists (iptables -N); `value` tells whether it existed. */
  ensureChain(table: NetfilterTable, chain: string): Promise<NetfilterResult<boolean>>;
  /**
   * Adds the rule (a rule spec as in restore text, without `-A CHAIN`) at the chain's start or
   * end unless an equal rule is in the chain (iptables -C, then -I or -A); `value` tells
   * whether it existed.
   */
  ensureRule(
    position: RulePosition,
    table: NetfilterTable,
    chain: string,
    rule: string,
  ): Promise<NetfilterResult<boolean>>;
  /** The table in iptables-save format (chains, then rules, then COMMIT). */
  save(table: NetfilterTable): Promise<NetfilterResult<string>>;
  /** Deletes the conntrack entries the filter matches; `value` is how many there were. */
  deleteConntrack(filter: ConntrackFilter): Promise<NetfilterResult<number>>;
}
