/**
 * Idempotent calls through the gateway and `governor.fetch` (issue 20),
 * with the official SDKs as clients and the simulator (or a local upstream
 * that misbehaves) behind: one upstream call per key, streams replayed as
 * streams, concurrent repeats answered from one call, a reused key refused
 * in the caller's format, two gateways on one Redis agreeing, and no POST
 * sent twice after a failure that may have reached the provider.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { Gateway } from '../../src/gateway/server.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { closeAfterEach, governor, simulator } from '../library/helpers.js';
import { freePort, redisForFile, testPrefix } from '../stores/redis/redis-server.js';
import {
  baseConfig,
  hello,
  KEYS,
  memoryLogger,
  rigsClosedAfterEach,
  simOpenAiDeployment,
} from './helpers.js';
import { startTestGateway } from './test-gateway.js';

const startRig = rigsClosedAfterEach();
closeAfterEach();
const redis = redisForFile();
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closing.length) await closing.pop()?.();
});

const ask = { model: 'gpt-4o-mini', messages: hello, max_tokens: 8 };
const key = (k: string) => ({ headers: { 'Idempotency-Key': k } });

describe('idempotent calls through the gateway', () => {
  it('runs a key once: the repeat is the same completion, marked as a replay, with no upstream call', async () => {
    const r = await startRig();
    const client = r.openai(KEYS.pro);
    const first = await client.chat.completions.create(ask, key('agent-7-step-3')).withResponse();
    const again = await client.chat.completions.create(ask, key('agent-7-step-3')).withResponse();
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get('x-sluice-idempotent-replay')).toBe('true');
    expect(first.response.headers.get('x-sluice-idempotent-replay')).toBeNull();
    expect(r.sim.stats().requests).toBe(1);
    // Another key is another call.
    await client.chat.completions.create(ask, key('agent-7-step-4'));
    expect(r.sim.stats().requests).toBe(2);
  });

  it('replays a stream as a stream the SDK reads event by event', async () => {
    const r = await startRig();
    const client = r.openai(KEYS.pro);
    const read = async () => {
      const stream = await client.chat.completions.create({ ...ask, stream: true }, key('stream-1'));
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    };
    const first = await read();
    expect(first.length).toBeGreaterThan(0);
    expect(await read()).toBe(first);
    expect(r.sim.stats().requests).toBe(1);
  });

  it('does not keep a stream the caller cut halfway: the repeat runs again and gets the whole answer', async () => {
    // An upstream whose first stream sends three events and then holds (the caller leaves in the middle);
    // later ones are whole.
    const chunk = (content: string) =>
      `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;
    const done =
      'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}\n\ndata: [DONE]\n\n';
    let requests = 0;
    const upstream: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk('one ') + chunk('two ') + chunk('three '));
        if (requests > 1) res.end(done);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    closing.push(async () => {
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    });
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const r = await startRig({
      config: (simUrl) =>
        baseConfig(simUrl, {
          model_groups: {
            'gpt-4o-mini': { deployments: [{ ...simOpenAiDeployment(simUrl), base_url: `${base}/v1` }] },
          },
        }),
    });
    const client = r.openai(KEYS.pro);
    const stream = await client.chat.completions.create({ ...ask, stream: true }, key('cut-1'));
    let chunks = 0;
    for await (const _ of stream) {
      if (++chunks === 3) break; // leaving the loop aborts the response
    }
    await expect.poll(() => r.gateway.context.inFlight.size, { interval: 5 }).toBe(0);
    const read = async (s: AsyncIterable<{ choices: { delta: { content?: string | null } }[] }>) => {
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta.content ?? '';
      return text;
    };
    const again = await client.chat.completions.create({ ...ask, stream: true }, key('cut-1')).withResponse();
    expect(again.response.headers.get('x-sluice-idempotent-replay')).toBeNull();
    expect(await read(again.data)).toBe('one two three ');
    expect(requests).toBe(2);
    // Now it arrived whole: the next repeat is a replay of it.
    const third = await client.chat.completions.create({ ...ask, stream: true }, key('cut-1')).withResponse();
    expect(third.response.headers.get('x-sluice-idempotent-replay')).toBe('true');
    expect(await read(third.data)).toBe('one two three ');
    expect(requests).toBe(2);
  });

  it('answers ten concurrent repeats from one upstream call', async () => {
    const r = await startRig();
    const client = r.openai(KEYS.pro);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => client.chat.completions.create(ask, key('burst-1'))),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(r.sim.stats().requests).toBe(1);
  });

  it('refuses a key reused with another body: 422 in the OpenAI and Anthropic SDKs’ own errors', async () => {
    const r = await startRig();
    const openai = r.openai(KEYS.pro);
    await openai.chat.completions.create(ask, key('k'));
    const reused = await openai.chat.completions.create({ ...ask, max_tokens: 9 }, key('k')).catch((e) => e);
    expect(reused).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(reused.status).toBe(422);
    expect(reused.error).toMatchObject({ type: 'invalid_request_error' });

    const anthropic = r.anthropic(KEYS.pro);
    const message = { model: 'claude-haiku', max_tokens: 8, messages: hello };
    await anthropic.messages.create(message, key('a'));
    const other = await anthropic.messages.create({ ...message, max_tokens: 9 }, key('a')).catch((e) => e);
    expect(other).toBeInstanceOf(Anthropic.UnprocessableEntityError);
    expect(other.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    // A tenant's keys are its own.
    const free = r.openai(KEYS.free);
    await free.chat.completions.create({ ...ask, max_tokens: 9 }, key('k'));
    expect(r.sim.stats().requests).toBe(3);
  });

  it('keeps tenants apart: the same key from another tenant is its own call, and may carry its own body', async () => {
    const r = await startRig();
    const pro = r.openai(KEYS.pro);
    const enterprise = r.openai(KEYS.enterprise);
    await pro.chat.completions.create(ask, key('shared-name'));
    const other = await enterprise.chat.completions.create(ask, key('shared-name')).withResponse();
    expect(other.response.headers.get('x-sluice-idempotent-replay')).toBeNull();
    expect(r.sim.stats().requests).toBe(2);
    // Another body under the same key is another tenant's business, not a reuse of the first's key.
    await enterprise.chat.completions.create({ ...ask, max_tokens: 9 }, key('other-name'));
    await pro.chat.completions.create({ ...ask, max_tokens: 7 }, key('other-name'));
    expect(r.sim.stats().requests).toBe(4);
  });

  it('refuses a malformed key with a 400', async () => {
    const r = await startRig();
    const bad = await r
      .openai(KEYS.pro)
      .chat.completions.create(ask, key(' '.repeat(3)))
      .catch((e) => e);
    expect(bad.status).toBe(400);
  });
});

describe('idempotent calls on one Redis', () => {
  let sim: Simulator | undefined;
  const gateways: Gateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.close({ timeoutMs: 1_000 })));
    await sim?.close();
  });

  it('runs a key once across two gateways, concurrent repeats on both included', async () => {
    sim = await startSimulator({ response: { mode: 'lorem', tokens: 8 } });
    const config = parseConfig(
      baseConfig(sim.url, { store: { kind: 'redis', url: redis().url, prefix: testPrefix('idem') } }),
      'test config',
      {},
    );
    for (let i = 0; i < 2; i++) gateways.push(await startTestGateway({ config, logger: memoryLogger([]) }));
    const clients = gateways.map(
      (g) => new OpenAI({ apiKey: KEYS.pro, baseURL: `${g.url}/v1`, maxRetries: 0 }),
    );
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (clients[i % 2] as OpenAI).chat.completions.create(ask, key('fleet-1')),
      ),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(sim.stats().requests).toBe(1);
    const later = await (clients[1] as OpenAI).chat.completions.create(ask, key('fleet-1')).withResponse();
    expect(later.response.headers.get('x-sluice-idempotent-replay')).toBe('true');
    expect(sim.stats().requests).toBe(1);
  });
});

/** An upstream that reads each request and then cuts the connection without answering, `cuts` times. */
async function cuttingUpstream(cuts: number, simUrl: string) {
  let received = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      received++;
      if (received <= cuts) {
        req.socket.destroy();
        return;
      }
      // Then it answers as the simulator would.
      const upstream = await fetch(`${simUrl}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-upstream' },
        body: Buffer.concat(chunks),
      });
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closing.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received };
}

describe('no POST sent twice after a failure that may have reached the provider', () => {
  it('through the gateway: not re-sent without a key (502, the SDK told not to retry), re-sent with one', async () => {
    const upstreamSim = await simulator({ response: { mode: 'lorem', tokens: 4 } });
    const cutting = await cuttingUpstream(1, upstreamSim.url);
    const r = await startRig({
      config: (simUrl) =>
        baseConfig(simUrl, {
          model_groups: {
            'gpt-4o-mini': {
              deployments: [{ ...simOpenAiDeployment(simUrl), base_url: `${cutting.url}/v1` }],
            },
          },
        }),
    });
    // The SDK's own retries on: it must obey x-should-retry: false.
    const client = r.openai(KEYS.pro, { maxRetries: 2 });
    const failed = await client.chat.completions.create(ask).catch((e) => e);
    expect(failed.status).toBe(502);
    expect(failed.headers.get('x-sluice-refusal')).toBe('upstream_unconfirmed');
    expect(cutting.received()).toBe(1);

    const again = await cuttingUpstream(1, upstreamSim.url);
    r.gateway.reload(
      parseConfig(
        baseConfig(r.sim.url, {
          model_groups: {
            'gpt-4o-mini': {
              deployments: [{ ...simOpenAiDeployment(r.sim.url), base_url: `${again.url}/v1` }],
            },
          },
        }),
        'test config',
        {},
      ),
    );
    const keyed = await client.chat.completions.create(ask, key('safe-1'));
    expect(keyed.choices).toHaveLength(1);
    expect(again.received()).toBe(2);
  });

  it('through governor.fetch: a cut one is not re-sent; with a key it is, and then replayed', async () => {
    const sim = await simulator({ response: { mode: 'lorem', tokens: 4 } });
    const cutting = await cuttingUpstream(1, sim.url);
    const g = governor({
      model_groups: {
        chat: {
          deployments: [
            {
              id: 'a',
              provider: 'openai',
              base_url: `${cutting.url}/v1`,
              model: 'gpt-4o-mini',
              api_key: 'sk-upstream',
            },
          ],
        },
      },
    });
    const client = new OpenAI({ apiKey: 'sk-x', fetch: g.fetch, maxRetries: 2 });
    const failed = await client.chat.completions.create({ ...ask, model: 'chat' }).catch((e) => e);
    expect(failed.status).toBe(502);
    expect(cutting.received()).toBe(1);
    const keyed = await client.chat.completions.create({ ...ask, model: 'chat' }, key('lib-1'));
    expect(keyed.choices).toHaveLength(1);
    const replay = await client.chat.completions
      .create({ ...ask, model: 'chat' }, key('lib-1'))
      .withResponse();
    expect(replay.response.headers.get('x-sluice-idempotent-replay')).toBe('true');
    expect(cutting.received()).toBe(2);
  });

  it('through the gateway: a refused connection proves nothing was sent, so the call goes on without a key', async () => {
    const refused = await freePort();
    const r = await startRig({
      config: (simUrl) =>
        baseConfig(simUrl, {
          model_groups: {
            'gpt-4o-mini': {
              deployments: [
                { ...simOpenAiDeployment(simUrl), id: 'nowhere', base_url: `http://127.0.0.1:${refused}/v1` },
                simOpenAiDeployment(simUrl),
              ],
            },
          },
        }),
    });
    const answer = await r.openai(KEYS.pro, { maxRetries: 0 }).chat.completions.create(ask);
    expect(answer.choices).toHaveLength(1);
    expect(r.sim.stats().requests).toBe(1);
  });

  it('through governor.fetch: a refused connection is retried without a key', async () => {
    const sim = await simulator({ response: { mode: 'lorem', tokens: 4 } });
    const counting = await cuttingUpstream(0, sim.url);
    const refused = await freePort();
    const deployment = (id: string, baseUrl: string) => ({
      id,
      provider: 'openai' as const,
      base_url: baseUrl,
      model: 'gpt-4o-mini',
      api_key: 'sk-upstream',
    });
    const g = governor({
      model_groups: {
        chat: {
          deployments: [
            deployment('nowhere', `http://127.0.0.1:${refused}/v1`),
            deployment('there', `${counting.url}/v1`),
          ],
        },
      },
    });
    const client = new OpenAI({ apiKey: 'sk-x', fetch: g.fetch, maxRetries: 0 });
    const answer = await client.chat.completions.create({ ...ask, model: 'chat' });
    expect(answer.choices).toHaveLength(1);
    expect(counting.received()).toBe(1);
  });
});
