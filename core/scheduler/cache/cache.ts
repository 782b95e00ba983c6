/**
 * The scheduler's view of the cluster (pkg/scheduler/backend/cache/cache.go): nodes and the
 * pods placed on them, fed by informer events, plus pods the scheduler has *assumed* onto a
 * node before the API server confirmed the binding. Assumed pods count like bound ones, so
 * back-to-back decisions see each other; they are confirmed when the informer shows the
 * binding, forgotten when binding fails, and expire when their binding never shows up.
 *
 * Programmer errors (assuming a pod twice, updating a pod never added) crash; the scheduler
 * keeps the invariants by construction.
 */
import type { Node } from '../../api/node-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import { normalizedImageName } from '../framework/pod-info.ts';
import { assert } from '../../util/assert.ts';
import { NodeInfo, type ImageStateSummary } from '../framework/node-info.ts';
import { podInfoOf, podKey, type PodInfo } from '../framework/pod-info.ts';
import { NodeTree } from './node-tree.ts';
import type { Snapshot } from './snapshot.ts';

interface PodState {
  pi: PodInfo;
  nodeName: string;
  /** Set by finishBinding for assumed pods: when the assumption lapses, in µs. */
  deadlineUs: number | undefined;
  bindingFinished: boolean;
}

interface ImageState extends ImageStateSummary {
  readonly nodes: Set<string>;
}

export interface CacheOptions {
  /**
   * How long an assumed pod whose binding finished may wait for the informer to show it,
   * in µs; 0 never expires. Upstream's durationToExpireAssumedPod was 15 min before it became 0.
   */
  readonly assumedPodTtlUs: number;
}

export const DEFAULT_CACHE_OPTIONS: CacheOptions = { assumedPodTtlUs: 15 * 60 * 1_000_000 };

export class SchedulerCache {
  /** Includes "ghost" entries (node undefined) for pods bound to nodes the cache has not seen. */
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly tree = new NodeTree();
  private readonly podStates = new Map<string, PodState>();
  private readonly assumed = new Set<string>();
  private readonly images = new Map<string, ImageState>();
  /** Node names changed since the last snapshot refresh. */
  private readonly dirty = new Set<string>();
  private treeChanged = true;

  constructor(private readonly options: CacheOptions = DEFAULT_CACHE_OPTIONS) {}

  // ---- nodes ---------------------------------------------------------------------------------

  addNode(node: Node): void {
    this.updateNode(node);
  }

  updateNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const ni = this.nodeInfo(name);
    if (ni.node !== undefined) this.removeNodeImages(ni);
    if (ni.node === undefined || this.tree.needsUpdate(node)) {
      this.tree.add(node);
      this.treeChanged = true;
    }
    ni.setNode(node);
    this.addNodeImages(ni, node);
    ni.generation++;
    this.dirty.add(name);
  }

  /** The node leaves the list; its pods stay accounted until their own deletions arrive. */
  removeNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const ni = this.nodes.get(name);
    if (ni === undefined || ni.node === undefined) return;
    this.removeNodeImages(ni);
    ni.node = undefined;
    ni.labels = undefined;
    if (ni.pods.length === 0) this.nodes.delete(name);
    this.tree.remove(name);
    this.treeChanged = true;
    this.dirty.add(name);
  }

  // ---- pods ----------------------------------------------------------------------------------

  /** Assume: the pod counts on `nodeName` from now on (schedule_one.go assume). */
  assumePod(pod: Pod, nodeName: string): void {
    const pi = podInfoOf(pod);
    assert(!this.podStates.has(pi.key), `assumePod: pod ${pi.key} is already in the cache`);
    this.place(pi, nodeName);
    this.podStates.set(pi.key, { pi, nodeName, deadlineUs: undefined, bindingFinished: false });
    this.assumed.add(pi.key);
  }

  /** The binding call returned; start the expiry clock of the assumption. */
  finishBinding(pod: Pod, nowUs: number): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (st === undefined || !this.assumed.has(key)) return;
    st.bindingFinished = true;
    st.deadlineUs =
      this.options.assumedPodTtlUs > 0 ? nowUs + this.options.assumedPodTtlUs : undefined;
  }

  /** Binding failed: undo the assumption. */
  forgetPod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (st === undefined || !this.assumed.has(key)) return;
    this.unplace(st);
    this.podStates.delete(key);
    this.assumed.delete(key);
  }

  isAssumed(pod: Pod): boolean {
    return this.assumed.has(podKey(pod));
  }

  /** The node a pod is on in the cache (assumed or bound), if any. */
  nodeOf(pod: Pod): string | undefined {
    return this.podStates.get(podKey(pod))?.nodeName;
  }

  /** Informer: a bound pod appeared (possibly confirming an assumption). */
  addPod(pod: Pod): void {
    const nodeName = pod.spec.nodeName;
    assert(nodeName !== undefined && nodeName !== '', 'addPod: pod is not bound');
    const st = this.podStates.get(podKey(pod));
    const pi = podInfoOf(pod, st?.pi);
    if (st !== undefined && this.assumed.has(pi.key)) {
      // Confirmed; the binding may even have landed elsewhere than assumed.
      this.unplace(st);
      this.place(pi, nodeName);
      this.podStates.set(pi.key, { pi, nodeName, deadlineUs: undefined, bindingFinished: false });
      this.assumed.delete(pi.key);
      return;
    }
    if (st !== undefined) {
      this.updatePod(pod);
      return;
    }
    this.place(pi, nodeName);
    this.podStates.set(pi.key, { pi, nodeName, deadlineUs: undefined, bindingFinished: false });
  }

  /** Informer: a bound pod changed (labels, requests on resize, ...). */
  updatePod(pod: Pod): void {
    const st = this.podStates.get(podKey(pod));
    const pi = podInfoOf(pod, st?.pi);
    if (st === undefined || this.assumed.has(pi.key)) {
      this.addPod(pod);
      return;
    }
    this.unplace(st);
    const nodeName = pod.spec.nodeName ?? st.nodeName;
    this.place(pi, nodeName);
    this.podStates.set(pi.key, { pi, nodeName, deadlineUs: undefined, bindingFinished: false });
  }

  /** Informer: a bound pod was deleted (or became terminal). */
  removePod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (st === undefined) return;
    this.unplace(st);
    this.podStates.delete(key);
    this.assumed.delete(key);
  }

  /** Drops assumptions whose binding finished more than the TTL ago and never showed up. */
  cleanupExpiredAssumedPods(nowUs: number): Pod[] {
    const expired: Pod[] = [];
    for (const key of [...this.assumed]) {
      const st = this.podStates.get(key);
      if (st === undefined || !st.bindingFinished || st.deadlineUs === undefined) continue;
      if (nowUs < st.deadlineUs) continue;
      expired.push(st.pi.pod);
      this.unplace(st);
      this.podStates.delete(key);
      this.assumed.delete(key);
    }
    return expired;
  }

  get podCount(): number {
    return this.podStates.size;
  }

  get nodeCount(): number {
    return this.tree.numNodes;
  }

  /** Live NodeInfo (tests and invariant checks; plugins read the snapshot). */
  getNodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  // ---- snapshot ------------------------------------------------------------------------------

  /** Brings `s` up to date, copying only the nodes changed since its last refresh. */
  updateSnapshot(s: Snapshot): void {
    let rebuildList = this.treeChanged;
    let rebuildAffinity = false;
    for (const name of this.dirty) {
      const ni = this.nodes.get(name);
      const cur = s.byName.get(name);
      if (ni === undefined || ni.node === undefined) {
        if (cur !== undefined) {
          s.byName.delete(name);
          rebuildList = true;
        }
        continue;
      }
      if (cur === undefined) {
        s.byName.set(name, ni.clone());
        rebuildList = true;
        continue;
      }
      if (
        cur.podsWithAffinity.length > 0 !== ni.podsWithAffinity.length > 0 ||
        cur.podsWithRequiredAntiAffinity.length > 0 !== ni.podsWithRequiredAntiAffinity.length > 0
      )
        rebuildAffinity = true;
      cur.copyFrom(ni);
    }
    this.dirty.clear();
    this.treeChanged = false;
    if (rebuildList) {
      const list: NodeInfo[] = [];
      for (const name of this.tree.list()) {
        const ni = s.byName.get(name);
        if (ni !== undefined) list.push(ni);
      }
      s.nodeList = list;
    }
    if (rebuildList || rebuildAffinity) s.rebuildAffinityLists();
  }

  // ---- internals -----------------------------------------------------------------------------

  private nodeInfo(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (ni === undefined) {
      ni = new NodeInfo(name);
      this.nodes.set(name, ni);
    }
    return ni;
  }

  private place(pi: PodInfo, nodeName: string): void {
    this.nodeInfo(nodeName).addPod(pi);
    this.dirty.add(nodeName);
  }

  private unplace(st: PodState): void {
    const ni = this.nodes.get(st.nodeName);
    if (ni === undefined) return;
    ni.removePod(st.pi.key);
    this.dirty.add(st.nodeName);
    if (ni.node === undefined && ni.pods.length === 0) this.nodes.delete(st.nodeName);
  }

  private addNodeImages(ni: NodeInfo, node: Node): void {
    const states = new Map<string, ImageStateSummary>();
    for (const image of node.status?.images ?? []) {
      for (const raw of image.names ?? []) {
        const name = normalizedImageName(raw);
        let st = this.images.get(name);
        if (st === undefined) {
          st = { size: image.sizeBytes ?? 0, numNodes: 0, nodes: new Set() };
          this.images.set(name, st);
        }
        st.nodes.add(ni.name);
        st.numNodes = st.nodes.size;
        states.set(name, st);
      }
    }
    ni.imageStates = states;
  }

  private removeNodeImages(ni: NodeInfo): void {
    for (const name of ni.imageStates.keys()) {
      const st = this.images.get(name);
      if (st === undefined) continue;
      st.nodes.delete(ni.name);
      st.numNodes = st.nodes.size;
      if (st.nodes.size === 0) this.images.delete(name);
    }
    ni.imageStates = new Map();
  }
}
