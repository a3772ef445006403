/**
 * A tier upgrade end to end (issue 15): `governor.fetch` under the OpenAI
 * SDK against the simulator, both on one manual clock. The simulator's key
 * goes from 60 to 600 RPM a minute into the run; Sluice sees the new
 * `x-ratelimit-limit-requests` in its answers, adopts it up to the
 * deployment's `limits_ceiling` (180), and its throughput follows, with no
 * upstream 429 on the way. (Measured: adopted at 63 s, three answers after
 * the change; 3 calls a second from about 93 s, once the calls queued
 * under the old limit are through.)
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { GovernorEvents } from '../../src/runtime/events.js';
import { closedLoop } from './closed-loop.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const MODEL = 'gpt-4o-mini';

describe('a raised provider limit through governor.fetch', () => {
  it('follows the simulator from 60 to 600 RPM, up to the 180 RPM ceiling', async () => {
    const clock = new ManualClock();
    const sim = await simulator({
      clock,
      keys: { 'sk-gov': { models: { [MODEL]: { rpm: 60 } } } },
      response: { tokens: 5 },
    });
    const changes: Parameters<GovernorEvents['limit']>[0][] = [];
    const g = governor(
      {
        default_max_wait_ms: 600_000,
        model_groups: {
          [MODEL]: {
            deployments: [
              {
                id: 'sim',
                provider: 'openai',
                base_url: `${sim.url}/v1`,
                model: MODEL,
                limits: { rpm: 60 },
                limits_ceiling: { rpm: 180 },
              },
            ],
          },
        },
      },
      { clock, observers: [{ limit: (e) => changes.push(e) }] },
    );
    const client = new OpenAI({ apiKey: 'sk-gov', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const answers = await closedLoop({
      clock,
      governor: () => g.governor,
      workers: 30,
      untilMs: 240_000,
      onStep: (elapsed) => {
        if (elapsed === 60_000) sim.setLimits({ key: 'sk-gov', model: MODEL, limits: { rpm: 600 } });
      },
      call: () =>
        client.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
          max_tokens: 5,
        }),
    });
    expect(answers.every((a) => a.result.status === 'fulfilled')).toBe(true);
    expect(sim.stats().rejected.rpm).toBe(0);
    const servedIn = (from: number, to: number) => answers.filter((a) => a.at > from && a.at <= to).length;
    // Before: the declared 60 RPM (after the first minute's burst).
    expect(servedIn(30_000, 60_000)).toBeLessThanOrEqual(31);
    // After: the ceiling, 180 RPM, not the provider's 600.
    const lastMinute = servedIn(180_000, 240_000);
    expect(lastMinute).toBeGreaterThanOrEqual(175);
    expect(lastMinute).toBeLessThanOrEqual(181);
    expect(changes).toEqual([
      { deployment: 'sim', bucket: 'deployment:sim:requests:minute', name: 'rpm', from: 60, to: 180 },
    ]);
  });
});
