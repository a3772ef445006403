/**
 * The provider a run goes to: the simulator started from the scenario (its
 * limits for the bench's key × model, latency, other clients' consumption),
 * or a real URL the caller gives (then nothing is known of its 429s but what
 * clients see).
 */
import { type SimulatorOptions, startSimulator } from '../simulator/index.js';
import type { ProviderSample } from './runner.js';
import type { Scenario } from './scenario.js';

export const BENCH_API_KEY = 'sk-sluice-bench';

export interface BenchProvider {
  /** OpenAI base URL, e.g. `http://127.0.0.1:5555/v1`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The provider's own counters, when it is the simulator. */
  readonly probe: (() => ProviderSample) | undefined;
  /** The simulator's full stats at the end, when it is the simulator. */
  readonly stats: (() => unknown) | undefined;
  /** Zeroes the provider's counters (not its buckets), when it is the simulator. */
  readonly resetCounters: (() => void) | undefined;
  close(): Promise<void>;
}

export function simulatorOptions(scenario: Scenario, seed: number): SimulatorOptions {
  const { limits, latency, background, prompt_token_multiplier } = scenario.provider;
  return {
    seed,
    // Echo: the answer is the last user message, whose length the workload sets (see messageSizes).
    response: { mode: 'echo' },
    latency: { ttft_ms: latency.ttft_ms, per_token_ms: latency.per_token_ms, jitter: 0 },
    token_counting: { prompt_multiplier: prompt_token_multiplier },
    keys: { [BENCH_API_KEY]: { models: { [scenario.model]: { ...limits } } } },
    background: background ? { key: BENCH_API_KEY, model: scenario.model, ...background } : undefined,
  };
}

export async function startBenchSimulator(scenario: Scenario, seed = scenario.seed): Promise<BenchProvider> {
  const sim = await startSimulator(simulatorOptions(scenario, seed));
  const probe = (): ProviderSample => {
    const stats = sim.stats();
    const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    let tokensRemaining: number | undefined;
    for (const [scope, state] of Object.entries(stats.limits)) {
      if (scope.includes(`|${BENCH_API_KEY}|`)) tokensRemaining = state.buckets.tpm?.remaining;
    }
    return { rejected, requests: stats.requests, tokensRemaining };
  };
  return {
    baseUrl: `${sim.url}/v1`,
    apiKey: BENCH_API_KEY,
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
    probe: undefined,
    stats: undefined,
    resetCounters: undefined,
    close: async () => undefined,
  };
}
