/** A simulated packet filter programmed as kube-proxy programs a node, from API objects. */
import type { EndpointSlice } from '../../../core/api/kinds/endpoint-slice.ts';
import type { Service } from '../../../core/api/kinds/service-types.ts';
import { JUMP_CHAINS, KUBELET_JUMP_CHAINS } from '../../../core/proxy/jump-chains.ts';
import { SimNetfilter } from '../../../sim/netfilter.ts';
import { SeededRandom } from '../../../sim/random.ts';
import { FAKE_PROXIER_CONFIG, render } from '../../core/proxy/upstream-fixtures.ts';

const NODE_IP = FAKE_PROXIER_CONFIG.nodeIP;

export async function programNode(
  services: readonly Service[],
  slices: readonly EndpointSlice[],
  seed = 1,
  clock = { now: () => 0 },
): Promise<SimNetfilter> {
  const nf = new SimNetfilter(
    { random: SeededRandom.root(seed), clock },
    { localAddresses: [NODE_IP] },
  );
  for (const j of [...JUMP_CHAINS, ...KUBELET_JUMP_CHAINS]) {
    const c = await nf.ensureChain(j.table, j.chain);
    if (!c.ok) throw new Error(c.message);
    const r = await nf.ensureRule('prepend', j.table, j.from, j.rule);
    if (!r.ok) throw new Error(`${j.from} ${j.rule}: ${r.message}`);
  }
  const r = await nf.restore(render(services, slices));
  if (!r.ok) throw new Error(`line ${r.line}: ${r.message}`);
  return nf;
}
