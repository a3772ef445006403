/**
 * The lane's records in each API's wire shapes: statuses and their times
 * (OpenAI seconds, Anthropic ISO strings), counts, and the result lines of
 * every outcome.
 */
import { describe, expect, it } from 'vitest';
import type { BatchProgress, BatchRecord, BatchStatus, LineResult } from '../../src/batches/batch.js';
import { messageBatchObject } from '../../src/batches/wire/anthropic-objects.js';
import { anthropicResult, renderAnthropicResults } from '../../src/batches/wire/anthropic-results.js';
import { openAIBatchObject } from '../../src/batches/wire/openai-objects.js';
import { renderOpenAIResultFile } from '../../src/batches/wire/openai-results.js';

const T0 = Date.UTC(2026, 0, 1, 12);

const record = (status: BatchStatus, times: BatchRecord['times']): BatchRecord => ({
  id: 'batch_1',
  tenant: 't',
  api: 'openai',
  mode: 'drain',
  endpoint: '/v1/chat/completions',
  model: 'g',
  inputFileId: 'file-1',
  completionWindow: '24h',
  createdAt: T0,
  expiresAt: T0 + 86_400_000,
  status,
  times,
  total: 4,
  inputTokens: 10,
});

const progress: BatchProgress = { total: 4, succeeded: 1, errored: 1, canceled: 1, expired: 0 };

describe('OpenAI batch object', () => {
  it('gives each status its time in seconds and folds the outcomes into completed and failed', () => {
    const b = openAIBatchObject(
      record('cancelled', {
        validating: T0,
        in_progress: T0 + 1_500,
        cancelling: T0 + 9_000,
        cancelled: T0 + 12_000,
      }),
      progress,
    );
    expect(b).toMatchObject({
      status: 'cancelled',
      created_at: T0 / 1000,
      in_progress_at: T0 / 1000 + 1,
      cancelling_at: T0 / 1000 + 9,
      cancelled_at: T0 / 1000 + 12,
      completed_at: null,
      finalizing_at: null,
      expires_at: T0 / 1000 + 86_400,
      request_counts: { total: 4, completed: 1, failed: 2 },
      errors: null,
      metadata: null,
    });
    const failed = openAIBatchObject(
      { ...record('failed', { failed: T0 }), errors: [{ code: 'x', message: 'why' }] },
      progress,
    );
    expect(failed.errors).toEqual({
      object: 'list',
      data: [{ code: 'x', message: 'why', param: null, line: null }],
    });
  });
});

describe('Anthropic message_batch object', () => {
  const anthropic = (status: BatchStatus, times: BatchRecord['times']) =>
    messageBatchObject({ ...record(status, times), api: 'anthropic' }, progress, 'http://gw');

  it('maps every status to processing_status and ends with ended_at and results_url', () => {
    expect(anthropic('in_progress', {}).processing_status).toBe('in_progress');
    expect(anthropic('finalizing', {}).processing_status).toBe('in_progress');
    const canceling = anthropic('cancelling', { cancelling: T0 + 1_000 });
    expect(canceling).toMatchObject({
      processing_status: 'canceling',
      cancel_initiated_at: new Date(T0 + 1_000).toISOString(),
      request_counts: { processing: 1, succeeded: 1, errored: 1, canceled: 1, expired: 0 },
      results_url: null,
      ended_at: null,
    });
    const ended = anthropic('expired', { expired: T0 + 5_000 });
    expect(ended).toMatchObject({
      processing_status: 'ended',
      ended_at: new Date(T0 + 5_000).toISOString(),
      results_url: 'http://gw/v1/messages/batches/batch_1/results',
      request_counts: { processing: 0 },
    });
  });
});

describe('result files', () => {
  const results: LineResult[] = [
    { index: 0, customId: 'a', outcome: 'succeeded', status: 200, requestId: 'r0', body: { id: 'm' } },
    {
      index: 1,
      customId: 'b',
      outcome: 'errored',
      status: 400,
      requestId: '',
      error: { code: 'bad', message: 'Bad.' },
    },
    { index: 2, customId: 'c', outcome: 'canceled', status: 0, requestId: '' },
    { index: 3, customId: 'd', outcome: 'expired', status: 0, requestId: '' },
  ];

  it('splits OpenAI lines between the output and the error file', () => {
    const parse = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
    const output = parse(renderOpenAIResultFile(record('completed', {}), results, 'output'));
    const errors = parse(renderOpenAIResultFile(record('completed', {}), results, 'error'));
    expect(output.map((l) => l.custom_id)).toEqual(['a']);
    expect(errors.map((l) => [l.custom_id, l.response, l.error.code])).toEqual([
      ['b', null, 'bad'],
      ['c', null, 'batch_cancelled'],
      ['d', null, 'batch_expired'],
    ]);
    expect(renderOpenAIResultFile(record('completed', {}), [], 'output')).toBe('');
  });

  it('writes Anthropic results of every type', () => {
    expect(results.map(anthropicResult)).toEqual([
      { type: 'succeeded', message: { id: 'm' } },
      {
        type: 'errored',
        error: { type: 'error', error: { type: 'invalid_request_error', message: 'Bad.' } },
      },
      { type: 'canceled' },
      { type: 'expired' },
    ]);
    expect(renderAnthropicResults(results).split('\n')).toHaveLength(5);
  });
});
