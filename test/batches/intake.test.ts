/**
 * Reading batch inputs: every input line ends as exactly one runnable line
 * or one errored result, with indices in input order and custom_ids of
 * their own (fast-check over mixes of good, bad and clashing lines); the
 * caps; and the token estimate the enqueued-token cap sums.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAnthropicRequests } from '../../src/batches/intake/anthropic-requests.js';
import { batchCaps, intakeRefusal, tooLarge } from '../../src/batches/intake/caps.js';
import type { Intake } from '../../src/batches/intake/intake.js';
import { lineTokens } from '../../src/batches/intake/line-tokens.js';
import { readOpenAIInput } from '../../src/batches/intake/openai-input.js';

const ENDPOINT = '/v1/chat/completions';
const oneToken = () => 1;

const good = (id: string) =>
  JSON.stringify({ custom_id: id, method: 'POST', url: ENDPOINT, body: { model: 'g', messages: [] } });

/** Input rows: good lines and every kind of bad one, custom_ids from a small set so they clash. */
const row = fc.oneof(
  fc.constantFrom('a', 'b', 'line-1', 'line-3', 'line-3-2').map(good),
  fc.constant('{broken'),
  fc.constant('[1,2]'),
  fc.constant(''),
  fc
    .constantFrom('a', 'c')
    .map((id) => JSON.stringify({ custom_id: id, method: 'GET', url: ENDPOINT, body: {} })),
  fc
    .constantFrom('c', 'd')
    .map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: ENDPOINT, body: 7 })),
  fc.constant(JSON.stringify({ method: 'POST', url: ENDPOINT, body: { model: 'g' } })),
);

function checkWhole(intake: Intake, rows: number): void {
  const indices = [...intake.lines.map((l) => l.index), ...intake.known.map((r) => r.index)].sort(
    (x, y) => x - y,
  );
  expect(indices).toEqual(Array.from({ length: intake.total }, (_, i) => i));
  expect(intake.total).toBe(rows);
  const ids = [...intake.lines.map((l) => l.customId), ...intake.known.map((r) => r.customId)];
  expect(new Set(ids).size).toBe(ids.length);
  for (const r of intake.known) {
    expect(r).toMatchObject({ outcome: 'errored', status: 400, requestId: '' });
    expect(r.error?.code).toBeTruthy();
  }
}

describe('readOpenAIInput', () => {
  it('gives every non-blank line one place: a line to run or an errored result, custom_ids unique', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const intake = readOpenAIInput(rows.join('\n'), { endpoint: ENDPOINT, tokensOf: oneToken });
        checkWhole(intake, rows.filter((r) => r.trim() !== '').length);
        expect(intake.inputTokens).toBe(intake.lines.length);
      }),
    );
  });

  it('names an unreadable line by its line number, past a caller who used that name', () => {
    const intake = readOpenAIInput([good('line-2'), '{x', good('b')].join('\n'), {
      endpoint: ENDPOINT,
      tokensOf: oneToken,
    });
    expect(intake.known.map((r) => r.customId)).toEqual(['line-2-2']);
    expect(intake.model).toBe('g');
  });
});

describe('readAnthropicRequests', () => {
  it('keeps a bad request as an errored result under its own custom_id when it has a valid one', () => {
    const params = { model: 'claude', max_tokens: 5, messages: [] };
    const intake = readAnthropicRequests(
      [
        { custom_id: 'ok', params },
        { custom_id: 'x'.repeat(65), params },
        { custom_id: 'no-model', params: { max_tokens: 5 } },
        'text',
      ],
      oneToken,
    );
    checkWhole(intake, 4);
    expect(intake.lines.map((l) => [l.customId, l.url])).toEqual([['ok', '/v1/messages']]);
    expect(intake.known.map((r) => [r.customId, r.error?.code])).toEqual([
      ['line-2', 'invalid_custom_id'],
      ['no-model', 'missing_required_parameter'],
      ['line-4', 'invalid_request'],
    ]);
  });
});

describe('caps', () => {
  const intake = (lines: number, known: number, inputTokens: number): Intake => ({
    lines: Array.from({ length: lines }, (_, i) => ({
      index: i,
      customId: `c${i}`,
      url: ENDPOINT,
      body: {},
    })),
    known: Array.from({ length: known }, (_, i) => ({
      index: lines + i,
      customId: `k${i}`,
      outcome: 'errored' as const,
      status: 400,
      requestId: '',
      error: { code: 'invalid_json_line', message: `Line ${i} is not valid JSON.` },
    })),
    total: lines + known,
    inputTokens,
    model: 'g',
  });

  it('takes the tighter of the lane and the tier, and counts malformed lines as lines', () => {
    const caps = batchCaps(
      { max_lines: 10, max_file_bytes: 1_000 },
      { max_lines: 4, max_enqueued_tokens: 100 },
    );
    expect(caps).toEqual({ maxLines: 4, maxFileBytes: 1_000, maxEnqueuedTokens: 100 });
    expect(intakeRefusal(intake(3, 1, 10), caps, 0)).toBeUndefined();
    expect(intakeRefusal(intake(3, 2, 10), caps, 0)?.code).toBe('batch_too_many_lines');
    expect(intakeRefusal(intake(0, 2, 0), caps, 0)?.code).toBe('batch_empty');
    expect(intakeRefusal(intake(0, 2, 0), caps, 0)?.message).toContain('Line 0 is not valid JSON.');
    expect(intakeRefusal(intake(2, 0, 40), caps, 60)).toBeUndefined();
    expect(intakeRefusal(intake(2, 0, 41), caps, 60)?.code).toBe('batch_tokens_exceeded');
    expect(tooLarge(1_000, caps)).toBeUndefined();
    expect(tooLarge(1_001, caps)?.code).toBe('file_too_large');
    expect(batchCaps({ max_lines: 10, max_file_bytes: 1_000 }, { max_file_bytes: 5_000 }).maxFileBytes).toBe(
      1_000,
    );
  });
});

describe('lineTokens', () => {
  it('counts a line as its API estimates a live call', () => {
    const long = 'tokens '.repeat(200);
    const openai = lineTokens('openai');
    const anthropic = lineTokens('anthropic');
    const short = {
      index: 0,
      customId: 'a',
      url: ENDPOINT,
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
    };
    const big = { ...short, body: { model: 'gpt-4o', messages: [{ role: 'user', content: long }] } };
    expect(openai(big)).toBeGreaterThan(openai(short) + 150);
    const message = {
      index: 0,
      customId: 'a',
      url: '/v1/messages',
      body: { model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: long }] },
    };
    expect(anthropic(message)).toBeGreaterThan(150);
  });
});
