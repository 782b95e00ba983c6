// Module hooks that let Node load the TypeScript sources directly: each .ts file is stripped of
// its types by esbuild's transform (no bundling, no type checking; `npm run typecheck` does
// that). Imports name their .ts files explicitly, so Node's own resolution finds them.
//
// Why not tsx's loader: tsx always compiles with esbuild's keepNames, which wraps every function
// and closure creation in a call that defines its `name` property. The simulator creates
// closures on its hottest paths (every request, every event), and those calls cost about 8% of
// `ksim bench store`.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    sourcefile: path,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
