/**
 * Content negotiation of a read (upstream endpoints/handlers/negotiation): which of the
 * representations the server offers the request's Accept header asks for, in its order of
 * preference. The server offers plain JSON, server-side printing (`as=Table`) and metadata only
 * (`as=PartialObjectMetadata` for one object, `as=PartialObjectMetadataList` for a list), each
 * of meta.k8s.io v1 or v1beta1.
 */
export type Representation =
  | { readonly kind: 'json' }
  | { readonly kind: 'table'; readonly version: MetaVersion }
  | { readonly kind: 'metadata'; readonly version: MetaVersion };

export type MetaVersion = 'v1' | 'v1beta1';

export const JSON_REPRESENTATION: Representation = { kind: 'json' };

/** The media types a read may be answered in, as the 406 lists them. */
export const ACCEPTED_MEDIA_TYPES: readonly string[] = [
  'application/json',
  'application/json;as=Table;v=v1;g=meta.k8s.io',
  'application/json;as=Table;v=v1beta1;g=meta.k8s.io',
  'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
];

/** The first acceptable representation; undefined when none is (a 406). */
export function negotiate(accept: string | undefined, list: boolean): Representation | undefined {
  if (accept === undefined || accept.trim() === '') return JSON_REPRESENTATION;
  for (const clause of accept.split(',')) {
    const r = representationOf(clause, list);
    if (r !== undefined) return r;
  }
  return undefined;
}

function representationOf(clause: string, list: boolean): Representation | undefined {
  const [type = '', ...rest] = clause.split(';').map((p) => p.trim());
  const mediaType = type.toLowerCase();
  if (mediaType !== 'application/json' && mediaType !== 'application/*' && mediaType !== '*/*') {
    return undefined;
  }
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  const as = params.get('as');
  if (as === undefined) return JSON_REPRESENTATION;
  const version = params.get('v');
  if (params.get('g') !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) {
    return undefined;
  }
  if (as === 'Table') return { kind: 'table', version };
  if (as === (list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata')) {
    return { kind: 'metadata', version };
  }
  return undefined;
}
