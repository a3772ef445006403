/** Governor events as the runtime emits them, for observer tests (metrics, dashboard recorder). */
import { costOf } from '../../src/core/cost.js';
import type { GovernorEvents, UpstreamIdentity } from '../../src/runtime/events.js';

export type SettledEvent = Parameters<GovernorEvents['settled']>[0];
export type UpstreamEvent = Parameters<GovernorEvents['upstream']>[0];
export type CacheEvent = Parameters<GovernorEvents['cache']>[0];

export const CHAT_TARGET: UpstreamIdentity = Object.freeze({
  provider: 'openai',
  model: 'gpt-x',
  endpoint: 'chat_completions',
});

/** An answered, reported settle of 100 → 30 input and 50 → 20 output unless overridden. */
export function settledEvent(overrides: Partial<SettledEvent> = {}): SettledEvent {
  const usage = 'usage' in overrides ? overrides.usage : { inputTokens: 30, outputTokens: 20 };
  return {
    tenant: 'acme',
    group: 'g',
    deployment: 'd1',
    target: CHAT_TARGET,
    estimate: costOf(100, 50),
    unadjusted: costOf(100, 50),
    usage,
    delivered: usage ?? costOf(100, 50),
    reported: usage !== undefined,
    answered: true,
    durationMs: 250,
    firstChunkMs: undefined,
    streamed: false,
    ...overrides,
  };
}

export function upstreamEvent(overrides: Partial<UpstreamEvent> = {}): UpstreamEvent {
  return {
    deployment: 'd1',
    target: CHAT_TARGET,
    status: 200,
    latencyMs: 5,
    errorKind: undefined,
    ...overrides,
  };
}

/** A response-cache event of group `g` for `acme`: a miss unless overridden (a miss saves nothing, has no similarity). */
export function cacheEvent(overrides: Partial<CacheEvent> = {}): CacheEvent {
  return { group: 'g', tenant: 'acme', outcome: 'miss', savedTokens: 0, similarity: undefined, ...overrides };
}
