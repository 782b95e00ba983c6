import { describe, expect, it } from 'vitest';
import {
  defaultEndpointSlice,
  ENDPOINT_SLICE,
  validateEndpointSlice,
  validateEndpointSliceUpdate,
  type EndpointSlice,
} from '../../../../core/api/kinds/endpoint-slice.ts';
import { messages } from './workload-fixtures.ts';

const slice = (fields: Partial<EndpointSlice> = {}): EndpointSlice =>
  defaultEndpointSlice({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'web-abcde',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'web' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true }, nodeName: 'node-1' }],
    ports: [{ name: 'http', port: 80 }],
    ...fields,
  });

describe('EndpointSlice', () => {
  it('defaults ports to unnamed TCP', () => {
    expect(slice({ ports: [{ port: 53 }] }).ports).toEqual([
      { port: 53, name: '', protocol: 'TCP' },
    ]);
  });

  it.each([
    ['a valid slice', {}, []],
    ['no address type', { addressType: '' }, ['addressType: Required value']],
    [
      'an unknown address type',
      { addressType: 'IPv5' },
      ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"'],
    ],
    [
      'an endpoint without addresses',
      { endpoints: [{ addresses: [] }] },
      ['endpoints[0].addresses: Required value: must contain at least 1 address'],
    ],
    [
      'IPv6 addresses in an IPv4 slice, and special addresses',
      {
        endpoints: [{ addresses: ['fd00::1', '127.0.0.1', '0.0.0.0', '169.254.1.1', '224.0.0.5'] }],
      },
      [
        'endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
        'endpoints[0].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[0].addresses[2]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'endpoints[0].addresses[3]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'endpoints[0].addresses[4]: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      ],
    ],
    [
      'IPv6 slice addresses',
      {
        addressType: 'IPv6',
        endpoints: [
          { addresses: ['2001:db8::1', '10.0.0.1', '::1', 'fe80::1', '::ffff:10.0.0.1'] },
        ],
      },
      [
        'endpoints[0].addresses[1]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
        'endpoints[0].addresses[2]: Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'endpoints[0].addresses[3]: Invalid value: "fe80::1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'endpoints[0].addresses[4]: Invalid value: "::ffff:10.0.0.1": must be a valid IPv6 address',
      ],
    ],
    [
      'FQDN addresses',
      {
        addressType: 'FQDN',
        endpoints: [{ addresses: ['db.example.com.', 'localhost', 'Bad.example.com'] }],
      },
      [
        'endpoints[0].addresses[1]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
        "endpoints[0].addresses[2]: Invalid value: \"Bad.example.com\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    [
      'a bad hostname, node name and zone hint',
      {
        endpoints: [
          {
            addresses: ['10.0.0.1'],
            hostname: 'web_1',
            nodeName: 'Node 1',
            hints: { forZones: [{ name: 'a' }, { name: 'a' }] },
          },
        ],
      },
      [
        "endpoints[0].nodeName: Invalid value: \"Node 1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        "endpoints[0].hostname: Invalid value: \"web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        'endpoints[0].hints.forZones[1].name: Duplicate value: "a"',
      ],
    ],
    [
      'the reserved zone key in deprecatedTopology',
      {
        endpoints: [
          { addresses: ['10.0.0.1'], deprecatedTopology: { 'topology.kubernetes.io/zone': 'a' } },
        ],
      },
      [
        'endpoints[0].deprecatedTopology[topology.kubernetes.io/zone]: Internal error: reserved key was not removed in conversion',
      ],
    ],
    [
      'duplicate port names and a bad protocol',
      {
        ports: [
          { name: 'http', port: 80 },
          { name: 'http', port: 8080, protocol: 'HTTP' },
        ],
      },
      [
        'ports[1].name: Duplicate value: "http"',
        'ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
  ] as const)('validates %s', (_name, fields, expected) => {
    expect(messages(validateEndpointSlice(slice(fields as Partial<EndpointSlice>)))).toEqual(
      expected,
    );
  });

  it('keeps the address type immutable', () => {
    const old = slice();
    expect(
      messages(validateEndpointSliceUpdate(slice({ addressType: 'IPv6', endpoints: [] }), old)),
    ).toEqual(['addressType: Invalid value: "IPv6": field is immutable']);
  });

  it('moves the generation on for endpoint and label changes, not for annotations', () => {
    const old = slice();
    expect(
      ENDPOINT_SLICE.generationChanged(slice({ endpoints: [{ addresses: ['10.0.0.9'] }] }), old),
    ).toBe(true);
    expect(
      ENDPOINT_SLICE.generationChanged(
        { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } },
        old,
      ),
    ).toBe(true);
    expect(
      ENDPOINT_SLICE.generationChanged(
        { ...old, metadata: { ...old.metadata, annotations: { a: 'b' } } },
        old,
      ),
    ).toBe(false);
  });

  it('prints AddressType, Ports and Endpoints, the first three and how many more', () => {
    const many = slice({
      ports: [{ name: 'http', port: 80 }, { name: 'all' }],
      endpoints: [
        { addresses: ['10.0.0.1', '10.0.0.2'] },
        { addresses: ['10.0.0.3'] },
        { addresses: ['10.0.0.4'] },
      ],
    });
    expect(ENDPOINT_SLICE.table.map((c) => c.name)).toEqual([
      'Name',
      'AddressType',
      'Ports',
      'Endpoints',
      'Age',
    ]);
    expect(ENDPOINT_SLICE.table.slice(1, 4).map((c) => c.cell(many, 0))).toEqual([
      'IPv4',
      '80,all',
      '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...',
    ]);
    expect(ENDPOINT_SLICE.table[3]?.cell(slice({ endpoints: [] }), 0)).toBe('<unset>');
  });
});
