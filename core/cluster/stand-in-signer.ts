import {
  KUBELET_CLIENT_SIGNER,
  standInCertificate,
} from '../api/kinds/certificate-signing-request.ts';
import { issueClientCredential } from '../apiserver/authn/client-credential.ts';
import type { TokenSigner } from '../apiserver/authn/signer.ts';
import type { CertificateSigner } from '../controllers/certificates/csr-signing-controller.ts';

/**
 * The simulator's signer behind the CertificateSigner port: deterministic, as every key in a
 * simulation derives from the seed. It has no key pairs to certify, so it issues ksim's
 * stand-in certificate, the cluster's signed client credential for the request's CN and O
 * (which the simulated kubelet carries as a bearer token), valid until the key changes rather
 * than for the requested duration. A serving certificate it cannot stand in for (the simulated
 * kubelet serves no TLS): such a request is refused rather than given a client credential.
 */
export function standInSigner(signer: TokenSigner): CertificateSigner {
  return ({ content, signerName }) =>
    signerName === KUBELET_CLIENT_SIGNER
      ? {
          ok: true,
          value: standInCertificate(
            issueClientCredential(signer, {
              user: content.commonName,
              groups: content.organizations,
            }),
          ),
        }
      : { ok: false, message: `the simulator's signer issues no ${signerName} certificates` };
}
