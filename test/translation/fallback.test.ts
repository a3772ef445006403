/**
 * A fallback across API families: group `gpt` (an OpenAI deployment) falls
 * back to `claude` (an Anthropic one). When the OpenAI deployment fails on
 * the simulator, the openai SDK's call is served by the Anthropic
 * deployment, translated, and read back as an OpenAI answer, whole or
 * streamed, through the gateway and `governor.fetch`.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultSpecInput } from '../../src/simulator/config.js';
import { deploymentOf, FACES, type Rig, startRig } from './rig.js';
import { upstreamUsage } from './upstream.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const FAULTS: [string, FaultSpecInput, number][] = [
  ['a 500', { kind: '500', flavour: 'openai', from: 1 }, 500],
  ['an overload', { kind: 'overloaded', flavour: 'openai', from: 1 }, 503],
];

describe.each(FACES)('a fallback from OpenAI to Anthropic through the %s', (face) => {
  describe.each(FAULTS)('after %s', (_name, fault, status) => {
    it.each([false, true])(
      'serves the call from the Anthropic deployment in OpenAI’s format (streamed: %s)',
      async (stream) => {
        rig = await startRig(face, {
          sim: { faults: [fault] },
          groups: (url) => ({
            gpt: { deployments: [deploymentOf('openai', url)], fallbacks: ['claude'] },
            claude: { deployments: [deploymentOf('anthropic', url)] },
          }),
          settings: { retry: { max_attempts: 2, base_ms: 0, cap_ms: 0 } },
        });
        const client = new OpenAI({
          baseURL: `${rig.baseUrl}/v1`,
          apiKey: rig.apiKey,
          fetch: rig.fetch,
          maxRetries: 0,
        });
        const body = {
          model: 'gpt',
          messages: [{ role: 'user' as const, content: 'Hello there' }],
          max_tokens: 50,
        };
        let text = '';
        let finish: string | null | undefined;
        let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
        if (stream) {
          const chunks = await client.chat.completions.create({
            ...body,
            stream: true,
            stream_options: { include_usage: true },
          });
          for await (const chunk of chunks) {
            expect(chunk.object).toBe('chat.completion.chunk');
            text += chunk.choices[0]?.delta.content ?? '';
            finish = chunk.choices[0]?.finish_reason ?? finish;
            usage = chunk.usage ?? usage;
          }
        } else {
          const c = await client.chat.completions.create(body);
          expect(c.object).toBe('chat.completion');
          text = c.choices[0]?.message.content ?? '';
          finish = c.choices[0]?.finish_reason;
          usage = c.usage;
        }
        expect(rig.recorder.exchanges.map((e) => [e.path, e.status])).toEqual([
          ['/v1/chat/completions', status],
          ['/v1/messages', 200],
        ]);
        expect(text.split(' ')).toHaveLength(8);
        expect(finish).toBe('stop');
        const served = rig.recorder.exchanges[1];
        if (!served) throw new Error('the Anthropic deployment was not asked');
        const reported = upstreamUsage('anthropic', served);
        expect(usage).toMatchObject({ prompt_tokens: reported.input, completion_tokens: reported.output });
      },
    );
  });
});
