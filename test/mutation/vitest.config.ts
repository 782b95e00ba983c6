import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

/**
 * The suite's configuration, narrowed to the test files of the layer under mutation
 * (test/mutation/mutate.mjs sets KSIM_MUTATION_TESTS to a comma-separated list of globs).
 */
const tests = process.env['KSIM_MUTATION_TESTS'];
if (tests === undefined) throw new Error('KSIM_MUTATION_TESTS is not set: run npm run mutate');

/**
 * Quickest files first, property tests last. Stryker stops a mutant's run at the first failing
 * test, and vitest's own order (slowest first) would run the layer's property test (seconds of
 * simulations) before the unit test that kills most mutants in milliseconds.
 */
class QuickFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const cost = (f: TestSpecification): number => {
      if (f.moduleId.endsWith('.property.test.ts')) return Infinity;
      const key = `${f.project.name}:${relative(root, f.moduleId)}`;
      return this.ctx.cache.getFileTestResults(key)?.duration ?? 0;
    };
    return [...files].sort((a, b) => cost(a) - cost(b) || (a.moduleId < b.moduleId ? -1 : 1));
  }
}

/**
 * The suite's projects (simulation and real-mode files) each carry their own `include`, which
 * would override the narrowed one: a mutation run is a single project of the layer's files.
 */
const { projects: _projects, ...baseTest } = base.test ?? {};

export default defineConfig({
  ...base,
  test: {
    ...baseTest,
    include: tests.split(','),
    sequence: { sequencer: QuickFirst },
  },
});
