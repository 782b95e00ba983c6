/**
 * scenarios/volumes.yaml, observed through its trace: every claim provisioned once on the node
 * the scheduler chose for its pod, bound once, and every placement of a pod (the first, after
 * the node crash, after db-1's deletion) on its volume's node.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceRecord } from '../../../../core/trace/validate.ts';
import { runScenario } from '../../../../sim/scenario/run.ts';
import { parseScenario } from '../../../../sim/scenario/scenario.ts';

describe('scenarios/volumes.yaml', () => {
  it('provisions each claim on its pod node, binds it once, and keeps the pod there', async () => {
    const path = 'scenarios/volumes.yaml';
    const scenario = parseScenario(readFileSync(path, 'utf8'), path);
    const provisioned = new Map<string, string>();
    const binds: string[] = [];
    const placements: { pod: string; node: string }[] = [];
    const errors: string[] = [];
    const report = await runScenario(scenario, {
      seed: 1,
      traceSink: (line) => {
        const r = parseTraceRecord(line);
        if (r.k === 'pv.provision') {
          expect(provisioned.has(r.claim)).toBe(false);
          provisioned.set(r.claim, r.node);
        }
        if (r.k === 'pv.bind') binds.push(r.claim);
        if (r.k === 'scheduler.bind') placements.push({ pod: r.pod, node: r.node });
        // PreBind once took the cache's lag behind its own selected-node write for a reset. A
        // store reply lost to the scenario's 1% loss is another matter: the API server answers
        // 500 ServerTimeout after the store client's timeout and the scheduler retries the pod.
        if (r.k === 'scheduler.unschedulable' && !r.message.includes('could not be completed'))
          errors.push(`${r.reason}: ${r.message}`);
      },
    });
    expect(report.expectations.filter((e) => !e.passed)).toEqual([]);
    expect(errors).toEqual([]);
    expect([...provisioned.keys()].sort()).toEqual([
      'default/data-db-0',
      'default/data-db-1',
      'default/data-db-2',
    ]);
    expect(binds.sort()).toEqual([...provisioned.keys()].sort());
    expect(new Set(provisioned.values()).size).toBe(3);
    // db-1 was placed twice (deleted at 200 s); every placement is on the claim's volume node.
    expect(placements.filter((p) => p.pod === 'default/db-1').length).toBeGreaterThanOrEqual(2);
    for (const p of placements) {
      const ordinal = p.pod.slice('default/db-'.length);
      expect(p.node, p.pod).toBe(provisioned.get(`default/data-db-${ordinal}`));
    }
  }, 120_000);
});
