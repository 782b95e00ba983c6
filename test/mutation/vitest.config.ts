import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

/**
 * The suite's configuration, narrowed to the test folder of the layer under mutation
 * (test/mutation/mutate.mjs sets KSIM_MUTATION_TESTS).
 */
const dir = process.env['KSIM_MUTATION_TESTS'];
if (dir === undefined) throw new Error('KSIM_MUTATION_TESTS is not set: run npm run mutate');

export default defineConfig({ ...base, test: { ...base.test, include: [`${dir}/**/*.test.ts`] } });
