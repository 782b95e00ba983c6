import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/check-mode.ts'],
    // Two cores: forks keep one simulation per worker and avoid thread contention.
    pool: 'forks',
    // Test files share their worker's module cache instead of re-importing the whole core for
    // each file: measured on 45 API test files, 115 s -> 37 s of wall time. Files must not
    // leave global state behind them (no module mocks, no stubbed globals).
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
