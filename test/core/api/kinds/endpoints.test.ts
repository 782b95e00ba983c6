import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  defaultEndpoints,
  ENDPOINTS,
  formatEndpoints,
  validateEndpoints,
  type Endpoints,
} from '../../../../core/api/kinds/endpoints.ts';

const messages = (errs: readonly FieldError[]) => errs.map(formatFieldError);
type Subsets = NonNullable<Endpoints['subsets']>;

const endpoints = (subsets: Subsets): Endpoints =>
  defaultEndpoints({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets,
  });

describe('Endpoints validation (ValidateEndpoints), upstream paths and messages', () => {
  it.each<[string, Subsets, string[]]>([
    ['one address and port', [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ port: 80 }] }], []],
    ['a headless subset without ports', [{ notReadyAddresses: [{ ip: '10.244.1.5' }] }], []],
    [
      'a subset without addresses',
      [{ ports: [{ port: 80 }] }],
      ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`'],
    ],
    [
      'a malformed address',
      [{ addresses: [{ ip: '10.244.1' }] }],
      [
        'subsets[0].addresses[0].ip: Invalid value: "10.244.1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        'subsets[0].addresses[0].ip: Invalid value: "10.244.1": must be a valid IP address',
      ],
    ],
    [
      'a loopback and a link-local address',
      [{ addresses: [{ ip: '127.0.0.1' }], notReadyAddresses: [{ ip: '169.254.1.1' }] }],
      [
        'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'subsets[0].notReadyAddresses[0].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      ],
    ],
    [
      'two unnamed ports and a bad protocol',
      [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }, { port: 0, protocol: 'HTTP' }] }],
      [
        'subsets[0].ports[0].name: Required value',
        'subsets[0].ports[1].name: Required value',
        'subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'subsets[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
    [
      'a bad hostname',
      [{ addresses: [{ ip: '10.0.0.1', hostname: 'Web_1' }] }],
      [
        "subsets[0].addresses[0].hostname: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
  ])('%s', (_name, subsets, expected) => {
    expect(messages(validateEndpoints(endpoints(subsets)))).toEqual(expected);
  });

  it('defaults ports to TCP', () => {
    expect(endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }]).subsets).toEqual(
      [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] }],
    );
  });
});

describe('Endpoints printing (printEndpoints)', () => {
  it('lists the first three endpoints, then how many more', () => {
    expect(ENDPOINTS.table.map((c) => c.name)).toEqual(['Name', 'Endpoints', 'Age']);
    const addrs = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', 'fd00::5'].map((ip) => ({ ip }));
    expect(formatEndpoints(endpoints([]))).toBe('<none>');
    expect(
      formatEndpoints(endpoints([{ addresses: addrs.slice(0, 2), ports: [{ port: 80 }] }])),
    ).toBe('10.0.0.1:80,10.0.0.2:80');
    expect(formatEndpoints(endpoints([{ addresses: addrs, ports: [{ port: 80 }] }]))).toBe(
      '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...',
    );
    expect(formatEndpoints(endpoints([{ addresses: addrs.slice(4) }]))).toBe('fd00::5');
    expect(
      formatEndpoints(endpoints([{ addresses: addrs.slice(4), ports: [{ port: 8080 }] }])),
    ).toBe('[fd00::5]:8080');
  });
});
