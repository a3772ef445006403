import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects. `default`: deterministic (manual clock, real sockets on
 * 127.0.0.1, no sleeps, no wall-clock assertions) — `npm run test:fast`.
 * `slow`: what needs real time (OS and Redis timeouts and TTLs, killed
 * processes, several processes, a real browser, load measured in wall-clock
 * goodput), in files named `*.slow.test.ts`. `npm test` (what CI runs) runs
 * both: the slow project after the default one, a file at a time, so its
 * timed bounds are not measured on a machine busy with the rest.
 */
const SLOW = 'test/**/*.slow.test.ts';

export default defineConfig({
  test: {
    // Socket and Redis tests start servers; forks keep their globals apart.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', 'junit'] : ['default'],
    outputFile: { junit: 'test-results/junit.xml' },
    projects: [
      {
        extends: true,
        test: { name: 'default', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, SLOW] },
      },
      {
        extends: true,
        test: { name: 'slow', include: [SLOW], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
