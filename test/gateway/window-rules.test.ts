/**
 * Window rules through `sluice serve` with the official SDKs as clients, the
 * gateway and the simulator on one manual clock (PROVIDERS.md §2.2, §4.1):
 * `@google/genai` on a Gemini deployment whose minutes are fixed, the
 * `openai` SDK on an Azure deployment whose requests are sliced. Every call
 * is served and the simulator refuses none.
 */
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { baseConfig, KEYS, type Rig, startRig, waitUntil } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Calls sent at once; `answered()` counts those that came back. */
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

function queued(r: Rig): number {
  return r.gateway.governor.admission.stats().queued.reduce((sum, depth) => sum + depth, 0);
}

/** The base config with a pro tier that may wait two minutes, and `deployments` as one more group. */
function config(simUrl: string, group: string, deployment: Record<string, unknown>) {
  const base = baseConfig(simUrl);
  return {
    ...base,
    tiers: { ...base.tiers, pro: { priority: 'normal', max_wait_ms: 120_000 } },
    model_groups: { ...base.model_groups, [group]: { deployments: [deployment] } },
  } as ReturnType<typeof baseConfig>;
}

describe('window rules through the gateway', () => {
  it('@google/genai: 18 calls at second 0 and 10 at second 30 on a fixed 20 RPM minute, no upstream 429', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0));
    const current = await startRig({
      clock,
      sim: { defaults: { rpm: 20 } },
      config: (simUrl) =>
        config(simUrl, 'gemini-flash', {
          id: 'sim-gemini',
          provider: 'gemini',
          base_url: simUrl,
          api_key: 'AIza-upstream',
          model: 'gemini-2.5-flash',
          limits: { rpm: 20 },
        }),
    });
    rig = current;
    const client = new GoogleGenAI({ apiKey: KEYS.pro, httpOptions: { baseUrl: current.gateway.url } });
    const ask = () => client.models.generateContent({ model: 'gemini-flash', contents: 'Say hello.' });
    const first = launch(18, ask);
    await waitUntil(() => first.answered() === 9 && queued(current) === 9);
    await clock.advanceAsync(30_000);
    await waitUntil(() => first.answered() === 18);
    const second = launch(10, ask);
    await waitUntil(() => queued(current) === 10);
    await clock.advanceAsync(30_000);
    await waitUntil(() => second.answered() === 9);
    await clock.advanceAsync(10_000);
    await waitUntil(() => second.answered() === 10);
    for (const r of [...(await first.results), ...(await second.results)]) expect(r.status).toBe('fulfilled');
    expect(current.sim.stats().rejected.rpm).toBe(0);
  });

  it('openai SDK on an Azure deployment: 60 RPM served 9 per 10 s slice, no upstream 429', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 12, 0, 0));
    const current = await startRig({
      clock,
      sim: { defaults: { rpm: 60, window: 'sliced' } },
      config: (simUrl) =>
        config(simUrl, 'gpt-azure', {
          id: 'sim-azure',
          provider: 'azure',
          base_url: `${simUrl}/openai?api-version=2024-10-21`,
          api_key: 'azure-upstream',
          model: 'gpt-4o-mini',
          limits: { rpm: 60 },
        }),
    });
    rig = current;
    const client = current.openai(KEYS.pro);
    const calls = launch(30, () =>
      client.chat.completions.create({
        model: 'gpt-azure',
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 10,
      }),
    );
    const served: number[] = [];
    for (let slice = 0; slice < 4; slice++) {
      await waitUntil(() => calls.answered() === Math.min(30, 9 * (slice + 1)));
      served.push(calls.answered());
      await clock.advanceAsync(10_000);
    }
    expect(served).toEqual([9, 18, 27, 30]);
    for (const r of await calls.results) expect(r.status).toBe('fulfilled');
    expect(current.sim.stats().rejected.rpm).toBe(0);
  });
});
