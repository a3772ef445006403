/**
 * Counters that tell the truth (issue 14), over real sockets with the
 * official OpenAI SDK as the client and a scripted upstream: a stream the
 * client cuts after three chunks is counted as what it delivered while its
 * reservation keeps the estimate and settles once; every `_total` counter
 * exists at the first scrape; process metrics keep their standard names.
 */
import { describe, expect, it } from 'vitest';
import { waitUntil } from './helpers.js';
import { ADMIN_KEY, sample, scrape, start } from './metrics-rig.js';
import { chatChunk, chatCompletion, json } from './scripted-upstream.js';

describe('a stream the client cuts after three chunks', () => {
  it('counts what was delivered in sluice_tokens_total and the dashboard, keeps the estimate on the buckets, settles once', async () => {
    const { gateway: g, client } = await start(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // Three chunks of four ASCII characters (one token each by the character rule), then nothing: the stream stays open.
      for (let i = 0; i < 3; i++) res.write(chatChunk('abcd'));
    });
    const stream = await client.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'Tell me a long story about rivers.' }],
      max_tokens: 3_000,
      stream: true,
    });
    let seen = 0;
    for await (const _chunk of stream) if (++seen === 3) break; // the SDK aborts the request
    expect(seen).toBe(3);
    await waitUntil(async () => (await g.governor.store.stats()).active === 0);

    const text = await scrape(g);
    expect(sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'output' })).toBe(3);
    const input = sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'input' }) as number;
    expect(input).toBeGreaterThan(0);
    expect(input).toBeLessThan(100);
    expect(sample(text, 'sluice_store_duplicate_settles')).toBe(0);
    expect(sample(text, 'sluice_store_active_reservations')).toBe(0);
    // The buckets keep the estimate (PROVIDERS.md §1.8): the tenant's tokens bucket still holds input + max_tokens.
    const buckets = await g.state.buckets();
    const tpm = buckets.find((b) => b.scope === 'tenant' && b.dimension === 'tokens');
    expect(tpm?.used).toBeCloseTo(input + 3_000, 1);

    const res = await fetch(`${g.url}/admin/v1/state`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const state = (await res.json()) as { totals: { inputTokens: number; outputTokens: number } };
    expect(state.totals).toMatchObject({ inputTokens: input, outputTokens: 3 });
  });
});

describe('a burst of streams, half of them cut', () => {
  it('counts every delivered token once across 24 concurrent streams on two deployments', async () => {
    // A prompt `chunks=K cut=yes|no`: K chunks of one token each, then the usage and [DONE] unless cut.
    const { gateway: g, client } = await start(({ body, res }) => {
      const content = JSON.parse(body).messages[0].content as string;
      const chunks = Number(/chunks=(\d+)/.exec(content)?.[1]);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < chunks; i++) res.write(chatChunk('abcd'));
      if (content.includes('cut=yes')) return; // stays open until the client leaves
      const usage = { ...chatCompletion({ prompt: 11, completion: chunks }), choices: [] };
      res.end(`data: ${JSON.stringify(usage)}\n\ndata: [DONE]\n\n`);
    });
    const calls = Array.from({ length: 24 }, (_, i) => ({ chunks: 1 + (i % 5), cut: i % 2 === 1 }));
    await Promise.all(
      calls.map(async ({ chunks, cut }) => {
        const stream = await client.chat.completions.create({
          model: 'gpt',
          messages: [{ role: 'user', content: `chunks=${chunks} cut=${cut ? 'yes' : 'no'}` }],
          max_tokens: 2_000,
          stream: true,
        });
        let seen = 0;
        for await (const chunk of stream) {
          if (chunk.choices.length > 0) seen++;
          if (cut && seen === chunks) break;
        }
        expect(seen).toBe(chunks);
      }),
    );
    await waitUntil(async () => (await g.governor.store.stats()).active === 0);
    const text = await scrape(g);
    const delivered = calls.reduce((n, c) => n + c.chunks, 0);
    expect(sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'output' })).toBe(delivered);
    expect(sample(text, 'sluice_store_duplicate_settles')).toBe(0);
    expect(sample(text, 'sluice_request_tokens_count', { tenant: 'acme', direction: 'output' })).toBe(24);
    const stats = await g.governor.store.stats();
    expect(stats.expiredLeases).toBe(0);
  });
});

describe('/metrics right after start', () => {
  it('has every _total counter at 0, Node process metrics under their standard names', async () => {
    const { gateway: g } = await start(({ res }) =>
      json(res, 200, chatCompletion({ prompt: 1, completion: 1 })),
    );
    const text = await scrape(g);
    const counters = [...text.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1] as string);
    expect(counters.length).toBeGreaterThan(10);
    for (const name of counters) {
      expect(name, `${name} ends in _total`).toMatch(/_total$/);
      const values = text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
      expect(values.length, `${name} has a sample at start`).toBeGreaterThan(0);
      // Process counters (CPU seconds) have run since the process started; everything of Sluice's starts at 0.
      if (!name.startsWith('process_'))
        expect(
          values.every((v) => v === 0),
          `${name} starts at 0`,
        ).toBe(true);
    }
    expect(sample(text, 'sluice_tokens_total', { tenant: 'acme', direction: 'output' })).toBe(0);
    expect(sample(text, 'sluice_retry_outcomes_total', { deployment: 'up-a', outcome: 'failed' })).toBe(0);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    expect(text).not.toMatch(/^sluice_process_|^sluice_nodejs_/m);
  });
});
