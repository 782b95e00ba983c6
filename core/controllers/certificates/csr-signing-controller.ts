import { decodeBase64, encodeBase64Utf8 } from '../../api/base64.ts';
import {
  csrCondition,
  isApproved,
  KUBELET_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  parseCertificateRequest,
  type CertificateRequestContent,
  type CertificateSigningRequest,
  type Parsed,
} from '../../api/kinds/certificate-signing-request.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import {
  kubeletClientRequestProblem,
  kubeletServingRequestProblem,
} from './csr-approving-controller.ts';
import { CsrController } from './csr-controller.ts';

/** A request the controller validated, as the signer's port gets it. */
export interface SigningRequest {
  /** spec.signerName: which of the signers this controller runs (SIGNERS). */
  readonly signerName: string;
  /** spec.request as PEM text. */
  readonly request: string;
  readonly content: CertificateRequestContent;
  readonly usages: readonly string[];
  /** How long the certificate is valid (upstream's duration()). */
  readonly durationSeconds: number;
}

/**
 * What signs (kube-controller-manager --cluster-signing-cert-file/--cluster-signing-key-file):
 * the certificate for a validated request as PEM text, with the request's subject, the usages
 * asked for and the duration, or why the request cannot be signed (a self-signature that does
 * not verify). A real host signs with the cluster CA's key; the simulator's deterministic
 * signer issues its stand-in credential.
 */
export type CertificateSigner = (
  request: SigningRequest,
) => Parsed<string> | Promise<Parsed<string>>;

/** --cluster-signing-duration's default: a year. */
export const DEFAULT_CLUSTER_SIGNING_DURATION_SECONDS = 365 * 24 * 3600;
/** The shortest certificate the signer makes: twice the clock skew it allows for. */
const MIN_DURATION_SECONDS = 600;

/**
 * signer.go duration(): the signer's TTL unless the request asks for less (spec.expirationSeconds),
 * and never under ten minutes.
 */
export function certificateDurationSeconds(
  signerTtlSeconds: number,
  expirationSeconds: number | undefined,
): number {
  if (expirationSeconds === undefined) return signerTtlSeconds;
  return Math.max(MIN_DURATION_SECONDS, Math.min(signerTtlSeconds, expirationSeconds));
}

/**
 * The signers the controller runs and the check each makes of a request (signer.go's
 * isKubeletClient and isKubeletServing): kubeadm points both at the cluster CA.
 */
const SIGNERS: Readonly<
  Record<
    string,
    {
      readonly problem: (c: CertificateRequestContent, u: readonly string[]) => string | undefined;
      readonly what: string;
    }
  >
> = {
  [KUBELET_CLIENT_SIGNER]: { problem: kubeletClientRequestProblem, what: 'kubelet client' },
  [KUBELET_SERVING_SIGNER]: { problem: kubeletServingRequestProblem, what: 'kubelet serving' },
};

/**
 * The CSR signing controller for kubernetes.io/kube-apiserver-client-kubelet and
 * kubernetes.io/kubelet-serving (pkg/controller/certificates/signer/signer.go): an approved,
 * not failed request without a certificate gets one through /status; one that is not a valid
 * request of its signer (ValidateKubeletClientCSR, ValidateKubeletServingCSR) gets the Failed
 * condition (SignerValidationFailure) instead. Other signers' requests are left alone.
 */
export class CsrSigningController extends CsrController {
  readonly name = 'csrsigning';

  constructor(
    ports: ProcessPorts,
    api: ApiClient,
    informers: SharedInformers,
    private readonly sign: CertificateSigner,
    private readonly signerTtlSeconds: number = DEFAULT_CLUSTER_SIGNING_DURATION_SECONDS,
  ) {
    super(ports, api, informers);
  }

  protected async handle(csr: CertificateSigningRequest): Promise<string | undefined> {
    if (!isApproved(csr) || csrCondition(csr, 'Failed') !== undefined) return undefined;
    if ((csr.status?.certificate ?? '') !== '') return undefined;
    const signer = SIGNERS[csr.spec.signerName];
    if (signer === undefined) return undefined;
    const parsed = parseCertificateRequest(csr.spec.request);
    if (!parsed.ok) return `unable to parse csr ${csr.metadata.name}: ${parsed.message}`;
    const content = parsed.value;
    const usages = csr.spec.usages ?? [];
    const problem = signer.problem(content, usages);
    if (problem !== undefined) return this.fail(csr, `invalid ${signer.what} request: ${problem}`);
    const pem = decodeBase64(csr.spec.request);
    const signed = await this.sign({
      signerName: csr.spec.signerName,
      request: pem.ok ? new TextDecoder().decode(pem.bytes) : '',
      content,
      usages,
      durationSeconds: certificateDurationSeconds(
        this.signerTtlSeconds,
        csr.spec.expirationSeconds,
      ),
    });
    if (!signed.ok) return this.fail(csr, signed.message);
    const error = await this.writeStatus(csr, {
      ...csr.status,
      certificate: encodeBase64Utf8(signed.value),
    });
    if (error === undefined)
      this.ports.trace.emit('csr.sign', {
        csr: csr.metadata.name ?? '',
        subject: content.commonName,
      });
    return error;
  }

  /** The Failed condition (SignerValidationFailure): the request will not be signed. */
  private fail(csr: CertificateSigningRequest, message: string): Promise<string | undefined> {
    return this.writeStatus(csr, {
      ...csr.status,
      conditions: [
        ...(csr.status?.conditions ?? []),
        {
          type: 'Failed',
          status: 'True',
          reason: 'SignerValidationFailure',
          message,
          lastUpdateTime: formatTime(this.ports.clock.now()),
        },
      ],
    });
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
