/**
 * A real cluster's signing key: 32 random bytes written once to the cluster's directory (mode
 * 0600) and read by every process, so tokens one process issues the others accept. HMAC-SHA256,
 * the scheme the simulator uses with a fixed key (sim/signer.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { TokenSigner } from '../../core/apiserver/authn/signer.ts';

export function writeSigningKey(path: string): void {
  writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600 });
}

export function readSigner(path: string, keyId: string): TokenSigner {
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
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
