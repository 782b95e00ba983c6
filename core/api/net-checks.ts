/**
 * Address and name checks the networking kinds need, with upstream's messages: IPs and CIDRs as
 * Go's net package (through k8s.io/utils/net's "sloppy" parsers, which accept leading zeros in
 * IPv4) reads them, and the string formats of apimachinery's util/validation and
 * api/validation/path.
 */
import { DNS1123_SUBDOMAIN_MAX_LENGTH, maxLenError, regexError } from './content-checks.ts';

/** An IP address as its bits; IPv4 is 32 bits, IPv6 128. */
export interface IPAddress {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

export interface IPNet {
  /** The network address: the given address with the host bits cleared. */
  readonly ip: IPAddress;
  readonly prefixLength: number;
}

/** ParseIPSloppy: dotted-quad IPv4 or IPv6 (with `::` and an optional IPv4 tail), no zone. */
export function parseIP(text: string): IPAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { bits: 32, value: v4 };
  return text.includes(':') ? parseIPv6(text) : undefined;
}

/** ParseCIDRSloppy: an address, a slash and a decimal prefix length no longer than the address. */
export function parseCIDR(text: string): IPNet | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  if (prefixLength > ip.bits) return undefined;
  const hostBits = BigInt(ip.bits - prefixLength);
  return { ip: { bits: ip.bits, value: (ip.value >> hostBits) << hostBits }, prefixLength };
}

/** net.IPNet.Contains: same family and the network bits agree. */
export function cidrContains(net: IPNet, ip: IPAddress): boolean {
  if (net.ip.bits !== ip.bits) return false;
  const hostBits = BigInt(ip.bits - net.prefixLength);
  return ip.value >> hostBits === net.ip.value >> hostBits;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(p));
  }
  return value;
}

function parseIPv6(text: string): IPAddress | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return { bits: 128, value: all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

/** validation.IsValidIP (1.32). */
export function isValidIP(value: string): string[] {
  return parseIP(value) === undefined
    ? ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']
    : [];
}

/** validation.IsValidCIDR (1.32). */
export function isValidCIDR(value: string): string[] {
  return parseCIDR(value) === undefined
    ? ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']
    : [];
}

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_ERR =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const DNS1035_LABEL_MAX_LENGTH = 63;
const dns1035LabelRe = new RegExp(`^${DNS1035_LABEL_FMT}$`);

/** validation.IsDNS1035Label: Service names. */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(value)) {
    errs.push(regexError(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  }
  return errs;
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const WILDCARD_FMT = `\\*\\.${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const WILDCARD_ERR =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";
const wildcardRe = new RegExp(`^${WILDCARD_FMT}$`);

/** validation.IsWildcardDNS1123Subdomain: "*.example.com". */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX_LENGTH)
    errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!wildcardRe.test(value)) errs.push(regexError(WILDCARD_ERR, WILDCARD_FMT, '*.example.com'));
  return errs;
}

/** path.IsValidPathSegmentName: a name that can stand as one segment of a URL path. */
export function isPathSegmentName(name: string): string[] {
  for (const bad of ['.', '..']) if (name === bad) return [`may not be '${bad}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}
