/**
 * The API style a caller speaks. A model group's deployments must speak the
 * caller's style: Sluice governs and routes, it does not translate between
 * OpenAI and Anthropic request formats.
 */
import type { ProviderKind } from '../providers/adapter.js';

export type ApiFamily = 'openai' | 'anthropic' | 'gemini';

/** Families a provider's deployments can serve (Gemini also has an OpenAI-compatible endpoint). */
export function familiesOf(provider: ProviderKind): readonly ApiFamily[] {
  switch (provider) {
    case 'anthropic':
      return ['anthropic'];
    case 'gemini':
      return ['gemini', 'openai'];
    default:
      return ['openai'];
  }
}

/** The family of an incoming request path. */
export function familyOfPath(pathname: string): ApiFamily {
  if (pathname.endsWith('/messages') || pathname.endsWith('/messages/count_tokens')) return 'anthropic';
  if (/:(stream)?generateContent$/i.test(pathname)) return 'gemini';
  return 'openai';
}
