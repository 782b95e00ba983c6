import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

/**
 * The suite's configuration, narrowed to the test files of the layer under mutation
 * (test/mutation/mutate.mjs sets KSIM_MUTATION_TESTS to a comma-separated list of globs).
 */
const tests = process.env['KSIM_MUTATION_TESTS'];
if (tests === undefined) throw new Error('KSIM_MUTATION_TESTS is not set: run npm run mutate');

export default defineConfig({ ...base, test: { ...base.test, include: tests.split(',') } });
