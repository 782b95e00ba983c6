/**
 * The ControllerRevision history StatefulSets and DaemonSets share (pkg/controller/history/
 * controller_history.go): each distinct template a workload has had is stored as a
 * ControllerRevision owned by it, named after a hash of its data and numbered in order of use.
 */
import type { ControllerRevision } from '../../api/kinds/controller-revision.ts';
import type { PodTemplateSpec } from '../../api/pod-types.ts';
import { newControllerRef, type GroupVersionKind, type HasMeta } from '../../api/meta.ts';
import { parseTime } from '../../api/time.ts';
import { canonicalJson } from '../common/canonical-json.ts';
import { computeHash } from '../common/hash.ts';

/** apps.ControllerRevisionHashLabelKey: on revisions and on the pods made from them. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/** A name's prefix leaves room for "-" and a hash within a DNS subdomain's 253 characters. */
const MAX_PREFIX_LENGTH = 223;

/** ControllerRevisionName. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.slice(0, MAX_PREFIX_LENGTH)}-${hash}`;
}

/** HashControllerRevision: the hash of the revision's data, with the collision count as probe. */
export function hashControllerRevision(data: unknown, probe: number | undefined): string {
  return computeHash(data, probe);
}

/**
 * NewControllerRevision: a revision of `parent` holding `data`, labelled with the template's
 * labels and its hash, named `<parent>-<hash>`, controlled by the parent.
 */
export function newControllerRevision(
  parent: HasMeta,
  parentKind: GroupVersionKind,
  templateLabels: Readonly<Record<string, string>> | undefined,
  data: object,
  revision: number,
  collisionCount: number | undefined,
): ControllerRevision {
  const hash = hashControllerRevision(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.metadata.name ?? '', hash),
      namespace: parent.metadata.namespace ?? 'default',
      labels: { ...templateLabels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(parent, parentKind)],
    },
    data,
    revision,
  };
}

/** SortControllerRevisions: by revision, then creation time, then name. */
export function sortControllerRevisions(
  revisions: readonly ControllerRevision[],
): ControllerRevision[] {
  return [...revisions].sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = created(a);
    const tb = created(b);
    if (ta !== tb) return ta - tb;
    const na = a.metadata.name ?? '';
    const nb = b.metadata.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

function created(r: ControllerRevision): number {
  const t = r.metadata.creationTimestamp;
  return t === undefined ? 0 : (parseTime(t) ?? 0);
}

/**
 * EqualRevision: revisions with different hash labels differ; otherwise their data decides
 * (upstream compares the raw bytes; we compare canonical JSON, as the hash does).
 */
export function equalRevision(a: ControllerRevision, b: ControllerRevision): boolean {
  const ha = a.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  const hb = b.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** FindEqualRevisions. */
export function findEqualRevisions(
  revisions: readonly ControllerRevision[],
  needle: ControllerRevision,
): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** nextRevision: one more than the highest revision number, 1 for an empty history. */
export function nextRevision(sorted: readonly ControllerRevision[]): number {
  const last = sorted.at(-1);
  return last === undefined ? 1 : last.revision + 1;
}

/**
 * getPatch of both controllers: a revision's data is the template as a strategic-merge patch
 * that replaces the template whole, so applying it needs no merge.
 */
export function templateRevisionData(template: PodTemplateSpec | undefined): object {
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

/** The template a revision's data holds (ApplyRevision of that patch). */
export function revisionTemplate(revision: ControllerRevision): PodTemplateSpec | undefined {
  const data = revision.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } };
  const patched = data.spec?.template;
  if (patched === undefined) return undefined;
  const { $patch: _replace, ...template } = patched;
  return template;
}
