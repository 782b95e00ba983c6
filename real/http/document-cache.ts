/**
 * The serialized form of the large documents the API answers every client alike (OpenAPI, a
 * few hundred KiB each): kept by the identity of the object the API server answered with, which
 * stays the same until the served API changes (core/apiserver/openapi.ts), so each is encoded,
 * compressed and hashed once. The hash is the document's ETag, so a client that cached it
 * (kubectl's HTTP cache) revalidates with If-None-Match and gets a 304 without the body.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface EncodedDocument {
  readonly json: Buffer;
  /** Quoted, as the header carries it. */
  readonly etag: string;
  /** gzip of `json`, made when a client first takes it. */
  gzip(): Buffer;
}

export class DocumentCache {
  private readonly encoded = new WeakMap<object, EncodedDocument>();

  of(body: object): EncodedDocument {
    let e = this.encoded.get(body);
    if (e === undefined) {
      const json = Buffer.from(JSON.stringify(body));
      let compressed: Buffer | undefined;
      e = {
        json,
        etag: `"${createHash('sha512').update(json).digest('hex').slice(0, 32).toUpperCase()}"`,
        gzip: () => (compressed ??= gzipSync(json)),
      };
      this.encoded.set(body, e);
    }
    return e;
  }
}

/** Whether an If-None-Match header names `etag` (or is `*`). */
export function matchesETag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');
}
