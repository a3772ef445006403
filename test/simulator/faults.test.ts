/** Fault injection: reproducible with a seed, by rate or schedule, and each kind observable by a client. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { Simulator, SimulatorOptions } from '../../src/simulator/index.js';
import { simulatorsClosedAfterEach } from './started.js';

const start = simulatorsClosedAfterEach();

const chat = (stream = false) =>
  JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Hi' }],
    stream,
    stream_options: stream ? { include_usage: true } : undefined,
  });

function post(sim: Simulator, body: string, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json', ...headers },
    body,
    signal,
  });
}

async function statuses(sim: Simulator, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await post(sim, chat())).status);
  return out;
}

describe('fault triggers', () => {
  it('are reproducible with a seed, and differ with another seed', async () => {
    const faults: SimulatorOptions['faults'] = [{ kind: 503, rate: 0.3 }];
    const a = await start({ seed: 7, faults });
    const b = await start({ seed: 7, faults });
    const c = await start({ seed: 8, faults });
    const runA = await statuses(a.sim, 40);
    expect(await statuses(b.sim, 40)).toEqual(runA);
    expect(await statuses(c.sim, 40)).not.toEqual(runA);
    expect(runA.filter((s) => s === 503).length).toBeGreaterThan(3);
    expect(a.sim.stats().faults['503']).toBe(runA.filter((s) => s === 503).length);
    // A reset replays the same schedule.
    a.sim.reset();
    expect(await statuses(a.sim, 40)).toEqual(runA);
  });

  it('fire at listed ordinals, every n-th request, and inside a time window', async () => {
    const { sim, clock } = await start({
      faults: [
        { kind: 500, at: [2, 4] },
        { kind: 502, every: 5 },
        { kind: 503, during: [60_000, 120_000], model: 'gpt-4o-mini' },
      ],
    });
    expect(await statuses(sim, 6)).toEqual([200, 500, 200, 500, 502, 200]);
    clock.advance(60_000);
    expect(await statuses(sim, 2)).toEqual([503, 503]);
    clock.advance(60_000);
    expect(await statuses(sim, 1)).toEqual([200]);
  });

  it('can be forced per request with x-sim-fault', async () => {
    const { sim } = await start();
    const res = await post(sim, chat(), { 'x-sim-fault': '529' });
    expect(res.status).toBe(529);
    expect(await res.json()).toMatchObject({ error: { code: 'server_is_overloaded' } });
  });
});

describe('fault kinds', () => {
  it('reset: the connection drops before any answer', async () => {
    const { sim } = await start({ faults: [{ kind: 'reset', at: [1] }] });
    await expect(post(sim, chat())).rejects.toThrow();
    expect((await post(sim, chat())).status).toBe(200);
  });

  it('reset_mid_stream: the SDK sees a stream cut after some chunks; the slot is freed, the charge kept', async () => {
    const { sim } = await start({
      faults: [{ kind: 'reset_mid_stream', at: [1], after_tokens: 3 }],
      keys: { 'sk-test': { models: { 'gpt-4o-mini': { tpm: 100_000, concurrency: 1 } } } },
      response: { tokens: 10 },
    });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      max_tokens: 100,
    });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow();
    expect(text.split(' ')).toHaveLength(3);
    await expect.poll(() => sim.stats().concurrency.current).toBe(0);
    // The estimate (prompt + max_tokens) stays charged: an aborted stream is not reconciled.
    const after = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100 })
      .withResponse();
    expect(Number(after.response.headers.get('x-ratelimit-remaining-tokens'))).toBe(100_000 - 2 * (8 + 100));
  });

  it('malformed_json, missing_usage and wrong_content_type alter a 200 answer', async () => {
    const { sim } = await start({
      faults: [
        { kind: 'malformed_json', at: [1] },
        { kind: 'missing_usage', at: [2, 3] },
        { kind: 'wrong_content_type', at: [4] },
      ],
    });
    const broken = await post(sim, chat());
    expect(broken.status).toBe(200);
    expect(() => JSON.parse('') as unknown).toThrow();
    await expect(broken.json()).rejects.toThrow();

    const noUsage = (await (await post(sim, chat())).json()) as Record<string, unknown>;
    expect(noUsage.choices).toBeDefined();
    expect(noUsage.usage).toBeUndefined();
    const stream = await (await post(sim, chat(true))).text();
    expect(stream).toContain('data: [DONE]');
    expect(stream).not.toContain('"prompt_tokens"');

    const plain = await post(sim, chat());
    expect(plain.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(((await plain.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('malformed_json in a stream: one data line is cut short', async () => {
    const { sim } = await start({
      faults: [{ kind: 'malformed_json', at: [1], after_tokens: 1 }],
      response: { tokens: 3 },
    });
    const lines = (await (await post(sim, chat(true))).text())
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'));
    const bad = lines.filter((l) => {
      try {
        JSON.parse(l.slice(6));
        return false;
      } catch {
        return true;
      }
    });
    expect(bad).toHaveLength(1);
  });

  it('timeout: no answer until the client gives up, or the connection drops after after_ms', async () => {
    const { sim, clock } = await start({
      faults: [
        { kind: 'timeout', at: [1] },
        { kind: 'timeout', at: [2], after_ms: 30_000 },
      ],
    });
    // The client gives up once the simulator holds its call: no answer came, and none would without the clock.
    const giveUp = new AbortController();
    const first = post(sim, chat(), {}, giveUp.signal);
    await expect.poll(() => sim.stats().requests).toBe(1);
    giveUp.abort();
    await expect(first).rejects.toThrow();
    const pending = post(sim, chat());
    const outcome = pending.then(
      () => 'answered',
      () => 'dropped',
    );
    await expect.poll(() => sim.stats().requests).toBe(2);
    clock.advance(30_000);
    expect(await outcome).toBe('dropped');
    expect(sim.stats().faults.timeout).toBe(2);
  });

  it('error_mid_stream: Anthropic streams end with an overloaded_error event the SDK raises', async () => {
    const { sim } = await start({ faults: [{ kind: 'error_mid_stream', at: [1], after_tokens: 2 }] });
    const client = new Anthropic({ apiKey: 'k', baseURL: sim.url, maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'claude-sonnet-5-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(String((error as Error).message)).toContain('overloaded_error');
  });

  it('slow_stream: tokens arrive at the fault pace, on the simulator clock', async () => {
    const { sim, clock } = await start({
      faults: [{ kind: 'slow_stream', at: [1], per_token_ms: 1_000 }],
      response: { tokens: 4 },
    });
    const res = await post(sim, chat(true));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value);
      }
    })();
    const pieces = () => (text.match(/"content":"[^"]/g) ?? []).length;
    await expect.poll(pieces).toBe(1);
    clock.advance(1_000);
    await expect.poll(pieces).toBe(2);
    clock.advance(2_000);
    await pump;
    expect(pieces()).toBe(4);
    expect(text).toContain('[DONE]');
  });
});
