/**
 * A node's rules as kube-proxy's iptables mode writes them (shapes from upstream's
 * pkg/proxy/iptables/proxier_test.go), for a node 192.168.0.2 in a cluster whose pods are in
 * 10.0.0.0/8:
 *
 * - ns1/svc1:p80  cluster IP 172.30.0.41:80 -> 10.180.0.1:80
 * - ns3/svc3:p80  cluster IP 172.30.0.43:80 and node port 3002 -> 10.180.0.3:80
 * - ns4/svc4:p80  cluster IP 172.30.0.44:80 and external IP 192.168.99.22 -> 10.180.0.4:80
 *                 and 10.180.0.5:80, half each
 * - ns5/svc5:p80  a load balancer IP 5.6.7.8 whose firewall lets no one in
 * - ns6/svc6:p80  cluster IP 172.30.0.46:80 without endpoints (rejected)
 */
import type { SimNetfilter } from '../../../sim/netfilter.ts';

export const NODE_IP = '192.168.0.2';

export const KUBE_PROXY_RULES = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment ns1/svc1:p80 -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3002 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3002 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment ns3/svc3:p80 -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment ns4/svc4:p80 -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment ns4/svc4:p80 -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
COMMIT
`;

/**
 * kube-proxy's jumps from the built-in chains (proxier.go iptablesJumpChains), installed with
 * EnsureChain and EnsureRule(Prepend) before each restore; plus the kubelet's KUBE-FIREWALL.
 */
export const JUMPS: readonly (readonly ['nat' | 'filter', string, string, string])[] = [
  [
    'filter',
    'KUBE-EXTERNAL-SERVICES',
    'INPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals"',
  ],
  [
    'filter',
    'KUBE-EXTERNAL-SERVICES',
    'FORWARD',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals"',
  ],
  [
    'filter',
    'KUBE-NODEPORTS',
    'INPUT',
    '-m comment --comment "kubernetes health check service ports"',
  ],
  [
    'filter',
    'KUBE-SERVICES',
    'FORWARD',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"',
  ],
  [
    'filter',
    'KUBE-SERVICES',
    'OUTPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"',
  ],
  ['filter', 'KUBE-FORWARD', 'FORWARD', '-m comment --comment "kubernetes forwarding rules"'],
  [
    'filter',
    'KUBE-PROXY-FIREWALL',
    'INPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"',
  ],
  [
    'filter',
    'KUBE-PROXY-FIREWALL',
    'OUTPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"',
  ],
  [
    'filter',
    'KUBE-PROXY-FIREWALL',
    'FORWARD',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"',
  ],
  ['filter', 'KUBE-FIREWALL', 'INPUT', '-m comment --comment "kubelet firewall"'],
  ['nat', 'KUBE-SERVICES', 'OUTPUT', '-m comment --comment "kubernetes service portals"'],
  ['nat', 'KUBE-SERVICES', 'PREROUTING', '-m comment --comment "kubernetes service portals"'],
  ['nat', 'KUBE-POSTROUTING', 'POSTROUTING', '-m comment --comment "kubernetes postrouting rules"'],
];

/** What kube-proxy does at each sync: ensure the chains and jumps, then restore. */
export async function programKubeProxy(nf: SimNetfilter, rules = KUBE_PROXY_RULES): Promise<void> {
  for (const [table, chain, from, args] of JUMPS) {
    const c = await nf.ensureChain(table, chain);
    if (!c.ok) throw new Error(c.message);
    const r = await nf.ensureRule('prepend', table, from, `${args} -j ${chain}`);
    if (!r.ok) throw new Error(r.message);
  }
  const r = await nf.restore(rules);
  if (!r.ok) throw new Error(r.message);
}
