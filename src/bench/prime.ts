/**
 * Priming: a provider's per-minute bucket starts full, so the first minute of
 * any run serves up to twice the limit. Real services run for hours and
 * live past that burst; to measure that steady state in a short run, a few
 * large requests go through the same target first (so a target's own
 * limiter spends its budget too), and are not counted.
 */
import { setMaxListeners } from 'node:events';
import { providerKeys } from './provider.js';
import { newRecord } from './record.js';
import type { Scenario } from './scenario.js';
import type { BenchTarget } from './targets/target.js';

/** Requests the budget is spent in; each stays far under the limit so no provider calls it too large. */
const PRIMING_REQUESTS = 10;
/**
 * Each target spends all the budget it can use: the whole bucket but a hair,
 * or for Sluice targets all but their safety margin (which they never hand
 * out), so that no target starts the measured window with a burst the others
 * cannot have.
 */
const PRIMING_SLACK = 0.005;
/** Priming gives up after this long (a target that cannot spend its budget must not hold the run). */
const PRIMING_TIMEOUT_MS = 60_000;
const SLUICE_TARGETS: ReadonlySet<string> = new Set(['library', 'gateway']);
/** Tenant of the priming requests (declared by the Sluice targets' configurations). */
export const PRIMING_TENANT = 'bench-priming';

/**
 * Prompt size (in our tokenizer's tokens, as the workload writes prompts) of
 * each priming request so that all of them together cost `budget` of the
 * provider's tokens. The provider counts k × our tokens (the scenario's
 * `prompt_token_multiplier`): sized in our tokens, priming at k = 1.3 asked
 * for 1.3 × the budget, drew 429s and made a Sluice target cut its rate
 * before the measured window opened.
 */
export function primingPromptTokens(budget: number, multiplier: number): number {
  // 15: the chat framing, the one-word user message and rounding, counted by the provider too.
  return Math.floor(budget / PRIMING_REQUESTS / multiplier) - 15;
}

/**
 * How many priming requests a target sends and how large: each a tenth of
 * the smallest key's budget, as many as fill every key the target sends
 * with (one key: ten). They go PRIMING_REQUESTS at a time: a wave fits
 * whichever key a router puts it on whole, and the router sees each wave's
 * effect before it places the next. Waves are short: the buckets refill
 * while priming runs.
 */
export function primingPlan(
  budgets: readonly number[],
  multiplier: number,
): { requests: number; promptTokens: number } {
  const per = Math.min(...budgets) / PRIMING_REQUESTS;
  return {
    requests: budgets.reduce((n, b) => n + Math.floor(b / per + 1e-9), 0),
    promptTokens: primingPromptTokens(per * PRIMING_REQUESTS, multiplier),
  };
}

export async function primeTarget(target: BenchTarget, scenario: Scenario): Promise<void> {
  const keys = providerKeys(scenario).filter((k) => !target.sendsWith || target.sendsWith.includes(k.apiKey));
  if (keys.length === 0 || keys.some((k) => k.limits.tpm === undefined)) return;
  const margin = SLUICE_TARGETS.has(target.name) ? scenario.sluice.safety_margin : 0;
  const shareLimit = 1 - margin - PRIMING_SLACK;
  const plan = primingPlan(
    keys.map((k) => (k.limits.tpm as number) * shareLimit),
    scenario.provider.prompt_token_multiplier,
  );
  const promptTokens = plan.promptTokens;
  if (promptTokens < 1) return;
  // A signal per wave (the time left of the minute), so that no one signal collects every call's listeners.
  const deadline = performance.now() + PRIMING_TIMEOUT_MS;
  for (let sent = 0; sent < plan.requests; sent += PRIMING_REQUESTS) {
    const left = Math.ceil(deadline - performance.now());
    if (left <= 0) return;
    await primingWave(target, {
      from: sent,
      count: Math.min(PRIMING_REQUESTS, plan.requests - sent),
      promptTokens,
      signal: waveSignal(left, keys.length),
    });
  }
}

/**
 * The wave's deadline; every call of the wave listens to it once per
 * attempt (the fallback loop makes one attempt per key), more than Node's
 * default of ten listeners before it warns.
 */
function waveSignal(ms: number, attemptsPerCall: number): AbortSignal {
  const signal = AbortSignal.timeout(ms);
  setMaxListeners(PRIMING_REQUESTS * attemptsPerCall + 1, signal);
  return signal;
}

async function primingWave(
  target: BenchTarget,
  wave: { from: number; count: number; promptTokens: number; signal: AbortSignal },
): Promise<void> {
  const promptTokens = wave.promptTokens;
  await Promise.all(
    Array.from({ length: wave.count }, (_, i) =>
      target.send(
        newRecord(
          {
            id: -1 - wave.from - i,
            at: 0,
            tenant: PRIMING_TENANT,
            priority: 'critical',
            promptTokens,
            outputTokens: 1,
            maxTokens: 1,
            stream: false,
            maxWaitMs: undefined,
          },
          0,
        ),
        wave.signal,
      ),
    ),
  );
}
