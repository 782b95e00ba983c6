/**
 * The kubelet's status manager (pkg/kubelet/status/status_manager.go): holds the status each
 * pod should have, writes it through PUT pods/{name}/status only when it differs from what the
 * API server has, re-reads and retries on a conflict, never moves a terminal pod back to a
 * running phase, and performs the final deletion (grace 0, UID precondition) of a terminated
 * pod once its terminal status is stored.
 */
import type { Pod, PodStatus } from '../api/pod-types.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { ProcessPorts } from '../ports/process.ts';

const RETRY_INITIAL_US = 1_000_000;
const RETRY_MAX_US = 10_000_000;

interface Entry {
  namespace: string;
  name: string;
  /** The latest pod object known (from the informer or a re-read). */
  pod: Pod;
  /** JSON of `pod.status`, computed once per pod object. */
  storedJson: string | undefined;
  desired: PodStatus | undefined;
  desiredJson: string;
  deleteWhenWritten: boolean;
  inFlight: boolean;
  again: boolean;
  retryUs: number;
  done: boolean;
}

export interface StatusManagerEvents {
  /** The pod is gone from the API server (deleted by us or found missing). */
  onPodGone(uid: string): void;
}

export class StatusManager {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly events: StatusManagerEvents,
  ) {}

  /** Tells the manager about the API's latest version of the pod. */
  podUpdated(pod: Pod): void {
    const entry = this.entries.get(pod.metadata.uid ?? '');
    if (entry !== undefined) this.observe(entry, pod);
  }

  /** Sets the status the pod should have; a write follows if the API server's differs. */
  setStatus(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata.uid ?? '';
    const entry = this.entry(uid, pod);
    entry.desired = status;
    entry.desiredJson = JSON.stringify(status);
    if (entry.desiredJson === this.storedJson(entry) && !entry.deleteWhenWritten) return;
    this.kick(uid, entry);
  }

  /**
   * Whether the pod's status is the one the kubelet wants it to have. Asked on every update the
   * informer delivers, right after `podUpdated` made that pod the entry's: objects are immutable,
   * so the entry's JSON of its status serves here and for the next write's comparison.
   */
  isDesired(pod: Pod): boolean {
    const entry = this.entries.get(pod.metadata.uid ?? '');
    if (entry === undefined) return false;
    const stored = entry.pod === pod ? this.storedJson(entry) : JSON.stringify(pod.status ?? {});
    return entry.desiredJson === stored;
  }

  /** Deletes the pod with grace 0 once its desired status is stored. */
  deleteWhenWritten(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const entry = this.entry(uid, pod);
    entry.deleteWhenWritten = true;
    this.kick(uid, entry);
  }

  forget(uid: string): void {
    const entry = this.entries.get(uid);
    if (entry !== undefined) entry.done = true;
    this.entries.delete(uid);
  }

  private entry(uid: string, pod: Pod): Entry {
    let entry = this.entries.get(uid);
    if (entry === undefined) {
      entry = {
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
        pod,
        storedJson: undefined,
        desired: undefined,
        desiredJson: '',
        deleteWhenWritten: false,
        inFlight: false,
        again: false,
        retryUs: RETRY_INITIAL_US,
        done: false,
      };
      this.entries.set(uid, entry);
    } else {
      this.observe(entry, pod);
    }
    return entry;
  }

  /** Keeps the newest version: informer events may trail the reply of our own write. */
  private observe(entry: Entry, pod: Pod): void {
    if (Number(pod.metadata.resourceVersion) <= Number(entry.pod.metadata.resourceVersion)) return;
    entry.pod = pod;
    entry.storedJson = undefined;
  }

  private storedJson(entry: Entry): string {
    entry.storedJson ??= JSON.stringify(entry.pod.status ?? {});
    return entry.storedJson;
  }

  private kick(uid: string, entry: Entry): void {
    if (entry.inFlight) {
      entry.again = true;
      return;
    }
    entry.inFlight = true;
    this.ports.spawn(async () => {
      do {
        entry.again = false;
        const outcome = await this.sync(uid, entry);
        if (outcome === 'retry') {
          await this.ports.clock.sleep(entry.retryUs);
          entry.retryUs = Math.min(entry.retryUs * 2, RETRY_MAX_US);
          entry.again = true;
        } else {
          entry.retryUs = RETRY_INITIAL_US;
        }
      } while (entry.again && !entry.done);
      entry.inFlight = false;
    });
  }

  private async sync(uid: string, entry: Entry): Promise<'done' | 'retry'> {
    if (entry.done) return 'done';
    const written = await this.writeStatus(uid, entry);
    if (written !== 'done' || !entry.deleteWhenWritten || entry.done) return written;
    const r = await this.api.delete('Pod', entry.namespace, entry.name, {
      gracePeriodSeconds: 0,
      preconditions: { uid },
    });
    if (r.ok || r.status === 404 || r.status === 409) {
      this.ports.trace.emit('kubelet.pod-deleted', {
        pod: `${entry.namespace}/${entry.name}`,
        uid,
      });
      this.gone(uid, entry);
      return 'done';
    }
    return 'retry';
  }

  private async writeStatus(uid: string, entry: Entry): Promise<'done' | 'retry'> {
    for (let attempt = 0; attempt < 5 && !entry.done; attempt++) {
      const desired = entry.desired;
      if (desired === undefined) return 'done';
      const current = entry.pod;
      if (this.storedJson(entry) === entry.desiredJson) return 'done';
      if (isTerminal(current.status?.phase) && !isTerminal(desired.phase)) {
        // Upstream refuses this transition: a terminal pod never runs again.
        return 'done';
      }
      const r = await this.api.updateStatus<Pod>({ ...current, status: desired });
      if (r.ok) {
        this.observe(entry, r.value);
        return 'done';
      }
      if (r.status === 404) {
        this.gone(uid, entry);
        return 'done';
      }
      if (r.status !== 409) return 'retry';
      const fresh = await this.api.get('Pod', entry.namespace, entry.name);
      if (!fresh.ok) {
        if (fresh.status === 404) this.gone(uid, entry);
        return fresh.status === 404 ? 'done' : 'retry';
      }
      if (fresh.value.metadata.uid !== uid) {
        this.gone(uid, entry);
        return 'done';
      }
      this.observe(entry, fresh.value);
    }
    return entry.done ? 'done' : 'retry';
  }

  private gone(uid: string, entry: Entry): void {
    if (entry.done) return;
    this.forget(uid);
    this.events.onPodGone(uid);
  }
}

function isTerminal(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}
