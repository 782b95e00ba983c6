/**
 * Shuffle sharding (k8s.io/apiserver/pkg/util/shufflesharding/shufflesharding.go and
 * apf_controller.go's hashFlowID): a flow's 64-bit hash deals it a hand of `handSize` distinct
 * queues out of `deckSize`, the same hand every time, so a flow that floods fills only its own
 * hand and a light flow shares all of its queues with the flood only rarely.
 */
import { assert } from '../../util/assert.ts';
import { sha256 } from '../../util/sha256.ts';

/** upstream's limit: a hand is dealt from the 64 bits of one hash. */
export const MAX_HAND_SIZE = 15;

const encoder = new TextEncoder();

/** hashFlowID: the first 8 bytes, little-endian, of SHA-256(schema NUL distinguisher). */
export function hashFlowId(flowSchema: string, distinguisher: string): bigint {
  const digest = sha256(encoder.encode(`${flowSchema}\u0000${distinguisher}`));
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true);
}

/** Dealer.Deal: the hand's queue indexes, in the order upstream picks them. */
export function dealHand(hashValue: bigint, deckSize: number, handSize: number): number[] {
  assert(
    handSize >= 1 && handSize <= MAX_HAND_SIZE && handSize <= deckSize,
    `hand size ${handSize} must be 1..${MAX_HAND_SIZE} and at most the ${deckSize} queues`,
  );
  const remainders: number[] = [];
  let value = hashValue;
  for (let i = 0; i < handSize; i++) {
    const size = BigInt(deckSize - i);
    remainders.push(Number(value % size));
    value /= size;
  }
  const hand: number[] = [];
  for (let i = 0; i < handSize; i++) {
    // Each card indexes the deck left after the ones before it were drawn.
    let card = remainders[i] as number;
    for (let j = i; j > 0; j--) if (card >= (remainders[j - 1] as number)) card++;
    hand.push(card);
  }
  return hand;
}
