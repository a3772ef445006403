/**
 * Accuracy and GenAI metrics (issue 14) after real calls through the
 * gateway: the OTel GenAI histograms carry operation, provider and model;
 * a known estimated/reported pair lands where it should; retries that got
 * the call served are told apart from those that did not; the prompt-cache
 * hit ratio follows Anthropic's `cache_read_input_tokens`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/providers/registry.js';
import { KEY, sample, scrape, start } from './metrics-rig.js';
import { chatChunk, chatCompletion, json } from './scripted-upstream.js';

describe('accuracy and GenAI metrics after calls', () => {
  it('labels the GenAI histograms with operation, provider and model, and compares a known estimate with the report', async () => {
    const body = {
      model: 'gpt',
      messages: [{ role: 'user' as const, content: 'How many rivers cross Paris?' }],
      max_tokens: 100,
    };
    const estimated = createAdapter('openai').estimate('chat_completions', body, '/v1/chat/completions').cost;
    const { gateway: g, client } = await start(({ body: sent, res }) => {
      if (JSON.parse(sent).stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chatChunk('ok'));
        res.end(
          `data: ${JSON.stringify({ ...chatCompletion({ prompt: 5, completion: 1 }), choices: [] })}\n\ndata: [DONE]\n\n`,
        );
        return;
      }
      // Twice the estimated input, half the reserved output.
      json(res, 200, chatCompletion({ prompt: estimated.inputTokens * 2, completion: 50 }));
    });
    await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true });
    for await (const _chunk of stream);
    const text = await scrape(g);

    const genai = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-x',
    };
    expect(sample(text, 'gen_ai_client_token_usage_count', { ...genai, gen_ai_token_type: 'input' })).toBe(2);
    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...genai, gen_ai_token_type: 'output' })).toBe(51);
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', genai)).toBe(2);
    expect(sample(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', genai)).toBe(1);

    const up = { deployment: 'up-a' };
    const sum = (name: string, direction: string) =>
      (sample(text, name, { deployment: 'up-a', direction }) ?? 0) +
      (sample(text, name, { deployment: 'up-b', direction }) ?? 0);
    expect(sum('sluice_estimated_tokens_total', 'output')).toBe(200);
    expect(sum('sluice_reported_tokens_total', 'output')).toBe(51);
    expect(sum('sluice_estimated_tokens_total', 'input')).toBe(estimated.inputTokens * 2);
    expect(sum('sluice_reported_tokens_total', 'input')).toBe(estimated.inputTokens * 2 + 5);
    // The non-streamed call: estimated ÷ reported input is 0.5, output 100 ÷ 50 = 2.
    const ratio = (direction: string, le: string) =>
      (sample(text, 'sluice_estimate_ratio_bucket', { ...up, direction, le }) ?? 0) +
      (sample(text, 'sluice_estimate_ratio_bucket', { deployment: 'up-b', direction, le }) ?? 0);
    expect(ratio('input', '0.5') - ratio('input', '0.25')).toBe(1);
    expect(ratio('output', '2') - ratio('output', '1.5')).toBe(1);
    expect(
      sample(text, 'sluice_request_tokens_count', { tenant: 'acme', group: 'gpt', direction: 'output' }),
    ).toBe(2);
  });

  it('counts retries that got the call served apart from those that did not', async () => {
    const solo = {
      gpt: {
        deployments: [
          { id: 'solo', provider: 'openai' as const, base_url: '', api_key: 'sk-up', model: 'gpt-x' },
        ],
      },
    };
    // Calls 0 and 2, 3 fail with a 500; call 1 succeeds.
    const { gateway: g, client } = await start(
      ({ n, res }) =>
        n === 1
          ? json(res, 200, chatCompletion({ prompt: 3, completion: 1 }))
          : json(res, 500, { error: { message: 'boom', type: 'server_error' } }),
      { retry: { base_ms: 0, max_attempts: 2 } },
      solo,
    );
    const body = { model: 'gpt', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };
    await client.chat.completions.create(body);
    await expect(client.chat.completions.create(body)).rejects.toMatchObject({ status: 500 });
    const text = await scrape(g);
    expect(sample(text, 'sluice_retry_outcomes_total', { deployment: 'solo', outcome: 'succeeded' })).toBe(1);
    expect(sample(text, 'sluice_retry_outcomes_total', { deployment: 'solo', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'sluice_retries_total', { deployment: 'solo', kind: 'server_error' })).toBe(2);
    const failed = { gen_ai_provider_name: 'openai', error_type: 'server_error' };
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', failed)).toBe(3);
  });

  it('derives the prompt-cache hit ratio from Anthropic cache_read_input_tokens', async () => {
    const claude = {
      claude: {
        deployments: [
          {
            id: 'claude-a',
            provider: 'anthropic' as const,
            base_url: '',
            api_key: 'sk-ant',
            model: 'claude-sonnet-4-5',
          },
        ],
      },
    };
    const { gateway: g } = await start(
      ({ res }) =>
        json(res, 200, {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [{ type: 'text', text: 'ok' }],
          stop_reason: 'end_turn',
          usage: {
            input_tokens: 100,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 300,
            output_tokens: 10,
          },
        }),
      {},
      claude,
    );
    const anthropic = new Anthropic({ apiKey: KEY, baseURL: g.url, maxRetries: 0 });
    await anthropic.messages.create({
      model: 'claude',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const text = await scrape(g);
    expect(sample(text, 'sluice_prompt_cache_read_tokens_total', { deployment: 'claude-a' })).toBe(300);
    expect(sample(text, 'sluice_prompt_tokens_total', { deployment: 'claude-a' })).toBe(400);
    expect(sample(text, 'sluice_prompt_cache_hit_ratio', { deployment: 'claude-a' })).toBe(0.75);
    // Cache reads do not count toward this model's input limit: the tokens counter has the 100 uncached ones.
    expect(sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'input' })).toBe(100);
  });
});
