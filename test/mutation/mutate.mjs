#!/usr/bin/env node
/**
 * Mutation testing per layer (StrykerJS 9 with its vitest runner): `npm run mutate -- core/raft`
 * mutates the layer's sources and runs the layer's own test folder against each mutant.
 *
 *   npm run mutate -- <layer> [--files GLOB[:START-END],...] [--tests GLOB,...] [--concurrency N] [--no-incremental]
 *
 * A file may carry a line range, `--files raft.ts:400-520` (Stryker's `file:start-end`), so a
 * large file can be measured in slices; each slice keeps its own report and incremental file.
 *
 * Layers and their tests are listed in LAYERS. Results: a table on stdout, out/mutation/<layer>.html
 * and .json; the incremental file (out/mutation/<layer>.incremental.json) lets a later run test
 * only the mutants whose code or tests changed. Property tests run with a fixed fast-check seed
 * (KSIM_MUTATION=1, see test/support/check-mode.ts) so a mutant's verdict does not depend on the
 * seed drawn.
 *
 * `--tests` narrows the tests to some files of the layer's test folder (bare names are relative to
 * it). A mutant killed by a subset is killed by the whole folder, so a narrowed score is a lower
 * bound of the layer's; it makes a file's run affordable when the folder has slow tests that do
 * not target it (the store's member tests for mvcc.ts).
 */
import { Stryker } from '@stryker-mutator/core';

const LAYERS = {
  'core/raft': 'test/core/raft',
  'core/store': 'test/core/store',
  'core/scheduler/framework': 'test/core/scheduler',
};

function usage(message) {
  process.stderr.write(`ksim mutate: ${message}\n`);
  process.stderr.write(
    `usage: npm run mutate -- <${Object.keys(LAYERS).join('|')}> [--files GLOB[:START-END],...] [--tests GLOB,...] [--concurrency N] [--no-incremental]\n`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
const layer = args[0]?.replace(/\/+$/, '');
if (layer === undefined) usage('name a layer');
const testDir = LAYERS[layer];
if (testDir === undefined)
  usage(`unknown layer "${layer}" (known: ${Object.keys(LAYERS).join(', ')})`);
let files = [`${layer}/**/*.ts`];
let tests = [`${testDir}/**/*.test.ts`];
let concurrency = 2;
let incremental = true;
for (let i = 1; i < args.length; i++) {
  const a = args[i];
  if (a === '--files')
    // A bare file name is relative to the layer: --files progress.ts,log.ts,raft.ts:400-520.
    files = (args[++i] ?? usage('--files needs a value')).split(',').map((f) => {
      const range = /:(\d+)-(\d+)$/.exec(f);
      if (f.includes(':') && (range === null || Number(range[1]) > Number(range[2])))
        usage(`--files ${f}: a line range is FILE:START-END with START <= END`);
      return f.replace(/:.*$/, '').includes('/') ? f : `${layer}/${f}`;
    });
  else if (a === '--tests')
    tests = (args[++i] ?? usage('--tests needs a value')).split(',').map((t) => `${testDir}/${t}`);
  else if (a === '--concurrency') {
    concurrency = Number(args[++i]);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      usage('--concurrency needs a positive integer');
  } else if (a === '--no-incremental') incremental = false;
  else usage(`unknown option ${a}`);
}

// A run narrowed by --files or --tests keeps its own report and incremental file, so measuring a
// layer file by file does not overwrite the results of the files measured before.
const slug =
  layer.replaceAll('/', '-') +
  (files[0] === `${layer}/**/*.ts`
    ? ''
    : `--${files
        .map((f) =>
          f
            .replace(/^.*\//, '')
            .replace(/\.ts(:|$)/, '$1')
            .replace(':', '_L'),
        )
        .join('+')}`) +
  (tests[0] === `${testDir}/**/*.test.ts`
    ? ''
    : `@${tests.map((t) => t.replace(/^.*\//, '').replace(/\.test\.ts$/, '')).join('+')}`);
process.env.KSIM_MUTATION = '1';
process.env.KSIM_MUTATION_TESTS = tests.join(',');
const stryker = new Stryker({
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { related: false, configFile: 'test/mutation/vitest.config.ts' },
  mutate: files,
  coverageAnalysis: 'perTest',
  concurrency,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `out/mutation/${slug}.json` },
  htmlReporter: { fileName: `out/mutation/${slug}.html` },
  incremental,
  incrementalFile: `out/mutation/${slug}.incremental.json`,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['out', 'ksim-out', '.vitest-cache', 'docs', '.stryker-tmp'],
  cleanTempDir: true,
});
const results = await stryker.runMutationTest();
const counts = {};
for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
const killed = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const valid = killed + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
const score = valid === 0 ? 0 : (100 * killed) / valid;
process.stdout.write(`\n${layer}: ${results.length} mutants, ${JSON.stringify(counts)}\n`);
process.stdout.write(
  `${layer}: mutation score ${score.toFixed(1)}% (killed or timed out / valid)\n`,
);
