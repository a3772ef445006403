/**
 * Prompt budgets through the gateway (issue 20), seen by the official SDKs:
 * a group with `prompt_budget: { when: always }` sends the upstream (the
 * simulator, behind a relay that records bodies) only the turns that fit,
 * system prompt and latest user turn included, tool pairs whole, and the
 * answer says how many tokens were trimmed. A call that fits, and a group
 * without a budget, go through untouched and without the header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, type Rig, simOpenAiDeployment, startRig } from './helpers.js';
import { type Relay, startRelay } from './recording-relay.js';

const HEADER = 'x-sluice-prompt-trimmed-tokens';
const BUDGET = 400;
const long = (tag: string): string => `${tag}: ${'lorem ipsum '.repeat(150)}`;

let relay: Relay;
let rig: Rig;
beforeAll(async () => {
  relay = await startRelay();
  rig = await startRig({
    config: (simUrl) => {
      relay.target = simUrl;
      const base = baseConfig(relay.url);
      const groups = base.model_groups;
      return {
        ...base,
        model_groups: {
          ...groups,
          'gpt-4o-mini': { ...groups['gpt-4o-mini'], prompt_budget: { tokens: BUDGET, when: 'always' } },
          'claude-haiku': { ...groups['claude-haiku'], prompt_budget: { tokens: BUDGET, when: 'always' } },
          // The same model on the simulator, without a budget.
          unbudgeted: { deployments: [{ ...simOpenAiDeployment(relay.url), id: 'sim-openai-2' }] },
        },
      } as typeof base;
    },
  });
});
afterAll(async () => {
  await rig.close();
  await relay.close();
});

/** The JSON body the upstream received last. */
function upstreamBody(): { messages: unknown[]; system?: unknown } {
  return JSON.parse(relay.received.at(-1)?.body ?? '{}');
}

describe('prompt budget through the gateway', () => {
  it('OpenAI SDK: the upstream gets the system prompt and latest turn only, and the answer says what was trimmed', async () => {
    const { data, response } = await rig
      .openai()
      .chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You answer briefly.' },
          { role: 'user', content: long('first question') },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: long('lookup result') },
          { role: 'assistant', content: long('first answer') },
          { role: 'user', content: 'And the latest question?' },
        ],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    const trimmed = Number(response.headers.get(HEADER));
    expect(trimmed).toBeGreaterThan(3 * 300);
    expect(upstreamBody().messages).toEqual([
      { role: 'system', content: 'You answer briefly.' },
      { role: 'user', content: 'And the latest question?' },
    ]);
    // The estimate admission reserved is the trimmed prompt's.
    expect(data.usage?.prompt_tokens).toBeLessThan(BUDGET);
  });

  it('OpenAI SDK: a call that fits goes as sent, without the header', async () => {
    const messages = [{ role: 'user' as const, content: 'Hello there' }];
    const { response } = await rig
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    expect(response.headers.get(HEADER)).toBeNull();
    expect(upstreamBody().messages).toEqual(messages);
  });

  it('OpenAI SDK: a group without a budget trims nothing', async () => {
    const messages = [
      { role: 'user' as const, content: long('first question') },
      { role: 'assistant' as const, content: long('first answer') },
      { role: 'user' as const, content: 'Latest?' },
    ];
    const { response } = await rig
      .openai()
      .chat.completions.create({ model: 'unbudgeted', messages })
      .withResponse();
    expect(response.headers.get(HEADER)).toBeNull();
    expect(upstreamBody().messages).toEqual(messages);
  });

  it('Anthropic SDK (streamed): the upstream gets a user-first conversation with the tool pair whole', async () => {
    const turn2 = { role: 'user' as const, content: 'Now the weather in Oslo?' };
    const toolUse = {
      role: 'assistant' as const,
      content: [{ type: 'tool_use' as const, id: 'toolu_1', name: 'weather', input: { city: 'Oslo' } }],
    };
    const toolResult = {
      role: 'user' as const,
      content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_1', content: 'Sunny, 21 °C.' }],
    };
    const stream = rig.anthropic().messages.stream({
      model: 'claude-haiku',
      max_tokens: 64,
      system: 'You are a weather bot.',
      messages: [
        { role: 'user', content: long('first question') },
        { role: 'assistant', content: long('first answer') },
        turn2,
        toolUse,
        toolResult,
      ],
    });
    const { response } = await stream.withResponse();
    await stream.finalMessage();
    expect(Number(response.headers.get(HEADER))).toBeGreaterThan(2 * 300);
    const sent = upstreamBody();
    expect(sent.system).toBe('You are a weather bot.');
    expect(sent.messages).toEqual([turn2, toolUse, toolResult]);
  });
});
