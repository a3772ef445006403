/**
 * The simulator's service tiers (PROVIDERS.md "2026 changes"): OpenAI
 * answers echo the tier asked for (`default` for `auto` or none) in the body
 * and every stream chunk; Gemini reports it in `x-gemini-service-tier`; a
 * downgrade rule serves a tier's calls at another once a key × model had
 * its fill in the window, until the window rolls.
 */
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { simulatorsClosedAfterEach } from './started.js';

const start = simulatorsClosedAfterEach({ response: { tokens: 5 } });

async function chat(s: Simulator, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-1', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    }),
  });
  return res.text();
}

async function gemini(s: Simulator, extra: Record<string, unknown> = {}) {
  return fetch(`${s.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
    method: 'POST',
    headers: { 'x-goog-api-key': 'g-1', 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], ...extra }),
  });
}

const tierOf = (body: string) => (JSON.parse(body) as { service_tier?: string }).service_tier;

describe('simulator service tiers', () => {
  it('OpenAI echoes the tier asked for, default for auto or none, in bodies and every chunk', async () => {
    const { sim } = await start();
    expect(tierOf(await chat(sim))).toBe('default');
    expect(tierOf(await chat(sim, { service_tier: 'auto' }))).toBe('default');
    expect(tierOf(await chat(sim, { service_tier: 'flex' }))).toBe('flex');
    const stream = await chat(sim, {
      service_tier: 'priority',
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = stream
      .split('\n\n')
      .filter((f) => f.startsWith('data: {'))
      .map((f) => JSON.parse(f.slice(6)) as { service_tier?: string; usage?: unknown });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.service_tier === 'priority')).toBe(true);
    expect(chunks.at(-1)?.usage).toBeTruthy();
  });

  it('downgrades past the window’s fill, and serves the tier again when the window rolls', async () => {
    const { sim, clock } = await start({
      service_tiers: {
        downgrades: [{ from: 'priority', to: 'default', after_tokens: 60, window_ms: 60_000 }],
      },
    });
    // About 28 admitted tokens a call (prompt + max_tokens 20): two fit in 60.
    const tiers = [];
    for (let i = 0; i < 4; i++) tiers.push(tierOf(await chat(sim, { service_tier: 'priority' })));
    expect(tiers).toEqual(['priority', 'priority', 'default', 'default']);
    // Other tiers are not counted or changed.
    expect(tierOf(await chat(sim, { service_tier: 'flex' }))).toBe('flex');
    await clock.advanceAsync(60_000);
    expect(tierOf(await chat(sim, { service_tier: 'priority' }))).toBe('priority');
  });

  it('Gemini reports the tier that served a call in x-gemini-service-tier', async () => {
    const { sim } = await start({
      service_tiers: {
        downgrades: [{ flavour: 'gemini', from: 'priority', to: 'standard', after_tokens: 0 }],
      },
    });
    expect((await gemini(sim)).headers.get('x-gemini-service-tier')).toBe('standard');
    expect((await gemini(sim, { service_tier: 'flex' })).headers.get('x-gemini-service-tier')).toBe('flex');
    expect((await gemini(sim, { serviceTier: 'priority' })).headers.get('x-gemini-service-tier')).toBe(
      'standard',
    );
    const bad = await gemini(sim, { service_tier: 'turbo' });
    expect(bad.status).toBe(400);
  });
});
