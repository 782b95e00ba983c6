/** `ksim run --explain` and `ksim explain`: the table, and the errors that say what to do. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKsim as ksim } from '../support/ksim-cli.ts';

/** Runs the CLI: `output` is what it wrote to stdout, `errors` what it wrote to stderr. */
const dir = mkdtempSync(join(tmpdir(), 'ksim-explain-'));

/** Three nodes; `web` fits on two of them, `big` on none. */
const SCENARIO = `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata:
  name: explain
spec:
  seed: 1
  duration: 20s
  cluster:
    nodes:
      - namePrefix: small
        count: 1
        capacity: { cpu: '1', memory: 2Gi, pods: '110' }
      - namePrefix: node
        count: 2
        capacity: { cpu: '4', memory: 8Gi, pods: '110' }
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: { name: web, namespace: default }
      spec:
        containers:
          - name: c
            image: nginx:1.25
            resources: { requests: { cpu: '2', memory: 1Gi } }
    - apiVersion: v1
      kind: Pod
      metadata: { name: big, namespace: default }
      spec:
        containers:
          - name: c
            image: nginx:1.25
            resources: { requests: { cpu: '16' } }
`;

describe('ksim explain', () => {
  const scenario = join(dir, 'explain.yaml');
  writeFileSync(scenario, SCENARIO);

  it('prints each attempt of an explained pod as a table, the chosen node marked', async () => {
    const trace = join(dir, 'explained.jsonl');
    const run = await ksim('run', scenario, '--trace', trace, '--explain', 'web,big');
    expect(run.code).toBe(0);
    const { code, output } = await ksim('explain', trace, 'web');
    expect(code).toBe(0);
    const lines = output.split('\n');
    expect(lines[0]).toMatch(/^default\/web {2}attempt 1 {2}at [\d.]+s {2}Scheduled -> node-[12]$/);
    expect(output).toContain('prefilter: ');
    expect(output).toContain('nodes: 3 in the snapshot, 3 evaluated by the filters');
    const header = lines.find((l) => l.includes('filter') && l.includes('total')) ?? '';
    expect(header).toMatch(/node +filter +TaintToleration x3 +NodeResourcesFit .* total$/);
    const chosen = /-> (node-\d)/.exec(lines[0] ?? '')?.[1];
    expect(lines.filter((l) => l.startsWith('*'))).toEqual([
      expect.stringMatching(new RegExp(`^\\* +${chosen} +passed +\\d+ \\(raw \\d+\\)`)),
    ]);
    expect(output).toMatch(
      /small-1 +UnschedulableAndUnresolvable NodeResourcesFit: Insufficient cpu/,
    );

    const big = await ksim('explain', trace, 'default/big');
    expect(big.code).toBe(0);
    expect(big.output).toMatch(
      /^default\/big {2}attempt 1 .* Unschedulable\n {2}0\/3 nodes are available: 3 Insufficient cpu\. preemption: 0\/3 nodes are available: 3 Preemption is not helpful for scheduling\./,
    );
  });

  it('says how to get explanations when the trace has none, and when the pod is not in it', async () => {
    const trace = join(dir, 'plain.jsonl');
    expect((await ksim('run', scenario, '--trace', trace)).code).toBe(0);
    const none = await ksim('explain', trace, 'web');
    expect(none.code).toBe(2);
    expect(none.errors).toBe(
      `ksim: ${trace} has no scheduling explanations for pod web; rerun with --trace-level debug or --explain web`,
    );
    const missing = await ksim('explain', trace, 'nosuch');
    expect(missing.code).toBe(2);
    expect(missing.errors).toBe(`ksim: pod nosuch does not appear in ${trace}`);
    const unreadable = await ksim('explain', join(dir, 'absent.jsonl'), 'web');
    expect(unreadable.code).toBe(2);
    expect(unreadable.errors).toBe(
      `ksim: cannot read trace ${join(dir, 'absent.jsonl')}: no such file or directory`,
    );
  });
});
