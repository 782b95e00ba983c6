/**
 * The rules that hook kube-proxy's chains into the built-in ones (proxier.go
 * iptablesJumpChains and iptablesKubeletJumpChains). They are ensured one by one, prepended,
 * on every full sync, never restored: other software owns the rest of those built-in chains.
 */
import type { NetfilterTable } from '../ports/netfilter.ts';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FORWARD,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  KUBELET_FIREWALL,
} from './rules.ts';

export interface JumpChain {
  readonly table: NetfilterTable;
  readonly chain: string;
  readonly from: string;
  /** The rule spec in the built-in chain, as EnsureRule receives it. */
  readonly rule: string;
}

const NEW = '-m conntrack --ctstate NEW';

function jump(
  table: NetfilterTable,
  chain: string,
  from: string,
  comment: string,
  extra = '',
): JumpChain {
  const parts = [extra, comment === '' ? '' : `-m comment --comment "${comment}"`, `-j ${chain}`];
  return { table, chain, from, rule: parts.filter((p) => p !== '').join(' ') };
}

export const JUMP_CHAINS: readonly JumpChain[] = [
  jump(
    'filter',
    KUBE_EXTERNAL_SERVICES,
    'INPUT',
    'kubernetes externally-visible service portals',
    NEW,
  ),
  jump(
    'filter',
    KUBE_EXTERNAL_SERVICES,
    'FORWARD',
    'kubernetes externally-visible service portals',
    NEW,
  ),
  jump('filter', KUBE_NODEPORTS, 'INPUT', 'kubernetes health check service ports'),
  jump('filter', KUBE_SERVICES, 'FORWARD', 'kubernetes service portals', NEW),
  jump('filter', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals', NEW),
  jump('filter', KUBE_FORWARD, 'FORWARD', 'kubernetes forwarding rules'),
  jump('filter', KUBE_PROXY_FIREWALL, 'INPUT', 'kubernetes load balancer firewall', NEW),
  jump('filter', KUBE_PROXY_FIREWALL, 'OUTPUT', 'kubernetes load balancer firewall', NEW),
  jump('filter', KUBE_PROXY_FIREWALL, 'FORWARD', 'kubernetes load balancer firewall', NEW),
  jump('nat', KUBE_SERVICES, 'OUTPUT', 'kubernetes service portals'),
  jump('nat', KUBE_SERVICES, 'PREROUTING', 'kubernetes service portals'),
  jump('nat', KUBE_POSTROUTING, 'POSTROUTING', 'kubernetes postrouting rules'),
];

/** The kubelet's firewall chain, which kube-proxy also hooks when localhost node ports are on. */
export const KUBELET_JUMP_CHAINS: readonly JumpChain[] = [
  jump('filter', KUBELET_FIREWALL, 'INPUT', ''),
  jump('filter', KUBELET_FIREWALL, 'OUTPUT', ''),
];
