import { describe, expect, it } from 'vitest';
import { JUMP_CHAINS } from '../../../core/proxy/jump-chains.ts';
import { splitRuleSpec } from '../../../real/netfilter/rule-spec.ts';

describe('splitRuleSpec', () => {
  it.each([
    ['-j KUBE-SERVICES', ['-j', 'KUBE-SERVICES']],
    [
      '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'],
    ],
    [
      '-m comment --comment ns1/svc1:p80  -j X',
      ['-m', 'comment', '--comment', 'ns1/svc1:p80', '-j', 'X'],
    ],
    ['--comment "say \\"hi\\"" -j X', ['--comment', 'say "hi"', '-j', 'X']],
    ['--comment "" -j X', ['--comment', '', '-j', 'X']],
    ['', []],
  ])('%s', (spec, args) => {
    expect(splitRuleSpec(spec)).toEqual({ ok: true, args });
  });

  it('refuses an unterminated quote', () => {
    expect(splitRuleSpec('--comment "open -j X')).toEqual({
      ok: false,
      message: 'unterminated quote',
    });
  });

  it("splits every one of kube-proxy's jump rules into whole words", () => {
    for (const j of JUMP_CHAINS) {
      const r = splitRuleSpec(j.rule);
      expect(r.ok && r.args.every((a) => !a.includes('"'))).toBe(true);
    }
  });
});
