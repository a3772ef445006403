/**
 * Rate-limit headers of an upstream whose limits are larger than the share
 * declared for the deployment (the account's TPM, a tenth of it declared),
 * or plain nonsense: they may tighten the declared bucket, never block it for
 * longer than the provider's own reset or one window (issue 12).
 *
 * The upstream is a tiny node:http server on port 0 that answers every chat
 * completion with the headers a test sets; the client is the official SDK.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { Gateway } from '../../src/gateway/server.js';
import { memoryLogger } from './helpers.js';
import { startTestGateway } from './test-gateway.js';

const TENANT_KEY = 'sk-tenant-headers-000';
const DECLARED_TPM = 20_000;

interface Upstream {
  url: string;
  calls: number;
  headers: Record<string, string>;
  close(): Promise<void>;
}

async function startUpstream(headers: Record<string, string>): Promise<Upstream> {
  const upstream = { calls: 0, headers } as Upstream;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      upstream.calls++;
      res.writeHead(200, { 'content-type': 'application/json', ...upstream.headers });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${upstream.calls}`,
          object: 'chat.completion',
          created: 1_700_000_000,
          model: 'gpt-4o-mini',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'Hi.' },
              finish_reason: 'stop',
              logprobs: null,
            },
          ],
          usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  upstream.close = () => new Promise((resolve) => server.close(() => resolve()));
  return upstream;
}

let opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of opened.reverse()) await thing.close();
  opened = [];
});

async function gatewayInFrontOf(upstream: Upstream): Promise<{ client: OpenAI; gateway: Gateway }> {
  const config = parseConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      model_groups: {
        'gpt-4o-mini': {
          deployments: [
            {
              id: 'openai-share',
              provider: 'openai',
              base_url: `${upstream.url}/v1`,
              api_key: 'sk-upstream',
              model: 'gpt-4o-mini',
              limits: { tpm: DECLARED_TPM },
            },
          ],
        },
      },
      // A short queue bound: a blocked bucket shows as a refusal at once.
      tiers: { pro: { priority: 'normal', max_wait_ms: 2_000 } },
      tenants: [{ id: 'acme', key: TENANT_KEY, tier: 'pro' }],
    },
    'test config',
    {},
  );
  const gateway = await startTestGateway({ config, logger: memoryLogger([]) });
  opened.push({
    close: async () => {
      await gateway.close({ timeoutMs: 1_000 });
    },
  });
  const client = new OpenAI({ apiKey: TENANT_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  return { client, gateway };
}

interface Answer {
  status: number;
  retryAfterS: number | undefined;
}

async function ask(client: OpenAI): Promise<Answer> {
  try {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 16,
    });
    return { status: 200, retryAfterS: undefined };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    const retryAfter = error.headers?.get('retry-after');
    return { status: error.status ?? 0, retryAfterS: retryAfter ? Number(retryAfter) : undefined };
  }
}

describe('provider rate-limit headers against a smaller declared bucket', () => {
  it('admits the next requests when the account reports 78 % of a limit ten times the declared tpm', async () => {
    const providerLimit = DECLARED_TPM * 10;
    const upstream = await startUpstream({
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-limit-tokens': String(providerLimit),
      'x-ratelimit-remaining-tokens': String(providerLimit * 0.78),
      'x-ratelimit-reset-tokens': '13s',
    });
    opened.push(upstream);
    const { client } = await gatewayInFrontOf(upstream);
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await ask(client));
    // The provider still has 156,000 tokens: far more than our whole 20,000 bucket.
    expect(answers).toEqual(Array.from({ length: 6 }, () => ({ status: 200, retryAfterS: undefined })));
    expect(upstream.calls).toBe(6);
  });

  it('never asks to wait beyond one window when the upstream reports limit 1e12, remaining 0, reset 0s', async () => {
    const upstream = await startUpstream({
      'x-ratelimit-limit-requests': '1000000000000',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '0s',
      'x-ratelimit-limit-tokens': '1000000000000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '0s',
    });
    opened.push(upstream);
    const { client } = await gatewayInFrontOf(upstream);
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await ask(client));
    expect(answers[0]?.status).toBe(200);
    for (const answer of answers) {
      if (answer.status !== 200) expect(answer.retryAfterS).toBeLessThanOrEqual(60);
    }
    // "Full again now" is the provider's own word: nothing is held back.
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
  });

  it('refuses for at most one window when the upstream reports limit 1e12 and remaining 0 with no reset', async () => {
    const upstream = await startUpstream({
      'x-ratelimit-limit-tokens': '1000000000000',
      'x-ratelimit-remaining-tokens': '0',
    });
    opened.push(upstream);
    const { client } = await gatewayInFrontOf(upstream);
    expect((await ask(client)).status).toBe(200);
    // The provider has nothing left: our bucket is empty, and full again within its minute.
    const refused = await ask(client);
    expect(refused.status).toBe(503);
    expect(refused.retryAfterS).toBeGreaterThan(0);
    expect(refused.retryAfterS).toBeLessThanOrEqual(60);
    expect(upstream.calls).toBe(1);
  });
});
