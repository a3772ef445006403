/**
 * The bodies the translation section measures, built once as neutral calls
 * and written in each API by the translators themselves, so every pair reads
 * a realistic body of its own API: a short chat, a 40-message agent
 * conversation with tool calls and their results, a message with an image;
 * and one answer. Deterministic content.
 */
import type {
  NeutralAnswer,
  NeutralMessage,
  NeutralRequest,
} from '../../../src/providers/translate/neutral.js';

export const TOOL = {
  name: 'lookup_order',
  description: 'Look up an order by its id',
  parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

/** `turns` rounds of question, tool call, tool result and answer, then a last question. */
function conversation(turns: number): NeutralMessage[] {
  const out: NeutralMessage[] = [];
  for (let i = 0; i < turns; i++) {
    out.push({
      role: 'user',
      parts: [{ kind: 'text', text: `Where is order ${i}? It was due on Monday and nothing came.` }],
    });
    out.push({
      role: 'assistant',
      parts: [{ kind: 'tool-call', id: `call_${i}`, name: TOOL.name, arguments: { id: `A-${i}` } }],
    });
    out.push({
      role: 'user',
      parts: [
        {
          kind: 'tool-result',
          callId: `call_${i}`,
          isError: false,
          content: [{ kind: 'text', text: `{"status":"shipped","eta":"Thursday"}` }],
        },
      ],
    });
    out.push({
      role: 'assistant',
      parts: [{ kind: 'text', text: `Order ${i} has shipped and should arrive on Thursday.` }],
    });
  }
  out.push({ role: 'user', parts: [{ kind: 'text', text: 'Thanks. And the last one?' }] });
  return out;
}

const BASE: NeutralRequest = {
  model: 'g',
  system: ['You are a helpful support agent. Answer briefly.'],
  messages: [],
  tools: [],
  stopSequences: [],
  maxOutputTokens: 512,
  stream: false,
  streamUsage: false,
};
const PNG = Buffer.alloc(24 * 1024, 7).toString('base64');

export const REQUESTS: Readonly<Record<string, NeutralRequest>> = {
  'short chat': {
    ...BASE,
    messages: [{ role: 'user', parts: [{ kind: 'text', text: 'What is the capital of France?' }] }],
  },
  'agent, 40 messages': { ...BASE, messages: conversation(10), tools: [TOOL] },
  'image part': {
    ...BASE,
    messages: [
      {
        role: 'user',
        parts: [
          { kind: 'text', text: 'What is in this picture?' },
          { kind: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
        ],
      },
    ],
  },
};

export const ANSWER: NeutralAnswer = {
  id: 'answer-1',
  model: 'model-1',
  content: [{ kind: 'text', text: 'Paris is the capital of France. '.repeat(8) }],
  stopReason: 'end',
  usage: { inputTokens: 120, outputTokens: 64 },
};

/** The value of a translation the bench's own bodies must allow. */
export function must<T>(
  t: { ok: true; value: T } | { ok: false; untranslatable: readonly { parameter: string }[] },
): T {
  if (!t.ok) throw new Error(`untranslatable: ${t.untranslatable.map((u) => u.parameter).join(', ')}`);
  return t.value;
}
