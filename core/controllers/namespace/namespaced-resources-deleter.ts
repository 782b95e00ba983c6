/**
 * Empties a deleted namespace and finalizes it (pkg/controller/namespace/deletion/
 * namespaced_resources_deleter.go): every namespaced resource that can be listed and deleted is
 * deleted by collection (background propagation), then listed again; while anything is left
 * the namespace waits, and once nothing is, the `kubernetes` finalizer is removed through the
 * finalize subresource, which lets the API server delete the namespace.
 */
import type { Namespace } from '../../api/cluster-types.ts';
import { DEFINITIONS, type ResourceDefinition } from '../../api/kinds/index.ts';
import type { KList } from '../../api/meta-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import { parseTime } from '../../api/time.ts';
import type { KObject } from '../../api/types.ts';
import { pathOf, resourcePath, type ApiClient } from '../../client/api-client.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import { describeFailure } from '../common/api-errors.ts';

/** v1.FinalizerKubernetes: the finalizer this controller owns. */
export const FINALIZER_KUBERNETES = 'kubernetes';

/** finalizerEstimateSeconds: how long to wait for objects that finalizers hold. */
const FINALIZER_ESTIMATE_SECONDS = 15;
/** v1.DefaultTerminationGracePeriodSeconds. */
const DEFAULT_POD_GRACE_SECONDS = 30;

export type DeletionResult =
  /** `finalized`: this call removed the finalizer. */
  | { readonly kind: 'done'; readonly finalized: boolean }
  /** Content remains: look again in about `estimateSeconds`. */
  | { readonly kind: 'remaining'; readonly estimateSeconds: number }
  | { readonly kind: 'error'; readonly message: string };

/**
 * The namespaced resources upstream finds through discovery with list and delete verbs (each
 * storage once: another version's view of a kind is the same objects).
 */
export function namespacedDeletableResources(): readonly ResourceDefinition[] {
  return DEFINITIONS.filter(
    (d) =>
      d.resource.namespaced &&
      d.storedAs === undefined &&
      d.createAs === undefined &&
      d.resource.verbs.includes('list') &&
      d.resource.verbs.includes('delete'),
  );
}

export class NamespacedResourcesDeleter {
  constructor(
    private readonly api: ApiClient,
    private readonly nowUs: () => number,
  ) {}

  /** Delete: nothing to do for a live namespace or one already finalized. */
  async delete(name: string): Promise<DeletionResult> {
    const got = await this.api.get('Namespace', undefined, name);
    if (!got.ok) {
      if (got.status === 404) return { kind: 'done', finalized: false };
      return { kind: 'error', message: `get namespace ${name}: ${describeFailure(got)}` };
    }
    const ns = got.value;
    if (ns.metadata.deletionTimestamp === undefined) {
      return { kind: 'done', finalized: false };
    }
    if ((ns.spec?.finalizers ?? []).length === 0) {
      return { kind: 'done', finalized: false };
    }
    const content = await this.deleteAllContent(ns);
    if (content.kind !== 'done') return content;
    const finalized = await this.finalize(ns);
    if (finalized !== undefined) return finalized;
    return { kind: 'done', finalized: true };
  }

  private async deleteAllContent(ns: Namespace): Promise<DeletionResult> {
    const name = ns.metadata.name ?? '';
    const deletedAtUs = parseTime(ns.metadata.deletionTimestamp ?? '') ?? this.nowUs();
    let estimate = 0;
    const errors: string[] = [];
    const resources = namespacedDeletableResources().map((d) => d.resource);
    // Custom resources are found through discovery, as upstream finds every resource.
    const custom = await this.api.discoverCustomResources();
    if (custom.ok) resources.push(...custom.value.filter(isNamespacedDeletable));
    else errors.push(`discover custom resources: ${describeFailure(custom)}`);
    for (const resource of resources) {
      const r = await this.deleteAllOf(resource, name, deletedAtUs);
      if (r.kind === 'error') errors.push(r.message);
      else estimate = Math.max(estimate, r.estimateSeconds);
    }
    if (errors.length > 0) return { kind: 'error', message: errors.join('; ') };
    if (estimate > 0) return { kind: 'remaining', estimateSeconds: estimate };
    return { kind: 'done', finalized: false };
  }

  /** deleteAllContentForGroupVersionResource. */
  private async deleteAllOf(
    def: ResourceInfo,
    namespace: string,
    deletedAtUs: number,
  ): Promise<{ kind: 'ok'; estimateSeconds: number } | { kind: 'error'; message: string }> {
    const kind = def.kind;
    const before = await this.api.listAt<KObject>(def, namespace);
    // A resource gone meanwhile (its CustomResourceDefinition deleted) has nothing left.
    if (!before.ok && before.status === 404) return { kind: 'ok', estimateSeconds: 0 };
    if (!before.ok) return { kind: 'error', message: listFailure(def, namespace, before) };
    if (before.value.items.length === 0) return { kind: 'ok', estimateSeconds: 0 };
    let estimate =
      kind === 'Pod' ? this.podEstimateSeconds(before.value.items as Pod[], deletedAtUs) : 0;
    const deleting = def.verbs.includes('deletecollection')
      ? await this.deleteCollection(def, namespace)
      : await this.deleteEach(def, before.value.items);
    if (deleting !== undefined) return { kind: 'error', message: deleting };
    const after = await this.api.listAt<KObject>(def, namespace);
    if (!after.ok) return { kind: 'error', message: listFailure(def, namespace, after) };
    const left = after.value.items;
    if (left.length > 0 && estimate === 0) {
      // Objects held by finalizers are expected to go once their finalizers run.
      if (!left.some((o) => (o.metadata.finalizers?.length ?? 0) > 0)) {
        return {
          kind: 'error',
          message: `unexpected items still remain in namespace: ${namespace} for ${def.resource}`,
        };
      }
      estimate = FINALIZER_ESTIMATE_SECONDS;
    }
    return { kind: 'ok', estimateSeconds: left.length > 0 ? estimate : 0 };
  }

  private async deleteCollection(
    def: ResourceInfo,
    namespace: string,
  ): Promise<string | undefined> {
    const r = await this.api.request<KList<KObject>>('DELETE', pathOf(def, namespace), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
    });
    if (r.ok || r.status === 404) return undefined;
    return `deletecollection ${def.resource} in ${namespace}: ${describeFailure(r)}`;
  }

  private async deleteEach(
    def: ResourceInfo,
    items: readonly KObject[],
  ): Promise<string | undefined> {
    for (const item of items) {
      const r = await this.api.deleteAt(def, item.metadata.namespace, item.metadata.name ?? '', {
        propagationPolicy: 'Background',
      });
      if (!r.ok && r.status !== 404) {
        return `delete ${def.resource} ${item.metadata.name}: ${describeFailure(r)}`;
      }
    }
    return undefined;
  }

  /**
   * estimateGracefulTermination for pods: the longest grace period of a pod not yet finished,
   * less the time since the namespace was deleted.
   */
  private podEstimateSeconds(pods: readonly Pod[], deletedAtUs: number): number {
    let grace = 0;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      grace = Math.max(grace, pod.spec.terminationGracePeriodSeconds ?? DEFAULT_POD_GRACE_SECONDS);
    }
    const elapsedSeconds = Math.floor((this.nowUs() - deletedAtUs) / 1_000_000);
    return Math.max(0, grace - elapsedSeconds);
  }

  /** finalizeNamespace: spec.finalizers without ours, through /finalize. */
  private async finalize(ns: Namespace): Promise<DeletionResult | undefined> {
    const finalizers = [...new Set(ns.spec?.finalizers ?? [])]
      .filter((f) => f !== FINALIZER_KUBERNETES)
      .sort();
    const r = await this.api.request<Namespace>(
      'PUT',
      resourcePath('Namespace', undefined, ns.metadata.name ?? '', 'finalize'),
      { body: { ...ns, spec: { ...ns.spec, finalizers } } },
    );
    // Gone already: life is good.
    if (r.ok || r.status === 404) return undefined;
    return {
      kind: 'error',
      message: `finalize namespace ${ns.metadata.name}: ${describeFailure(r)}`,
    };
  }
}

function listFailure(
  def: ResourceInfo,
  namespace: string,
  r: Parameters<typeof describeFailure>[0],
): string {
  return `list ${def.resource} in ${namespace}: ${describeFailure(r)}`;
}

function isNamespacedDeletable(r: ResourceInfo): boolean {
  return r.namespaced && r.verbs.includes('list') && r.verbs.includes('delete');
}
