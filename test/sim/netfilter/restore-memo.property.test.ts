/**
 * A restore that reuses the rules parsed from earlier restores' lines (RuleMemo) does exactly
 * what one that parses every line does: the same outcome (the failing line and message too)
 * and the same tables, after any sequence of restores, including lines whose chain or jump
 * target comes and goes between restores, jump loops and lines that do not parse.
 */
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { restore, RuleMemo } from '../../../sim/netfilter/restore.ts';
import { emptyRuleset, type Ruleset } from '../../../sim/netfilter/ruleset.ts';
import { save } from '../../../sim/netfilter/save.ts';

const LINES = [
  ':KUBE-A - [0:0]',
  ':KUBE-B - [0:0]',
  ':KUBE-C - [0:0]',
  '-A KUBE-A -j KUBE-B',
  '-A KUBE-A -m comment --comment "to c" -j KUBE-C',
  '-A KUBE-B -m comment --comment "ns/svc:p80 cluster IP" -m tcp -p tcp -d 172.30.0.1 --dport 80 -j DNAT --to-destination 10.1.0.1:80',
  '-A KUBE-B -m statistic --mode random --probability 0.5000000000 -j KUBE-C',
  '-A KUBE-C -s 10.1.0.1 -j MARK --or-mark 0x4000',
  '-A KUBE-C -j KUBE-A',
  '-A OUTPUT -m comment --comment "portals" -j KUBE-A',
  '-A KUBE-A -j OUTPUT',
  '-A KUBE-D -j ACCEPT',
  '-A KUBE-A -m bogus --x 1 -j ACCEPT',
  '-I KUBE-A 1 -j RETURN',
  '-F KUBE-B',
  '-X KUBE-B',
  '-X KUBE-C',
];

const restoresArb = fc.array(fc.array(fc.constantFrom(...LINES), { minLength: 1, maxLength: 8 }), {
  minLength: 1,
  maxLength: 8,
});

const text = (lines: readonly string[]) => ['*nat', ...lines, 'COMMIT', ''].join('\n');

describe('restore with a RuleMemo', () => {
  const seen = { ok: 0, failed: 0 };
  afterAll(() => {
    expect(seen.ok).toBeGreaterThan(20);
    expect(seen.failed).toBeGreaterThan(20);
  });

  it('parses a remembered line again when the chain it jumps to is gone', () => {
    const memo = new RuleMemo();
    const first = restore(
      emptyRuleset(),
      text([':KUBE-A - [0:0]', ':KUBE-B - [0:0]', '-A KUBE-A -j KUBE-B']),
      memo,
    );
    expect(first.ok).toBe(true);
    const again = text([':KUBE-A - [0:0]', '-X KUBE-B', '-A KUBE-A -j KUBE-B']);
    const plain = restore(first.ok ? first.ruleset : emptyRuleset(), again);
    expect(plain).toMatchObject({ ok: false, line: 4 });
    expect(restore(first.ok ? first.ruleset : emptyRuleset(), again, memo)).toEqual(plain);
  });

  test.prop([restoresArb], { numRuns: 300 })(
    'does what parsing every line does, restore after restore',
    (restores) => {
      const memo = new RuleMemo();
      let plain: Ruleset = emptyRuleset();
      let memoized: Ruleset = emptyRuleset();
      for (const lines of restores) {
        const a = restore(plain, text(lines));
        const b = restore(memoized, text(lines), memo);
        expect(b.ok).toBe(a.ok);
        if (a.ok && b.ok) {
          plain = a.ruleset;
          memoized = b.ruleset;
          seen.ok++;
        } else {
          expect(b).toEqual(a);
          seen.failed++;
        }
        expect(memoized).toEqual(plain);
        expect(save('nat', memoized.get('nat')!)).toBe(save('nat', plain.get('nat')!));
      }
    },
  );
});
