/**
 * Service tiers as each provider names them (PROVIDERS.md, "2026 changes a
 * governor must follow"). A deployment may send one tier; the answer says
 * which tier served it, and that one is charged. Names are compared in a
 * canonical form because a provider's two names for one tier (OpenAI
 * renamed Priority processing to Fast mode) or its "let the provider pick"
 * (`auto`, served as `default`) must not count as a tier change.
 */
import type { Endpoint, HeaderLookup, ProviderKind } from './adapter.js';
import { field } from './parse/json-shape.js';

const OPENAI_TIERS: readonly string[] = Object.freeze(['default', 'flex', 'priority', 'fast', 'ultrafast']);
const GEMINI_TIERS: readonly string[] = Object.freeze(['standard', 'flex', 'priority']);

/**
 * The tiers a deployment of `provider` may send, or undefined where it has
 * none to choose (Anthropic's fast mode is `speed`, not a service tier).
 */
export function serviceTiersOf(provider: ProviderKind): readonly string[] | undefined {
  switch (provider) {
    case 'openai':
    case 'azure':
    case 'openai-compatible':
      return OPENAI_TIERS;
    case 'gemini':
      return GEMINI_TIERS;
    case 'anthropic':
      return undefined;
  }
}

/** A provider's tiers, each once in its canonical spelling (`fast` is `priority`); empty where it has none to send. */
export function canonicalTiersOf(provider: ProviderKind): string[] {
  return [...new Set((serviceTiersOf(provider) ?? []).map((t) => canonicalTier(provider, t)))];
}

/** The tier an answer reports when the request named none. */
export function defaultTierOf(provider: ProviderKind): string {
  return provider === 'gemini' || provider === 'anthropic' ? 'standard' : 'default';
}

/**
 * One spelling per tier: lower case; OpenAI `fast` is `priority` renamed
 * (they share limits) and `auto` is served as `default`; a Gemini header in
 * enum form (`SERVICE_TIER_PRIORITY`) is the bare name.
 */
export function canonicalTier(provider: ProviderKind, tier: string): string {
  const name = tier.trim().toLowerCase();
  if (provider === 'gemini') return name.startsWith('service_tier_') ? name.slice(13) : name;
  if (name === 'fast') return 'priority';
  if (name === 'auto') return 'default';
  return name;
}

/** OpenAI-style endpoints whose request body takes `service_tier`. */
const TIERED_OPENAI: ReadonlySet<Endpoint> = new Set(['chat_completions', 'responses']);
const TIERED_GEMINI: ReadonlySet<Endpoint> = new Set([
  'generate_content',
  'stream_generate_content',
  'chat_completions',
]);

/**
 * The request body asking for `tier`, or undefined when nothing changes:
 * the endpoint takes no tier, or the caller chose one (the caller's choice
 * stands; the answer's reported tier is charged either way). Gemini's
 * native API reads `service_tier` (its JSON also accepts `serviceTier`).
 */
export function withServiceTier(
  body: Record<string, unknown>,
  sent: { provider: ProviderKind; endpoint: Endpoint; tier: string },
): Record<string, unknown> | undefined {
  const { provider, endpoint, tier } = sent;
  const endpoints = provider === 'gemini' ? TIERED_GEMINI : TIERED_OPENAI;
  if (!endpoints.has(endpoint)) return undefined;
  if (field(body, 'service_tier') !== undefined || field(body, 'serviceTier') !== undefined) return undefined;
  return { ...body, service_tier: tier };
}

/**
 * The tier an answer's headers say served it (Gemini's
 * `x-gemini-service-tier`), or undefined; the other providers report it in
 * the body, beside the usage (OpenAI `service_tier`, Anthropic
 * `usage.service_tier`).
 */
export function servedTierFromHeaders(provider: ProviderKind, headers: HeaderLookup): string | undefined {
  if (provider !== 'gemini') return undefined;
  const value = headers.get('x-gemini-service-tier');
  return value ? value.trim() : undefined;
}
