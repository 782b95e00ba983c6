/**
 * The Node authorizer's graph (plugin/pkg/auth/authorizer/node/graph.go and
 * graph_populator.go), reduced to what ksim's kinds give it: each pod bound to a node, and the
 * objects each such pod references (its service account, the secrets, config maps and
 * persistent volume claims of its volumes, environment and image pull secrets). A node may
 * read an object only while a pod bound to it references it. Fed by a mirror of the pods watch
 * cache, so it follows bindings and deletions as they happen.
 */
import type { Pod as UpstreamPod } from 'kubernetes-types/core/v1.d.ts';
import type { KObject } from '../../api/types.ts';
import type { MirrorHandlers } from '../cache-mirror.ts';

/** The vertex types a pod points at. */
export type ReferenceType = 'secret' | 'configmap' | 'pvc' | 'serviceaccount';

export class NodeGraph {
  private readonly podNodes = new Map<string, string>();
  private readonly podReferences = new Map<string, readonly string[]>();
  /** reference vertex -> node -> number of that node's pods referencing it. */
  private readonly referencedBy = new Map<string, Map<string, number>>();

  readonly handlers: MirrorHandlers = {
    reset: () => {
      this.podNodes.clear();
      this.podReferences.clear();
      this.referencedBy.clear();
    },
    upsert: (obj) => this.setPod(obj),
    remove: (obj) => this.removePod(podKey(obj.metadata.namespace ?? '', obj.metadata.name ?? '')),
    synced: () => {},
  };

  /** Whether pod `namespace/name` is bound to `node`. */
  podOnNode(node: string, namespace: string, name: string): boolean {
    return this.podNodes.get(podKey(namespace, name)) === node;
  }

  /** Whether a pod bound to `node` references the object. */
  referencedFrom(node: string, type: ReferenceType, namespace: string, name: string): boolean {
    return this.referencedBy.get(vertex(type, namespace, name))?.has(node) ?? false;
  }

  private setPod(obj: KObject): void {
    const namespace = obj.metadata.namespace ?? '';
    const key = podKey(namespace, obj.metadata.name ?? '');
    this.removePod(key);
    const pod = obj as unknown as UpstreamPod;
    const node = pod.spec?.nodeName;
    if (!node) return;
    const refs = podReferences(pod).map((r) => vertex(r.type, namespace, r.name));
    this.podNodes.set(key, node);
    this.podReferences.set(key, refs);
    for (const r of refs) {
      let nodes = this.referencedBy.get(r);
      if (nodes === undefined) {
        nodes = new Map();
        this.referencedBy.set(r, nodes);
      }
      nodes.set(node, (nodes.get(node) ?? 0) + 1);
    }
  }

  private removePod(key: string): void {
    const node = this.podNodes.get(key);
    if (node === undefined) return;
    for (const r of this.podReferences.get(key) ?? []) {
      const nodes = this.referencedBy.get(r);
      const n = (nodes?.get(node) ?? 0) - 1;
      if (n > 0) nodes?.set(node, n);
      else nodes?.delete(node);
      if (nodes?.size === 0) this.referencedBy.delete(r);
    }
    this.podNodes.delete(key);
    this.podReferences.delete(key);
  }
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function vertex(type: ReferenceType, namespace: string, name: string): string {
  return `${type}/${namespace}/${name}`;
}

/** The objects a pod references (podutil.VisitPodSecretNames and friends, AllContainers). */
export function podReferences(pod: UpstreamPod): { type: ReferenceType; name: string }[] {
  const out: { type: ReferenceType; name: string }[] = [];
  const add = (type: ReferenceType, name: string | undefined): void => {
    if (name && !out.some((r) => r.type === type && r.name === name)) out.push({ type, name });
  };
  const spec = pod.spec;
  if (spec === undefined) return out;
  add('serviceaccount', spec.serviceAccountName);
  for (const s of spec.imagePullSecrets ?? []) add('secret', s.name);
  for (const v of spec.volumes ?? []) {
    add('secret', v.secret?.secretName);
    add('configmap', v.configMap?.name);
    add('pvc', v.persistentVolumeClaim?.claimName);
    // A generic ephemeral volume's claim is named after the pod and the volume.
    if (v.ephemeral !== undefined) add('pvc', `${pod.metadata?.name ?? ''}-${v.name}`);
    for (const p of v.projected?.sources ?? []) {
      add('secret', p.secret?.name);
      add('configmap', p.configMap?.name);
    }
    add('secret', v.azureFile?.secretName);
    add('secret', v.cephfs?.secretRef?.name);
    add('secret', v.cinder?.secretRef?.name);
    add('secret', v.flexVolume?.secretRef?.name);
    add('secret', v.iscsi?.secretRef?.name);
    add('secret', v.rbd?.secretRef?.name);
    add('secret', v.scaleIO?.secretRef?.name);
    add('secret', v.storageos?.secretRef?.name);
    add('secret', v.csi?.nodePublishSecretRef?.name);
  }
  const containers = [
    ...(spec.initContainers ?? []),
    ...spec.containers,
    ...(spec.ephemeralContainers ?? []),
  ];
  for (const c of containers) {
    for (const e of c.envFrom ?? []) {
      add('secret', e.secretRef?.name);
      add('configmap', e.configMapRef?.name);
    }
    for (const e of c.env ?? []) {
      add('secret', e.valueFrom?.secretKeyRef?.name);
      add('configmap', e.valueFrom?.configMapKeyRef?.name);
    }
  }
  return out;
}
