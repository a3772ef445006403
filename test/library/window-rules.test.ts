/**
 * Window rules end to end: `governor.fetch` against the simulator on
 * 127.0.0.1, both on one manual clock, with the providers' own window rules
 * on both sides (PROVIDERS.md §2.2, §4.1): Gemini's fixed minutes and its
 * days at midnight Pacific, Azure's request slices. Every call is answered
 * and none meets an upstream 429.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { LibraryGovernor } from '../../src/library/create-governor.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from './helpers.js';

closeAfterEach();

const GEMINI = 'gemini-2.5-flash';

async function waitUntil(check: () => boolean): Promise<void> {
  await expect.poll(check, { timeout: 10_000, interval: 2 }).toBe(true);
}

/** Calls sent at once; `settled()` says how many have been answered. */
function launch<T>(n: number, call: () => Promise<T>) {
  let answered = 0;
  const results = Promise.allSettled(
    Array.from({ length: n }, () =>
      call().finally(() => {
        answered++;
      }),
    ),
  );
  return { results, answered: () => answered };
}

const queued = (g: LibraryGovernor) =>
  g.governor.admission.stats().queued.reduce((sum, depth) => sum + depth, 0);

function generate(g: LibraryGovernor, sim: Simulator): Promise<Response> {
  return g
    .fetch(`${sim.url}/v1beta/models/${GEMINI}:generateContent`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-goog-api-key': 'AIza-test',
        'x-sluice-max-wait-ms': '120000',
      },
      body: JSON.stringify({
        contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }],
        generationConfig: { maxOutputTokens: 20 },
      }),
    })
    .then(async (res) => {
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      return res;
    });
}

function geminiGovernor(sim: Simulator, clock: ManualClock, limits: Record<string, number>): LibraryGovernor {
  return governor(
    {
      default_max_wait_ms: 120_000,
      model_groups: {
        [GEMINI]: {
          deployments: [{ id: 'sim-gemini', provider: 'gemini', base_url: sim.url, model: GEMINI, limits }],
        },
      },
    },
    { clock },
  );
}

describe('window rules through governor.fetch', () => {
  it('Gemini fixed minute: 18 calls at second 0, then 10 at second 30, and no upstream 429', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0));
    const sim = await simulator({ clock, defaults: { rpm: 20 }, response: { tokens: 5 } });
    const g = geminiGovernor(sim, clock, { rpm: 20 });
    const first = launch(18, () => generate(g, sim));
    // Paced: half the minute's 18 (after the margin) at second 0, the rest over the next 15 s.
    await waitUntil(() => first.answered() === 9 && queued(g) === 9);
    await clock.advanceAsync(30_000);
    await waitUntil(() => first.answered() === 18);
    const second = launch(10, () => generate(g, sim));
    // The minute is spent: these wait for second 00 instead of meeting Gemini's 429.
    await waitUntil(() => queued(g) === 10);
    expect(second.answered()).toBe(0);
    await clock.advanceAsync(30_000);
    await waitUntil(() => second.answered() === 9);
    await clock.advanceAsync(10_000);
    await waitUntil(() => second.answered() === 10);
    for (const r of [...(await first.results), ...(await second.results)]) expect(r.status).toBe('fulfilled');
    expect(sim.stats().rejected.rpm).toBe(0);
  });

  it('Gemini day: a burst over the daily quota at 23:59 Pacific waits for midnight Pacific, not UTC', async () => {
    // 23:59 PST on 7 March 2026 (07:59 UTC on the 8th); clocks go forward at 02:00 that night.
    const clock = new ManualClock(Date.UTC(2026, 2, 8, 7, 59, 0));
    const sim = await simulator({ clock, defaults: { rpd: 4 }, response: { tokens: 5 } });
    const g = governor(
      {
        safety_margin: 0,
        default_max_wait_ms: 120_000,
        model_groups: {
          [GEMINI]: {
            deployments: [
              { id: 'sim-gemini', provider: 'gemini', base_url: sim.url, model: GEMINI, limits: { rpd: 4 } },
            ],
          },
        },
      },
      { clock },
    );
    const calls = launch(6, () => generate(g, sim));
    await waitUntil(() => calls.answered() === 4 && queued(g) === 2);
    await clock.advanceAsync(59_000);
    expect(calls.answered()).toBe(4);
    await clock.advanceAsync(1_000); // 00:00 PST = 08:00 UTC
    await waitUntil(() => calls.answered() === 6);
    for (const r of await calls.results) expect(r.status).toBe('fulfilled');
    expect(sim.stats().rejected.rpd).toBe(0);
  });

  it('Azure slices: a burst of 40 on 60 RPM in 10 s slices, through the openai SDK, and no upstream 429', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0));
    const sim = await simulator({ clock, defaults: { rpm: 60, window: 'sliced' }, response: { tokens: 5 } });
    const g = governor(
      {
        default_max_wait_ms: 120_000,
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'sim-azure',
                provider: 'azure',
                base_url: `${sim.url}/openai?api-version=2024-10-21`,
                api_key: 'azure-key',
                model: 'gpt-4o-mini',
                limits: { rpm: 60 },
              },
            ],
          },
        },
      },
      { clock },
    );
    const client = new OpenAI({
      apiKey: 'unused',
      baseURL: `${sim.url}/openai/v1`,
      fetch: g.fetch,
      maxRetries: 0,
    });
    const calls = launch(40, () =>
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 },
        { headers: { 'x-sluice-max-wait-ms': '120000' } },
      ),
    );
    // 60 RPM is 10 per 10 s slice, 9 after the margin: every slice serves 9, none more.
    const served: number[] = [];
    for (let slice = 0; slice < 5; slice++) {
      await waitUntil(() => calls.answered() === Math.min(40, 9 * (slice + 1)));
      served.push(calls.answered());
      await clock.advanceAsync(10_000);
    }
    expect(served).toEqual([9, 18, 27, 36, 40]);
    for (const r of await calls.results) expect(r.status).toBe('fulfilled');
    expect(sim.stats().rejected.rpm).toBe(0);
  });
});

describe('header sync over a fixed window', () => {
  it('OpenAI-style headers on a fixed minute: the reset is its boundary, no per-day limit is learned, no 429', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 5));
    const limits = { rpm: 20, window: 'fixed' as const };
    const sim = await simulator({ clock, defaults: limits, response: { tokens: 5 } });
    const g = governor(
      {
        default_max_wait_ms: 120_000,
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'sim-openai',
                provider: 'openai',
                base_url: `${sim.url}/v1`,
                model: 'gpt-4o-mini',
                limits,
              },
            ],
          },
        },
      },
      { clock },
    );
    const client = new OpenAI({ apiKey: 'sk-gov', baseURL: `${sim.url}/v1`, fetch: g.fetch, maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 10,
      });
    // One call 5 s into the minute: remaining 19, reset in 55 s. Read as a continuous bucket that is a
    // limit of 20 per ~13 days; it is the fixed minute's.
    await ask();
    const [deployment] = g.governor.groups.deployments();
    expect(deployment?.buckets().map((b) => `${b.dimension}:${b.per}`)).toEqual([
      'requests:minute',
      'requests:minute',
    ]);
    const calls = launch(30, ask);
    // 5 s into the minute the pace offers 12 of its 18: 11 beside the first call.
    await waitUntil(() => calls.answered() === 11 && queued(g) === 19);
    for (let second = 0; second < 120 && calls.answered() < 30; second++) await clock.advanceAsync(1_000);
    await waitUntil(() => calls.answered() === 30);
    for (const r of await calls.results) expect(r.status).toBe('fulfilled');
    expect(sim.stats().rejected.rpm).toBe(0);
  });
});
