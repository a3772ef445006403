/**
 * A call crossing to a deployment of another API family, against a
 * scripted upstream: what the upstream is sent (its own API's body, the
 * deployment's key, the caller's tracing, nothing else of the caller's), an
 * upstream error reaching the caller in its own envelope, and an answer the
 * caller's API cannot hold (a 502 naming it, the tokens still settled).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseConfig, hello, KEYS, rigsClosedAfterEach } from './helpers.js';
import { chatCompletion, json, type ScriptedUpstream, startScriptedUpstream } from './scripted-upstream.js';

const startRig = rigsClosedAfterEach();
let upstream: ScriptedUpstream | undefined;
afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
});

const TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

async function rigBefore(
  provider: 'openai' | 'anthropic',
  answer: Parameters<typeof startScriptedUpstream>[0],
) {
  upstream = await startScriptedUpstream(answer);
  const url = upstream.url;
  return startRig({
    config: (simUrl) =>
      baseConfig(simUrl, {
        model_groups: {
          crossed: {
            deployments: [
              {
                id: 'scripted',
                provider,
                base_url: provider === 'openai' ? `${url}/v1` : url,
                api_key: 'sk-deployment-own',
                model: provider === 'openai' ? 'gpt-x' : 'claude-x',
                limits: { rpm: 100, tpm: 100_000 },
              },
            ],
          },
        },
      }),
  });
}

describe('a call crossing to another API family', () => {
  it('sends the upstream its own API’s body with the deployment’s key and the caller’s tracing only', async () => {
    const seen: { url: string; headers: Record<string, unknown>; body: unknown }[] = [];
    const r = await rigBefore('anthropic', ({ req, body, res }) => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
      json(res, 200, {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [{ type: 'text', text: 'Bonjour' }],
        stop_reason: 'max_tokens',
        stop_sequence: null,
        usage: { input_tokens: 11, output_tokens: 3, cache_read_input_tokens: 4 },
      });
    });
    const answer = await r
      .openai(KEYS.pro, { defaultHeaders: { traceparent: TRACE, 'openai-beta': 'assistants=v2' } })
      .chat.completions.create({
        model: 'crossed',
        messages: [{ role: 'system', content: 'Be brief.' }, ...hello],
        max_completion_tokens: 3,
        stop: ['END'],
      });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/v1/messages');
    expect(seen[0]?.body).toEqual({
      model: 'claude-x',
      max_tokens: 3,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello there' }],
      stop_sequences: ['END'],
    });
    const headers = seen[0]?.headers ?? {};
    expect(headers['x-api-key']).toBe('sk-deployment-own');
    expect(headers['anthropic-version']).toBe('2023-06-01');
    expect(headers.traceparent).toBe(TRACE);
    expect(headers.authorization).toBeUndefined();
    expect(headers['openai-beta']).toBeUndefined();
    expect(answer.choices[0]?.message.content).toBe('Bonjour');
    expect(answer.choices[0]?.finish_reason).toBe('length');
    // OpenAI's sense: the prompt includes the cache reads Anthropic reports apart.
    expect(answer.usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 3, total_tokens: 18 });
    expect(answer.usage?.prompt_tokens_details?.cached_tokens).toBe(4);
  });

  it('answers an upstream error in the caller’s own envelope, so its SDK raises its usual error', async () => {
    const r = await rigBefore('anthropic', ({ res }) =>
      json(res, 400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'messages: text content blocks must be non-empty' },
      }),
    );
    const error = await r
      .openai()
      .chat.completions.create({ model: 'crossed', messages: hello, max_tokens: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.message).toContain('text content blocks must be non-empty');
    expect(bad.error).toMatchObject({ type: 'invalid_request_error' });
    expect(bad.requestID).toEqual(expect.any(String));
  });

  it('refuses an answer the caller’s API cannot hold with a 502 naming it, and still settles its tokens', async () => {
    const two = chatCompletion({ prompt: 20, completion: 7 });
    const r = await rigBefore('openai', ({ res }) =>
      json(res, 200, { ...two, choices: [two.choices[0], { ...two.choices[0], index: 1 }] }),
    );
    const error = await r
      .anthropic()
      .messages.create({ model: 'crossed', messages: hello, max_tokens: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    const failed = error as InstanceType<typeof Anthropic.APIError>;
    expect(failed.status).toBe(502);
    expect(failed.message).toMatch(
      /answered with what this API cannot express: `choices`: exactly one choice travels/,
    );
    expect(failed.headers?.get('x-should-retry')).toBe('false');
    // Settled with what the upstream reported (20 + 7), not the 50-token reservation.
    const line = r.logs.find((l) => l.group === 'crossed');
    expect(line).toMatchObject({
      status: 502,
      refusal: 'untranslatable_answer',
      input_tokens: 20,
      output_tokens: 7,
    });
  });
});

describe('an OpenAI Responses call crossing to another family', () => {
  it('is answered as a Response the SDK reads (output_text, usage) from an Anthropic deployment', async () => {
    const r = await startRig();
    const response = await r.openai().responses.create({
      model: 'claude-haiku',
      instructions: 'Be brief.',
      input: 'Hello there',
      max_output_tokens: 16,
    });
    expect(response.object).toBe('response');
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    const stats = r.sim.stats();
    expect(stats.per_key['sk-ant-upstream']?.['claude-3-5-haiku-latest']?.admitted).toBe(1);
  });
});

describe('a streamed call crossing to another family', () => {
  it('reaches the openai SDK event by event from an Anthropic deployment, usage included when asked', async () => {
    const r = await startRig();
    const stream = await r.openai().chat.completions.create({
      model: 'claude-haiku',
      messages: hello,
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBeTruthy();
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const line = r.logs.find((l) => l.group === 'claude-haiku');
    expect(line).toMatchObject({ status: 200, stream: true, output_tokens: usage?.completion_tokens });
  });

  it('ends the caller’s stream with its own error event when the upstream stream is cut, and settles', async () => {
    const r = await rigBefore('openai', ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}\n\n',
      );
      res.end('data: {"id":"c1","object":"chat.comp');
    });
    const stream = r.anthropic().messages.stream({ model: 'crossed', messages: hello, max_tokens: 50 });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as Error).message).toMatch(/api_error/);
    const line = r.logs.find((l) => l.group === 'crossed');
    expect(line).toMatchObject({ status: 200, stream: true });
    // Every reservation settled exactly once; none is held.
    const stats = await r.gateway.governor.store.stats();
    expect(stats).toMatchObject({ active: 0, duplicateSettles: 0, expiredLeases: 0 });
    expect(stats.settled).toBe(stats.reservations);
  });
});
