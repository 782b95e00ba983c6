import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/check-mode.ts'],
    // Two cores: forks keep one simulation per worker and avoid thread contention.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
