/**
 * Hand-run timing of the store checker (not a test; tests never assert on wall time):
 *   node --import ./sim/cli/register.mjs test/sim/check/perf-kv-check.ts
 * 1,000 operations over 10 keys from 8 clients, with and without unknown outcomes, in both modes,
 * plus one certain violation (a read of a value never written) with shrinking.
 */
import { checkKvHistory, type KvCheckMode, type KvOperation } from '../../../sim/check/index.ts';
import { generateKvHistory, seededChoose } from './concurrent-kv-history.ts';

const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
const rows: string[] = [];

function time(label: string, history: readonly KvOperation[], mode: KvCheckMode): void {
  const start = performance.now();
  const result = checkKvHistory(history, { mode });
  const ms = performance.now() - start;
  const unknown = history.filter((o) => o.returnUs === Infinity).length;
  rows.push(
    `${label.padEnd(34)} ${mode.padEnd(8)} ops=${history.length} unknown=${String(unknown).padStart(3)} ` +
      `ok=${String(result.ok).padEnd(7)} steps=${String(result.steps).padStart(7)} ${ms.toFixed(0).padStart(6)} ms`,
  );
}

for (const giveUpPercent of [0, 10, 30]) {
  for (const perKeyOnly of [false, true]) {
    for (const seed of [1, 2, 3]) {
      const g = generateKvHistory(seededChoose(seed), {
        clients: 8,
        keys,
        maxOps: 1000,
        perKeyOnly,
        giveUpPercent,
      });
      const label = `${perKeyOnly ? 'per-key ops' : 'all ops'}, give up ${giveUpPercent}%, seed ${seed}`;
      time(label, g.operations, 'exact');
      if (perKeyOnly && giveUpPercent === 0) time(label, g.operations, 'per-key');
    }
  }
}

const g = generateKvHistory(seededChoose(7), {
  clients: 8,
  keys,
  maxOps: 1000,
  perKeyOnly: false,
  giveUpPercent: 10,
});
const reads = g.operations.filter(
  (o) => o.op.kind === 'range' && o.result?.kind === 'range' && o.result.kvs.length > 0,
);
const victim = reads[Math.floor(reads.length / 2)]!;
const mutated = g.operations.map((o) => {
  if (o.id !== victim.id || o.result?.kind !== 'range') return o;
  return {
    ...o,
    result: { ...o.result, kvs: o.result.kvs.map((kv) => ({ ...kv, value: 'never-written' })) },
  };
});
time('violation (shrunk), give up 10%', mutated, 'exact');
console.log(rows.join('\n'));
