/**
 * The simulated cluster's signing key: HMAC-SHA256 under a key fixed for every simulation, so a
 * token minted in one run of a seed is the same in the next (a real host generates its key at
 * start; nothing in a simulation is secret).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TokenSigner } from '../core/apiserver/authn/signer.ts';

export function hmacSigner(key: string, keyId: string): TokenSigner {
  const sign = (input: string): string =>
    createHmac('sha256', key).update(input).digest('base64url');
  return {
    algorithm: 'HS256',
    keyId,
    sign,
    verify: (input, signature) => {
      const expected = Buffer.from(sign(input));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export const SIM_SIGNER: TokenSigner = hmacSigner('ksim simulated cluster signing key', 'sim-1');
