import {
  csrCondition,
  encodeCertificate,
  isApproved,
  KUBELET_CLIENT_SIGNER,
  parseCertificateRequest,
  type CertificateSigningRequest,
} from '../../api/kinds/certificate-signing-request.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { isNodeClientRequest } from './csr-approving-controller.ts';
import { CsrController } from './csr-controller.ts';

/**
 * What signs (kube-controller-manager --cluster-signing-cert-file/--cluster-signing-key-file):
 * a credential for the subject, user CN in groups O, that the API server accepts.
 */
export type CredentialIssuer = (subject: {
  readonly user: string;
  readonly groups: readonly string[];
}) => string;

/**
 * The CSR signing controller for kubernetes.io/kube-apiserver-client-kubelet
 * (pkg/controller/certificates/signer/signer.go): an approved, not failed request without a
 * certificate gets one through /status; one that is not a valid kubelet client request gets
 * the Failed condition (SignerValidationFailure) instead. Other signers' requests are left
 * alone.
 */
export class CsrSigningController extends CsrController {
  readonly name = 'csrsigning';

  constructor(
    ports: ProcessPorts,
    api: ApiClient,
    informers: SharedInformers,
    private readonly issue: CredentialIssuer,
  ) {
    super(ports, api, informers);
  }

  protected async handle(csr: CertificateSigningRequest): Promise<string | undefined> {
    if (!isApproved(csr) || csrCondition(csr, 'Failed') !== undefined) return undefined;
    if ((csr.status?.certificate ?? '') !== '') return undefined;
    if (csr.spec.signerName !== KUBELET_CLIENT_SIGNER) return undefined;
    const parsed = parseCertificateRequest(csr.spec.request);
    if (!parsed.ok) return `unable to parse csr ${csr.metadata.name}: ${parsed.message}`;
    const subject = parsed.value;
    if (!isNodeClientRequest(csr, subject)) {
      return this.writeStatus(csr, {
        conditions: [
          ...(csr.status?.conditions ?? []),
          {
            type: 'Failed',
            status: 'True',
            reason: 'SignerValidationFailure',
            message: `invalid kubelet client request: subject CN=${subject.commonName} O=${subject.organizations.join(',')}, usages ${(csr.spec.usages ?? []).join(',')}`,
            lastUpdateTime: formatTime(this.ports.clock.now()),
          },
        ],
      });
    }
    const credential = this.issue({ user: subject.commonName, groups: subject.organizations });
    const error = await this.writeStatus(csr, {
      ...csr.status,
      certificate: encodeCertificate(credential),
    });
    if (error === undefined)
      this.ports.trace.emit('csr.sign', {
        csr: csr.metadata.name ?? '',
        subject: subject.commonName,
      });
    return error;
  }

  private async writeStatus(
    csr: CertificateSigningRequest,
    status: CertificateSigningRequest['status'],
  ): Promise<string | undefined> {
    const r = await this.api.updateStatus<CertificateSigningRequest>({
      ...csr,
      ...(status === undefined ? {} : { status }),
    });
    return r.ok
      ? undefined
      : `error updating signature for csr ${csr.metadata.name}: ${describeFailure(r)}`;
  }
}
