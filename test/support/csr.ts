/** What a kubelet's client certificate request asks for: CN system:node:NAME, O system:nodes. */
import type { CertificateRequestContent } from '../../core/api/pkcs10.ts';

export function kubeletRequestContent(nodeName: string): CertificateRequestContent {
  return {
    commonName: `system:node:${nodeName}`,
    organizations: ['system:nodes'],
    dnsNames: [],
    emailAddresses: [],
    ipAddresses: [],
    uris: [],
  };
}
