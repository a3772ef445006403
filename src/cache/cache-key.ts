/**
 * What makes two chat calls the same question to the response cache: the
 * model group, the scope (the tenant, unless the group shares its cache),
 * and the neutral request (`providers/translate/neutral.ts`) minus what does
 * not change the answer: whether it streams, whether usage is streamed, the
 * model name (the group stands for it). Read through the neutral form, an
 * OpenAI and an Anthropic caller asking the same question share an entry,
 * and whatever a call sets that the neutral form cannot hold (`n`,
 * `logit_bias`, …) makes it uncacheable rather than ignored.
 *
 * Keys are SHA-256 digests: no prompt or tenant id is ever readable in a
 * store, a log or a metric label.
 *
 * The semantic cache matches on the last user message's text within a
 * partition: everything else of the request (system prompt, tools,
 * parameters, the conversation before that message), so a different system
 * prompt or history never matches.
 */
import { createHash } from 'node:crypto';
import type { NeutralMessage, NeutralRequest } from '../providers/translate/neutral.js';

export interface CacheKey {
  /** The exact question: every field that changes the answer. */
  readonly exact: string;
  /** The semantic cache's partition: the exact question without the last user message. */
  readonly partition: string;
  /** The last user message's text (what the semantic cache embeds); undefined when it holds none. */
  readonly lastUserText: string | undefined;
}

export function cacheKeyOf(request: NeutralRequest, group: string, scope: string): CacheKey {
  const { stream: _stream, streamUsage: _streamUsage, model: _model, messages, ...parameters } = request;
  const last = messages.at(-1);
  const lastUserText = last && last.role === 'user' ? textOf(last) : undefined;
  const before = lastUserText === undefined ? messages : messages.slice(0, -1);
  const head = `${canonical(group)}\u0000${canonical(scope)}\u0000${canonical(parameters)}`;
  return {
    exact: digest(`e\u0000${head}\u0000${canonical(messages)}`),
    partition: digest(`p\u0000${head}\u0000${canonical(before)}`),
    lastUserText,
  };
}

/** The text parts of a message joined; undefined when it has none or carries more than text. */
function textOf(message: NeutralMessage): string | undefined {
  let text = '';
  for (const part of message.parts) {
    if (part.kind !== 'text') return undefined;
    text += text === '' ? part.text : `\n${part.text}`;
  }
  return text === '' ? undefined : text;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level: a tool schema's key order must not split entries. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
}
