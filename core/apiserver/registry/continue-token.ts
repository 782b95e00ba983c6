/**
 * List continue tokens as upstream's etcd3 storage encodes them
 * (staging/src/k8s.io/apiserver/pkg/storage/continue.go): URL-safe base64 without padding of
 * `{"v":"meta.k8s.io/v1","rv":<list version>,"start":"<next key below the prefix>"}`. A token
 * names its snapshot, so the next page reads the same one (410 once compacted).
 */
import * as errors from '../../api/errors.ts';
import type { Status } from '../../api/status-types.ts';

const VERSION = 'meta.k8s.io/v1';

/** Store keys are made of names (DNS labels and subdomains), so the JSON is ASCII. */
export function encodeContinue(rv: number, startKey: string, prefix: string): string {
  const json = JSON.stringify({ v: VERSION, rv, start: startKey.slice(prefix.length) });
  return btoa(json).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const invalid = (why: string): Status => errors.badRequest(`continue key is not valid: ${why}`);

export function decodeContinue(
  token: string,
  prefix: string,
): { readonly rv: number; readonly startKey: string } | Status {
  let json: string;
  try {
    if (!/^[A-Za-z0-9_-]*$/.test(token)) throw new Error('illegal base64 data');
    json = atob(token.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return invalid('illegal base64 data');
  }
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    return invalid('invalid character in encoded token');
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.v !== VERSION) {
    return invalid('server does not recognize this encoded version');
  }
  if (typeof parsed.rv !== 'number' || !Number.isInteger(parsed.rv) || parsed.rv <= 0) {
    return invalid(`incorrect encoded start resourceVersion (version ${VERSION})`);
  }
  if (typeof parsed.start !== 'string' || parsed.start === '') {
    return invalid('encoded start key empty');
  }
  // The key must stay below the prefix (upstream cleans the path and refuses "..").
  if (parsed.start.split('/').includes('..')) return invalid('continue key may not contain ..');
  return { rv: parsed.rv, startKey: prefix + parsed.start };
}
