/**
 * The comparison behind `governor.fetch`'s burst test (governed-fetch.test.ts):
 * the same burst, 3× over the limit, sent by the bare openai SDK. Its own
 * retries sleep in real time (the SDK's timers, which no injected clock
 * moves) while the simulator refills on the system clock, so this runs in the
 * slow suite; it asserts only that 429s remain, never a duration.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { closeAfterEach, simulator } from './helpers.js';

closeAfterEach();

const ask = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Say hello to the world.' }],
  max_tokens: 40,
};

describe('the bare openai SDK (real time)', () => {
  it('meets 429s on a burst 3× over the limit, its own retries (sleeping in real time) notwithstanding', async () => {
    const sim = await simulator({ defaults: { rpm: 30 }, response: { tokens: 10 } });
    const bare = new OpenAI({ apiKey: 'sk-bare', baseURL: `${sim.url}/v1`, maxRetries: 2 });
    const results = await Promise.allSettled(
      Array.from({ length: 90 }, () => bare.chat.completions.create(ask)),
    );
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(failed.length).toBeGreaterThan(0);
    for (const error of failed) expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(sim.stats().rejected.rpm).toBeGreaterThan(0);
  });
});
