/**
 * A gateway on a manual clock in front of a scripted upstream, with the
 * official OpenAI SDK as its client, for the metrics tests: what a test
 * asserts on is the exposition text `/metrics` serves.
 */
import OpenAI from 'openai';
import { afterEach } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { GatewayConfigInput } from '../../src/gateway/config/schema.js';
import type { Gateway } from '../../src/gateway/server.js';
import { advanceUntilSettled, memoryLogger } from './helpers.js';
import { type ScriptedUpstream, startScriptedUpstream } from './scripted-upstream.js';
import { startTestGateway } from './test-gateway.js';

export const KEY = 'sk-tenant-acme-0000';
export const ADMIN_KEY = 'test-admin-key-0123456789';
const TPM = 1_000_000;

let upstream: ScriptedUpstream | undefined;
let gateway: Gateway | undefined;
let clock: ManualClock | undefined;
afterEach(async () => {
  // The drain waits on the gateway's clock: a manual one has to be moved for it to end.
  if (gateway && clock) await advanceUntilSettled(clock, gateway.close({ timeoutMs: 500 }));
  await upstream?.close();
  gateway = undefined;
  upstream = undefined;
});

export type Groups = GatewayConfigInput['model_groups'];

function config(url: string, extra: Partial<GatewayConfigInput> = {}, groups?: Groups): GatewayConfigInput {
  // Deployments given without a base URL go to the scripted upstream.
  const routed = groups
    ? Object.fromEntries(
        Object.entries(groups).map(([name, g]) => [
          name,
          {
            ...g,
            deployments: g.deployments.map((d) => ({
              ...d,
              base_url: d.base_url || (d.provider === 'anthropic' ? url : `${url}/v1`),
            })),
          },
        ]),
      )
    : undefined;
  return {
    listen: { host: '127.0.0.1', port: 0 },
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
    admin: { key: ADMIN_KEY },
    model_groups: {
      gpt: {
        deployments: [
          { id: 'up-a', provider: 'openai', base_url: `${url}/v1`, api_key: 'sk-up', model: 'gpt-x' },
          { id: 'up-b', provider: 'openai', base_url: `${url}/v1`, api_key: 'sk-up', model: 'gpt-x' },
        ],
      },
    },
    tiers: { pro: { rpm: 10_000, tpm: TPM, priority: 'normal' } },
    tenants: [{ id: 'acme', key: KEY, tier: 'pro' }],
    retry: { base_ms: 0 },
    ...extra,
    ...(routed && { model_groups: routed }),
  };
}

export async function start(
  answer: Parameters<typeof startScriptedUpstream>[0],
  extra?: Partial<GatewayConfigInput>,
  groups?: Groups,
) {
  upstream = await startScriptedUpstream(answer);
  clock = new ManualClock(1_700_000_000_000);
  gateway = await startTestGateway({
    config: parseConfig(config(upstream.url, extra, groups), 'test config', {}),
    logger: memoryLogger([]),
    clock,
  });
  const client = new OpenAI({ apiKey: KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  return { gateway, client, clock };
}

export async function scrape(g: Gateway): Promise<string> {
  const res = await fetch(g.metricsUrl as string);
  return res.text();
}

/** The value of one sample line (`name{labels} value`), by name and a label subset. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
