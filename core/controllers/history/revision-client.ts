import type { ControllerRevision } from '../../api/kinds/controller-revision.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { describeFailure, isConflict } from '../common/api-errors.ts';
import {
  controllerRevisionName,
  equalRevision,
  hashControllerRevision,
  CONTROLLER_REVISION_HASH_LABEL,
} from './controller-history.ts';

export type CreatedRevision =
  | {
      readonly kind: 'created';
      readonly revision: ControllerRevision;
      readonly collisionCount: number;
    }
  | { readonly kind: 'failed'; readonly error: string; readonly collisionCount: number };

/** Upstream retries on a name collision with no bound; a hash space this small is never exhausted. */
const MAX_COLLISIONS = 100;

/**
 * realHistory.CreateControllerRevision: create `revision` under the name its hash and the
 * collision count give. When that name is taken by an equal revision, that one is the result;
 * when it is taken by another, the collision count goes up and the next name is tried. The
 * caller stores the returned collision count in the parent's status.
 */
export async function createControllerRevision(
  api: ApiClient,
  parentName: string,
  revision: ControllerRevision,
  collisionCount: number,
): Promise<CreatedRevision> {
  for (let count = collisionCount; count < collisionCount + MAX_COLLISIONS; count++) {
    const hash = hashControllerRevision(revision.data, count);
    const candidate: ControllerRevision = {
      ...revision,
      metadata: {
        ...revision.metadata,
        name: controllerRevisionName(parentName, hash),
        labels: { ...revision.metadata.labels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      },
    };
    const r = await api.create(candidate);
    if (r.ok) return { kind: 'created', revision: r.value, collisionCount: count };
    if (!isConflict(r))
      return {
        kind: 'failed',
        error: `create revision: ${describeFailure(r)}`,
        collisionCount: count,
      };
    const existing = await api.get(
      'ControllerRevision',
      candidate.metadata.namespace,
      candidate.metadata.name ?? '',
    );
    if (!existing.ok)
      return {
        kind: 'failed',
        error: `get revision: ${describeFailure(existing)}`,
        collisionCount: count,
      };
    if (equalRevision(existing.value, candidate))
      return { kind: 'created', revision: existing.value, collisionCount: count };
  }
  return { kind: 'failed', error: 'too many revision name collisions', collisionCount };
}

/** realHistory.UpdateControllerRevision: renumber a revision that is used again. */
export async function updateRevisionNumber(
  api: ApiClient,
  revision: ControllerRevision,
  newRevision: number,
): Promise<ControllerRevision | string> {
  if (revision.revision === newRevision) return revision;
  const r = await api.update({ ...revision, revision: newRevision });
  if (r.ok) return r.value;
  return `renumber revision ${revision.metadata.name}: ${describeFailure(r)}`;
}

export async function deleteControllerRevision(
  api: ApiClient,
  revision: ControllerRevision,
): Promise<string | undefined> {
  const r = await api.delete(
    'ControllerRevision',
    revision.metadata.namespace,
    revision.metadata.name ?? '',
  );
  if (r.ok || r.status === 404) return undefined;
  return `delete revision ${revision.metadata.name}: ${describeFailure(r)}`;
}
