import { describe, expect, it } from 'vitest';
import {
  EVERYTHING,
  formatLabelSelector,
  isSelectorError,
  labelSelectorAsMatcher,
  labelSelectorMatcher,
  matchesLabelSelector,
  NOTHING,
  parseSelector,
  selectorFromSet,
  type LabelMatcher,
} from '../../../core/api/selectors.ts';
import type { LabelSelector } from '../../../core/api/meta-types.ts';

function mustParse(s: string): LabelMatcher {
  const m = parseSelector(s);
  if (isSelectorError(m)) throw new Error(m.message);
  return m;
}

describe('parseSelector (labels.Parse)', () => {
  // [input, canonical String()] — requirements sorted by key, set values sorted.
  const table: [string, string][] = [
    ['', ''],
    ['x=a', 'x=a'],
    ['x==a', 'x==a'],
    ['x!=a', 'x!=a'],
    ['x', 'x'],
    ['!x', '!x'],
    ['x>1', 'x>1'],
    ['x<1', 'x<1'],
    ['  x = a  ', 'x=a'],
    ['x=', 'x='],
    ['x=a,y!=b', 'x=a,y!=b'],
    ['y!=b,x=a', 'x=a,y!=b'],
    ['x in (c,b,a)', 'x in (a,b,c)'],
    ['x in (a,a)', 'x in (a)'],
    ['x notin (z)', 'x notin (z)'],
    ['x in ()', 'x in ()'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['x in (in),y notin (notin)', 'x in (in),y notin (notin)'],
    ['a=b,c!=d,e in (x,y),f notin (z),g,!h', 'a=b,c!=d,e in (x,y),f notin (z),g,!h'],
    ['example.com/app=web', 'example.com/app=web'],
  ];
  it.each(table)('%j -> %j', (input, out) => {
    expect(mustParse(input).toString()).toBe(out);
  });

  const bad: [string, RegExp][] = [
    ['x=a,', /expected: identifier after ','/],
    [',x', /found ',', expected: !, identifier, or 'end of string'/],
    ['x in a', /found 'a' expected: '\('/],
    ['x in (a', /expected: ',' or '\)'/],
    ['x=a b', /found 'b', expected: ',' or 'end of string'/],
    ['x>a', /for 'Gt', 'Lt' operators, the value must be an integer/],
    ['!x=a', /found '=', expected: ',' or 'end of string'/],
    ['x=a=b', /found '=', expected: ',' or 'end of string'/],
    ['Bad Key=1', /found 'Key'/],
    ['-x=a', /name part must consist of alphanumeric characters/],
    ['x=-a', /a valid label must be an empty string/],
    ['x (a)', /expected: in, notin, =, ==, !=, gt, lt/],
  ];
  it.each(bad)('rejects %j', (input, message) => {
    const r = parseSelector(input);
    expect(isSelectorError(r)).toBe(true);
    if (isSelectorError(r)) {
      expect(r.message).toMatch(message);
      expect(r.input).toBe(input);
    }
  });
});

describe('matching', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const table: [string, Record<string, string> | undefined, boolean][] = [
    ['', labels, true],
    ['', undefined, true],
    ['app=web', labels, true],
    ['app==web', labels, true],
    ['app=db', labels, false],
    ['app!=db', labels, true],
    ['missing!=x', labels, true],
    ['missing=x', labels, false],
    ['app in (db,web)', labels, true],
    ['app in (db)', labels, false],
    ['missing in (a)', labels, false],
    ['app notin (db)', labels, true],
    ['app notin (web)', labels, false],
    ['missing notin (web)', labels, true],
    ['app', labels, true],
    ['missing', labels, false],
    ['!app', labels, false],
    ['!missing', labels, true],
    ['n>4', labels, true],
    ['n>5', labels, false],
    ['n<6', labels, true],
    ['app>1', labels, false],
    ['app=web,tier=front', labels, true],
    ['app=web,tier=back', labels, false],
    ['toString', {}, false],
    ['!constructor', {}, true],
    ['x in (a,b,c,d,e,f)', { x: 'f' }, true],
    ['x in (a,b,c,d,e,f)', { x: 'g' }, false],
  ];
  it.each(table)('%j on %j -> %s', (sel, l, want) => {
    expect(mustParse(sel).matches(l)).toBe(want);
  });
});

describe('metav1.LabelSelector', () => {
  it('absent selects nothing, empty selects everything (LabelSelectorAsSelector)', () => {
    expect(labelSelectorAsMatcher(undefined)).toBe(NOTHING);
    expect(labelSelectorAsMatcher(null)).toBe(NOTHING);
    expect(NOTHING.matches({})).toBe(false);
    expect(labelSelectorAsMatcher({})).toBe(EVERYTHING);
    expect(EVERYTHING.matches(undefined)).toBe(true);
  });

  const sel: LabelSelector = {
    matchLabels: { tier: 'front', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'staging'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'Exists' },
      { key: 'track', operator: 'NotIn', values: ['beta'] },
    ],
  };
  it('compiles matchLabels and matchExpressions, sorted by key', () => {
    const m = labelSelectorAsMatcher(sel);
    expect(isSelectorError(m)).toBe(false);
    expect(String(m)).toBe(
      'app=web,!canary,env in (prod,staging),tier=front,track notin (beta),zone',
    );
    expect(formatLabelSelector(sel)).toBe(String(m));
    expect(formatLabelSelector({})).toBe('<none>');
  });

  const table: [Record<string, string>, boolean][] = [
    [{ app: 'web', tier: 'front', env: 'prod', zone: 'a' }, true],
    [{ app: 'web', tier: 'front', env: 'prod', zone: 'a', track: 'stable' }, true],
    [{ app: 'web', tier: 'front', env: 'prod', zone: 'a', track: 'beta' }, false],
    [{ app: 'web', tier: 'front', env: 'prod', zone: 'a', canary: 'true' }, false],
    [{ app: 'web', tier: 'front', env: 'dev', zone: 'a' }, false],
    [{ app: 'web', tier: 'front', env: 'prod' }, false],
  ];
  it.each(table)('%j -> %s', (labels, want) => {
    expect(matchesLabelSelector(sel, labels)).toBe(want);
  });

  it('reports bad operators and values', () => {
    const bad = labelSelectorAsMatcher({
      matchExpressions: [{ key: 'a', operator: 'Gt' as never, values: ['1'] }],
    });
    expect(isSelectorError(bad) && bad.message).toBe('"Gt" is not a valid label selector operator');
    const empty = labelSelectorAsMatcher({
      matchExpressions: [{ key: 'a', operator: 'In', values: [] }],
    });
    expect(isSelectorError(empty) && empty.message).toMatch(/values set can't be empty/);
    const badValue = labelSelectorAsMatcher({ matchLabels: { a: 'b c' } });
    expect(isSelectorError(badValue) && badValue.message).toMatch(
      /values\[0\]\[a\]: Invalid value: "b c"/,
    );
  });

  it('memoises compiled matchers by selector identity', () => {
    expect(labelSelectorMatcher(sel)).toBe(labelSelectorMatcher(sel));
    expect(labelSelectorMatcher(undefined)).toBe(NOTHING);
    expect(() => labelSelectorMatcher({ matchLabels: { a: '!' } })).toThrow(
      /invalid stored label selector/,
    );
  });

  it('selectorFromSet', () => {
    expect(String(selectorFromSet({ b: '2', a: '1' }))).toBe('a=1,b=2');
    expect(selectorFromSet({}).empty).toBe(true);
  });
});
