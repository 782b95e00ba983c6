/**
 * Chain names as upstream's iptables proxier derives them (pkg/proxy/iptables/proxier.go:
 * portProtoHash, servicePortEndpointChainName): SHA-256 of the service port name ("ns/svc:port")
 * and the lower-case protocol (and, for an endpoint chain, its "ip:port"), base32 (RFC 4648,
 * standard alphabet), first 16 characters. The same names as a real node's iptables-save, so a
 * user can compare the two.
 */
import { sha256 } from '../util/sha256.ts';

export { sha256 };

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Base32 with the standard alphabet and padding (Go's base32.StdEncoding). */
export function base32(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

const encoder = new TextEncoder();

function hash16(text: string): string {
  return base32(sha256(encoder.encode(text))).slice(0, 16);
}

/** portProtoHash: the 16 characters after KUBE-SVC-, KUBE-SVL-, KUBE-EXT- and KUBE-FW-. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol);
}

/** servicePortEndpointChainName: `endpoint` is "ip:port". */
export function endpointChainName(
  servicePortName: string,
  protocol: string,
  endpoint: string,
): string {
  return `KUBE-SEP-${hash16(servicePortName + protocol + endpoint)}`;
}
