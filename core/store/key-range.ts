/**
 * etcd's key-range conventions (clientv3 GetPrefixRangeEnd, mvcc index.go): a range is
 * `key` alone when `rangeEnd` is empty, `[key, +inf)` when `rangeEnd` is '\0', otherwise
 * `[key, rangeEnd)`.
 */
import { FROM_KEY } from './types.ts';

/** A normalised range: `end` null = the single key `start`; '' = unbounded above. */
export interface KeySpan {
  readonly start: string;
  readonly end: string | null;
}

const MAX_CODE_UNIT = 0xffff;

export function keySpan(key: string, rangeEnd: string | undefined): KeySpan {
  if (rangeEnd === undefined || rangeEnd === '') return { start: key, end: null };
  if (rangeEnd === FROM_KEY) return { start: key, end: '' };
  return { start: key, end: rangeEnd };
}

export function spanContains(span: KeySpan, key: string): boolean {
  if (span.end === null) return key === span.start;
  return key >= span.start && (span.end === '' || key < span.end);
}

/**
 * The smallest key greater than every key with this prefix: the last code unit that can be
 * incremented is, and the rest dropped. A prefix of only U+FFFF (or '') has no such key, so
 * the range runs to the end of the key space, as etcd returns "\x00" for all-0xff prefixes.
 */
export function prefixRangeEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const unit = prefix.charCodeAt(i);
    if (unit < MAX_CODE_UNIT) return prefix.slice(0, i) + String.fromCharCode(unit + 1);
  }
  return FROM_KEY;
}

/** `{ key, rangeEnd }` selecting every key that starts with `keyPrefix`. */
export function prefix(keyPrefix: string): { readonly key: string; readonly rangeEnd: string } {
  return { key: keyPrefix === '' ? FROM_KEY : keyPrefix, rangeEnd: prefixRangeEnd(keyPrefix) };
}
