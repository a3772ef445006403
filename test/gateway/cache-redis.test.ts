/**
 * The response cache in Redis: two gateways on one Redis and one simulator
 * answer from each other's entries (one upstream call for a question asked
 * of both), through the official openai SDK.
 */

import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { Gateway } from '../../src/gateway/server.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { redisForFile, testPrefix } from '../stores/redis/redis-server.js';
import { baseConfig, hello, KEYS, memoryLogger, simOpenAiDeployment } from './helpers.js';
import { startTestGateway } from './test-gateway.js';

const redis = redisForFile();
let gateways: Gateway[] = [];
let sim: Simulator | undefined;
afterEach(async () => {
  await Promise.all(gateways.map((g) => g.close({ timeoutMs: 1_000 })));
  gateways = [];
  await sim?.close();
  sim = undefined;
});

describe('two gateways sharing one Redis response cache', () => {
  it('answer from each other’s entries', async () => {
    sim = await startSimulator({ response: { mode: 'lorem', tokens: 8 } });
    const simUrl = sim.url;
    const prefix = testPrefix('cache');
    const config = parseConfig(
      baseConfig(simUrl, {
        store: { kind: 'redis', url: redis().url, prefix },
        model_groups: {
          'gpt-4o-mini': { deployments: [simOpenAiDeployment(simUrl)], cache: { mode: 'exact', ttl_s: 60 } },
        },
      }),
      'test config',
      {},
    );
    for (let i = 0; i < 2; i++) gateways.push(await startTestGateway({ config, logger: memoryLogger([]) }));
    const clients = gateways.map(
      (g) => new OpenAI({ apiKey: KEYS.pro, baseURL: `${g.url}/v1`, maxRetries: 0 }),
    );
    const ask = async (client: OpenAI) => {
      const { data, response } = await client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20 })
        .withResponse();
      return { text: data.choices[0]?.message.content, cache: response.headers.get('x-sluice-cache') };
    };
    const first = await ask(clients[0] as OpenAI);
    const second = await ask(clients[1] as OpenAI);
    expect([first.cache, second.cache]).toEqual(['miss', 'hit']);
    expect(second.text).toBe(first.text);
    expect(sim.stats().requests).toBe(1);
  });
});
