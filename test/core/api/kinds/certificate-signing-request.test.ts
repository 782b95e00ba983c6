import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_GATES } from '../../../../core/api/feature-gates.ts';
import {
  CERTIFICATE_SIGNING_REQUEST as CSR,
  encodeCertificate,
  encodeCertificateRequest,
  parseCertificate,
  parseCertificateRequest,
  standInCertificate,
  standInCredential,
  type CertificateSigningRequest,
} from '../../../../core/api/kinds/certificate-signing-request.ts';
import { encodeBase64Utf8 } from '../../../../core/api/base64.ts';
import { kubeletRequestContent } from '../../../support/csr.ts';

const REQUEST = encodeCertificateRequest({
  commonName: 'system:node:n1',
  organizations: ['system:nodes'],
});

function csr(extra: Partial<CertificateSigningRequest['spec']> = {}, status?: object) {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'csr-1', resourceVersion: '3' },
    spec: {
      request: REQUEST,
      signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'client auth'],
      ...extra,
    },
    ...(status === undefined ? {} : { status }),
  } as CertificateSigningRequest;
}

const errors = (c: CertificateSigningRequest): string[] =>
  CSR.validate(c).map(
    (e) =>
      `${e.field}: ${e.type === 'FieldValueInvalid' || e.type === 'FieldValueForbidden' ? e.detail : e.type}`,
  );

const approved = { type: 'Approved', status: 'True', reason: 'AutoApproved' };

describe('CertificateSigningRequest', () => {
  it('round-trips the request and certificate blocks', () => {
    expect(parseCertificateRequest(REQUEST)).toEqual({
      ok: true,
      value: kubeletRequestContent('n1'),
    });
    const pem = parseCertificate(encodeCertificate('a.b.c'));
    expect(pem).toEqual({ ok: true, value: standInCertificate('a.b.c') });
    expect(standInCredential(standInCertificate('a.b.c'))).toEqual({ ok: true, value: 'a.b.c' });
    expect(parseCertificateRequest(encodeCertificate('x'))).toEqual({
      ok: false,
      message: 'PEM block type must be CERTIFICATE REQUEST',
    });
  });

  it.each([
    ['a valid request', csr(), []],
    ['no signer', csr({ signerName: '' }), ['spec.signerName: FieldValueRequired']],
    [
      'a signer without a path',
      csr({ signerName: 'example.com' }),
      [
        "spec.signerName: must be a fully qualified domain and path of the form 'example.com/signer-name'",
      ],
    ],
    ['no usages', csr({ usages: [] }), ['spec.usages: FieldValueRequired']],
    ['an unknown usage', csr({ usages: ['flying'] }), ['spec.usages[0]: FieldValueNotSupported']],
    [
      'not a request',
      csr({ request: encodeBase64Utf8('hello') }),
      ['spec.request: PEM block type must be CERTIFICATE REQUEST'],
    ],
    [
      'a short duration',
      csr({ expirationSeconds: 60 }),
      ['spec.expirationSeconds: may not specify a duration less than 600 seconds (10 minutes)'],
    ],
    [
      'Approved and Denied',
      csr({}, { conditions: [approved, { type: 'Denied', status: 'True' }] }),
      ['status.conditions: Approved and Denied conditions are mutually exclusive'],
    ],
    [
      'a certificate without approval',
      csr({}, { certificate: encodeCertificate('x') }),
      ['status.certificate: may only be set when the request is approved and not failed'],
    ],
  ])('%s', (_what, c, expected) => {
    expect(errors(c)).toEqual(expected);
  });

  it('records the requester, not what the client says, and drops status on create', () => {
    const created = CSR.prepareForCreate(
      csr({ username: 'system:admin', groups: ['system:masters'] }, { certificate: 'x' }),
      DEFAULT_FEATURE_GATES,
      { name: 'system:bootstrap:abcdef', uid: '', groups: ['system:bootstrappers'], extra: {} },
    );
    expect(created.spec.username).toBe('system:bootstrap:abcdef');
    expect(created.spec.groups).toEqual(['system:bootstrappers']);
    expect(created.status).toBeUndefined();
  });

  it('/approval changes only Approved and Denied; /status keeps them; neither may remove them', () => {
    const [approval, status] = CSR.subresources as unknown as {
      strategy: {
        prepareForUpdate: (
          n: CertificateSigningRequest,
          o: CertificateSigningRequest,
        ) => CertificateSigningRequest;
        validateUpdate: (n: CertificateSigningRequest, o: CertificateSigningRequest) => unknown[];
      };
    }[];
    const old = csr();
    const next = csr({}, { conditions: [approved], certificate: encodeCertificate('stolen') });
    const viaApproval = approval!.strategy.prepareForUpdate(next, old);
    expect(viaApproval.status).toEqual({ conditions: [approved] });
    const viaStatus = status!.strategy.prepareForUpdate(next, old);
    expect(viaStatus.status).toEqual({ certificate: encodeCertificate('stolen') });
    const signed = csr({}, { conditions: [approved], certificate: encodeCertificate('c') });
    const unapproved = csr({}, { certificate: encodeCertificate('c') });
    expect(status!.strategy.validateUpdate(unapproved, signed).length).toBeGreaterThan(0);
    const recertified = csr({}, { conditions: [approved], certificate: encodeCertificate('d') });
    expect(status!.strategy.validateUpdate(recertified, signed)).toContainEqual(
      expect.objectContaining({ detail: 'updates may not modify existing certificate content' }),
    );
  });
});
