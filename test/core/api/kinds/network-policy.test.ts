import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import {
  NETWORK_POLICY,
  validateNetworkPolicy,
  validateNetworkPolicyUpdate,
  type NetworkPolicy,
} from '../../../../core/api/kinds/network-policy.ts';
import { controlPlane, runScript } from '../../../support/cluster.ts';

type Spec = NonNullable<NetworkPolicy['spec']>;

const np = (spec: Partial<Spec> = {}): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'web', namespace: 'default' },
  spec: { podSelector: { matchLabels: { app: 'web' } }, ...spec },
});

const errors = (errs: readonly FieldError[]) => errs.map(formatFieldError);
const validate = (spec: Partial<Spec>) =>
  errors(validateNetworkPolicy(NETWORK_POLICY.defaults(np(spec))));

describe('NetworkPolicy validation (pkg/apis/networking/validation)', () => {
  it.each([
    [
      'ingress from pods, namespaces and a block, on numbered and named ports',
      {
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { role: 'client' } } },
              { namespaceSelector: {}, podSelector: {} },
              { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
            ],
            ports: [{ port: 80, endPort: 90 }, { port: 'http' }, { protocol: 'UDP' }],
          },
        ],
      },
      [],
    ],
    [
      'an IPv6 block',
      { egress: [{ to: [{ ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }] }] },
      [],
    ],
    [
      'an unknown protocol',
      { ingress: [{ ports: [{ protocol: 'ICMP', port: 1 }] }] },
      [
        'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      ],
    ],
    [
      'a port out of range',
      { ingress: [{ ports: [{ port: 70000 }] }] },
      [
        'spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      ],
    ],
    [
      'an end port below the port',
      { ingress: [{ ports: [{ port: 80, endPort: 79 }] }] },
      [
        'spec.ingress[0].ports[0].endPort: Invalid value: 79: must be greater than or equal to `port`',
      ],
    ],
    [
      'an end port on a named port',
      { ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] },
      [
        'spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      ],
    ],
    [
      'an end port without a port',
      { egress: [{ ports: [{ endPort: 90 }] }] },
      [
        'spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified',
      ],
    ],
    [
      'a bad port name',
      { ingress: [{ ports: [{ port: 'HTTP' }] }] },
      [
        'spec.ingress[0].ports[0].port: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.ingress[0].ports[0].port: Invalid value: "HTTP": must contain at least one letter (a-z)',
      ],
    ],
    [
      'an empty peer',
      { ingress: [{ from: [{}] }] },
      ['spec.ingress[0].from[0]: Required value: must specify a peer'],
    ],
    [
      'an ipBlock with another peer',
      { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] },
      ['spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer'],
    ],
    [
      'a block without a CIDR',
      { egress: [{ to: [{ ipBlock: { cidr: '' } }] }] },
      ['spec.egress[0].to[0].ipBlock.cidr: Required value'],
    ],
    [
      'a malformed CIDR',
      { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
      [
        'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    ],
    [
      'exceptions outside the block, equal to it, and malformed',
      {
        egress: [
          {
            to: [
              {
                ipBlock: {
                  cidr: '10.0.0.0/16',
                  except: ['192.168.0.0/24', '10.0.0.0/16', '10.0.1.0'],
                },
              },
            ],
          },
        ],
      },
      [
        'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
        'spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
        'spec.egress[0].to[0].ipBlock.except[2]: Invalid value: "10.0.1.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    ],
    [
      'three policy types',
      { policyTypes: ['Ingress', 'Egress', 'Ingress'] },
      [
        'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes',
      ],
    ],
    [
      'an unknown policy type',
      { policyTypes: ['Both'] },
      ['spec.policyTypes[0]: Unsupported value: "Both": supported values: "Ingress", "Egress"'],
    ],
    [
      'an unknown selector operator',
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'Near' }] } },
      [
        'spec.podSelector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
      ],
    ],
  ] as const)('%s', (_name, spec, expected) => {
    expect(validate(spec as unknown as Partial<Spec>)).toEqual(expected);
  });

  it('defaults port protocols to TCP and policyTypes from the rules', () => {
    const ingressOnly = NETWORK_POLICY.defaults(np({ ingress: [{ ports: [{ port: 80 }] }] }));
    expect(ingressOnly.spec?.policyTypes).toEqual(['Ingress']);
    expect(ingressOnly.spec?.ingress?.[0]?.ports?.[0]?.protocol).toBe('TCP');
    const both = NETWORK_POLICY.defaults(
      np({ egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }),
    );
    expect(both.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(both.spec?.egress?.[0]?.ports?.[0]?.protocol).toBe('UDP');
    const bare = NETWORK_POLICY.defaults({ ...np(), spec: undefined });
    expect(bare.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    const given = NETWORK_POLICY.defaults(np({ egress: [{}], policyTypes: ['Egress'] }));
    expect(given.spec?.policyTypes).toEqual(['Egress']);
  });

  it('validates the new spec on update and keeps the identity', () => {
    const old = NETWORK_POLICY.defaults(np());
    expect(validateNetworkPolicyUpdate({ ...old, spec: { podSelector: {} } }, old)).toEqual([]);
    expect(
      errors(
        validateNetworkPolicyUpdate(
          { ...old, metadata: { name: 'other', namespace: 'default' } },
          old,
        ),
      ),
    ).toEqual(['metadata.name: Invalid value: "other": field is immutable']);
    expect(
      errors(
        validateNetworkPolicyUpdate(
          { ...old, metadata: { ...old.metadata, annotations: { 'bad key': 'x' } } },
          old,
        ),
      ),
    ).toEqual([
      "metadata.annotations: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    const twoSlashes = { ...old, metadata: { ...old.metadata, labels: { 'a/b/c': 'x' } } };
    expect(errors(validateNetworkPolicyUpdate(twoSlashes, old))).toEqual([
      "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
  });

  it('prints Name, Pod-Selector ("<none>" for all pods) and Age', () => {
    expect(NETWORK_POLICY.table.map((c) => c.name)).toEqual(['Name', 'Pod-Selector', 'Age']);
    expect(NETWORK_POLICY.table[1]?.cell(np(), 0)).toBe('app=web');
    expect(NETWORK_POLICY.table[1]?.cell(np({ podSelector: {} }), 0)).toBe('<none>');
  });

  it('is served by the API server: defaulted, generation grows with the spec', async () => {
    const sim = controlPlane();
    await runScript(sim, async (api) => {
      const created = await api.create(np({ ingress: [{ ports: [{ port: 80 }] }] }));
      if (!created.ok) throw new Error(created.error.message);
      expect(created.value.spec?.policyTypes).toEqual(['Ingress']);
      expect(created.value.metadata.generation).toBe(1);
      const labelled = await api.update({
        ...created.value,
        metadata: { ...created.value.metadata, labels: { team: 'a' } },
      });
      if (!labelled.ok) throw new Error(labelled.error.message);
      expect(labelled.value.metadata.generation).toBe(1);
      const changed = await api.update({ ...labelled.value, spec: { podSelector: {} } });
      if (!changed.ok) throw new Error(changed.error.message);
      expect(changed.value.metadata.generation).toBe(2);
      const bad = await api.create(np({ ingress: [{ from: [{}] }] }));
      expect(bad.ok ? 0 : bad.status).toBe(422);
    });
  });
});
