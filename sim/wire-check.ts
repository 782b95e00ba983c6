/**
 * Check mode's watch over the simulated network (DESIGN.md §8). The simulator hands receivers
 * the sender's objects instead of bytes, which is fast but would let an aliasing bug hide (a
 * receiver mutating what the sender still holds, a watcher mutating what a hundred others were
 * sent) and would let a codec drift from the messages it must carry. So in check mode:
 *
 * - every message is deep-frozen when it is sent, so a later mutation by either side throws;
 * - the first message of each kind (its `kind` field) of each protocol and shape, and every
 *   `sampleEvery`-th after it, is encoded when it is sent and, when it is delivered, decoded
 *   and compared with what the receiver gets: the codec must carry it exactly, and its bytes
 *   (which cannot be frozen) must not have changed in flight. Counting by kind makes sure the
 *   rare messages (a snapshot, a membership change) are checked too.
 *
 * Sampling counts messages and draws nothing from any random stream, so check mode leaves the
 * trace exactly as the fast mode's.
 */
import type { Protocol } from '../core/ports/transport.ts';
import { AssertionError } from '../core/util/assert.ts';
import { deepFreeze } from '../core/util/freeze.ts';
import { structuralDiff } from './structural-diff.ts';

export type MessageShape =
  'request' | 'reply' | 'streamOpen' | 'streamMessage' | 'streamInput' | 'datagram';

type Counts = Record<MessageShape, Map<unknown, number>>;

/** Run at delivery: throws when the sampled message did not survive its codec. */
export type DeliveryCheck = () => void;

/** Encoding is the check's main cost: one message in 32 keeps it near a third of the run. */
export const DEFAULT_SAMPLE_EVERY = 32;

export class WireCheck {
  /** Messages sent so far, by protocol, shape and kind. */
  private readonly counts = new Map<Protocol, Counts>();
  private sampledCount = 0;

  constructor(private readonly sampleEvery = DEFAULT_SAMPLE_EVERY) {}

  /** Messages round-tripped through their codecs so far. */
  get sampled(): number {
    return this.sampledCount;
  }

  /** Freezes a message being sent; for a sampled one, the check to run when it is delivered. */
  sent(protocol: Protocol, shape: MessageShape, msg: unknown): DeliveryCheck | undefined {
    deepFreeze(msg);
    let counts = this.counts.get(protocol);
    if (counts === undefined) {
      counts = {
        request: new Map(),
        reply: new Map(),
        streamOpen: new Map(),
        streamMessage: new Map(),
        streamInput: new Map(),
        datagram: new Map(),
      };
      this.counts.set(protocol, counts);
    }
    const byKind = counts[shape];
    const kind =
      typeof msg === 'object' && msg !== null ? (msg as { kind?: unknown }).kind : typeof msg;
    const n = byKind.get(kind) ?? 0;
    byKind.set(kind, n + 1);
    if (n % this.sampleEvery !== 0) return undefined;
    this.sampledCount++;
    const codec = protocol[shape];
    if (codec === undefined) throw new AssertionError(`${protocol.name} carries no ${shape}`);
    const bytes = codec.encode(msg as never);
    return () => {
      const decoded: unknown = codec.decode(bytes);
      const diff = structuralDiff(decoded, msg);
      if (diff !== undefined) {
        throw new AssertionError(
          `check mode: a ${protocol.name} ${shape} did not survive its codec (decoded ${diff}): ${describe(msg)}`,
        );
      }
    };
  }
}

function describe(msg: unknown): string {
  const text = JSON.stringify(msg, (_k, v: unknown) =>
    v instanceof Uint8Array ? `<${v.byteLength} bytes>` : v,
  );
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
