/**
 * Label selectors: the string syntax of apimachinery labels.Parse, metav1.LabelSelector objects
 * (LabelSelectorAsSelector), and a compiled matcher for hot loops.
 *
 * Semantics (staging/src/k8s.io/apimachinery/pkg/labels/selector.go):
 * - requirements are ANDed and kept sorted by key, so String() is deterministic;
 * - `!=` and `notin` match objects that lack the key; `in`, `=`, `gt`, `lt` require it;
 * - an empty selector matches everything; an absent (null) metav1.LabelSelector matches nothing.
 */
import { assert } from '../util/assert.ts';
import { isLabelValue, isQualifiedName } from './content-checks.ts';
import type { LabelSelector } from './meta-types.ts';

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** Sorted and de-duplicated for `in`/`notin` from the parser; a single value for exact matches. */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

export interface LabelMatcher {
  readonly requirements: readonly Requirement[];
  /** True for the selector that selects everything. */
  readonly empty: boolean;
  /** True only for the selector of an absent metav1.LabelSelector. */
  readonly nothing: boolean;
  matches(labels: Labels): boolean;
  /** labels.Selector.String(): `a=b,c in (x,y),!d`. */
  toString(): string;
}

export interface SelectorError {
  readonly kind: 'SelectorError';
  readonly input: string;
  readonly message: string;
}

export function isSelectorError(x: unknown): x is SelectorError {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'SelectorError';
}

function selectorError(input: string, message: string): SelectorError {
  return { kind: 'SelectorError', input, message };
}

// ---- compiled matching -------------------------------------------------------------------------

function lookup(labels: Labels, key: string): string | undefined {
  if (labels === undefined) return undefined;
  const v = labels[key];
  // Plain JSON objects inherit e.g. `toString`; only own string values are labels.
  return typeof v === 'string' && Object.hasOwn(labels, key) ? v : undefined;
}

function parseInt64(s: string): number | undefined {
  return /^[+-]?[0-9]+$/.test(s) ? Number(s) : undefined;
}

type Test = (labels: Labels) => boolean;

function compileRequirement(r: Requirement): Test {
  const { key, values } = r;
  const one = values[0];
  const set = values.length > 4 ? new Set(values) : undefined;
  const has = set !== undefined ? (v: string) => set.has(v) : (v: string) => values.includes(v);
  switch (r.operator) {
    case '=':
    case '==':
      return (l) => lookup(l, key) === one;
    case 'in':
      return (l) => {
        const v = lookup(l, key);
        return v !== undefined && has(v);
      };
    case '!=':
      return (l) => lookup(l, key) !== one;
    case 'notin':
      return (l) => {
        const v = lookup(l, key);
        return v === undefined || !has(v);
      };
    case 'exists':
      return (l) => lookup(l, key) !== undefined;
    case '!':
      return (l) => lookup(l, key) === undefined;
    case 'gt':
    case 'lt': {
      const bound = one === undefined ? undefined : parseInt64(one);
      const gt = r.operator === 'gt';
      return (l) => {
        const v = lookup(l, key);
        const n = v === undefined ? undefined : parseInt64(v);
        if (n === undefined || bound === undefined) return false;
        return gt ? n > bound : n < bound;
      };
    }
  }
}

function formatRequirement(r: Requirement): string {
  const vals = [...r.values].sort().join(',');
  switch (r.operator) {
    case '!':
      return `!${r.key}`;
    case 'exists':
      return r.key;
    case 'in':
      return `${r.key} in (${vals})`;
    case 'notin':
      return `${r.key} notin (${vals})`;
    case 'gt':
      return `${r.key}>${vals}`;
    case 'lt':
      return `${r.key}<${vals}`;
    case '=':
    case '==':
    case '!=':
      return `${r.key}${r.operator}${vals}`;
  }
}

function byKey(a: Requirement, b: Requirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Builds a matcher from requirements (sorted stably by key, as upstream's Add does). */
export function matcherFromRequirements(requirements: readonly Requirement[]): LabelMatcher {
  const sorted = [...requirements].sort(byKey);
  const tests = sorted.map(compileRequirement);
  const text = sorted.map(formatRequirement).join(',');
  const matches =
    tests.length === 0
      ? () => true
      : tests.length === 1
        ? (tests[0] as Test)
        : (l: Labels) => {
            for (const t of tests) if (!t(l)) return false;
            return true;
          };
  return {
    requirements: sorted,
    empty: sorted.length === 0,
    nothing: false,
    matches,
    toString: () => text,
  };
}

export const EVERYTHING: LabelMatcher = matcherFromRequirements([]);

export const NOTHING: LabelMatcher = {
  requirements: [],
  empty: false,
  nothing: true,
  matches: () => false,
  toString: () => '',
};

/** labels.SelectorFromSet: equality on every pair; an empty set selects everything. */
export function selectorFromSet(set: Labels): LabelMatcher {
  if (set === undefined) return EVERYTHING;
  return matcherFromRequirements(
    Object.entries(set).map(([key, v]) => ({ key, operator: '=', values: [v] })),
  );
}

// ---- requirement validation (labels.NewRequirement) ---------------------------------------------

function invalid(field: string, value: string, errs: readonly string[]): string {
  return `${field}: Invalid value: ${JSON.stringify(value)}: ${errs.join('; ')}`;
}

/** labels.NewRequirement's checks: the key, the values' count for the operator, each value. */
export function validateRequirement(r: Requirement): string[] {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(r.key);
  if (keyErrs.length > 0) errs.push(invalid('key', r.key, keyErrs));
  switch (r.operator) {
    case 'in':
    case 'notin':
      if (r.values.length === 0)
        errs.push(
          "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty",
        );
      break;
    case '=':
    case '==':
    case '!=':
      if (r.values.length !== 1)
        errs.push('values: Invalid value: exact-match compatibility requires one single value');
      break;
    case 'exists':
    case '!':
      if (r.values.length !== 0)
        errs.push('values: Invalid value: values set must be empty for exists and does not exist');
      break;
    case 'gt':
    case 'lt':
      if (r.values.length !== 1)
        errs.push("values: Invalid value: for 'Gt', 'Lt' operators, exactly one value is required");
      r.values.forEach((v, i) => {
        if (parseInt64(v) === undefined)
          errs.push(
            invalid(`values[${i}]`, v, ["for 'Gt', 'Lt' operators, the value must be an integer"]),
          );
      });
      break;
  }
  r.values.forEach((v, i) => {
    const valueErrs = isLabelValue(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${r.key}]`, v, valueErrs));
  });
  return errs;
}

// ---- string syntax (labels.Parse) ---------------------------------------------------------------

type Tok = 'ident' | 'in' | 'notin' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'eos';

interface Token {
  readonly tok: Tok;
  readonly lit: string;
}

const SYMBOL_TOKENS: ReadonlySet<string> = new Set(['(', ')', ',', '!', '=', '==', '!=', '>', '<']);

function isWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isSpecial(c: string): boolean {
  return c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';
}

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isWhitespace(s[i] as string)) i++;
    if (i >= s.length) {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    if (isSpecial(s[i] as string)) {
      // Longest run of special characters that is still a known symbol ("!=" over "!").
      let best = '';
      let j = i;
      let buf = '';
      while (j < s.length && isSpecial(s[j] as string)) {
        buf += s[j];
        if (SYMBOL_TOKENS.has(buf)) best = buf;
        else if (best !== '') break;
        j++;
      }
      assert(best !== '', 'every single special character is a symbol');
      out.push({ tok: best as Tok, lit: best });
      i += best.length;
      continue;
    }
    let j = i;
    while (j < s.length && !isSpecial(s[j] as string) && !isWhitespace(s[j] as string)) j++;
    const word = s.slice(i, j);
    out.push({ tok: word === 'in' || word === 'notin' ? word : 'ident', lit: word });
    i = j;
  }
}

class ParseFailure {
  constructor(readonly message: string) {}
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  /** In value position the keywords `in`/`notin` are ordinary identifiers ("x in (in)"). */
  peek(asValue: boolean): Token {
    const t = this.tokens[this.pos] ?? { tok: 'eos', lit: '' };
    return asValue && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'ident', lit: t.lit } : t;
  }

  next(asValue: boolean): Token {
    const t = this.peek(asValue);
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.tok === 'eos') return reqs;
      if (t.tok !== 'ident' && t.tok !== '!') {
        throw new ParseFailure(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      }
      reqs.push(this.requirement());
      const after = this.next(true);
      if (after.tok === 'eos') return reqs;
      if (after.tok !== ',')
        throw new ParseFailure(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== 'ident' && t2.tok !== '!') {
        throw new ParseFailure(`found '${t2.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): Requirement {
    try {
      return this.requirementInner();
    } catch (e) {
      if (e instanceof ParseFailure)
        throw new ParseFailure(`unable to parse requirement: ${e.message}`);
      throw e;
    }
  }

  private requirementInner(): Requirement {
    let t = this.next(true);
    let negated = false;
    if (t.tok === '!') {
      negated = true;
      t = this.next(true);
    }
    if (t.tok !== 'ident') throw new ParseFailure(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length > 0)
      throw new ParseFailure(`Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
    const la = this.peek(true).tok;
    // Upstream ends a `!key` requirement here even when an operator follows, which then
    // fails as "expected: ',' or 'end of string'".
    if (negated) return this.checked({ key, operator: '!', values: [] });
    if (la === 'eos' || la === ',') return this.checked({ key, operator: 'exists', values: [] });
    const operator = this.operator();
    const values = operator === 'in' || operator === 'notin' ? this.valueSet() : this.exactValue();
    return this.checked({ key, operator, values: [...new Set(values)].sort() });
  }

  private checked(r: Requirement): Requirement {
    const errs = validateRequirement(r);
    if (errs.length > 0)
      throw new ParseFailure(errs.length === 1 ? (errs[0] as string) : `[${errs.join(', ')}]`);
    return r;
  }

  private operator(): Operator {
    const t = this.next(false);
    switch (t.tok) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new ParseFailure(`found '${t.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private valueSet(): string[] {
    const open = this.next(true);
    if (open.tok !== '(') throw new ParseFailure(`found '${open.lit}' expected: '('`);
    const first = this.peek(true);
    if (first.tok === ')') {
      this.next(true);
      return [''];
    }
    if (first.tok !== 'ident' && first.tok !== ',') {
      throw new ParseFailure(`found '${first.lit}', expected: ',', ')' or identifier`);
    }
    const values = this.identifierList();
    const close = this.next(true);
    if (close.tok !== ')') throw new ParseFailure(`found '${close.lit}', expected: ')'`);
    return values;
  }

  /** Empty entries ("(a,,b)", "(,a)", "(a,)") stand for the empty value, as upstream. */
  private identifierList(): string[] {
    const values: string[] = [];
    for (;;) {
      const t = this.next(true);
      if (t.tok === 'ident') {
        values.push(t.lit);
        const la = this.peek(true);
        if (la.tok === ',') continue;
        if (la.tok === ')') return values;
        throw new ParseFailure(`found '${la.lit}', expected: ',' or ')'`);
      }
      if (t.tok !== ',') throw new ParseFailure(`found '${t.lit}', expected: ',', or identifier`);
      if (values.length === 0) values.push('');
      const la = this.peek(true);
      if (la.tok === ')') {
        values.push('');
        return values;
      }
      if (la.tok === ',') values.push('');
    }
  }

  private exactValue(): string[] {
    const la = this.peek(true);
    if (la.tok === 'eos' || la.tok === ',') return [''];
    const t = this.next(true);
    if (t.tok !== 'ident') throw new ParseFailure(`found '${t.lit}', expected: identifier`);
    return [t.lit];
  }
}

/** labels.Parse: `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>5`. */
export function parseSelector(text: string): LabelMatcher | SelectorError {
  try {
    return matcherFromRequirements(new Parser(lex(text)).parse());
  } catch (e) {
    if (e instanceof ParseFailure) return selectorError(text, e.message);
    throw e;
  }
}

// ---- metav1.LabelSelector -----------------------------------------------------------------------

const EXPRESSION_OPERATORS: Readonly<Record<string, Operator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * metav1.LabelSelectorAsSelector: absent -> NOTHING, `{}` -> EVERYTHING. Errors name the
 * offending operator, key or value.
 */
export function labelSelectorAsMatcher(
  sel: LabelSelector | null | undefined,
): LabelMatcher | SelectorError {
  if (sel === null || sel === undefined) return NOTHING;
  const reqs: Requirement[] = [];
  for (const [key, v] of Object.entries(sel.matchLabels ?? {}))
    reqs.push({ key, operator: '=', values: [v] });
  for (const expr of sel.matchExpressions ?? []) {
    const op = Object.hasOwn(EXPRESSION_OPERATORS, expr.operator)
      ? EXPRESSION_OPERATORS[expr.operator]
      : undefined;
    if (op === undefined) {
      return selectorError(
        JSON.stringify(sel),
        `${JSON.stringify(expr.operator)} is not a valid label selector operator`,
      );
    }
    reqs.push({ key: expr.key, operator: op, values: [...(expr.values ?? [])] });
  }
  for (const r of reqs) {
    const errs = validateRequirement(r);
    if (errs.length > 0) return selectorError(JSON.stringify(sel), errs.join('; '));
  }
  return reqs.length === 0 ? EVERYTHING : matcherFromRequirements(reqs);
}

const compiled = new WeakMap<LabelSelector, LabelMatcher>();

/**
 * Compiled matcher for a selector taken from a stored (hence validated) object, memoised by object
 * identity: objects are immutable, so the scheduler pays compilation once per selector.
 */
export function labelSelectorMatcher(sel: LabelSelector | null | undefined): LabelMatcher {
  if (sel === null || sel === undefined) return NOTHING;
  let m = compiled.get(sel);
  if (m === undefined) {
    const r = labelSelectorAsMatcher(sel);
    assert(
      !isSelectorError(r),
      isSelectorError(r) ? `invalid stored label selector: ${r.message}` : '',
    );
    m = r;
    compiled.set(sel, m);
  }
  return m;
}

export function matchesLabelSelector(
  sel: LabelSelector | null | undefined,
  labels: Labels,
): boolean {
  return labelSelectorMatcher(sel).matches(labels);
}

/** metav1.FormatLabelSelector, as kubectl prints it: "<none>" when it selects everything. */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  const m = labelSelectorAsMatcher(sel);
  if (isSelectorError(m)) return '<error>';
  const s = m.toString();
  return s.length === 0 ? '<none>' : s;
}
