/**
 * A streamed `Response` the app drops without reading or cancelling it: once
 * it is garbage-collected its reservation is settled (the concurrency slot
 * comes back), instead of being held by a lease renewed for as long as the
 * call looks open. Runs in a child `node --expose-gc` against the built
 * package; the wait for collection is an event wait with a bound, not a
 * timing assertion.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./scripts/abandoned-stream.mjs', import.meta.url));

describe('governor.fetch with a dropped stream', () => {
  it('settles the reservation once the Response is collected', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', script], { timeout: 20_000 });
    const { held, active } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      held: number;
      active: number;
    };
    expect(held).toBe(1);
    expect(active).toBe(0);
  });
});
