/**
 * What most people do: the official SDK straight at the provider, with its
 * default retries, on one key (a scenario's first, when it has several).
 */
import { callSdk, sdkClient } from './sdk-call.js';
import type { BenchTarget, TargetEnv } from './target.js';

export async function directTarget(env: TargetEnv): Promise<BenchTarget> {
  const client = await sdkClient({ baseURL: env.providerBaseUrl, apiKey: env.apiKey });
  return {
    name: 'direct',
    sendsWith: [env.apiKey],
    description: `openai SDK → provider; SDK defaults (2 retries, honours retry-after)${env.keys.length > 1 ? `; key ${env.keys[0]?.name} only` : ''}`,
    send: (record, signal) => callSdk(client, record, { model: env.scenario.model, signal, now: env.now }),
    close: async () => undefined,
  };
}
