import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { benchRealStore } from '../../../sim/cli/bench/real-store.ts';
import { main } from '../../../sim/cli/main.ts';
import { etcdMissing } from '../../../real/etcd/etcd-processes.ts';
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

  it.skipIf(etcdMissing() !== undefined)(
    'with --etcd drives three etcd 3.4 processes under the same workload and reports the ratio',
    async () => {
      const dir = tempDir('bench-real-etcd');
      dirs.push(dir);
      const file = join(dir.path, 'store-real.json');
      const out: string[] = [];
      const code = await benchRealStore(
        { out: file, repeat: 1, etcd: true, clients: 8, writes: 300, reads: 300, warmupOps: 50 },
        (s) => out.push(s),
      );
      expect(code, out.join('\n')).toBe(0);
      const json = JSON.parse(readFileSync(file, 'utf8')) as {
        rows: { store: string; name: string; ops: number; opsPerSecond: number }[];
        ratios: { name: string; ksimOverEtcd: number }[];
      };
      expect(json.rows.map((r) => [r.store, r.name, r.ops])).toEqual([
        ['ksim', 'writes', 300],
        ['ksim', 'linearizable reads', 300],
        ['etcd', 'writes', 300],
        ['etcd', 'linearizable reads', 300],
      ]);
      const byName = new Map(json.rows.map((r) => [`${r.store} ${r.name}`, r.opsPerSecond]));
      expect(json.ratios).toEqual(
        (['writes', 'linearizable reads'] as const).map((name) => ({
          name,
          ksimOverEtcd: Number(
            (byName.get(`ksim ${name}`)! / byName.get(`etcd ${name}`)!).toFixed(3),
          ),
        })),
      );
      expect(out.join('\n')).toMatch(/etcd 3\.4\s+writes\s+300\s+[\d,]+ writes\/s/);
      expect(out.join('\n')).toMatch(
        /ksim\s+writes\s+300\s+[\d,]+ writes\/s\s+[\d.]+\s+[\d.]+\s+[\d.]+x/,
      );
    },
    120_000,
  );

  it('refuses --etcd without --real', async () => {
    const err: string[] = [];
    const code = await main(['node', 'ksim', 'bench', 'store', '--etcd'], () => {}, {
      err: (s) => err.push(s),
    });
    expect([code, err.join('\n')]).toEqual([2, 'ksim: --etcd needs --real']);
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
