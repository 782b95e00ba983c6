/**
 * What core reads from a kubelet's certificate request and checks before the signer's port is
 * asked: a PKCS#10 request (made with openssl, kept here as a fixture) parsed for its subject
 * and subjectAltNames, upstream's ValidateKubeletClientCSR and ValidateKubeletServingCSR errors
 * in their order, and the
 * certificate's duration from spec.expirationSeconds and the signer's TTL.
 */
import { describe, expect, it } from 'vitest';
import { encodeBase64Utf8 } from '../../../core/api/base64.ts';
import { parseCertificateRequest } from '../../../core/api/kinds/certificate-signing-request.ts';
import type { CertificateRequestContent } from '../../../core/api/pkcs10.ts';
import {
  certificateDurationSeconds,
  DEFAULT_CLUSTER_SIGNING_DURATION_SECONDS,
  kubeletClientRequestProblem,
  kubeletServingRequestProblem,
} from '../../../core/controllers/certificates/index.ts';
import { kubeletRequestContent } from '../../support/csr.ts';

/** openssl req -new -subj /CN=system:node:n1/O=system:nodes/O=extra with four subjectAltNames. */
const PKCS10 = `-----BEGIN CERTIFICATE REQUEST-----
MIIBRDCB6wIBADBAMRcwFQYDVQQDDA5zeXN0ZW06bm9kZTpuMTEVMBMGA1UECgwM
c3lzdGVtOm5vZGVzMQ4wDAYDVQQKDAVleHRyYTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABL7HjSIUkSS8i1gKv0EQZxyqQx64egQGUNDixoT+t5syK16AXlQ6GBDN
EFq2l9N2CEtLwvhCxUCAR3CAYiDyySGgSTBHBgkqhkiG9w0BCQ4xOjA4MDYGA1Ud
EQQvMC2CCm4xLmV4YW1wbGWHBAoAAAGBC2FAYi5leGFtcGxlhgxzcGlmZmU6Ly9j
L2QwCgYIKoZIzj0EAwIDSAAwRQIhAPaOUe+BO3wCbB+oYCUbuEi0xojueJ54RicC
6yxahWw1AiB6rcFLXM+2LCVh7uXCw6dABlwD/bvzdZu9j5375mVAiQ==
-----END CERTIFICATE REQUEST-----
`;

const NODE: CertificateRequestContent = kubeletRequestContent('n1');
const CLIENT = ['digital signature', 'client auth'];

describe('kubelet client certificate requests', () => {
  it('reads the subject and subjectAltNames of a PKCS#10 request', () => {
    expect(parseCertificateRequest(encodeBase64Utf8(PKCS10))).toEqual({
      ok: true,
      value: {
        commonName: 'system:node:n1',
        organizations: ['system:nodes', 'extra'],
        dnsNames: ['n1.example'],
        emailAddresses: ['a@b.example'],
        ipAddresses: ['10.0.0.1'],
        uris: ['spiffe://c/d'],
      },
    });
  });

  it('refuses a CERTIFICATE REQUEST block that is neither DER nor the stand-in', () => {
    const garbled = PKCS10.replace('MIIBRDCB6wIBADBA', 'MIIBRDCB6wIBADBB');
    const r = parseCertificateRequest(encodeBase64Utf8(garbled));
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toMatch(/^not a PKCS#10 certificate request/);
    const text = parseCertificateRequest(
      encodeBase64Utf8(
        '-----BEGIN CERTIFICATE REQUEST-----\naGVsbG8=\n-----END CERTIFICATE REQUEST-----\n',
      ),
    );
    expect(text).toEqual({
      ok: false,
      message: 'the CERTIFICATE REQUEST block is not a PKCS#10 request',
    });
  });

  it.each<[string, Partial<CertificateRequestContent>, readonly string[], string | undefined]>([
    ['a kubelet client request', {}, CLIENT, undefined],
    ['with key encipherment', {}, [...CLIENT, 'key encipherment'], undefined],
    [
      'usages in any order, repeated',
      {},
      ['client auth', 'digital signature', 'client auth'],
      undefined,
    ],
    ['no organization', { organizations: [] }, CLIENT, 'subject organization is not system:nodes'],
    [
      'a second organization',
      { organizations: ['system:nodes', 'system:masters'] },
      CLIENT,
      'subject organization is not system:nodes',
    ],
    ['a DNS name', { dnsNames: ['n1'] }, CLIENT, 'DNS subjectAltNames are not allowed'],
    ['an email', { emailAddresses: ['a@b'] }, CLIENT, 'Email subjectAltNames are not allowed'],
    ['an IP', { ipAddresses: ['10.0.0.1'] }, CLIENT, 'IP subjectAltNames are not allowed'],
    ['a URI', { uris: ['spiffe://a'] }, CLIENT, 'URI subjectAltNames are not allowed'],
    [
      'a user CN',
      { commonName: 'alice' },
      CLIENT,
      'subject common name does not begin with system:node:',
    ],
    [
      'server usages',
      {},
      ['digital signature', 'server auth'],
      'usages did not match [client auth digital signature key encipherment]',
    ],
    [
      'an extra usage',
      {},
      [...CLIENT, 'cert sign'],
      'usages did not match [client auth digital signature key encipherment]',
    ],
    // Upstream checks the organization first: a request wrong in both says so.
    [
      'organization and CN wrong',
      { organizations: ['x'], commonName: 'alice' },
      CLIENT,
      'subject organization is not system:nodes',
    ],
  ])('%s', (_name, change, usages, problem) => {
    expect(kubeletClientRequestProblem({ ...NODE, ...change }, usages)).toBe(problem);
  });

  it.each<[number | undefined, number]>([
    [undefined, DEFAULT_CLUSTER_SIGNING_DURATION_SECONDS],
    [3600, 3600],
    [60, 600],
    [10 * DEFAULT_CLUSTER_SIGNING_DURATION_SECONDS, DEFAULT_CLUSTER_SIGNING_DURATION_SECONDS],
  ])('expirationSeconds %s gives a certificate of %d s', (asked, seconds) => {
    expect(certificateDurationSeconds(DEFAULT_CLUSTER_SIGNING_DURATION_SECONDS, asked)).toBe(
      seconds,
    );
  });
});

const SERVING = ['digital signature', 'server auth'];
const SERVING_USAGES_MESSAGE =
  'usages did not match [digital signature key encipherment server auth]';

describe('kubelet serving certificate requests (ValidateKubeletServingCSR)', () => {
  const named: Partial<CertificateRequestContent> = { ipAddresses: ['10.0.0.2'] };
  it.each<[string, Partial<CertificateRequestContent>, readonly string[], string | undefined]>([
    ['an IP name', named, SERVING, undefined],
    ['a DNS name', { dnsNames: ['n1'] }, SERVING, undefined],
    [
      'both, with key encipherment',
      { dnsNames: ['n1'], ipAddresses: ['10.0.0.2'] },
      [...SERVING, 'key encipherment'],
      undefined,
    ],
    [
      'no organization',
      { ...named, organizations: [] },
      SERVING,
      'subject organization is not system:nodes',
    ],
    ['no name at all', {}, SERVING, 'DNS or IP subjectAltName is required'],
    [
      'an email',
      { ...named, emailAddresses: ['a@b'] },
      SERVING,
      'Email subjectAltNames are not allowed',
    ],
    ['a URI', { ...named, uris: ['spiffe://a'] }, SERVING, 'URI subjectAltNames are not allowed'],
    ['client usages', named, CLIENT, SERVING_USAGES_MESSAGE],
    ['an extra usage', named, [...SERVING, 'client auth'], SERVING_USAGES_MESSAGE],
    [
      'a user CN',
      { ...named, commonName: 'alice' },
      SERVING,
      'subject common name does not begin with system:node:',
    ],
    // Upstream checks usages before the CN: a request wrong in both says usages.
    ['usages and CN wrong', { ...named, commonName: 'alice' }, CLIENT, SERVING_USAGES_MESSAGE],
    // The organization before the names.
    [
      'organization and names wrong',
      { organizations: ['x'] },
      SERVING,
      'subject organization is not system:nodes',
    ],
  ])('%s', (_name, change, usages, problem) => {
    expect(kubeletServingRequestProblem({ ...NODE, ...change }, usages)).toBe(problem);
  });

  it('a serving request is no client request and the other way round', () => {
    expect(kubeletClientRequestProblem({ ...NODE, ...named }, SERVING)).toBe(
      'IP subjectAltNames are not allowed',
    );
    expect(kubeletServingRequestProblem(NODE, CLIENT)).toBe('DNS or IP subjectAltName is required');
  });
});
