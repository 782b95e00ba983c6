import {
  hasApprovalCondition,
  KUBELET_CLIENT_SIGNER,
  parseCertificateRequest,
  type CertificateSigningRequest,
  type CertificateRequestContent,
} from '../../api/kinds/certificate-signing-request.ts';
import type { SubjectAccessReview } from '../../api/access-review-types.ts';
import { formatTime } from '../../api/time.ts';
import { describeFailure } from '../common/api-errors.ts';
import { CsrController } from './csr-controller.ts';

const NODE_USER_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';

/** A kind of request the approver knows, and the permission its requester must have. */
interface Recognizer {
  readonly recognize: (
    csr: CertificateSigningRequest,
    request: CertificateRequestContent,
  ) => boolean;
  /** The subresource of certificatesigningrequests the requester must be allowed to create. */
  readonly subresource: string;
  readonly message: string;
}

/** The usages a kubelet client request may ask for (with or without key encipherment). */
const KUBELET_CLIENT_USAGES = ['client auth', 'digital signature', 'key encipherment'];
const KUBELET_CLIENT_USAGES_NO_RSA = ['client auth', 'digital signature'];

/**
 * ValidateKubeletClientCSR (pkg/apis/certificates/v1/helpers.go): why `request` with `usages`
 * is not a kubelet client request (O exactly system:nodes, no subjectAltName, CN
 * system:node:<name>, client usages), or undefined when it is one. The messages are upstream's.
 */
export function kubeletClientRequestProblem(
  request: CertificateRequestContent,
  usages: readonly string[],
): string | undefined {
  if (request.organizations.length !== 1 || request.organizations[0] !== NODES_GROUP)
    return 'subject organization is not system:nodes';
  if (request.dnsNames.length > 0) return 'DNS subjectAltNames are not allowed';
  if (request.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (request.ipAddresses.length > 0) return 'IP subjectAltNames are not allowed';
  if (request.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (!request.commonName.startsWith(NODE_USER_PREFIX))
    return 'subject common name does not begin with system:node:';
  if (
    !sameUsages(usages, KUBELET_CLIENT_USAGES) &&
    !sameUsages(usages, KUBELET_CLIENT_USAGES_NO_RSA)
  )
    return `usages did not match [${KUBELET_CLIENT_USAGES.join(' ')}]`;
  return undefined;
}

/** The usages a kubelet serving request may ask for (with or without key encipherment). */
const KUBELET_SERVING_USAGES = ['digital signature', 'key encipherment', 'server auth'];
const KUBELET_SERVING_USAGES_NO_RSA = ['digital signature', 'server auth'];

/**
 * ValidateKubeletServingCSR (pkg/apis/certificates/v1/helpers.go): why `request` with `usages`
 * is not a kubelet serving request (O exactly system:nodes, a DNS or IP subjectAltName and no
 * email or URI one, serving usages, CN system:node:<name>), or undefined when it is one. The
 * checks run in upstream's order and the messages are upstream's.
 */
export function kubeletServingRequestProblem(
  request: CertificateRequestContent,
  usages: readonly string[],
): string | undefined {
  if (request.organizations.length !== 1 || request.organizations[0] !== NODES_GROUP)
    return 'subject organization is not system:nodes';
  if (request.dnsNames.length === 0 && request.ipAddresses.length === 0)
    return 'DNS or IP subjectAltName is required';
  if (request.emailAddresses.length > 0) return 'Email subjectAltNames are not allowed';
  if (request.uris.length > 0) return 'URI subjectAltNames are not allowed';
  if (
    !sameUsages(usages, KUBELET_SERVING_USAGES) &&
    !sameUsages(usages, KUBELET_SERVING_USAGES_NO_RSA)
  )
    return `usages did not match [${KUBELET_SERVING_USAGES.join(' ')}]`;
  if (!request.commonName.startsWith(NODE_USER_PREFIX))
    return 'subject common name does not begin with system:node:';
  return undefined;
}

/** Whether `usages` and `want` are the same set (sets.String's Equal). */
function sameUsages(usages: readonly string[], want: readonly string[]): boolean {
  const asked = [...new Set(usages)].sort();
  const sorted = [...want].sort();
  return asked.length === sorted.length && asked.every((u, i) => u === sorted[i]);
}

/** isNodeClientCert: the kubelet client signer and a valid kubelet client request. */
export function isNodeClientRequest(
  csr: CertificateSigningRequest,
  request: CertificateRequestContent,
): boolean {
  return (
    csr.spec.signerName === KUBELET_CLIENT_SIGNER &&
    kubeletClientRequestProblem(request, csr.spec.usages ?? []) === undefined
  );
}

const RECOGNIZERS: readonly Recognizer[] = [
  {
    recognize: (csr, subject) =>
      isNodeClientRequest(csr, subject) && csr.spec.username === subject.commonName,
    subresource: 'selfnodeclient',
    message: 'Auto approving self kubelet client certificate after SubjectAccessReview.',
  },
  {
    recognize: isNodeClientRequest,
    subresource: 'nodeclient',
    message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
  },
];

/**
 * The CSR approving controller (pkg/controller/certificates/approver/sarapprove.go): a request
 * for a kubelet client credential is approved when its requester may create
 * certificatesigningrequests/nodeclient (anyone asking for a node: the bootstrap tokens'
 * group) or, for a node renewing its own, /selfnodeclient; the controller asks the API server
 * with a SubjectAccessReview. Other requests are left to other approvers (a human with
 * `kubectl certificate approve`).
 */
export class CsrApprovingController extends CsrController {
  readonly name = 'csrapproving';

  protected async handle(csr: CertificateSigningRequest): Promise<string | undefined> {
    if ((csr.status?.certificate ?? '') !== '' || hasApprovalCondition(csr)) return undefined;
    const parsed = parseCertificateRequest(csr.spec.request);
    if (!parsed.ok) return `unable to parse csr ${csr.metadata.name}: ${parsed.message}`;
    const tried: string[] = [];
    for (const r of RECOGNIZERS) {
      if (!r.recognize(csr, parsed.value)) continue;
      tried.push(r.subresource);
      const allowed = await this.authorize(csr, r.subresource);
      if (typeof allowed === 'string') return allowed;
      if (allowed) return this.approve(csr, r.message);
    }
    if (tried.length === 0) return undefined;
    return `recognized csr ${csr.metadata.name} as [${tried.join(' ')}] but subject access review was not approved`;
  }

  private async authorize(
    csr: CertificateSigningRequest,
    subresource: string,
  ): Promise<boolean | string> {
    const review: SubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: csr.spec.username ?? '',
        ...(csr.spec.uid === undefined ? {} : { uid: csr.spec.uid }),
        groups: [...(csr.spec.groups ?? [])],
        ...(csr.spec.extra === undefined ? {} : { extra: csr.spec.extra }),
        resourceAttributes: {
          group: 'certificates.k8s.io',
          resource: 'certificatesigningrequests',
          verb: 'create',
          subresource,
        },
      },
    } as SubjectAccessReview;
    const r = await this.api.create<SubjectAccessReview>(review);
    if (!r.ok) return `subject access review for ${csr.metadata.name}: ${describeFailure(r)}`;
    return r.value.status?.allowed === true;
  }

  private async approve(
    csr: CertificateSigningRequest,
    message: string,
  ): Promise<string | undefined> {
    const now = formatTime(this.ports.clock.now());
    const approved: CertificateSigningRequest = {
      ...csr,
      status: {
        ...csr.status,
        conditions: [
          ...(csr.status?.conditions ?? []),
          {
            type: 'Approved',
            status: 'True',
            reason: 'AutoApproved',
            message,
            lastUpdateTime: now,
            lastTransitionTime: now,
          },
        ],
      },
    };
    const r = await this.api.request<CertificateSigningRequest>(
      'PUT',
      `/apis/certificates.k8s.io/v1/certificatesigningrequests/${csr.metadata.name}/approval`,
      { body: approved },
    );
    if (!r.ok) return `error updating approval for csr ${csr.metadata.name}: ${describeFailure(r)}`;
    this.ports.trace.emit('csr.approve', {
      csr: csr.metadata.name ?? '',
      requester: csr.spec.username ?? '',
    });
    return undefined;
  }
}
