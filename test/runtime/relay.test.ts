/**
 * The body of a success on its way to the caller (runtime/exchange/relay.ts):
 * chunks split anywhere, usage tapped from each family's stream or read from
 * a whole body, the usage chunk Sluice asked for stripped again, and the
 * reservation settled exactly once — with the provider's usage when the body
 * ended, with the estimate when it was cut.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Answer } from '../../src/runtime/exchange/answer.js';
import { MAX_USAGE_BODY } from '../../src/runtime/exchange/relay.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { sample } from '../providers/helpers.js';
import {
  bytes,
  type CallOptions,
  call,
  type FakeReply,
  governorFor,
  openaiDeployment,
  type Rig,
  text,
} from './kit.js';

const TOPOLOGY: GovernorTopology = {
  modelGroups: {
    g: { deployments: [openaiDeployment('a')] },
    claude: {
      deployments: [{ id: 'c', provider: 'anthropic', baseUrl: 'http://c.test', model: 'claude-x' }],
    },
    flash: { deployments: [{ id: 'f', provider: 'gemini', baseUrl: 'http://f.test', model: 'gemini-x' }] },
  },
};

const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };
const OPENAI_STREAM = sample('8.7').text;
const USAGE_EVENT = /data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n/;
const ANTHROPIC_STREAM = sample('8.13').text;
const GEMINI_STREAM = [
  'data: {"candidates": [{"content": {"parts": [{"text": "Hel"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.5-flash"}',
  '',
  'data: {"candidates": [{"content": {"parts": [{"text": "lo ✓ ünïcödé"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 12,"thoughtsTokenCount": 30,"totalTokenCount": 50},"modelVersion": "gemini-2.5-flash"}',
  '',
  '',
].join('\r\n');

/** `data` cut at the given offsets. */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(data.length, c))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, data.length]) {
    if (point > at) out.push(data.subarray(at, point));
    at = point;
  }
  return out;
}

interface Served {
  readonly rig: Rig;
  readonly answer: Answer;
  readonly reply: FakeReply;
}

/** A success served through the governor, its body scripted as `chunks`; nothing relayed yet. */
async function served(
  family: 'openai' | 'anthropic' | 'gemini',
  chunks: readonly (string | Uint8Array)[],
  options: CallOptions & { headers?: Record<string, string> } = {},
): Promise<Served> {
  const rig = governorFor(TOPOLOGY);
  const deployment = family === 'openai' ? 'a' : family === 'anthropic' ? 'c' : 'f';
  const model = family === 'openai' ? 'g' : family === 'anthropic' ? 'claude' : 'flash';
  rig.transport.script(deployment, { status: 200, headers: options.headers ?? SSE, chunks });
  const answer = await rig.serve(call(family, { model, ...options }));
  expect(answer.status).toBe(200);
  return { rig, answer, reply: rig.transport.replies[0] as FakeReply };
}

/** Pushes every chunk of the reply and ends the body; returns what the caller got. */
function relayed({ answer, reply }: Served): string {
  const relay = answer.relay;
  if (!relay) throw new Error('no relay');
  const out = reply.chunks.map((chunk) => relay.push(chunk));
  out.push(relay.end());
  return text(out);
}

const cuts = (length: number) => fc.array(fc.integer({ min: 0, max: length }), { maxLength: 12 });

describe('Relay: streams, split anywhere, settle once with the provider’s usage', () => {
  it('OpenAI: strips the usage chunk Sluice asked for and settles with it', async () => {
    const data = bytes(OPENAI_STREAM);
    await fc.assert(
      fc.asyncProperty(cuts(data.length), async (at) => {
        const s = await served('openai', split(data, at), { stream: true });
        const sent = JSON.parse(s.rig.transport.sent[0]?.body ?? '{}');
        expect(sent.stream_options).toEqual({ include_usage: true });
        expect(relayed(s)).toBe(OPENAI_STREAM.replace(USAGE_EVENT, ''));
        const [settled] = s.rig.store.expectSettledOnce();
        expect(settled?.usage).toMatchObject({ inputTokens: 10, outputTokens: 1 });
        expect(s.answer.relay?.usage).toBe(settled?.usage);
      }),
      { numRuns: 25 },
    );
  });

  it('OpenAI: leaves the usage chunk in when the caller asked for it', async () => {
    const s = await served('openai', [OPENAI_STREAM], {
      stream: true,
      body: { stream_options: { include_usage: true } },
    });
    expect(relayed(s)).toBe(OPENAI_STREAM);
    expect(s.rig.store.expectSettledOnce()[0]?.usage).toMatchObject({ inputTokens: 10, outputTokens: 1 });
  });

  it('Anthropic: relays byte for byte, settles with message_start input and the last message_delta output', async () => {
    const data = bytes(ANTHROPIC_STREAM);
    await fc.assert(
      fc.asyncProperty(cuts(data.length), async (at) => {
        const s = await served('anthropic', split(data, at), { stream: true });
        expect(relayed(s)).toBe(ANTHROPIC_STREAM);
        expect(s.rig.store.expectSettledOnce()[0]?.usage).toMatchObject({
          inputTokens: 25,
          outputTokens: 15,
        });
      }),
      { numRuns: 25 },
    );
  });

  it('Gemini: relays byte for byte (multi-byte characters cut included), settles with the last usageMetadata', async () => {
    const data = bytes(GEMINI_STREAM);
    await fc.assert(
      fc.asyncProperty(cuts(data.length), async (at) => {
        const s = await served('gemini', split(data, at), { stream: true });
        expect(s.rig.transport.sent[0]?.url).toBe(
          'http://f.test/v1beta/models/gemini-x:streamGenerateContent?alt=sse',
        );
        expect(relayed(s)).toBe(GEMINI_STREAM);
        expect(s.rig.store.expectSettledOnce()[0]?.usage).toMatchObject({ inputTokens: 8, outputTokens: 42 });
      }),
      { numRuns: 25 },
    );
  });
});

describe('Relay: a cut stream', () => {
  const beforeDelta = ANTHROPIC_STREAM.split('event: message_delta')[0] as string;

  it('keeps the estimate when the usage seen so far is below it', async () => {
    const s = await served('anthropic', [beforeDelta], { stream: true, maxTokens: 1_000 });
    s.answer.relay?.push(bytes(beforeDelta));
    s.answer.relay?.fail();
    const [settled] = s.rig.store.expectSettledOnce();
    expect(settled?.usage).toBeUndefined();
    expect(settled?.reservation.cost.outputTokens).toBe(1_000);
  });

  it('charges the usage seen when it already exceeds the estimate', async () => {
    // message_start says 25 input + 1 output; the estimate is ~8 input + 1 output.
    const s = await served('anthropic', [beforeDelta], { stream: true, maxTokens: 1 });
    s.answer.relay?.push(bytes(beforeDelta));
    s.answer.relay?.fail();
    expect(s.rig.store.expectSettledOnce()[0]?.usage).toMatchObject({ inputTokens: 25, outputTokens: 1 });
  });

  it('reports an error event inside the 200 stream', async () => {
    const cut = beforeDelta + sample('8.13.b').text;
    const s = await served('anthropic', [cut], { stream: true, maxTokens: 1_000 });
    relayed(s);
    expect(s.answer.relay?.streamError()?.kind).toBe('overloaded');
    expect(s.rig.store.expectSettledOnce()[0]?.usage).toBeUndefined();
  });

  it('cancel stops the upstream body and settles once; a later end or fail settles nothing more', async () => {
    const s = await served('openai', [OPENAI_STREAM], { stream: true });
    const relay = s.answer.relay;
    relay?.push(bytes(OPENAI_STREAM.slice(0, 100)));
    relay?.cancel();
    expect(s.reply.aborted).toBe(true);
    relay?.end();
    relay?.fail();
    relay?.cancel();
    expect(s.rig.store.expectSettledOnce()[0]?.usage).toBeUndefined();
  });
});

describe('Relay: a whole (non-streamed) body', () => {
  const OPENAI_BODY = JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: 'a "usage": {"prompt_tokens": 999}' } }],
    usage: { prompt_tokens: 13, completion_tokens: 5, total_tokens: 18 },
  });
  const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(OPENAI_BODY.length) };

  it('reads the usage of a body split anywhere, relays it unchanged, and passes its length on', async () => {
    const data = bytes(OPENAI_BODY);
    await fc.assert(
      fc.asyncProperty(cuts(data.length), async (at) => {
        const s = await served('openai', split(data, at), { headers: JSON_HEADERS });
        expect(s.answer.relay?.streamed).toBe(false);
        expect(s.answer.contentLength).toBe(String(OPENAI_BODY.length));
        expect(relayed(s)).toBe(OPENAI_BODY);
        expect(s.rig.store.expectSettledOnce()[0]?.usage).toMatchObject({ inputTokens: 13, outputTokens: 5 });
      }),
      { numRuns: 25 },
    );
  });

  it('reads the usage of an Anthropic message', async () => {
    const body = JSON.stringify({
      id: 'msg_1',
      type: 'message',
      content: [{ type: 'text', text: 'hi' }],
      usage: { input_tokens: 12, output_tokens: 4 },
    });
    const s = await served('anthropic', [body], { headers: { 'content-type': 'application/json' } });
    relayed(s);
    expect(s.rig.store.expectSettledOnce()[0]?.usage).toMatchObject({ inputTokens: 12, outputTokens: 4 });
  });

  it('keeps the estimate for a body that is not JSON, one cut short, or one too large to read', async () => {
    const notJson = await served('openai', ['<html>oops</html>'], {
      headers: { 'content-type': 'text/html' },
    });
    relayed(notJson);
    expect(notJson.rig.store.expectSettledOnce()[0]?.usage).toBeUndefined();

    const cut = await served('openai', [OPENAI_BODY], { headers: JSON_HEADERS });
    cut.answer.relay?.push(bytes(OPENAI_BODY));
    cut.answer.relay?.fail();
    expect(cut.rig.store.expectSettledOnce()[0]?.usage).toBeUndefined();

    const huge = await served('openai', [OPENAI_BODY], { headers: JSON_HEADERS });
    huge.answer.relay?.push(new Uint8Array(MAX_USAGE_BODY));
    huge.answer.relay?.push(bytes(OPENAI_BODY));
    huge.answer.relay?.end();
    expect(huge.rig.store.expectSettledOnce()[0]?.usage).toBeUndefined();
  });
});

describe('Settlement: the lease of a body still on its way', () => {
  it('is renewed while the body is relayed, and no longer once settled', async () => {
    const rig = governorFor(TOPOLOGY, { leaseMs: 30_000 });
    rig.transport.script('a', { status: 200, headers: SSE, chunks: [OPENAI_STREAM] });
    const answer = await rig.serve(call('openai', { stream: true }));
    const [reservation] = rig.store.reservations;
    await rig.clock.advanceAsync(25_000);
    // Renewed every third of a lease.
    expect(rig.store.renewals).toEqual([reservation, reservation]);
    answer.relay?.push(bytes(OPENAI_STREAM));
    answer.relay?.end();
    await rig.clock.advanceAsync(60_000);
    expect(rig.store.renewals).toHaveLength(2);
    expect(rig.store.expectSettledOnce()[0]?.usage).toMatchObject({ inputTokens: 10 });
    expect(rig.clock.pending()).toBe(0);
  });
});
