import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../../src/providers/registry.js';
import { headersOf, NOW, sample } from '../helpers.js';

const openai = createAdapter('openai');
const azure = createAdapter('azure');
const anthropic = createAdapter('anthropic');
const groq = createAdapter('openai-compatible', { preset: 'groq' });

describe('OpenAI x-ratelimit-* (PROVIDERS.md §1.1–§1.3)', () => {
  it('reads §8.1: requests per minute inferred, tokens per minute, resets as time until full', () => {
    const obs = openai.observe(sample('8.1').headers, NOW);
    expect(obs).toEqual([
      {
        dimension: 'requests',
        window: 'minute',
        limit: 5000,
        remaining: 4999,
        resetAt: NOW + 12,
        scope: undefined,
        windowBasis: 'inferred',
        clamped: undefined,
      },
      {
        dimension: 'tokens',
        window: 'minute',
        limit: 800000,
        remaining: 799680,
        resetAt: NOW + 24,
        scope: undefined,
        windowBasis: 'documented',
        clamped: undefined,
      },
    ]);
  });

  it('reads §8.2 (429 TPM): 37.856 s until the token bucket is full', () => {
    const [requests, tokens] = openai.observe(sample('8.2').headers, NOW);
    expect(requests).toMatchObject({ dimension: 'requests', window: 'minute', limit: 500, remaining: 499 });
    expect(tokens).toMatchObject({ limit: 30000, remaining: 11072, resetAt: NOW + 37_856 });
  });

  it('infers a per-day request limit from the free-tier capture (10000 / 9999 / 8.64s)', () => {
    const obs = openai.observe(
      headersOf({
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '9999',
        'x-ratelimit-reset-requests': '8.64s',
      }),
      NOW,
    );
    expect(obs).toEqual([
      expect.objectContaining({ window: 'day', windowBasis: 'inferred', resetAt: NOW + 8_640 }),
    ]);
  });

  it('marks the window as assumed when a full bucket gives nothing to infer from', () => {
    const obs = openai.observe(
      headersOf({
        'x-ratelimit-limit-requests': '10000',
        'x-ratelimit-remaining-requests': '10000',
        'x-ratelimit-reset-requests': '0s',
      }),
      NOW,
    );
    expect(obs[0]).toMatchObject({ window: 'minute', windowBasis: 'assumed', resetAt: NOW });
  });

  it('honours a configured request window', () => {
    const daily = createAdapter('openai', { requestsWindow: 'day' });
    const obs = daily.observe(sample('8.1').headers, NOW);
    expect(obs[0]).toMatchObject({ dimension: 'requests', window: 'day', windowBasis: 'configured' });
  });

  it('reports the project-scoped token limit beside the org one', () => {
    const obs = openai.observe(
      headersOf({
        'x-ratelimit-limit-project-tokens': '60000',
        'x-ratelimit-remaining-project-tokens': '57000',
        'x-ratelimit-reset-project-tokens': '3s',
      }),
      NOW,
    );
    expect(obs).toEqual([
      expect.objectContaining({
        dimension: 'tokens',
        scope: 'project',
        limit: 60000,
        remaining: 57000,
        resetAt: NOW + 3_000,
      }),
    ]);
  });

  it('reads the streaming response headers of §8.7', () => {
    const [, tokens] = openai.observe(sample('8.7').headers, NOW);
    expect(tokens).toMatchObject({ limit: 50000000, remaining: 49999942, resetAt: NOW });
  });

  it('returns nothing when the provider sends no rate-limit headers', () => {
    expect(openai.observe(new Headers(), NOW)).toEqual([]);
    expect(openai.observe(sample('8.4').headers, NOW)).toEqual([]);
  });
});

describe('Azure (§2.1)', () => {
  it('reads §8.8: bare-second resets, per-minute limits', () => {
    const obs = azure.observe(sample('8.8').headers, NOW);
    expect(obs).toEqual([
      expect.objectContaining({
        dimension: 'requests',
        window: 'minute',
        limit: 300,
        remaining: 287,
        resetAt: NOW + 10_000,
      }),
      expect.objectContaining({
        dimension: 'tokens',
        window: 'minute',
        limit: 50000,
        remaining: 0,
        resetAt: NOW + 6_000,
      }),
    ]);
  });

  it('treats -1 as unknown, not as exhausted (Responses API quirk)', () => {
    const obs = azure.observe(
      headersOf({
        'x-ratelimit-limit-tokens': '-1',
        'x-ratelimit-remaining-tokens': '-1',
        'x-ratelimit-reset-tokens': '0',
        'x-ratelimit-remaining-requests': '59',
      }),
      NOW,
    );
    expect(obs).toEqual([
      expect.objectContaining({ dimension: 'requests', remaining: 59, limit: undefined }),
      expect.objectContaining({ dimension: 'tokens', limit: undefined, remaining: undefined, resetAt: NOW }),
    ]);
  });
});

describe('Anthropic anthropic-ratelimit-* (§3.1)', () => {
  it('reads all four triplets of §8.9 with RFC 3339 resets', () => {
    const now = Date.parse('2026-05-01T12:00:00.400Z');
    const obs = anthropic.observe(sample('8.9').headers, now);
    const reset = Date.parse('2026-05-01T12:00:01Z');
    expect(obs.map((o) => [o.dimension, o.window, o.limit, o.remaining, o.resetAt, o.windowBasis])).toEqual([
      ['requests', 'minute', 4000, 3999, reset, 'documented'],
      ['tokens', 'minute', 2400000, 2398000, reset, 'documented'],
      ['input_tokens', 'minute', 2000000, 1998000, reset, 'documented'],
      ['output_tokens', 'minute', 400000, 400000, reset, 'documented'],
    ]);
  });

  it('reads the 429 of §8.10: input tokens exhausted until the next minute', () => {
    const now = Date.parse('2026-05-01T12:00:00Z');
    const input = anthropic.observe(sample('8.10').headers, now).find((o) => o.dimension === 'input_tokens');
    expect(input).toMatchObject({ limit: 50000, remaining: 0, resetAt: now + 60_000, clamped: undefined });
  });

  it('clamps a reset in the past to now, flagging it beyond the skew tolerance', () => {
    const headers = headersOf({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '50',
      'anthropic-ratelimit-requests-reset': '2026-05-01T11:59:59Z',
    });
    expect(anthropic.observe(headers, NOW)[0]).toMatchObject({ resetAt: NOW, clamped: undefined });
    expect(anthropic.observe(headers, NOW + 10_000)[0]).toMatchObject({
      resetAt: NOW + 10_000,
      clamped: 'past',
    });
  });

  it('clamps a reset years ahead to one window and flags it', () => {
    const headers = headersOf({ 'anthropic-ratelimit-tokens-reset': '2031-01-01T00:00:00Z' });
    expect(anthropic.observe(headers, NOW)).toEqual([
      expect.objectContaining({ dimension: 'tokens', resetAt: NOW + 60_000, clamped: 'future' }),
    ]);
  });

  it('ignores free-form dates that Date.parse would accept', () => {
    const headers = headersOf({ 'anthropic-ratelimit-tokens-reset': 'May 1, 2026' });
    expect(anthropic.observe(headers, NOW)).toEqual([]);
  });
});

describe('Groq preset (§5): requests per day, tokens per minute', () => {
  it('reads §8.16', () => {
    const obs = groq.observe(sample('8.16').headers, NOW);
    expect(obs).toEqual([
      expect.objectContaining({
        dimension: 'requests',
        window: 'day',
        windowBasis: 'documented',
        limit: 1000,
        remaining: 912,
        resetAt: NOW + 7_603_200,
      }),
      expect.objectContaining({
        dimension: 'tokens',
        window: 'minute',
        limit: 8000,
        remaining: 2464,
        resetAt: NOW + 41_520,
      }),
    ]);
  });

  it('the generic OpenAI reading of the same headers would call 2h6m a clamped per-minute reset', () => {
    const generic = createAdapter('openai-compatible');
    const [requests] = generic.observe(sample('8.16').headers, NOW);
    // 2h6m43.2s for 88 requests used of 1000 → est ≈ 24 h: inference finds the day.
    expect(requests).toMatchObject({ window: 'day', windowBasis: 'inferred' });
  });
});

describe('sanity of reported numbers', () => {
  it('caps remaining at the limit and drops zero limits', () => {
    const obs = openai.observe(
      headersOf({
        'x-ratelimit-limit-tokens': '0',
        'x-ratelimit-remaining-tokens': '500',
        'x-ratelimit-limit-requests': '10',
        'x-ratelimit-remaining-requests': '99',
      }),
      NOW,
    );
    expect(obs).toEqual([
      expect.objectContaining({ dimension: 'requests', limit: 10, remaining: 10 }),
      expect.objectContaining({ dimension: 'tokens', limit: undefined, remaining: 500 }),
    ]);
  });

  it('drops garbage values and keeps the rest of the triplet', () => {
    const obs = openai.observe(
      headersOf({
        'x-ratelimit-limit-tokens': '1e9',
        'x-ratelimit-remaining-tokens': 'lots',
        'x-ratelimit-reset-tokens': '20ms',
      }),
      NOW,
    );
    expect(obs).toEqual([
      expect.objectContaining({ limit: undefined, remaining: undefined, resetAt: NOW + 20 }),
    ]);
  });

  it('survives a header lookup that throws', () => {
    const hostile = {
      get(): string {
        throw new Error('boom');
      },
    };
    expect(openai.observe(hostile, NOW)).toEqual([]);
  });
});
