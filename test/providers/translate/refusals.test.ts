/**
 * Never drop a parameter silently: whatever subset of a family's own
 * parameters a realistic body carries, translating it names every one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neutralToAnthropicRequest } from '../../../src/providers/translate/anthropic-messages.js';
import { neutralToGeminiRequest } from '../../../src/providers/translate/gemini-generate.js';
import { sharedRequest } from './arbitraries.js';
import { FAMILIES, type FamilyName, refusedParameters, translated } from './families.js';

/** A parameter the neutral form cannot hold: where it goes in the wire body, and a value a caller would send. */
interface Extra {
  readonly parameter: string;
  readonly value: unknown;
}

const EXTRAS: Readonly<Record<FamilyName, readonly Extra[]>> = {
  openai: [
    { parameter: 'n', value: 2 },
    { parameter: 'logprobs', value: true },
    { parameter: 'top_logprobs', value: 3 },
    { parameter: 'logit_bias', value: { '50256': -100 } },
    { parameter: 'seed', value: 7 },
    { parameter: 'presence_penalty', value: 0.5 },
    { parameter: 'frequency_penalty', value: 0.5 },
    { parameter: 'user', value: 'user-1' },
    { parameter: 'reasoning_effort', value: 'high' },
    { parameter: 'modalities', value: ['text', 'audio'] },
    { parameter: 'store', value: true },
  ],
  anthropic: [
    { parameter: 'thinking', value: { type: 'enabled', budget_tokens: 2048 } },
    { parameter: 'metadata', value: { user_id: 'user-1' } },
    { parameter: 'temperature', value: 0.5 },
    { parameter: 'top_p', value: 0.9 },
    { parameter: 'top_k', value: 5 },
    { parameter: 'cache_control', value: { type: 'ephemeral' } },
    { parameter: 'service_tier', value: 'standard_only' },
    { parameter: 'inference_geo', value: 'us' },
  ],
  gemini: [
    {
      parameter: 'safetySettings',
      value: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    },
    { parameter: 'cachedContent', value: 'cachedContents/abc' },
    { parameter: 'generationConfig.topK', value: 5 },
    { parameter: 'generationConfig.seed', value: 3 },
    { parameter: 'generationConfig.candidateCount', value: 2 },
    { parameter: 'generationConfig.responseLogprobs', value: true },
    { parameter: 'generationConfig.thinkingConfig', value: { thinkingBudget: 1024 } },
    { parameter: 'generationConfig.presencePenalty', value: 0.5 },
  ],
  responses: [
    { parameter: 'previous_response_id', value: 'resp_abc' },
    { parameter: 'conversation', value: 'conv_abc' },
    { parameter: 'store', value: true },
    { parameter: 'reasoning', value: { effort: 'high' } },
    { parameter: 'include', value: ['reasoning.encrypted_content'] },
    { parameter: 'background', value: true },
    { parameter: 'truncation', value: 'auto' },
    { parameter: 'metadata', value: { tag: 'a' } },
    { parameter: 'user', value: 'user-1' },
    { parameter: 'service_tier', value: 'flex' },
    { parameter: 'prompt', value: { id: 'pmpt_abc' } },
    { parameter: 'top_logprobs', value: 3 },
    { parameter: 'max_tool_calls', value: 2 },
    { parameter: 'text.verbosity', value: 'low' },
  ],
};

/** `wire` with `extras` set at their paths (Gemini's body sits inside the call). */
function inject(family: FamilyName, wire: unknown, extras: readonly Extra[]): unknown {
  const copy = structuredClone(wire) as Record<string, unknown>;
  const body = (family === 'gemini' ? copy.body : copy) as Record<string, unknown>;
  for (const { parameter, value } of extras) {
    const [head, tail] = parameter.split('.') as [string, string | undefined];
    if (tail === undefined) body[head] = value;
    else body[head] = { ...(body[head] as Record<string, unknown> | undefined), [tail]: value };
  }
  return copy;
}

const everyFamily = { openai: true, anthropic: true, gemini: true, responses: true };

describe.each(FAMILIES.map((family) => ({ family, name: family.name })))('$name request', ({ family }) => {
  it('names every parameter of its own it cannot translate', () => {
    fc.assert(
      fc.property(
        sharedRequest(everyFamily),
        fc.subarray([...EXTRAS[family.name]], { minLength: 1 }),
        (neutral, extras) => {
          const wire = inject(family.name, translated(family.neutralToRequest(neutral)), extras);
          const refused = refusedParameters(family.requestToNeutral(wire));
          for (const { parameter } of extras) expect(refused).toContain(parameter);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('translates the same body without them', () => {
    fc.assert(
      fc.property(sharedRequest(everyFamily), (neutral) => {
        expect(family.requestToNeutral(translated(family.neutralToRequest(neutral))).ok).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('towards a family that cannot express a neutral field', () => {
  const base = {
    model: 'm',
    system: [],
    messages: [{ role: 'user' as const, parts: [{ kind: 'text' as const, text: 'hi' }] }],
    tools: [],
    stopSequences: [],
    stream: false,
    streamUsage: false,
  };

  it('Anthropic refuses temperature, top_p and a bare JSON mode, all at once', () => {
    const refused = refusedParameters(
      neutralToAnthropicRequest({ ...base, temperature: 0.2, topP: 0.9, responseFormat: { kind: 'json' } }),
    );
    expect(refused).toEqual(['temperature', 'topP', 'responseFormat']);
  });

  it('Gemini refuses one-call-per-turn and a sixth stop sequence', () => {
    const refused = refusedParameters(
      neutralToGeminiRequest({
        ...base,
        parallelToolCalls: false,
        stopSequences: ['a', 'b', 'c', 'd', 'e', 'f'],
      }),
    );
    expect(refused).toEqual(['parallelToolCalls', 'stopSequences']);
  });

  it('Gemini refuses a tool result that answers no earlier call (it needs the function name)', () => {
    const refused = refusedParameters(
      neutralToGeminiRequest({
        ...base,
        messages: [
          { role: 'user', parts: [{ kind: 'tool-result', callId: 'call_x', content: [], isError: false }] },
        ],
      }),
    );
    expect(refused).toEqual(['messages[0].parts[0]']);
  });
});
