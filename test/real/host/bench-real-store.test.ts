import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { benchRealStore } from '../../../sim/cli/bench/real-store.ts';
import { main } from '../../../sim/cli/main.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe('ksim bench store --real', () => {
  it('drives three member processes and reports both rows (a smoke test: no timing asserted)', async () => {
    const dir = tempDir('bench-real');
    dirs.push(dir);
    const file = join(dir.path, 'store-real.json');
    const out: string[] = [];
    const code = await benchRealStore(
      { out: file, repeat: 1, clients: 8, writes: 300, reads: 300, warmupOps: 50 },
      (s) => out.push(s),
    );
    expect(code, out.join('\n')).toBe(0);
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      rows: { name: string; ops: number; opsPerSecond: number }[];
    };
    expect(json.rows.map((r) => [r.name, r.ops])).toEqual([
      ['writes', 300],
      ['linearizable reads', 300],
    ]);
    expect(json.rows.every((r) => r.opsPerSecond > 0)).toBe(true);
    expect(out.join('\n')).toMatch(/writes\s+300\s+[\d,]+ writes\/s/);
  });

  it('refuses a member count other than three', async () => {
    const err: string[] = [];
    const code = await main(
      ['node', 'ksim', 'bench', 'store', '--real', '--members', '5'],
      () => {},
      {
        err: (s) => err.push(s),
      },
    );
    expect([code, err.join('\n')]).toEqual([2, 'ksim: --real runs 3 members']);
  });
});
