import { defineConfig } from 'vitest/config';

// The simulation tests are CPU-bound and independent: they run two files at a time, one per
// core. So do the real clients' tests against `ksim serve` (test/real/http: kubectl and
// client-node on a free loopback port, each in a directory of its own) and the real processes
// that need only loopback ports and a directory of their own (test/real/loopback: three
// control planes sharing a store with --peers). The host's tests
// (test/real/{cluster,etcd,host,netfilter,runtime}) share host resources between files
// (network namespace and bridge names, iptables chains, containerd and etcd processes) and
// mostly wait on other processes: they run one file at a time. `npm test` runs the two
// projects side by side in two vitest processes (test/run-projects.mjs), so the host tests'
// waiting overlaps the simulations; a plain `vitest run` runs them one after the other
// (projects of one group run side by side only if they allow the same number of workers).
const HOST_TESTS = ['test/real/{cluster,etcd,host,netfilter,runtime}/**/*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/support/check-mode.ts'],
    // Forks keep one simulation per worker and avoid thread contention.
    pool: 'forks',
    // Test files share their worker's module cache instead of re-importing the whole core for
    // each file: measured on 45 API test files, 115 s -> 37 s of wall time. Files must not
    // leave global state behind them (no module mocks, no stubbed globals).
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'sim',
          include: ['test/**/*.test.ts'],
          exclude: HOST_TESTS,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'real',
          include: HOST_TESTS,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
