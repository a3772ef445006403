/**
 * The provider a run goes to: the simulator started from the scenario (its
 * limits for the bench's key × model, latency, other clients' consumption),
 * or a real URL the caller gives (then nothing is known of its 429s but what
 * clients see).
 */
import { type SimulatorOptions, startSimulator } from '../simulator/index.js';
import type { KeySample, ProviderSample } from './runner.js';
import { EMBEDDINGS_MODEL, type Limits, type Scenario, SINGLE_KEY } from './scenario.js';

export const BENCH_API_KEY = 'sk-sluice-bench';

/**
 * Limits of EMBEDDINGS_MODEL on the first key (what a semantic cache embeds
 * through): far above any scenario's chat traffic, so embedding is measured
 * for its cost and time, never limited.
 */
export const EMBEDDINGS_LIMITS = { rpm: 1_000_000, tpm: 100_000_000 } as const;

/** One of the scenario's keys as clients send it. */
export interface ProviderKey {
  /** The scenario's name for it. */
  readonly name: string;
  readonly apiKey: string;
  readonly limits: Limits;
}

/** The scenario's keys with the API key each is sent as; a single key keeps the bench's usual one. */
export function providerKeys(scenario: Scenario): ProviderKey[] {
  const keys = scenario.provider.keys;
  return keys.map((k) => ({
    name: k.name,
    apiKey: keys.length === 1 ? BENCH_API_KEY : `${BENCH_API_KEY}-${k.name}`,
    limits: k.limits,
  }));
}

export interface BenchProvider {
  /** OpenAI base URL, e.g. `http://127.0.0.1:5555/v1`. */
  readonly baseUrl: string;
  /** The first key's. */
  readonly apiKey: string;
  /** Every key of the scenario (one for a real provider: the key given). */
  readonly keys: readonly ProviderKey[];
  /** The provider's own counters, when it is the simulator. */
  readonly probe: (() => ProviderSample) | undefined;
  /** The simulator's full stats at the end, when it is the simulator. */
  readonly stats: (() => unknown) | undefined;
  /** Zeroes the provider's counters (not its buckets), when it is the simulator. */
  readonly resetCounters: (() => void) | undefined;
  close(): Promise<void>;
}

export function simulatorOptions(scenario: Scenario, seed: number): SimulatorOptions {
  const { latency, background, prompt_token_multiplier } = scenario.provider;
  return {
    seed,
    // Echo: the answer is the last user message, whose length the workload sets (see messageSizes).
    response: { mode: 'echo' },
    latency: { ttft_ms: latency.ttft_ms, per_token_ms: latency.per_token_ms, jitter: 0 },
    token_counting: { prompt_multiplier: prompt_token_multiplier },
    keys: Object.fromEntries(
      providerKeys(scenario).map((k, i) => [
        k.apiKey,
        {
          models: {
            [scenario.model]: { ...k.limits },
            ...(i === 0 && scenario.sluice.cache?.mode === 'semantic'
              ? { [EMBEDDINGS_MODEL]: { ...EMBEDDINGS_LIMITS } }
              : {}),
          },
        },
      ]),
    ),
    // Other clients share the first key (a scenario with background traffic has one).
    background: background
      ? { key: firstKey(scenario).apiKey, model: scenario.model, ...background }
      : undefined,
  };
}

function firstKey(scenario: Scenario): ProviderKey {
  return providerKeys(scenario)[0] as ProviderKey;
}

export async function startBenchSimulator(scenario: Scenario, seed = scenario.seed): Promise<BenchProvider> {
  const sim = await startSimulator(simulatorOptions(scenario, seed));
  const keys = providerKeys(scenario);
  const probe = (): ProviderSample => {
    const stats = sim.stats();
    const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    // Summed over the keys: the group's bucket (a single key's own).
    let tokensRemaining: number | undefined;
    for (const [scope, state] of Object.entries(stats.limits)) {
      const remaining = state.buckets.tpm?.remaining;
      // The scenario's model only: a semantic cache's embeddings have a bucket of their own.
      const ours = scope.endsWith(`|${scenario.model}`) && keys.some((k) => scope.includes(`|${k.apiKey}|`));
      if (remaining === undefined || !ours) continue;
      tokensRemaining = (tokensRemaining ?? 0) + remaining;
    }
    const perKey: Record<string, KeySample> = {};
    for (const k of keys) {
      const counters = stats.per_key[k.apiKey]?.[scenario.model];
      perKey[k.name] = {
        requests: counters?.requests ?? 0,
        admitted: counters?.admitted ?? 0,
        rejected: counters ? Object.values(counters.rejected).reduce((a, b) => a + b, 0) : 0,
        tokens: counters ? counters.input_tokens + counters.output_tokens : 0,
      };
    }
    return { rejected, requests: stats.requests, tokensRemaining, perKey };
  };
  return {
    baseUrl: `${sim.url}/v1`,
    apiKey: firstKey(scenario).apiKey,
    keys,
    probe,
    stats: () => sim.stats(),
    resetCounters: () => sim.reset(),
    close: () => sim.close(),
  };
}

export function externalProvider(baseUrl: string, apiKey: string): BenchProvider {
  return {
    baseUrl,
    apiKey,
    keys: [{ name: SINGLE_KEY, apiKey, limits: {} }],
    probe: undefined,
    stats: undefined,
    resetCounters: undefined,
    close: async () => undefined,
  };
}
