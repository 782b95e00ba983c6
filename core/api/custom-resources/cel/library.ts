/**
 * The CEL environment Kubernetes compiles rules in (staging/src/k8s.io/apiserver/pkg/cel/
 * environment/base.go), as far as ksim supports it: the standard definitions, macros (has, all,
 * exists, exists_one, map, filter) and optional types come with cel-js; added here are the
 * extensions rule authors use most:
 * - cel-go's strings extension: charAt, replace, reverse (indexOf, lastIndexOf, lowerAscii,
 *   upperAscii, split, substring, trim and join are cel-js's own);
 * - Kubernetes' list library (pkg/cel/library/lists.go): isSorted, sum, min, max, indexOf,
 *   lastIndexOf;
 * - Kubernetes' regex library (pkg/cel/library/regex.go): find, findAll;
 * - Kubernetes' quantity library (quantity-library.ts).
 * Not supported: the url, ip/cidr, authz and format libraries and the sets
 * extension; a rule calling them is refused at CRD write time as calling an unknown function.
 * Regular expressions are JavaScript's, not RE2.
 */
import { Environment } from '@marcbachmann/cel-js';
import { celEqual } from './decl-types.ts';
import { registerQuantityLibrary } from './quantity-library.ts';

const COMPARABLE = ['int', 'uint', 'double', 'string', 'bool'] as const;

/** cel-go's "index out of range" and friends are evaluation errors; cel-js wraps a throw as one. */
function fail(message: string): never {
  throw new Error(message);
}

function compare(a: unknown, b: unknown): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function charAt(s: string, i: bigint): string {
  const chars = [...s];
  if (i < 0n || i > BigInt(chars.length)) fail(`index out of range: ${i}`);
  return chars[Number(i)] ?? '';
}

function replace(s: string, from: string, to: string, n: bigint): string {
  if (n < 0n) return s.split(from).join(to);
  let out = s;
  let at = 0;
  for (let k = 0n; k < n; k++) {
    const i = out.indexOf(from, at);
    if (i < 0) break;
    out = out.slice(0, i) + to + out.slice(i + from.length);
    at = i + to.length + (from === '' ? 1 : 0);
  }
  return out;
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'g');
  } catch {
    return fail(`invalid regular expression: ${pattern}`);
  }
}

function findAll(s: string, pattern: string, limit: bigint): string[] {
  if (limit === 0n) return [];
  const out: string[] = [];
  for (const m of s.matchAll(regex(pattern))) {
    out.push(m[0]);
    if (limit > 0n && BigInt(out.length) >= limit) break;
  }
  return out;
}

function extremum(l: readonly unknown[], sign: 1 | -1, name: string): unknown {
  if (l.length === 0) fail(`${name}(list) argument must not be empty`);
  return l.reduce((a, b) => (compare(b, a) * sign > 0 ? b : a));
}

/** The environment every rule of every CRD starts from. */
export function baseEnvironment(): Environment {
  const env = new Environment({
    enableOptionalTypes: true,
    homogeneousAggregateLiterals: false,
  })
    .registerFunction('string.charAt(int): string', charAt)
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
      replace(s, a, b, -1n),
    )
    .registerFunction('string.replace(string, string, int): string', replace)
    .registerFunction('string.reverse(): string', (s: string) => [...s].reverse().join(''))
    .registerFunction('string.find(string): string', (s: string, p: string) => {
      const m = new RegExp(regex(p).source).exec(s);
      return m === null ? '' : m[0];
    })
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) =>
      findAll(s, p, -1n),
    )
    .registerFunction('string.findAll(string, int): list<string>', findAll)
    .registerFunction('list<A>.indexOf(A): int', (l: unknown[], x: unknown) =>
      BigInt(l.findIndex((y) => celEqual(y, x))),
    )
    .registerFunction('list<A>.lastIndexOf(A): int', (l: unknown[], x: unknown) => {
      for (let i = l.length - 1; i >= 0; i--) if (celEqual(l[i], x)) return BigInt(i);
      return -1n;
    })
    .registerFunction('list<int>.sum(): int', (l: bigint[]) => l.reduce((a, b) => a + b, 0n))
    .registerFunction('list<uint>.sum(): uint', (l: bigint[]) => l.reduce((a, b) => a + b, 0n))
    .registerFunction('list<double>.sum(): double', (l: number[]) => l.reduce((a, b) => a + b, 0));
  for (const t of COMPARABLE) {
    env
      .registerFunction(`list<${t}>.isSorted(): bool`, (l: unknown[]) =>
        l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0),
      )
      .registerFunction(`list<${t}>.min(): ${t}`, (l: unknown[]) => extremum(l, -1, 'min'))
      .registerFunction(`list<${t}>.max(): ${t}`, (l: unknown[]) => extremum(l, 1, 'max'));
  }
  return registerQuantityLibrary(env);
}

/** The functions an environment knows, by name, so an unknown one is reported as upstream does. */
export function functionNames(env: Environment): ReadonlySet<string> {
  const names = new Set<string>();
  for (const f of env.getDefinitions().functions) {
    const sig = f.signature ?? '';
    const m = /([A-Za-z_][A-Za-z0-9_]*)\(/.exec(sig);
    if (m?.[1] !== undefined) names.add(m[1]);
  }
  return names;
}
