/**
 * A DaemonSet's ControllerRevisions (daemon_controller.go constructHistory, snapshot,
 * dedupCurHistories, cleanupHistory). Unlike a StatefulSet's, a DaemonSet's revision is named
 * after controller.ComputeHash of its template and collisionCount, and its pods carry that hash.
 */
import type { ControllerRevision } from '../../api/kinds/controller-revision.ts';
import type { DaemonSet } from '../../api/kinds/daemon-set.ts';
import { newControllerRef } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { canonicalJson } from '../common/canonical-json.ts';
import { describeFailure } from '../common/api-errors.ts';
import { computeHash } from '../common/hash.ts';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  sortControllerRevisions,
  templateRevisionData,
} from '../history/controller-history.ts';
import { deleteControllerRevision, updateRevisionNumber } from '../history/revision-client.ts';
import { DAEMON_SET_GVK } from './daemon-set-util.ts';

export interface DaemonSetHistory {
  readonly current: ControllerRevision;
  readonly old: readonly ControllerRevision[];
}

/** Match: the revision holds exactly the DaemonSet's template. */
function matches(ds: DaemonSet, revision: ControllerRevision): boolean {
  return canonicalJson(revision.data) === canonicalJson(templateRevisionData(ds.spec.template));
}

/**
 * constructHistory: split the revisions into the one of the current template and the old
 * ones; create the current one when missing (snapshot) or renumber it as the newest, and keep
 * only one of several equal ones (dedupCurHistories).
 */
export async function constructHistory(
  api: ApiClient,
  ds: DaemonSet,
  revisions: readonly ControllerRevision[],
): Promise<DaemonSetHistory | string> {
  const current = revisions.filter((r) => matches(ds, r));
  const old = revisions.filter((r) => !matches(ds, r));
  const nextRevision = Math.max(0, ...old.map((r) => r.revision)) + 1;
  if (current.length === 0) {
    const created = await snapshot(api, ds, nextRevision);
    return typeof created === 'string' ? created : { current: created, old };
  }
  const sorted = sortControllerRevisions(current);
  const keep = sorted.at(-1) as ControllerRevision;
  for (const dup of sorted.slice(0, -1)) {
    const error = await deleteControllerRevision(api, dup);
    if (error !== undefined) return error;
  }
  if (keep.revision >= nextRevision) return { current: keep, old };
  const renumbered = await updateRevisionNumber(api, keep, nextRevision);
  return typeof renumbered === 'string' ? renumbered : { current: renumbered, old };
}

/**
 * snapshot: create the revision of the current template. A name taken by another template is
 * a hash collision: bump status.collisionCount (on a fresh read, so a stale count is not
 * bumped twice) and fail this sync; the next one tries the new name.
 */
async function snapshot(
  api: ApiClient,
  ds: DaemonSet,
  revision: number,
): Promise<ControllerRevision | string> {
  const hash = computeHash(ds.spec.template, ds.status?.collisionCount);
  const name = `${ds.metadata.name ?? ''}-${hash}`;
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: ds.metadata.namespace ?? 'default',
      labels: { ...ds.spec.template.metadata?.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(ds.metadata.annotations === undefined
        ? {}
        : { annotations: { ...ds.metadata.annotations } }),
      ownerReferences: [newControllerRef(ds, DAEMON_SET_GVK)],
    },
    data: templateRevisionData(ds.spec.template),
    revision,
  };
  const r = await api.create(cr);
  if (r.ok) return r.value;
  if (r.status !== 409) return `create revision ${name}: ${describeFailure(r)}`;
  const existing = await api.get('ControllerRevision', cr.metadata.namespace, name);
  if (!existing.ok) return `get revision ${name}: ${describeFailure(existing)}`;
  if (matches(ds, existing.value)) return existing.value;
  const fresh = await api.get('DaemonSet', ds.metadata.namespace, ds.metadata.name ?? '');
  if (!fresh.ok) return `get ${ds.metadata.name}: ${describeFailure(fresh)}`;
  const count = fresh.value.status?.collisionCount;
  if (count !== ds.status?.collisionCount)
    return `stale collision count of DaemonSet ${ds.metadata.name}; retrying`;
  const bumped = await api.updateStatus({
    ...fresh.value,
    status: { ...fresh.value.status, collisionCount: (count ?? 0) + 1 },
  } as DaemonSet);
  if (!bumped.ok) return `bump collision count: ${describeFailure(bumped)}`;
  return `hash collision on revision ${name}; collisionCount bumped`;
}

/**
 * cleanupHistory: delete the oldest old revisions beyond revisionHistoryLimit that no live pod
 * was made from.
 */
export async function cleanupHistory(
  api: ApiClient,
  ds: DaemonSet,
  old: readonly ControllerRevision[],
  pods: readonly Pod[],
): Promise<string | undefined> {
  let toKill = old.length - (ds.spec.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return undefined;
  const live = new Set(pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]));
  for (const r of sortControllerRevisions(old)) {
    if (toKill <= 0) break;
    if (live.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL])) continue;
    const error = await deleteControllerRevision(api, r);
    if (error !== undefined) return error;
    toKill--;
  }
  return undefined;
}
