/**
 * The model group a scenario implies for the Sluice targets: one deployment
 * per provider key, in the scenario's order, each told its own key's limits.
 * A single key keeps the id `provider` and, unless asked, no key of its
 * own (the library then forwards the SDK's).
 */
import type { ProviderKey } from '../provider.js';

export interface BenchDeployment {
  readonly id: string;
  readonly provider: 'openai';
  readonly base_url: string;
  readonly api_key?: string;
  readonly model: string;
  readonly limits: { rpm?: number; tpm?: number };
}

export function benchDeployments(options: {
  readonly baseUrl: string;
  readonly model: string;
  readonly keys: readonly ProviderKey[];
  /** Give a lone deployment its key too (the gateway has no caller key to forward). */
  readonly loneKey?: boolean;
}): BenchDeployment[] {
  const { keys } = options;
  return keys.map((k) => ({
    id: keys.length === 1 ? 'provider' : k.name,
    provider: 'openai',
    base_url: options.baseUrl,
    ...(keys.length > 1 || options.loneKey ? { api_key: k.apiKey } : {}),
    model: options.model,
    limits: Object.fromEntries(Object.entries(k.limits).filter(([, v]) => v !== undefined)),
  }));
}

/** The deployments' limits in a few words, for a target's description. */
export function deploymentsText(keys: readonly ProviderKey[]): string {
  if (keys.length === 1) return `limits ${JSON.stringify((keys[0] as ProviderKey).limits)}`;
  return `${keys.length} deployments ${keys.map((k) => `${k.name} ${JSON.stringify(k.limits)}`).join(', ')}`;
}
