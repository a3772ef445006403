/**
 * The semantic cache's embedding of a last user message, computed through
 * the group the cache names (`cache.embeddings`), as a call of its own: the
 * tenant's, governed and counted like any request (admission, the
 * deployment's buckets, retries, usage settled from the answer). It is sent
 * with `fetch` whatever face the call came in by: the embedding is Sluice's
 * own call, not the caller's.
 *
 * The call speaks the API the embeddings group does: OpenAI's
 * `/v1/embeddings` (OpenAI, Azure and compatible deployments, and Gemini's
 * OpenAI-compatible path), else Gemini's `:embedContent`.
 */
import { randomUUID } from 'node:crypto';
import type { Call, Transport } from '../runtime/exchange/call.js';
import { type FetchReply, fetchReply } from '../runtime/exchange/fetch-reply.js';
import { Relay } from '../runtime/exchange/relay.js';
import type { Governor } from '../runtime/governor.js';

/** The longest embedding answer read (8 k dimensions as JSON text is well under this). */
const MAX_BODY = 1024 * 1024;

const transport: Transport<FetchReply> = {
  async send(target, signal) {
    const body = target.body as RequestInit['body'];
    return fetchReply(
      await fetch(target.url, { method: target.method, headers: target.headers, body, signal }),
    );
  },
};

/** The embedding of `text`, or undefined when the call was refused or failed (the cache then misses). */
export async function embedThrough(
  governor: Governor,
  group: string,
  text: string,
  tenant: string,
): Promise<Float32Array | undefined> {
  const target = governor.groups.group(group);
  if (!target) return undefined;
  const openai = target.families.has('openai');
  const body = openai ? { model: group, input: text } : { content: { parts: [{ text }] } };
  const rawBody = JSON.stringify(body);
  const call: Call = {
    id: randomUUID(),
    family: openai ? 'openai' : 'gemini',
    endpoint: openai ? 'embeddings' : 'embed_content',
    method: 'POST',
    path: openai ? '/v1/embeddings' : `/v1beta/models/${group}:embedContent`,
    body,
    rawBody,
    stream: false,
    model: group,
    tenant,
    forwardHeaders: {},
    forwarding: 'allow-list',
  };
  const outcome = await governor.execute(call, transport);
  if (outcome.kind !== 'success') return undefined;
  // Read whole, then settled through the relay like any answer.
  const relay = new Relay(outcome, false);
  let answer: string;
  try {
    answer = await outcome.reply.text(MAX_BODY);
  } catch {
    relay.fail();
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    parsed = undefined;
  }
  // Parsed once: the relay settles with its usage, and the vector is read from it.
  relay.endParsed(parsed);
  return vectorOf(parsed, openai);
}

function vectorOf(parsed: unknown, openai: boolean): Float32Array | undefined {
  const values = openai
    ? (parsed as { data?: { embedding?: unknown }[] })?.data?.[0]?.embedding
    : (parsed as { embedding?: { values?: unknown } })?.embedding?.values;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number'))
    return undefined;
  return Float32Array.from(values as number[]);
}
