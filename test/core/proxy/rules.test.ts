import { describe, expect, it } from 'vitest';
import { categorizeEndpoints } from '../../../core/proxy/topology.ts';
import { endpointsOfSlices } from '../../../core/proxy/endpoints.ts';
import { probability } from '../../../core/proxy/rules.ts';
import { servicePorts } from '../../../core/proxy/service-port.ts';
import { render, TEST_NODE_NAME, testService, testSlice } from './upstream-fixtures.ts';

const svc1 = (spec: object = {}) =>
  testService('ns1', 'svc1', {
    clusterIP: '172.30.0.41',
    ports: [{ name: 'p80', port: 80, protocol: 'TCP' }],
    ...spec,
  });

const lines = (text: string, chainPrefix: string) =>
  text.split('\n').filter((l) => l.startsWith(`-A ${chainPrefix}`));

describe('probability', () => {
  it.each([
    [2, '0.5000000000'],
    [3, '0.3333333333'],
    [7, '0.1428571429'],
    [1000, '0.0010000000'],
  ])('formats 1/%i as Go %%0.10f does', (n, text) => {
    expect(probability(n)).toBe(text);
  });
});

describe('buildRules', () => {
  it('spreads n endpoints with probabilities 1/n, 1/(n-1), ..., and a last rule that always matches', () => {
    const text = render(
      [svc1()],
      [testSlice('ns1', 'svc1', 1, [{ ip: '10.0.1.1' }, { ip: '10.0.1.2' }, { ip: '10.0.1.3' }])],
    );
    const spread = lines(text, 'KUBE-SVC-XPGD46QRK7WJZT7O').filter((l) => l.includes('KUBE-SEP'));
    expect(spread.map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'always')).toEqual([
      '0.3333333333',
      '0.5000000000',
      'always',
    ]);
  });

  it('rejects in the filter table when a Service has no endpoints, and writes no nat chain for it', () => {
    const text = render([svc1()], []);
    expect(text).toContain(
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT',
    );
    expect(text).not.toContain('KUBE-SVC-');
  });

  it('falls back to serving terminating endpoints when none is ready', () => {
    const text = render(
      [svc1()],
      [
        testSlice('ns1', 'svc1', 1, [
          { ip: '10.0.1.1', ready: false, serving: true, terminating: true },
          { ip: '10.0.1.2', ready: false, serving: false, terminating: true },
        ]),
      ],
    );
    expect(text).toContain('--to-destination 10.0.1.1:80');
    expect(text).not.toContain('10.0.1.2:80');
  });

  it('never uses a terminating endpoint while a ready one exists', () => {
    const text = render(
      [svc1()],
      [
        testSlice('ns1', 'svc1', 1, [
          { ip: '10.0.1.1', ready: false, serving: true, terminating: true },
          { ip: '10.0.1.2' },
        ]),
      ],
    );
    expect(text).not.toContain('10.0.1.1:80');
  });

  it('drops cluster-IP traffic when internalTrafficPolicy is Local and this node has no endpoint', () => {
    const text = render(
      [svc1({ internalTrafficPolicy: 'Local' })],
      [testSlice('ns1', 'svc1', 1, [{ ip: '10.0.1.1', nodeName: 'other' }])],
    );
    expect(text).toContain(
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP',
    );
  });

  it('sends cluster-IP traffic to the KUBE-SVL chain of local endpoints under internalTrafficPolicy Local', () => {
    const text = render(
      [svc1({ internalTrafficPolicy: 'Local' })],
      [
        testSlice('ns1', 'svc1', 1, [
          { ip: '10.0.1.1', nodeName: 'other' },
          { ip: '10.0.1.2', nodeName: TEST_NODE_NAME },
        ]),
      ],
    );
    expect(lines(text, 'KUBE-SERVICES')[0]).toMatch(/-j KUBE-SVL-XPGD46QRK7WJZT7O$/);
    expect(text).toContain('--to-destination 10.0.1.2:80');
    expect(text).not.toContain('10.0.1.1:80');
  });

  it('renders the same text whatever order the Services and slices arrive in', () => {
    const a = testSlice('ns1', 'svc1', 1, [{ ip: '10.0.1.9' }, { ip: '10.0.1.10' }]);
    const b = testSlice('ns1', 'svc1', 2, [{ ip: '10.0.1.3' }]);
    expect(render([svc1()], [a, b])).toBe(render([svc1()], [b, a]));
  });

  it('drops per-endpoint comments above 1000 endpoints (largeClusterMode)', () => {
    const eps = Array.from({ length: 1001 }, (_, i) => ({
      ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    }));
    const text = render([svc1()], [testSlice('ns1', 'svc1', 1, eps)]);
    const sep = lines(text, 'KUBE-SEP-')[0] ?? '';
    expect(sep).not.toContain('--comment');
  });
});

describe('categorizeEndpoints', () => {
  it('prefers local ready endpoints for externalTrafficPolicy Local and keeps cluster ones for cluster IP traffic', () => {
    const [port] = servicePorts(
      testService('ns1', 'svc1', {
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        clusterIP: '172.30.0.41',
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30080 }],
      }),
    );
    const eps = endpointsOfSlices(
      [
        testSlice('ns1', 'svc1', 1, [
          { ip: '10.0.1.1', nodeName: 'other' },
          { ip: '10.0.1.2', nodeName: TEST_NODE_NAME },
        ]),
      ],
      TEST_NODE_NAME,
    );
    const c = categorizeEndpoints([...(eps.values().next().value ?? [])], port!);
    expect(c.clusterEndpoints.map((e) => e.ip)).toEqual(['10.0.1.1', '10.0.1.2']);
    expect(c.localEndpoints.map((e) => e.ip)).toEqual(['10.0.1.2']);
    expect(c.hasAnyEndpoints).toBe(true);
  });
});
