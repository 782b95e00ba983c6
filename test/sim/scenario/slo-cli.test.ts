/**
 * `ksim run`'s verdicts and SLO table: the SLOs come from the run's own records (no --trace
 * needed), a missed SLO fails the run only when spec.slos.enforce says so, a failed expectation
 * exits 1, bad input exits 2, and the output says where the trace is.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKsim as ksim } from '../../support/ksim-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ksim-slo-'));

const scenario = (slos: string, expect = '    - pods: { labelSelector: app=web, count: 2 }\n') => {
  const file = join(dir, `s-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: slo }
spec:
  duration: 30s
  cluster:
    nodes: [{ count: 2 }]
  actions:
    - at: 10s
      apply:
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: { name: web, namespace: default }
        spec:
          replicas: 2
          selector: { matchLabels: { app: web } }
          template:
            metadata: { labels: { app: web } }
            spec: { containers: [{ name: c, image: nginx:1.25 }] }
  expect:
${expect}${slos}`,
  );
  return file;
};

describe('ksim run: SLOs and exit codes', () => {
  it('the example scenario meets its expectations and its enforced SLOs (exit 0)', async () => {
    const { code, output } = await ksim('run', 'scenarios/expectations.yaml', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(output) as {
      passed: boolean;
      slos: { enforced: boolean; fromUs: number; results: { name: string; samples: number }[] };
      conditionalActions: { firedAtUs?: number }[];
    };
    expect(report.passed).toBe(true);
    expect(report.slos).toMatchObject({ enforced: true, fromUs: 10_000_000 });
    const startup = report.slos.results.find((r) => r.name === 'pod startup latency');
    expect(startup?.samples).toBe(6);
    expect(report.conditionalActions.every((a) => a.firedAtUs !== undefined)).toBe(true);
  });

  it('a missed SLO is reported but does not fail the run unless enforced', async () => {
    const reported = await ksim('run', scenario('  slos: { podStartup: 1ms }\n'));
    expect(reported.code).toBe(0);
    expect(reported.output).toMatch(/pod startup latency +p99 +2 +\S+ +<= 1\.0ms +MISSED/);
    expect(reported.output).toContain('SLOs (reported; spec.slos.enforce makes a missed one fail');
    expect(reported.output).toContain('trace: not written (--trace FILE writes it)');
    const trace = join(dir, 'enforced.jsonl');
    const enforced = await ksim(
      'run',
      scenario('  slos: { enforce: true, podStartup: 1ms }\n'),
      '--trace',
      trace,
    );
    expect(enforced.code).toBe(1);
    expect(enforced.output).toContain('SLOs (enforced: a missed SLO fails the run)');
    expect(enforced.output).toContain(`trace: ${trace}`);
    expect(enforced.output).toContain('reproduce: ksim run');
    // The table is the trace's: the same pods started, as the trace file records them.
    const startedInTrace = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"k":"kubelet.pod-started"')).length;
    expect(startedInTrace).toBe(2);
  });

  it('a failed expectation exits 1; bad input exits 2 naming file, line and path', async () => {
    const failed = await ksim(
      'run',
      scenario('', '    - never: { pods: { labelSelector: app=web, count: { atLeast: 1 } } }\n'),
    );
    expect(failed.code).toBe(1);
    expect(failed.output).toMatch(
      /FAIL {2}never >= 1 pods \(app=web\) \(violated at 1\d\.\d{3}s by Pod\/default\/web-/,
    );
    const bad = scenario('', '    - eventually: { pods: { count: -1 } }\n');
    const refused = await ksim('run', bad);
    expect(refused.code).toBe(2);
    expect(refused.errors).toContain(
      `${bad}:21: spec.expect[0].eventually.pods.count: must be >= 0, got -1`,
    );
  });
});
