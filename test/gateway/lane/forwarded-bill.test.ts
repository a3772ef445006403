/**
 * A forwarded batch's bill: the usage of every line the provider answered,
 * read from each answer's body by its deployment's adapter (OpenAI chat and
 * Anthropic messages, cache reads split out), lines without a usage left
 * out, nothing for a batch that was never sent.
 */
import { describe, expect, it } from 'vitest';
import type { LineResult } from '../../../src/batches/batch.js';
import { forwardedBill } from '../../../src/gateway/lane/forwarded-bill.js';
import { batchRecord } from '../../batches/batch-store-contract.js';
import { deploymentFor } from '../../batches/forward/forward-setup.js';

const ok = (index: number, body: unknown): LineResult => ({
  index,
  customId: `l-${index}`,
  outcome: 'succeeded',
  status: 200,
  requestId: '',
  body,
});

describe('forwardedBill', () => {
  it('sums OpenAI chat usages, cached prompt tokens split out; error lines count nothing', () => {
    const deployment = deploymentFor('openai', 'http://sim');
    const batch = batchRecord('batch_1', 3, {
      tenant: 'acme',
      model: 'gpt-4o-mini',
      endpoint: '/v1/chat/completions',
      forward: { deployment: deployment.id, enqueuedTokens: 0 },
    });
    const results: LineResult[] = [
      ok(0, {
        object: 'chat.completion',
        usage: { prompt_tokens: 1_000, completion_tokens: 50, total_tokens: 1_050 },
      }),
      ok(1, {
        object: 'chat.completion',
        usage: {
          prompt_tokens: 2_000,
          completion_tokens: 70,
          prompt_tokens_details: { cached_tokens: 1_024 },
        },
      }),
      {
        index: 2,
        customId: 'l-2',
        outcome: 'errored',
        status: 400,
        requestId: '',
        body: { error: { message: 'bad' } },
      },
    ];
    const bill = forwardedBill(batch, results, (id) => (id === deployment.id ? deployment : undefined));
    expect(bill).toMatchObject({ tenant: 'acme', group: 'gpt-4o-mini', deployment: 'oa', calls: 2 });
    expect(bill?.usage).toMatchObject({ inputTokens: 3_000, outputTokens: 120, cacheReadTokens: 1_024 });
  });

  it('reads Anthropic messages, cache reads and writes beside the input', () => {
    const deployment = deploymentFor('anthropic', 'http://sim');
    const batch = batchRecord('msgbatch_1', 1, {
      api: 'anthropic',
      endpoint: '/v1/messages',
      forward: { deployment: deployment.id, enqueuedTokens: 0 },
    });
    const message = {
      type: 'message',
      usage: {
        input_tokens: 30,
        cache_read_input_tokens: 2_000,
        cache_creation_input_tokens: 500,
        output_tokens: 90,
      },
    };
    const bill = forwardedBill(batch, [ok(0, message)], () => deployment);
    expect(bill?.calls).toBe(1);
    expect(bill?.usage).toMatchObject({
      outputTokens: 90,
      cacheReadTokens: 2_000,
      cacheWriteTokens: 500,
      promptTokens: 2_530,
    });
  });

  it('bills nothing for a batch never sent, or one whose deployment is gone or whose lines have no usage', () => {
    const deployment = deploymentFor('openai', 'http://sim');
    const answered = [ok(0, { usage: { prompt_tokens: 5, completion_tokens: 5 } })];
    const unsent = batchRecord('b', 1, { endpoint: '/v1/chat/completions' });
    expect(forwardedBill(unsent, answered, () => deployment)).toBeUndefined();
    const sent = batchRecord('b', 1, {
      endpoint: '/v1/chat/completions',
      forward: { deployment: 'oa', enqueuedTokens: 0 },
    });
    expect(forwardedBill(sent, answered, () => undefined)).toBeUndefined();
    expect(forwardedBill(sent, [ok(0, { object: 'chat.completion' })], () => deployment)).toBeUndefined();
  });
});
