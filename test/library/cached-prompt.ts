/**
 * The cached-prompt call of the estimate tests (library and gateway): 20 k
 * tokens of instructions marked for caching, and a short question of its own.
 */
import type Anthropic from '@anthropic-ai/sdk';

const SYSTEM = [
  {
    type: 'text' as const,
    text: 'Follow the house style. '.repeat(3_300),
    cache_control: { type: 'ephemeral' as const },
  },
];

/** Asks `question` under the cached instructions. */
export function askWithCachedSystem(client: Anthropic, question: string): Promise<Anthropic.Message> {
  return client.messages.create({
    model: 'claude',
    max_tokens: 50,
    system: SYSTEM,
    messages: [{ role: 'user', content: question }],
  });
}
