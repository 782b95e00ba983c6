import { keyOf } from '../../api/meta.ts';
import type { Node, Taint } from '../../api/node-types.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Clock } from '../../ports/clock.ts';
import { describeFailure, isConflict } from '../common/api-errors.ts';
import { applyTaintDiff, type TaintDiff } from './node-taints.ts';

/** UpdateTaintBackoff: 5 attempts. */
const TAINT_UPDATE_ATTEMPTS = 5;

export type TaintUpdate =
  | { readonly ok: true; readonly changed: boolean; readonly taints: readonly Taint[] }
  | { readonly ok: false; readonly error: string };

/**
 * SwapNodeControllerTaint (pkg/controller/util/node): add and remove taints in one write,
 * starting from the cached node and re-reading it after a conflict (RetryOnConflict).
 */
export async function updateNodeTaints(
  api: ApiClient,
  clock: Clock,
  cached: Node,
  diff: TaintDiff,
): Promise<TaintUpdate> {
  let node = cached;
  let error = '';
  for (let attempt = 0; attempt < TAINT_UPDATE_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      const fresh = await api.get('Node', undefined, keyOf(cached));
      if (!fresh.ok) return { ok: false, error: describeFailure(fresh) };
      node = fresh.value;
    }
    const taints = applyTaintDiff(node.spec?.taints, diff, formatTime(clock.now()));
    if (taints === undefined) return { ok: true, changed: false, taints: node.spec?.taints ?? [] };
    const r = await api.update<Node>({ ...node, spec: { ...node.spec, taints } });
    if (r.ok) return { ok: true, changed: true, taints };
    error = describeFailure(r);
    if (!isConflict(r)) return { ok: false, error };
  }
  return { ok: false, error };
}
