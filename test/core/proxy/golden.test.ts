/**
 * Golden tests: the rules rendered for upstream's test Services equal the expected
 * iptables-restore text of upstream's pkg/proxy/iptables/proxier_test.go, after the same
 * normalisation its assertIPTablesRulesEqual applies (sortIPTablesRules).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sortIptablesRules } from './sort-rules.ts';
import { p80, render, TEST_NODE_NAME, testService, testSlice } from './upstream-fixtures.ts';

const golden = (name: string) =>
  readFileSync(new URL(`testdata/${name}.rules`, import.meta.url), 'utf8');

describe('the rendered rules equal upstream proxier_test.go', () => {
  it('TestOverallIPTablesRules (without the nfacct counters the simulated kernel lacks)', () => {
    const services = [
      testService('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: p80() }),
      testService(
        'ns2',
        'svc2',
        {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          clusterIP: '172.30.0.42',
          ports: p80({ nodePort: 3001 }),
          externalIPs: ['192.168.99.22'],
          healthCheckNodePort: 30000,
        },
        ['1.2.3.4'],
      ),
      testService('ns3', 'svc3', {
        type: 'NodePort',
        clusterIP: '172.30.0.43',
        ports: p80({ nodePort: 3003 }),
      }),
      testService('ns4', 'svc4', {
        type: 'NodePort',
        clusterIP: '172.30.0.44',
        externalIPs: ['192.168.99.33'],
        ports: p80({ targetPort: 80 }),
      }),
      testService(
        'ns5',
        'svc5',
        {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Cluster',
          clusterIP: '172.30.0.45',
          ports: p80({ nodePort: 3002 }),
          healthCheckNodePort: 30000,
          loadBalancerSourceRanges: [' 203.0.113.0/25'],
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        },
        ['5.6.7.8'],
      ),
      testService('ns6', 'svc6', {
        type: 'ClusterIP',
        clusterIP: '172.30.0.46',
        ports: p80({ targetPort: 80 }),
      }),
    ];
    const slices = [
      testSlice('ns1', 'svc1', 1, [{ ip: '10.180.0.1' }]),
      testSlice('ns2', 'svc2', 1, [{ ip: '10.180.0.2' }]),
      testSlice('ns3', 'svc3', 1, [{ ip: '10.180.0.3' }]),
      testSlice('ns4', 'svc4', 1, [
        { ip: '10.180.0.4' },
        { ip: '10.180.0.5', nodeName: TEST_NODE_NAME },
      ]),
      testSlice('ns5', 'svc5', 1, [{ ip: '10.180.0.3' }]),
    ];
    expect(sortIptablesRules(render(services, slices))).toBe(golden('overall'));
  });
});
