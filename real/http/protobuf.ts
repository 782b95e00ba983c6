/**
 * Request bodies in Kubernetes' protobuf encoding, read into the JSON the API server takes.
 * kubectl's typed clients (create deployment/job/service/role/..., expose, autoscale, drain's
 * evictions, create token, auth can-i) send `application/vnd.kubernetes.protobuf` for built-in
 * kinds and do not fall back to JSON on a 415, so the front must read it: the envelope is the
 * magic "k8s\0" and a runtime.Unknown {typeMeta, raw}, raw being the kind's message.
 *
 * The messages are upstream's: k8s-protobuf.json holds the generated.proto schemas of every
 * stable built-in group version (test/support/gen-protobuf.ts made it, and says from what),
 * decoded with protobufjs. What turns a decoded message into the object Go's JSON encoding of
 * the same value would be is here:
 * - the apimachinery types with their own JSON form: Time (RFC 3339 seconds), MicroTime
 *   (microseconds), Duration (Go's duration string), Quantity (its string), IntOrString (the
 *   int or the string its type tag names), RawExtension and FieldsV1 (embedded JSON);
 * - list wrappers (a message whose only field is `repeated items`, such as ExtraValue) as arrays;
 * - zero values: Go's generated code writes every non-pointer field, zero or not, and a pointer
 *   whenever it is set. A zero that JSON would omit (a non-pointer `omitempty` field, which the
 *   generator marked `omitEmpty`) is left out; a pointer's zero (`replicas: 0`) is kept;
 * - embedded structs JSON inlines (Volume's VolumeSource, IngressRule's IngressRuleValue).
 * Unknown fields are skipped, as Go's decoder skips them. Answers are always JSON, which these
 * clients accept as well.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs/light.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `.${META}.Time`;
const MICRO_TIME = `.${META}.MicroTime`;
const DURATION = `.${META}.Duration`;
const FIELDS_V1 = `.${META}.FieldsV1`;
const QUANTITY = '.k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = '.k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = '.k8s.io.apimachinery.pkg.runtime.RawExtension';
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';

/** meta/v1 kinds every group version registers (a body's apiVersion is its client's). */
const OPTION_KINDS = new Set([
  'DeleteOptions',
  'CreateOptions',
  'UpdateOptions',
  'PatchOptions',
  'GetOptions',
  'ListOptions',
  'Status',
]);

interface Schemas {
  readonly root: protobuf.Root;
  /** "apiVersion/Kind" to the message's full name. */
  readonly kinds: Readonly<Record<string, string>>;
}

let schemas: Schemas | undefined;

/** The generated schemas, loaded at the first protobuf body (half a megabyte of JSON). */
function loadSchemas(): Schemas {
  if (schemas !== undefined) return schemas;
  const data = JSON.parse(
    readFileSync(new URL('./k8s-protobuf.json', import.meta.url), 'utf8'),
  ) as {
    kinds: Record<string, string>;
    root: protobuf.INamespace;
  };
  const root = protobuf.Root.fromJSON(data.root);
  root.resolveAll();
  schemas = { root, kinds: data.kinds };
  return schemas;
}

/** The message type a body of `apiVersion` `kind` is, if it is a built-in kind. */
export function protobufKind(apiVersion: string, kind: string): protobuf.Type | undefined {
  const { root, kinds } = loadSchemas();
  const name =
    kinds[`${apiVersion}/${kind}`] ?? (OPTION_KINDS.has(kind) ? `${META}.${kind}` : undefined);
  return name === undefined ? undefined : root.lookupType(name);
}

type Decoded = Record<string, unknown>;

/** int64 fields decode as Long objects (protobufjs uses the `long` package when present). */
function toNumber(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && 'toNumber' in v && typeof v.toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return v;
}

function has(m: Decoded, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, name);
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** metav1.Time and MicroTime as their JSON form; the zero time (JSON null) as undefined. */
function timestamp(m: Decoded, fractionDigits: 0 | 6): string | undefined {
  const seconds = Number(toNumber(m.seconds) ?? 0);
  const nanos = Number(m.nanos ?? 0);
  if (seconds === 0 && nanos === 0) return undefined;
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  if (fractionDigits === 0) return `${iso}Z`;
  return `${iso}.${pad(Math.floor(nanos / 1000), 6)}Z`;
}

/** Go's time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
export function goDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  const n = Math.abs(nanos);
  const trim = (x: string): string => x.replace(/\.?0+$/, '');
  if (n < 1_000) return `${sign}${n}ns`;
  if (n < 1_000_000) return `${sign}${trim((n / 1_000).toFixed(3))}µs`;
  if (n < 1_000_000_000) return `${sign}${trim((n / 1_000_000).toFixed(6))}ms`;
  const h = Math.floor(n / 3_600_000_000_000);
  const m = Math.floor((n % 3_600_000_000_000) / 60_000_000_000);
  const s = trim(((n % 60_000_000_000) / 1_000_000_000).toFixed(9));
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function embeddedJson(bytes: Uint8Array | undefined, what: string): unknown {
  if (bytes === undefined || bytes.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new Error(`${what} does not hold JSON`);
  }
}

/** A message whose only field is `repeated items`: a named Go slice (ExtraValue, Verbs). */
function isListWrapper(type: protobuf.Type): boolean {
  const [only, ...rest] = type.fieldsArray;
  return rest.length === 0 && only?.name === 'items' && only.repeated;
}

/** A message's value in its JSON form; undefined for what JSON leaves out. */
function messageValue(type: protobuf.Type, m: Decoded): unknown {
  switch (type.fullName) {
    case TIME:
      return timestamp(m, 0);
    case MICRO_TIME:
      return timestamp(m, 6);
    case DURATION:
      return goDuration(Number(toNumber(m.duration) ?? 0));
    case QUANTITY:
      return (m.string as string | undefined) ?? '';
    case INT_OR_STRING:
      // The type tag says which: 0 the int (also when absent), 1 the string.
      return Number(toNumber(m.type) ?? 0) === 1
        ? ((m.strVal as string | undefined) ?? '')
        : ((m.intVal as number | undefined) ?? 0);
    case RAW_EXTENSION:
      return embeddedJson(m.raw as Uint8Array | undefined, 'a RawExtension');
    case FIELDS_V1:
      return embeddedJson(m.Raw as Uint8Array | undefined, 'a FieldsV1');
  }
  if (isListWrapper(type))
    return ((m.items as unknown[]) ?? []).map((v) =>
      scalarOrMessage(type.fieldsArray[0] as protobuf.Field, v),
    );
  return messageJson(type, m);
}

function scalarOrMessage(field: protobuf.FieldBase, v: unknown): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return messageValue(t, v as Decoded);
  if (field.type === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
  return toNumber(v);
}

/** Zero values of the kinds JSON's `omitempty` leaves out. */
function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === undefined;
}

function fieldValue(field: protobuf.FieldBase, v: unknown): unknown {
  if (field instanceof protobuf.MapField) {
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return undefined;
    return Object.fromEntries(entries.map(([k, x]) => [k, scalarOrMessage(field, x)]));
  }
  if (field.repeated) {
    const items = v as unknown[];
    return items.length === 0 ? undefined : items.map((x) => scalarOrMessage(field, x));
  }
  return scalarOrMessage(field, v);
}

/** What the generator learnt from the Go types (test/support/gen-protobuf.ts). */
interface FieldOptions {
  readonly omitEmpty?: boolean;
  readonly jsonName?: string;
  readonly inline?: boolean;
}

function messageJson(type: protobuf.Type, m: Decoded): Decoded {
  const out: Decoded = {};
  for (const field of type.fieldsArray) {
    if (!has(m, field.name)) continue;
    const value = fieldValue(field, m[field.name]);
    if (value === undefined) continue;
    const options = field.options as FieldOptions | undefined;
    if (options?.omitEmpty === true && isZero(value)) continue;
    if (options?.inline === true) Object.assign(out, value);
    else out[options?.jsonName ?? field.name] = value;
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
    const { root } = loadSchemas();
    const unknown = root.lookupType(UNKNOWN).decode(body.subarray(4)) as unknown as {
      typeMeta?: { apiVersion?: string; kind?: string };
      raw?: Uint8Array;
    };
    const apiVersion = unknown.typeMeta?.apiVersion ?? '';
    const kind = unknown.typeMeta?.kind ?? '';
    const type = protobufKind(apiVersion, kind);
    if (type === undefined) {
      return { ok: false, reason: `${apiVersion} ${kind} is not a built-in kind` };
    }
    const message = type.decode(unknown.raw ?? new Uint8Array()) as unknown as Decoded;
    return { ok: true, object: { apiVersion, kind, ...messageJson(type, message) } };
  } catch (e) {
    return { ok: false, reason: `invalid protobuf body: ${(e as Error).message}` };
  }
}
