/**
 * Every example in `examples/library/` runs: each file as its own `node`
 * process, importing `sluice` and `sluice/simulator` through package.json
 * `exports` (the package refers to itself by name), so it runs against the
 * build in `dist/` exactly as a user's project would. The examples check
 * what they show with `node:assert`; exit code 0 means they held. The
 * shared-store example gets a Redis: REDIS_URL when set, otherwise a
 * private redis-server on a free port.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, useRedis } from '../stores/redis/redis-server.js';

const DIR = resolve('examples/library');
const EXAMPLES = readdirSync(DIR)
  .filter((name) => name.endsWith('.mjs'))
  .sort();
const run = promisify(execFile);

let redis: RedisServer | undefined;
beforeAll(async () => {
  redis = await useRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('examples/library', () => {
  it('runs against the build (npm run build makes dist/)', () => {
    expect(existsSync(resolve('dist/index.js')), 'dist/index.js is missing: run npm run build').toBe(true);
    expect(existsSync(resolve('dist/simulator/index.js'))).toBe(true);
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(5);
  });

  it('has every example linked from the README', () => {
    const readme = readFileSync(resolve('README.md'), 'utf8');
    for (const name of EXAMPLES) expect(readme).toContain(`](examples/library/${name})`);
  });

  it.each(EXAMPLES)('%s exits 0', { timeout: 120_000 }, async (name) => {
    // Rejects with the example's stdout and stderr when it exits non-zero.
    const { stderr } = await run(process.execPath, [join(DIR, name)], {
      env: { ...process.env, REDIS_URL: redis?.url },
      timeout: 110_000,
    });
    expect(stderr).toBe('');
  });
});
