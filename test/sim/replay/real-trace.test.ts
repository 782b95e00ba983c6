/**
 * The real trace (Alibaba cluster-trace-gpu-v2023), when this machine has it: every file
 * parses, and a slice of it replays. A clean clone has no data: the test says so and skips.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNodeCsv, parsePodCsv } from '../../../sim/replay/alibaba-csv.ts';
import {
  NODE_FILE,
  planReplay,
  podFile,
  POD_SAMPLES,
  runReplay,
} from '../../../sim/replay/replay.ts';

const DIR = process.env.KSIM_ALIBABA_DIR ?? '/work/shared/data/alibaba-gpu-2023';
const present = existsSync(join(DIR, NODE_FILE));
if (!present)
  console.log(`skipping the real-trace tests: no ${NODE_FILE} in ${DIR} (set KSIM_ALIBABA_DIR)`);

describe.skipIf(!present)('the real Alibaba GPU trace', () => {
  it('parses every node and pod list', () => {
    const nodes = parseNodeCsv(readFileSync(join(DIR, NODE_FILE), 'utf8'), NODE_FILE);
    expect(nodes).toHaveLength(1523);
    const counts = Object.fromEntries(
      POD_SAMPLES.map((s) => [
        s,
        parsePodCsv(readFileSync(join(DIR, podFile(s)), 'utf8'), podFile(s)).length,
      ]),
    );
    expect(counts.default).toBe(8152);
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(0);
  });

  it('replays the first tasks on the first nodes, every task accounted for', async () => {
    const plan = planReplay({
      dir: DIR,
      sample: 'default',
      nodes: 40,
      limit: 30,
      mapping: { kind: 'rate', perSecond: 5 },
      seed: 1,
    });
    const binds: string[] = [];
    const s = await runReplay(plan, {
      seed: 1,
      fullAfter: 0,
      traceSink: (l) => {
        if (l.includes('"k":"scheduler.bind"')) binds.push(l);
      },
    });
    expect(s.created).toBe(30);
    expect(s.scheduled).toBe(binds.length);
    expect(s.scheduled + s.unschedulable).toBe(30);
  });
});
