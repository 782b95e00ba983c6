/**
 * pods/{name}/binding (upstream pod/storage BindingREST.Create and assignPod): sets
 * spec.nodeName once, marks the pod PodScheduled and copies the binding's annotations, all in
 * one storage-level write that no strategy or validation sees.
 */
import type { Binding } from '../cluster-types.ts';
import { setCondition } from '../conditions.ts';
import * as errors from '../errors.ts';
import { fieldNotSupported, fieldRequired, type FieldError } from '../field-error.ts';
import type { Pod } from '../pod-types.ts';
import type { Status } from '../status-types.ts';
import { formatTime } from '../time.ts';
import type { ActionContext } from './definition.ts';

export const BINDING_SUBRESOURCE = 'binding';

/** What a client POSTs to bind `podName` to `nodeName`, and where (client-go's Pods().Bind). */
export function podBinding(
  namespace: string,
  podName: string,
  nodeName: string,
): { readonly kind: 'Pod'; readonly subresource: string; readonly body: Binding } {
  return {
    kind: 'Pod',
    subresource: BINDING_SUBRESOURCE,
    body: {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: podName, namespace },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    },
  };
}

/** ValidatePodBinding. */
function validatePodBinding(b: Partial<Binding>): FieldError[] {
  const errs: FieldError[] = [];
  if (b.target?.kind && b.target.kind !== 'Node') {
    errs.push(fieldNotSupported('target.kind', b.target.kind, ['Node', '<empty>']));
  }
  if (!b.target?.name) errs.push(fieldRequired('target.name', ''));
  return errs;
}

export async function bindPod(ctx: ActionContext, body: unknown): Promise<Status> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return errors.badRequest('not a Binding object');
  }
  const binding = body as Partial<Binding>;
  if ((binding.metadata?.name ?? '') !== ctx.name) {
    return errors.badRequest('name in URL does not match name in Binding object');
  }
  const errs = validatePodBinding(binding);
  if (errs.length > 0) return errors.invalid('Binding', ctx.name, errs);
  const node = binding.target?.name as string;
  const uid = binding.metadata?.uid;
  const r = await ctx.guaranteedUpdate((current) => {
    const pod = current as Pod;
    if (uid && uid !== pod.metadata.uid) {
      return errors.conflict(
        'pods',
        ctx.name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid ?? ''}`,
      );
    }
    if (pod.metadata.deletionTimestamp !== undefined) {
      return errors.conflict(
        'pods',
        ctx.name,
        `pod ${ctx.name} is being deleted, cannot be assigned to a host`,
      );
    }
    if (pod.spec.nodeName) {
      return errors.conflict(
        'pods',
        ctx.name,
        `pod ${ctx.name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`,
      );
    }
    const annotations = binding.metadata?.annotations;
    const conditions = setCondition(
      pod.status?.conditions ?? [],
      { type: 'PodScheduled', status: 'True' },
      formatTime(ctx.nowUs()),
    );
    return {
      ...pod,
      ...(annotations === undefined
        ? {}
        : {
            metadata: {
              ...pod.metadata,
              annotations: { ...pod.metadata.annotations, ...annotations },
            },
          }),
      spec: { ...pod.spec, nodeName: node },
      status: { ...pod.status, conditions },
    };
  });
  return errors.isStatus(r) ? r : errors.success(201);
}
