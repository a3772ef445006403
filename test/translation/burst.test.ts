/**
 * A burst over two API families: one group with a small OpenAI deployment
 * (30 rpm) and an Anthropic one (60 rpm), both keys limited the same way
 * upstream on the simulator, one manual clock. A burst from the openai SDK
 * larger than the OpenAI deployment's limit spreads over both in proportion
 * to their limits, the Anthropic share translated: no client sees an error
 * and no upstream answers 429.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { advanceUntilSettled } from '../gateway/helpers.js';
import { deploymentOf, FACES, startRig } from './rig.js';

const RPM = { openai: 30, anthropic: 60 } as const;
const CALLS = 180;

async function chat(client: OpenAI): Promise<string> {
  try {
    const c = await client.chat.completions.create({
      model: 'mixed',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 5,
    });
    return c.object === 'chat.completion' && c.choices[0]?.finish_reason === 'length' ? 'ok' : 'odd answer';
  } catch (error) {
    return error instanceof OpenAI.APIError ? `status ${error.status}` : String(error);
  }
}

describe.each(FACES)('a burst through the %s', (face) => {
  it(`spreads ${CALLS} openai SDK calls over an OpenAI and an Anthropic deployment by their limits, with no 429`, async () => {
    const clock = new ManualClock();
    const rig = await startRig(face, {
      clock,
      sim: {
        keys: {
          'sk-upstream': { models: { 'gpt-4o-mini': { rpm: RPM.openai } } },
          'sk-ant-upstream': { models: { 'claude-3-5-haiku-latest': { rpm: RPM.anthropic } } },
        },
      },
      groups: (url) => ({
        mixed: {
          deployments: [
            deploymentOf('openai', url, { limits: { rpm: RPM.openai } }),
            deploymentOf('anthropic', url, { limits: { rpm: RPM.anthropic } }),
          ],
        },
      }),
      settings: { default_max_wait_ms: 300_000 },
    });
    try {
      const client = new OpenAI({
        baseURL: `${rig.baseUrl}/v1`,
        apiKey: rig.apiKey,
        fetch: rig.fetch,
        maxRetries: 0,
      });
      const calls = Promise.all(Array.from({ length: CALLS }, () => chat(client)));
      const outcomes = await advanceUntilSettled(clock, calls, { stepMs: 1_000 });
      expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
      const stats = rig.sim.stats();
      expect(stats.responses['429'] ?? 0).toBe(0);
      const openai = stats.per_key['sk-upstream']?.['gpt-4o-mini']?.admitted ?? 0;
      const anthropic = stats.per_key['sk-ant-upstream']?.['claude-3-5-haiku-latest']?.admitted ?? 0;
      expect(openai + anthropic).toBe(CALLS);
      expect(Math.abs(openai / CALLS - RPM.openai / (RPM.openai + RPM.anthropic))).toBeLessThanOrEqual(0.05);
      const paths = rig.recorder.exchanges.map((e) => e.path);
      expect(paths.filter((p) => p === '/v1/messages')).toHaveLength(anthropic);
    } finally {
      await rig.close();
    }
  });
});
