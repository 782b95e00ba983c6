/**
 * certificates.k8s.io/v1 CertificateSigningRequests (pkg/registry/certificates/
 * certificates/strategy.go, pkg/apis/certificates/validation): a client asks a signer for a
 * credential; the API server records who asked (spec.username, groups, uid, extra: never the
 * client's own say), an approver adds the Approved or Denied condition through /approval, and
 * the signer writes status.certificate through /status.
 *
 * spec.request is a PEM "CERTIFICATE REQUEST" block and status.certificate a PEM "CERTIFICATE"
 * block, base64-encoded in the JSON as upstream's []byte fields are. A real node's request is a
 * PKCS#10 request (DER, parsed here: core/api/pkcs10.ts) and its certificate X.509, which the
 * signer's port makes. The simulator has no key pairs: its requests hold ksim's stand-in, the
 * subject asked for (CN and O) as JSON, and its certificates the signed-token credential
 * (core/apiserver/authn/client-credential.ts) that stands in for an X.509 one.
 */
import { decodeBase64, encodeBase64Utf8 } from '../base64.ts';
import { parsePkcs10, type CertificateRequestContent } from '../pkcs10.ts';

export type { CertificateRequestContent } from '../pkcs10.ts';
import {
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from '../field-error.ts';
import { deepEqual, nameIsDNSSubdomain, validateObjectMeta } from '../meta-validation.ts';
import type { ObjectMeta } from '../meta-types.ts';
import { validateMetaUpdateAnd } from '../validation.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  NAME_COLUMN,
  defineResource,
  OBJECT_META_PATCH,
  STATUS_VERBS,
} from './common.ts';
import { humanDuration } from './duration.ts';
import type { Requester } from './definition.ts';

export interface CertificateSigningRequestSpec {
  /** base64 of a PEM "CERTIFICATE REQUEST" block. */
  readonly request: string;
  readonly signerName: string;
  readonly expirationSeconds?: number;
  readonly usages?: readonly string[];
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface CertificateSigningRequestCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastUpdateTime?: string;
  readonly lastTransitionTime?: string;
}

export interface CertificateSigningRequestStatus {
  readonly conditions?: readonly CertificateSigningRequestCondition[];
  /** base64 of a PEM "CERTIFICATE" block. */
  readonly certificate?: string;
}

export interface CertificateSigningRequest {
  readonly apiVersion: 'certificates.k8s.io/v1';
  readonly kind: 'CertificateSigningRequest';
  readonly metadata: ObjectMeta;
  readonly spec: CertificateSigningRequestSpec;
  readonly status?: CertificateSigningRequestStatus;
}

/** The signer of kubelets' client credentials (certificates.KubeAPIServerClientKubeletSignerName). */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

/** certificates.KeyUsage values. */
const KEY_USAGES = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

/** What a certificate request asks for: the subject's CN and O. */
export interface CertificateSubject {
  readonly commonName: string;
  readonly organizations: readonly string[];
}

const REQUEST_BLOCK = 'CERTIFICATE REQUEST';
const CERTIFICATE_BLOCK = 'CERTIFICATE';

/** spec.request for `subject` as ksim's stand-in (the simulator's: no key pair). */
export function encodeCertificateRequest(subject: CertificateSubject): string {
  const body = JSON.stringify({
    subject: { commonName: subject.commonName, organizations: subject.organizations },
  });
  return encodeBase64Utf8(pemBlock(REQUEST_BLOCK, body));
}

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** What spec.request asks for (a PKCS#10 request or ksim's stand-in), or why it is unreadable. */
export function parseCertificateRequest(request: string): Parsed<CertificateRequestContent> {
  const body = pemBytes(request, REQUEST_BLOCK);
  if (!body.ok) return body;
  // A DER request starts with a SEQUENCE tag; the stand-in is JSON text.
  if (body.value[0] === 0x30) return parsePkcs10(body.value);
  const text = decodeUtf8(body.value);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    return { ok: false, message: 'the CERTIFICATE REQUEST block is not a PKCS#10 request' };
  }
  const subject = (parsed as { subject?: { commonName?: unknown; organizations?: unknown } })
    .subject;
  const cn = subject?.commonName;
  const o = subject?.organizations;
  if (typeof cn !== 'string' || !Array.isArray(o) || o.some((g) => typeof g !== 'string'))
    return { ok: false, message: 'the CERTIFICATE REQUEST block names no subject' };
  const none: readonly string[] = [];
  return {
    ok: true,
    value: {
      commonName: cn,
      organizations: o as string[],
      dnsNames: none,
      emailAddresses: none,
      ipAddresses: none,
      uris: none,
    },
  };
}

/** The stand-in certificate holding `credential`, as PEM text (the simulator's signer). */
export function standInCertificate(credential: string): string {
  return pemBlock(CERTIFICATE_BLOCK, credential);
}

/** status.certificate holding the stand-in certificate of `credential`. */
export function encodeCertificate(credential: string): string {
  return encodeBase64Utf8(standInCertificate(credential));
}

/** The PEM text of status.certificate, checked to be one CERTIFICATE block. */
export function parseCertificate(certificate: string): Parsed<string> {
  const body = pemBytes(certificate, CERTIFICATE_BLOCK);
  return body.ok ? { ok: true, value: decodeText(certificate) ?? '' } : body;
}

/** The credential a stand-in certificate (PEM text) holds; an X.509 certificate holds none. */
export function standInCredential(pem: string): Parsed<string> {
  const body = pemBytes(encodeBase64Utf8(pem), CERTIFICATE_BLOCK);
  if (!body.ok) return body;
  const text = body.value[0] === 0x30 ? undefined : decodeUtf8(body.value);
  return text === undefined
    ? { ok: false, message: 'the certificate is an X.509 certificate, not a ksim credential' }
    : { ok: true, value: text };
}

function pemBlock(type: string, body: string): string {
  const lines = encodeBase64Utf8(body).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeText(base64: string): string | undefined {
  const r = decodeBase64(base64);
  return r.ok ? decodeUtf8(r.bytes) : undefined;
}

/** The bytes of the one PEM block of `type` that the base64 field `field` holds. */
function pemBytes(field: string, type: string): Parsed<Uint8Array> {
  const pem = decodeText(field);
  const m =
    pem === undefined
      ? null
      : /^-----BEGIN ([A-Z ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*)-----END \1-----\r?\n?$/.exec(pem);
  if (m === null) return { ok: false, message: `PEM block type must be ${type}` };
  if (m[1] !== type) return { ok: false, message: `PEM block type must be ${type}` };
  const body = decodeBase64((m[2] ?? '').replace(/\r?\n/g, ''));
  if (!body.ok || body.bytes.length === 0)
    return { ok: false, message: `the ${type} block is not base64` };
  return { ok: true, value: body.bytes };
}

/** The condition types upstream knows; Approved and Denied are the approver's. */
const APPROVED = 'Approved';
const DENIED = 'Denied';
const FAILED = 'Failed';

export function csrCondition(
  csr: CertificateSigningRequest,
  type: string,
): CertificateSigningRequestCondition | undefined {
  return csr.status?.conditions?.find((c) => c.type === type);
}

/** IsCertificateRequestApproved: Approved and not Denied. */
export function isApproved(csr: CertificateSigningRequest): boolean {
  return csrCondition(csr, APPROVED) !== undefined && csrCondition(csr, DENIED) === undefined;
}

export function hasApprovalCondition(csr: CertificateSigningRequest): boolean {
  return csrCondition(csr, APPROVED) !== undefined || csrCondition(csr, DENIED) !== undefined;
}

/** csrStrategy.PrepareForCreate: the requester is the authenticated user; no status yet. */
function prepareForCreate(
  csr: CertificateSigningRequest,
  _gates: unknown,
  requester?: Requester,
): CertificateSigningRequest {
  const { status: _status, ...rest } = csr;
  const spec: Record<string, unknown> = { ...csr.spec };
  for (const k of ['username', 'uid', 'groups', 'extra']) delete spec[k];
  if (requester !== undefined) {
    spec.username = requester.name;
    if (requester.uid !== '') spec.uid = requester.uid;
    spec.groups = [...requester.groups];
    if (Object.keys(requester.extra).length > 0) spec.extra = requester.extra;
  }
  return { ...rest, spec: spec as unknown as CertificateSigningRequestSpec };
}

function validateCsr(csr: CertificateSigningRequest): FieldError[] {
  const errs = validateObjectMeta(csr.metadata, false, nameIsDNSSubdomain);
  const spec = csr.spec;
  if (spec === undefined || spec === null) return [...errs, fieldRequired('spec')];
  if (typeof spec.request !== 'string' || spec.request === '') {
    errs.push(fieldRequired('spec.request'));
  } else {
    const r = parseCertificateRequest(spec.request);
    if (!r.ok) errs.push(fieldInvalid('spec.request', spec.request, r.message));
  }
  errs.push(...validateSignerName(spec.signerName));
  const usages = spec.usages ?? [];
  if (usages.length === 0) errs.push(fieldRequired('spec.usages'));
  const seen = new Set<string>();
  for (const [i, u] of usages.entries()) {
    if (!KEY_USAGES.includes(u)) errs.push(fieldNotSupported(`spec.usages[${i}]`, u, KEY_USAGES));
    else if (seen.has(u)) errs.push(fieldDuplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  }
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds < 600)
    errs.push(
      fieldInvalid(
        'spec.expirationSeconds',
        spec.expirationSeconds,
        'may not specify a duration less than 600 seconds (10 minutes)',
      ),
    );
  return [...errs, ...validateStatus(csr)];
}

/** validateSignerName: a domain and a path, "example.com/signer-name". */
function validateSignerName(name: string | undefined): FieldError[] {
  if (name === undefined || name === '') return [fieldRequired('spec.signerName')];
  const [domain, ...path] = name.split('/');
  if (path.length === 0 || path.join('/') === '')
    return [
      fieldInvalid(
        'spec.signerName',
        name,
        "must be a fully qualified domain and path of the form 'example.com/signer-name'",
      ),
    ];
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(domain ?? ''))
    return [
      fieldInvalid(
        'spec.signerName',
        name,
        'the domain part must be a valid DNS subdomain with at least one dot',
      ),
    ];
  return [];
}

function validateStatus(csr: CertificateSigningRequest): FieldError[] {
  const errs: FieldError[] = [];
  const conditions = csr.status?.conditions ?? [];
  const types = new Set<string>();
  for (const [i, c] of conditions.entries()) {
    const path = `status.conditions[${i}]`;
    if (c.type === undefined || c.type === '') errs.push(fieldRequired(`${path}.type`));
    if ([APPROVED, DENIED, FAILED].includes(c.type)) {
      if (types.has(c.type)) errs.push(fieldDuplicate(`${path}.type`, c.type));
      if (c.status !== 'True') errs.push(fieldNotSupported(`${path}.status`, c.status, ['True']));
    } else if (!['True', 'False', 'Unknown'].includes(c.status)) {
      errs.push(fieldNotSupported(`${path}.status`, c.status, ['True', 'False', 'Unknown']));
    }
    types.add(c.type);
  }
  if (types.has(APPROVED) && types.has(DENIED))
    errs.push(
      fieldInvalid(
        'status.conditions',
        DENIED,
        'Approved and Denied conditions are mutually exclusive',
      ),
    );
  const certificate = csr.status?.certificate;
  if (certificate !== undefined && certificate !== '') {
    if (!types.has(APPROVED) || types.has(DENIED) || types.has(FAILED))
      errs.push(
        fieldForbidden(
          'status.certificate',
          'may only be set when the request is approved and not failed',
        ),
      );
    const r = parseCertificate(certificate);
    if (!r.ok) errs.push(fieldInvalid('status.certificate', '<certificate data>', r.message));
  }
  return errs;
}

/** Approved and Denied may be added but never removed; a certificate, once set, stays. */
function validateStatusUpdate(
  next: CertificateSigningRequest,
  old: CertificateSigningRequest,
): FieldError[] {
  const errs = validateMetaUpdateAnd(validateCsr)(next, old);
  for (const type of [APPROVED, DENIED]) {
    const before = csrCondition(old, type);
    const after = csrCondition(next, type);
    if (before !== undefined && (after === undefined || !deepEqual(before, after)))
      errs.push(
        fieldForbidden(
          'status.conditions',
          `updates may not remove or change a condition of type "${type}"`,
        ),
      );
  }
  const before = old.status?.certificate ?? '';
  if (before !== '' && (next.status?.certificate ?? '') !== before)
    errs.push(
      fieldInvalid(
        'status.certificate',
        '<certificate data>',
        'updates may not modify existing certificate content',
      ),
    );
  return errs;
}

/** csrStrategy.PrepareForUpdate: the main path changes metadata only. */
function keepSpecAndStatus(
  next: CertificateSigningRequest,
  old: CertificateSigningRequest,
): CertificateSigningRequest {
  return { ...next, spec: old.spec, ...(old.status === undefined ? {} : { status: old.status }) };
}

/** csrStatusStrategy: /status may set the certificate and conditions other than the approval. */
function prepareStatus(
  next: CertificateSigningRequest,
  old: CertificateSigningRequest,
): CertificateSigningRequest {
  const approval = (old.status?.conditions ?? []).filter(
    (c) => c.type === APPROVED || c.type === DENIED,
  );
  const others = (next.status?.conditions ?? []).filter(
    (c) => c.type !== APPROVED && c.type !== DENIED,
  );
  return withStatus(next, old, [...approval, ...others], next.status?.certificate);
}

/** csrApprovalStrategy: /approval may change Approved and Denied only. */
function prepareApproval(
  next: CertificateSigningRequest,
  old: CertificateSigningRequest,
): CertificateSigningRequest {
  const approval = (next.status?.conditions ?? []).filter(
    (c) => c.type === APPROVED || c.type === DENIED,
  );
  const others = (old.status?.conditions ?? []).filter(
    (c) => c.type !== APPROVED && c.type !== DENIED,
  );
  return withStatus(next, old, [...approval, ...others], old.status?.certificate);
}

function withStatus(
  next: CertificateSigningRequest,
  old: CertificateSigningRequest,
  conditions: readonly CertificateSigningRequestCondition[],
  certificate: string | undefined,
): CertificateSigningRequest {
  const { conditions: _c, certificate: _cert, ...rest } = next.status ?? {};
  const status: CertificateSigningRequestStatus = {
    ...rest,
    ...(conditions.length === 0 ? {} : { conditions }),
    ...(certificate === undefined || certificate === '' ? {} : { certificate }),
  };
  return { ...next, spec: old.spec, status };
}

/** printCertificateSigningRequest's Condition column: "Approved,Issued", "Pending". */
function conditionColumn(csr: CertificateSigningRequest): string {
  const names: string[] = [];
  for (const type of [APPROVED, DENIED, FAILED])
    if (csrCondition(csr, type) !== undefined) names.push(type);
  if (names.length === 0) names.push('Pending');
  if ((csr.status?.certificate ?? '') !== '') names.push('Issued');
  return names.join(',');
}

export const CERTIFICATE_SIGNING_REQUEST = defineResource<CertificateSigningRequest>({
  discovery: {
    kind: 'CertificateSigningRequest',
    group: 'certificates.k8s.io',
    resource: 'certificatesigningrequests',
    namespaced: false,
    shortNames: ['csr'],
  },
  prepareForCreate,
  validate: validateCsr,
  update: { prepareForUpdate: keepSpecAndStatus, validateUpdate: validateStatusUpdate },
  subresources: [
    {
      kind: 'strategy',
      name: 'approval',
      verbs: STATUS_VERBS,
      strategy: { prepareForUpdate: prepareApproval, validateUpdate: validateStatusUpdate },
    },
    {
      kind: 'strategy',
      name: 'status',
      verbs: STATUS_VERBS,
      strategy: { prepareForUpdate: prepareStatus, validateUpdate: validateStatusUpdate },
    },
  ],
  patch: [...OBJECT_META_PATCH, conditionsPatch('status.conditions')],
  table: [
    NAME_COLUMN,
    AGE_COLUMN,
    {
      name: 'SignerName',
      type: 'string',
      priority: 0,
      description: 'signerName indicates the requested signer, and is a qualified name.',
      cell: (csr) => csr.spec?.signerName ?? '',
    },
    {
      name: 'Requestor',
      type: 'string',
      priority: 0,
      description:
        'username contains the name of the user that created the CertificateSigningRequest.',
      cell: (csr) => csr.spec?.username ?? '',
    },
    {
      name: 'RequestedDuration',
      type: 'string',
      priority: 0,
      description:
        'expirationSeconds is the requested duration of validity of the issued certificate.',
      cell: (csr) =>
        csr.spec?.expirationSeconds === undefined
          ? '<none>'
          : humanDuration(csr.spec.expirationSeconds * 1_000_000),
    },
    {
      name: 'Condition',
      type: 'string',
      priority: 0,
      description:
        'The request is Pending until an approver adds Approved or Denied; Issued once signed.',
      cell: conditionColumn,
    },
  ],
});
