/**
 * Request bodies in Kubernetes' protobuf encoding, read into the JSON the API server takes.
 * kubectl's typed clients (create namespace/configmap/secret, auth can-i) send
 * `application/vnd.kubernetes.protobuf` for built-in kinds and do not fall back to JSON on a
 * 415, so the front must read it: the envelope is the magic "k8s\0" and a runtime.Unknown
 * {typeMeta, raw}, raw being the kind's message (k8s.io/api/<group>/<version>/generated.proto).
 *
 * Only the kinds listed in SCHEMAS are read (their fields as generated.proto numbers them);
 * another kind is answered 415 by the caller. Answers are always JSON, which those clients
 * accept as well.
 */

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

type FieldType =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | 'time'
  | 'string-map'
  | 'bytes-map'
  | { readonly message: MessageSchema };

interface FieldSchema {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
}

type MessageSchema = Readonly<Record<number, FieldSchema>>;

const field = (name: string, type: FieldType, repeated = false): FieldSchema => ({
  name,
  type,
  repeated,
});

const OWNER_REFERENCE: MessageSchema = {
  1: field('kind', 'string'),
  3: field('name', 'string'),
  4: field('uid', 'string'),
  5: field('apiVersion', 'string'),
  6: field('controller', 'bool'),
  7: field('blockOwnerDeletion', 'bool'),
};

const OBJECT_META: MessageSchema = {
  1: field('name', 'string'),
  2: field('generateName', 'string'),
  3: field('namespace', 'string'),
  5: field('uid', 'string'),
  6: field('resourceVersion', 'string'),
  7: field('generation', 'int'),
  8: field('creationTimestamp', 'time'),
  9: field('deletionTimestamp', 'time'),
  10: field('deletionGracePeriodSeconds', 'int'),
  11: field('labels', 'string-map'),
  12: field('annotations', 'string-map'),
  13: field('ownerReferences', { message: OWNER_REFERENCE }, true),
  14: field('finalizers', 'string', true),
};

const METADATA = field('metadata', { message: OBJECT_META });

const CONFIG_MAP: MessageSchema = {
  1: METADATA,
  2: field('data', 'string-map'),
  3: field('binaryData', 'bytes-map'),
  4: field('immutable', 'bool'),
};

const SECRET: MessageSchema = {
  1: METADATA,
  2: field('data', 'bytes-map'),
  3: field('type', 'string'),
  4: field('stringData', 'string-map'),
  5: field('immutable', 'bool'),
};

const NAMESPACE: MessageSchema = {
  1: METADATA,
  2: field('spec', { message: { 1: field('finalizers', 'string', true) } }),
};

const SERVICE_ACCOUNT: MessageSchema = {
  1: METADATA,
  3: field('automountServiceAccountToken', 'bool'),
};

const SELECTOR_REQUIREMENT: MessageSchema = {
  1: field('key', 'string'),
  2: field('operator', 'string'),
  3: field('values', 'string', true),
};

const SELECTOR_ATTRIBUTES: MessageSchema = {
  1: field('rawSelector', 'string'),
  2: field('requirements', { message: SELECTOR_REQUIREMENT }, true),
};

const RESOURCE_ATTRIBUTES: MessageSchema = {
  1: field('namespace', 'string'),
  2: field('verb', 'string'),
  3: field('group', 'string'),
  4: field('version', 'string'),
  5: field('resource', 'string'),
  6: field('subresource', 'string'),
  7: field('name', 'string'),
  8: field('fieldSelector', { message: SELECTOR_ATTRIBUTES }),
  9: field('labelSelector', { message: SELECTOR_ATTRIBUTES }),
};

const NON_RESOURCE_ATTRIBUTES: MessageSchema = {
  1: field('path', 'string'),
  2: field('verb', 'string'),
};

const SELF_SUBJECT_ACCESS_REVIEW: MessageSchema = {
  1: METADATA,
  2: field('spec', {
    message: {
      1: field('resourceAttributes', { message: RESOURCE_ATTRIBUTES }),
      2: field('nonResourceAttributes', { message: NON_RESOURCE_ATTRIBUTES }),
    },
  }),
};

const SELF_SUBJECT_RULES_REVIEW: MessageSchema = {
  1: METADATA,
  2: field('spec', { message: { 1: field('namespace', 'string') } }),
};

const TOKEN_REQUEST: MessageSchema = {
  1: METADATA,
  2: field('spec', {
    message: {
      1: field('audiences', 'string', true),
      3: field('boundObjectRef', {
        message: {
          1: field('kind', 'string'),
          2: field('apiVersion', 'string'),
          3: field('name', 'string'),
          4: field('uid', 'string'),
        },
      }),
      4: field('expirationSeconds', 'int'),
    },
  }),
};

/** The kinds whose protobuf bodies the front reads, by "apiVersion/kind". */
const SCHEMAS: ReadonlyMap<string, MessageSchema> = new Map([
  ['v1/ConfigMap', CONFIG_MAP],
  ['v1/Secret', SECRET],
  ['v1/Namespace', NAMESPACE],
  ['v1/ServiceAccount', SERVICE_ACCOUNT],
  ['authentication.k8s.io/v1/TokenRequest', TOKEN_REQUEST],
  ['authorization.k8s.io/v1/SelfSubjectAccessReview', SELF_SUBJECT_ACCESS_REVIEW],
  ['authorization.k8s.io/v1/SelfSubjectRulesReview', SELF_SUBJECT_RULES_REVIEW],
]);

/** The protobuf wire format: a cursor over one message's bytes. */
class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return result;
      shift *= 128;
      if (shift > 2 ** 63) throw new Error('varint too long');
    }
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function mapEntry(bytes: Uint8Array, valueAsBytes: boolean): [string, string] {
  const r = new Reader(bytes);
  let key = '';
  let value = '';
  while (!r.done) {
    const tag = r.varint();
    const n = Math.floor(tag / 8);
    if (tag % 8 !== 2 || (n !== 1 && n !== 2)) {
      r.skip(tag % 8);
      continue;
    }
    const b = r.bytes();
    if (n === 1) key = utf8.decode(b);
    else value = valueAsBytes ? Buffer.from(b).toString('base64') : utf8.decode(b);
  }
  return [key, value];
}

/** A zero value, which Go's JSON encoding omits (`omitempty`). */
function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === undefined;
}

/**
 * metav1.Time {seconds, nanos} as RFC 3339, as its JSON form has it (seconds precision); the
 * zero time (omitted in JSON) as undefined.
 */
function time(bytes: Uint8Array): string | undefined {
  const r = new Reader(bytes);
  let seconds = 0;
  while (!r.done) {
    const tag = r.varint();
    if (tag === 8) seconds = r.varint();
    else r.skip(tag % 8);
  }
  if (seconds === 0) return undefined;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function scalar(type: FieldType, wireType: number, r: Reader): unknown {
  if (typeof type === 'object') {
    if (wireType !== 2) throw new Error('a message field must be length-delimited');
    return decodeMessage(r.bytes(), type.message);
  }
  switch (type) {
    case 'string':
      return utf8.decode(r.bytes());
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'int':
      return r.varint();
    case 'bool':
      return r.varint() !== 0;
    case 'time':
      return time(r.bytes());
    case 'string-map':
    case 'bytes-map':
      return mapEntry(r.bytes(), type === 'bytes-map');
  }
}

function decodeMessage(bytes: Uint8Array, schema: MessageSchema): Record<string, unknown> {
  const r = new Reader(bytes);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const tag = r.varint();
    const f = schema[Math.floor(tag / 8)];
    if (f === undefined) {
      r.skip(tag % 8);
      continue;
    }
    const v = scalar(f.type, tag % 8, r);
    // Go's generated code writes every non-pointer field, zero or not; JSON omits them.
    if (isZero(v) && f.repeated !== true) continue;
    if (f.type === 'string-map' || f.type === 'bytes-map') {
      const [k, value] = v as [string, string];
      out[f.name] = { ...(out[f.name] as Record<string, string> | undefined), [k]: value };
    } else if (f.repeated === true) {
      out[f.name] = [...((out[f.name] as unknown[] | undefined) ?? []), v];
    } else {
      out[f.name] = v;
    }
  }
  return out;
}

export type ProtobufBody =
  | { readonly ok: true; readonly object: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/** A protobuf request body as the JSON object it encodes. */
export function decodeProtobufBody(body: Uint8Array): ProtobufBody {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) {
    return { ok: false, reason: 'the body does not start with the Kubernetes protobuf prefix' };
  }
  try {
    const unknown = decodeMessage(body.subarray(4), {
      1: field('typeMeta', {
        message: { 1: field('apiVersion', 'string'), 2: field('kind', 'string') },
      }),
      2: field('raw', 'bytes'),
    });
    const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const apiVersion = typeMeta.apiVersion ?? '';
    const kind = typeMeta.kind ?? '';
    const schema = SCHEMAS.get(`${apiVersion}/${kind}`);
    if (schema === undefined) {
      return { ok: false, reason: `protobuf bodies of ${apiVersion} ${kind} are not supported` };
    }
    const raw = Buffer.from((unknown.raw as string | undefined) ?? '', 'base64');
    return { ok: true, object: { apiVersion, kind, ...decodeMessage(raw, schema) } };
  } catch (e) {
    return { ok: false, reason: `invalid protobuf body: ${(e as Error).message}` };
  }
}
