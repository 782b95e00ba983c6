import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

/** Strips comments and string contents so prose and messages cannot trip the checks. */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");
}

/** DESIGN.md §3 rule 1: no ambient time or randomness in core/ and sim/ (sim/cli/ may time runs). */
const AMBIENT = [
  /\bDate\.now\s*\(/,
  /\bnew\s+Date\s*\(\s*\)/,
  /\bMath\.random\s*\(/,
  /\bsetTimeout\s*\(/,
  /\bsetInterval\s*\(/,
  /\bperformance\.now\s*\(/,
  /\bprocess\.hrtime\b/,
  /\brandomUUID\s*\(/,
  /\bgetRandomValues\s*\(/,
  /\brandomBytes\s*\(/,
  // The loop drains microtasks by watching promise jobs; these would slip past it.
  /\bqueueMicrotask\s*\(/,
  /\bprocess\.nextTick\s*\(/,
];

/** The one documented mechanism that lets promise chains settle between events. */
const ALLOWED_IMMEDIATE = new Set(['sim/event-loop.ts']);

function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g,
  )) {
    out.push((m[1] ?? m[2] ?? m[3]) as string);
  }
  return out;
}

describe('project rules', () => {
  const coreAndSim = [...sources('core'), ...sources('sim')].filter(
    (f) => !f.startsWith('sim/cli/'),
  );

  it('finds the sources it checks', () => {
    expect(coreAndSim.length).toBeGreaterThan(20);
  });

  it('core/ and sim/ use no ambient time or randomness', () => {
    const hits: string[] = [];
    for (const file of coreAndSim) {
      const text = code(readFileSync(join(ROOT, file), 'utf8'));
      for (const re of AMBIENT) if (re.test(text)) hits.push(`${file}: ${re}`);
      if (/\bsetImmediate\s*\(/.test(text) && !ALLOWED_IMMEDIATE.has(file))
        hits.push(`${file}: setImmediate`);
    }
    expect(hits).toEqual([]);
  });

  it('core/ imports only core/ and npm packages, never sim/, real/, viz/ or node: modules', () => {
    const hits: string[] = [];
    for (const file of sources('core')) {
      for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
        if (spec.startsWith('node:')) hits.push(`${file} imports ${spec}`);
        if (spec.startsWith('.')) {
          const target = relative(ROOT, join(ROOT, file, '..', spec));
          if (!target.startsWith('core/')) hits.push(`${file} imports ${target}`);
        }
      }
    }
    expect(hits).toEqual([]);
  });

  it('sim/ outside sim/cli/ does not import real/ or viz/', () => {
    const hits: string[] = [];
    for (const file of sources('sim').filter((f) => !f.startsWith('sim/cli/'))) {
      for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = relative(ROOT, join(ROOT, file, '..', spec));
        if (target.startsWith('real/') || target.startsWith('viz/'))
          hits.push(`${file} imports ${target}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('the checks catch what they are meant to catch', () => {
    expect(AMBIENT.some((re) => re.test(code('const t = Date.now();')))).toBe(true);
    expect(AMBIENT.some((re) => re.test(code('// Date.now() in a comment')))).toBe(false);
    expect(AMBIENT.some((re) => re.test(code("const s = 'Math.random()';")))).toBe(false);
    expect(importsOf("import { x } from 'node:fs';\nexport * from '../sim/a.ts';")).toEqual([
      'node:fs',
      '../sim/a.ts',
    ]);
  });
});
