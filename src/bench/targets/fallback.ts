/**
 * The loop people write when one key is not enough: the official SDK with
 * one client per key, tried in order; a 429 from a key sends the request on
 * to the next, and the last key's answer is the app's. The clients do not
 * retry (`maxRetries: 0`): the loop is the app's retry, so a 429 moves on at
 * once instead of backing off on a key that is full.
 */
import type OpenAI from 'openai';
import type { RequestRecord } from '../record.js';
import { callSdk, sdkClient } from './sdk-call.js';
import type { BenchTarget, TargetEnv } from './target.js';

/** Status that sends a request on to the next key. */
const RATE_LIMITED = 429;

export async function fallbackTarget(env: TargetEnv): Promise<BenchTarget> {
  const clients: OpenAI[] = [];
  for (const key of env.keys) {
    clients.push(await sdkClient({ baseURL: env.providerBaseUrl, apiKey: key.apiKey, maxRetries: 0 }));
  }
  const send = async (record: RequestRecord, signal: AbortSignal): Promise<void> => {
    for (const [i, client] of clients.entries()) {
      resetAnswer(record);
      await callSdk(client, record, { model: env.scenario.model, signal, now: env.now });
      if (record.status !== RATE_LIMITED || i === clients.length - 1) return;
      record.targetRetries++;
    }
  };
  return {
    name: 'fallback',
    description: `openai SDK (maxRetries 0), one client per key tried in order (${env.keys.map((k) => k.name).join(' → ')}), the next on a 429`,
    send,
    close: async () => undefined,
  };
}

/** Forgets the previous key's answer before the next key is asked (attempts and retries keep counting). */
function resetAnswer(record: RequestRecord): void {
  record.outcome = undefined;
  record.status = undefined;
  record.reason = undefined;
  record.endedAt = undefined;
}
