/**
 * The watch streams a store process serves from its state machine, one watcher per stream:
 * events are sent as the state machine applies changes, progress notifications on the
 * process's timer. (Any replicated member serves watches from its own state machine: a
 * lagging member's stream is late, never wrong.)
 */
import type { ServerStream } from '../ports/transport.ts';
import type { WatchOpen, WatchStreamMessage } from './protocol.ts';
import type { KvStateMachine } from './state-machine.ts';
import type { WatchId } from './types.ts';

export class WatchStreams {
  private readonly streams = new Map<WatchId, ServerStream<WatchStreamMessage>>();

  /**
   * Starts the watch `open` asks for on `sm`. `current` names the member's state machine when
   * the stream closes: a snapshot may have replaced `sm` (and its watchers) since.
   */
  open(
    open: WatchOpen,
    stream: ServerStream<WatchStreamMessage>,
    sm: KvStateMachine,
    current: () => KvStateMachine,
  ): void {
    const created = sm.watch(open.request);
    if (created.kind === 'error') {
      stream.send({ kind: 'error', error: created });
      stream.close();
      return;
    }
    const id = created.watchId;
    this.streams.set(id, stream);
    stream.onClose(() => {
      if (current() === sm) {
        this.streams.delete(id);
        sm.cancelWatch(id);
      }
    });
    stream.send({ kind: 'created', watchId: id });
    this.flush(sm);
  }

  /** Sends the changes `sm` applied since the last flush to their watchers. */
  flush(sm: KvStateMachine): void {
    if (this.streams.size === 0) return;
    for (const response of sm.drainWatchEvents()) {
      this.streams.get(response.watchId)?.send({ kind: 'events', response });
    }
  }

  /** Tells caught-up watchers that asked for it how far they have seen. */
  progress(sm: KvStateMachine): void {
    for (const p of sm.progress())
      this.streams.get(p.watchId)?.send({ kind: 'progress', revision: p.revision });
  }

  /** Sends `last` (when given) on every stream and closes them all. */
  closeAll(last?: WatchStreamMessage): void {
    for (const stream of this.streams.values()) {
      if (last !== undefined) stream.send(last);
      stream.close();
    }
    this.streams.clear();
  }
}
