/**
 * Check mode's watch over the simulated network (DESIGN.md §8). The simulator hands receivers
 * the sender's objects instead of bytes, which is fast but would let an aliasing bug hide (a
 * receiver mutating what the sender still holds, a watcher mutating what a hundred others were
 * sent) and would let a codec drift from the messages it must carry. So in check mode:
 *
 * - every message is deep-frozen when it is sent, so a later mutation by either side throws;
 * - every `sampleEvery`-th message of each protocol and shape is encoded when it is sent and,
 *   when it is delivered, decoded and compared with what the receiver gets: the codec must
 *   carry it exactly, and its bytes (which cannot be frozen) must not have changed in flight.
 *
 * Sampling counts messages and draws nothing from any random stream, so check mode leaves the
 * trace exactly as the fast mode's.
 */
import type { Protocol } from '../core/ports/transport.ts';
import { AssertionError } from '../core/util/assert.ts';
import { deepFreeze } from '../core/util/freeze.ts';
import { structuralDiff } from './structural-diff.ts';

export type MessageShape = 'request' | 'reply' | 'streamOpen' | 'streamMessage' | 'datagram';

const SHAPES: readonly MessageShape[] = [
  'request',
  'reply',
  'streamOpen',
  'streamMessage',
  'datagram',
];

/** Run at delivery: throws when the sampled message did not survive its codec. */
export type DeliveryCheck = () => void;

export const DEFAULT_SAMPLE_EVERY = 16;

export class WireCheck {
  private readonly counts = new Map<Protocol, number[]>();
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
      counts = SHAPES.map(() => 0);
      this.counts.set(protocol, counts);
    }
    const i = SHAPES.indexOf(shape);
    const n = counts[i]!;
    counts[i] = n + 1;
    if (n % this.sampleEvery !== 0) return undefined;
    this.sampledCount++;
    const codec = protocol[shape];
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
