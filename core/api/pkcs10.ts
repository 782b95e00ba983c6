/**
 * What a PKCS#10 certificate request (RFC 2986) asks for, read from its DER bytes: the
 * subject's common name and organizations, and the subjectAltNames of its extensionRequest
 * attribute. This is what upstream's certificate controllers read from x509.CertificateRequest
 * (pkg/apis/certificates/v1/helpers.go ParseCSR). Parsing needs no crypto, so core does it; the
 * request's self-signature is the signer's to check (it holds the crypto), as is the key.
 */
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Extensions, SubjectAlternativeName, type Name } from '@peculiar/asn1-x509';

/** A request's subject and subjectAltNames. */
export interface CertificateRequestContent {
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly dnsNames: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly uris: readonly string[];
}

const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/** The request in `der`, or why it is not one. */
export function parsePkcs10(
  der: Uint8Array,
):
  | { readonly ok: true; readonly value: CertificateRequestContent }
  | { readonly ok: false; readonly message: string } {
  let request: CertificationRequest;
  try {
    request = AsnConvert.parse(der, CertificationRequest);
  } catch (e) {
    return { ok: false, message: `not a PKCS#10 certificate request: ${(e as Error).message}` };
  }
  const info = request.certificationRequestInfo;
  const names = subjectValues(info.subject);
  const sans = { dnsNames: [], emailAddresses: [], ipAddresses: [], uris: [] } as {
    [K in 'dnsNames' | 'emailAddresses' | 'ipAddresses' | 'uris']: string[];
  };
  try {
    for (const attribute of info.attributes ?? []) {
      if (attribute.type !== OID_EXTENSION_REQUEST) continue;
      for (const value of attribute.values) {
        for (const ext of AsnConvert.parse(value, Extensions)) {
          if (ext.extnID !== OID_SUBJECT_ALT_NAME) continue;
          for (const n of AsnConvert.parse(ext.extnValue, SubjectAlternativeName)) {
            if (n.dNSName !== undefined) sans.dnsNames.push(n.dNSName);
            if (n.rfc822Name !== undefined) sans.emailAddresses.push(n.rfc822Name);
            if (n.iPAddress !== undefined) sans.ipAddresses.push(n.iPAddress);
            if (n.uniformResourceIdentifier !== undefined)
              sans.uris.push(n.uniformResourceIdentifier);
          }
        }
      }
    }
  } catch (e) {
    return { ok: false, message: `unreadable extension request: ${(e as Error).message}` };
  }
  return {
    ok: true,
    value: {
      // Go's pkix.Name keeps the last CN it meets and every O, in order.
      commonName: names.get(OID_COMMON_NAME)?.at(-1) ?? '',
      organizations: names.get(OID_ORGANIZATION) ?? [],
      ...sans,
    },
  };
}

function subjectValues(name: Name): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const rdn of name)
    for (const atv of rdn) {
      const list = out.get(atv.type) ?? [];
      list.push(atv.value.toString());
      out.set(atv.type, list);
    }
  return out;
}
