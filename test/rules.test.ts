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

/**
 * What each folder of core/ may import besides itself: api <- raft/store <- apiserver <- client
 * <- the components, with util, ports and the trace schema below everything. Components never
 * import one another, and nothing but the cluster assembly sees them all.
 */
const COMPONENT_DEPS = ['util', 'ports', 'trace', 'api', 'client'];
const CORE_LAYERS: Readonly<Record<string, readonly string[]>> = {
  util: [],
  trace: ['util'],
  ports: ['util', 'trace'],
  api: ['util', 'ports', 'trace'],
  raft: ['util', 'ports', 'trace'],
  store: ['util', 'ports', 'trace', 'raft'],
  apiserver: ['util', 'ports', 'trace', 'api', 'store'],
  client: ['util', 'ports', 'trace', 'api'],
  scheduler: COMPONENT_DEPS,
  controllers: COMPONENT_DEPS,
  kubelet: COMPONENT_DEPS,
  proxy: COMPONENT_DEPS,
  'metrics-server': COMPONENT_DEPS,
  cluster: [
    'util',
    'ports',
    'trace',
    'api',
    'raft',
    'store',
    'apiserver',
    'client',
    'scheduler',
    'controllers',
    'kubelet',
    'proxy',
    'metrics-server',
  ],
};

/** Inside core/scheduler: framework <- cache, queue, plugins <- engine, config <- the process. */
const SCHEDULER_LAYERS: Readonly<Record<string, readonly string[]>> = {
  framework: [],
  cache: ['framework'],
  queue: ['framework'],
  plugins: ['framework'],
  engine: ['framework', 'cache', 'queue'],
  config: ['framework', 'plugins', 'queue'],
  // scheduler.ts and informer-listers.ts: the scheduler process, on top of everything.
  process: ['framework', 'cache', 'queue', 'plugins', 'engine', 'config'],
};

function coreLayerOf(file: string): string | undefined {
  return file.startsWith('core/') ? file.split('/')[1] : undefined;
}

function schedulerLayerOf(file: string): string | undefined {
  if (!file.startsWith('core/scheduler/')) return undefined;
  const parts = file.split('/');
  return parts.length === 3 ? 'process' : parts[2];
}

/** Imports from `files` into a layer that `allowed` does not list for the importing layer. */
function layerViolations(
  files: readonly string[],
  allowed: Readonly<Record<string, readonly string[]>>,
  layerOf: (file: string) => string | undefined,
): string[] {
  const hits: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    if (from === undefined) continue;
    const permitted = allowed[from];
    if (permitted === undefined) {
      hits.push(`${file}: folder ${from} has no place in the layer table`);
      continue;
    }
    for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const to = layerOf(relative(ROOT, join(ROOT, file, '..', spec)));
      if (to !== undefined && to !== from && !permitted.includes(to)) {
        hits.push(`${file} (${from}) imports ${spec} (${to})`);
      }
    }
  }
  return hits;
}

/**
 * viz/ reads traces and nothing else (DESIGN.md §1): from core/ it may import only the trace
 * record types (`import type` from core/trace/), and never sim/ or real/.
 */
function vizViolations(file: string, text: string): string[] {
  const hits: string[] = [];
  for (const m of text.matchAll(/(import|export)\s+(type\s+)?[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    const spec = m[3] as string;
    if (!spec.startsWith('.')) continue;
    const target = relative(ROOT, join(ROOT, file, '..', spec));
    if (target.startsWith('sim/') || target.startsWith('real/'))
      hits.push(`${file} imports ${target}`);
    if (target.startsWith('core/') && (!target.startsWith('core/trace/') || m[2] === undefined))
      hits.push(
        `${file} imports ${target}${m[2] === undefined ? ' (not a type-only import)' : ''}`,
      );
  }
  for (const m of text.matchAll(/import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)) {
    const spec = (m[1] ?? m[2]) as string;
    if (spec.startsWith('.') && !relative(ROOT, join(ROOT, file, '..', spec)).startsWith('viz/'))
      hits.push(`${file} imports ${spec} for its effects`);
  }
  return hits;
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

  it('core/ folders import only the layers below them (DESIGN.md §1)', () => {
    expect(layerViolations(sources('core'), CORE_LAYERS, coreLayerOf)).toEqual([]);
  });

  it("the scheduler's folders import only the folders below them", () => {
    const files = sources('core/scheduler');
    expect(layerViolations(files, SCHEDULER_LAYERS, schedulerLayerOf)).toEqual([]);
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

  it('real/ imports only core/, real/ and node/npm modules, never sim/ or viz/', () => {
    const hits: string[] = [];
    for (const file of sources('real')) {
      for (const spec of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = relative(ROOT, join(ROOT, file, '..', spec));
        if (target.startsWith('sim/') || target.startsWith('viz/'))
          hits.push(`${file} imports ${target}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('viz/ imports from core/ only the trace record types, and nothing from sim/ or real/', () => {
    const files = sources('viz');
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((f) => vizViolations(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });

  it('the checks catch what they are meant to catch', () => {
    expect(
      vizViolations(
        'viz/model/a.ts',
        "import type { TraceRecord } from '../../core/trace/types.ts';",
      ),
    ).toEqual([]);
    expect(
      vizViolations(
        'viz/model/a.ts',
        "import { TRACE_SCHEMA_VERSION } from '../../core/trace/version.ts';",
      ),
    ).toHaveLength(1);
    expect(
      vizViolations('viz/model/a.ts', "import type { Pod } from '../../core/api/pod-types.ts';"),
    ).toHaveLength(1);
    expect(
      vizViolations('viz/a.ts', "import { Simulation } from '../sim/simulation.ts';"),
    ).toHaveLength(1);
    expect(AMBIENT.some((re) => re.test(code('const t = Date.now();')))).toBe(true);
    expect(AMBIENT.some((re) => re.test(code('// Date.now() in a comment')))).toBe(false);
    expect(AMBIENT.some((re) => re.test(code("const s = 'Math.random()';")))).toBe(false);
    expect(coreLayerOf('core/kubelet/kubelet.ts')).toBe('kubelet');
    expect(schedulerLayerOf('core/scheduler/scheduler.ts')).toBe('process');
    expect(schedulerLayerOf('core/scheduler/plugins/node-name/node-name.ts')).toBe('plugins');
    expect(importsOf("import { x } from 'node:fs';\nexport * from '../sim/a.ts';")).toEqual([
      'node:fs',
      '../sim/a.ts',
    ]);
  });
});
