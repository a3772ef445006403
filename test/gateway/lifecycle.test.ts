/**
 * What happens around requests: clients that leave mid-stream or while
 * queued, config reload with requests in flight, drain on close, readiness,
 * metrics, alerts, and the Redis store's policies.
 *
 * The simulator and the gateway share one manual clock: upstream latency,
 * refill, queue waits and the drain's bound move only when a test advances
 * it, so "three tokens, then the client leaves" or "a stream still in flight
 * during the reload" is exact, not a race with a timer. Waits for sockets use
 * `waitUntil`, whose timeout is a safety net that no assertion depends on.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import { useRedis } from '../stores/redis/redis-server.js';
import {
  advanceUntilSettled,
  baseConfig,
  hello,
  KEYS,
  memoryLogger,
  type Rig,
  type RigOptions,
  rigsClosedAfterEach,
  waitUntil,
} from './helpers.js';
import { startTestGateway } from './test-gateway.js';

const startTestRig = rigsClosedAfterEach();

/** A rig on a manual clock (the test's `clock`), closed after the test. */
async function rig(options: RigOptions = {}, clock = new ManualClock()): Promise<Rig> {
  return startTestRig({ ...options, clock });
}

/** 50 tokens: the first at once, each next one 20 ms of clock time later (980 ms in all). */
const TOKENS = 50;
const PER_TOKEN_MS = 20;
const slowStream = {
  response: { mode: 'lorem' as const, tokens: TOKENS },
  latency: { ttft_ms: 0, per_token_ms: PER_TOKEN_MS },
};

describe('client disconnects', () => {
  it('aborts the upstream call and settles the reservation when the client leaves mid-stream', async () => {
    const clock = new ManualClock();
    const r = await rig({ sim: slowStream }, clock);
    const controller = new AbortController();
    const stream = await r
      .openai()
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: hello, stream: true },
        { signal: controller.signal },
      );
    let tokens = 0;
    // The SDK ends the iteration (or throws) once its signal aborts; either way the socket closes.
    const reading = (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) tokens++;
    })().catch(() => undefined);
    // The first token comes at once; the clock delivers two more, then the client leaves.
    await waitUntil(() => tokens === 1);
    for (const delivered of [2, 3]) {
      await clock.advanceAsync(PER_TOKEN_MS);
      await waitUntil(() => tokens === delivered);
    }
    controller.abort();
    await reading;
    // The clock has not moved since: nothing more was produced upstream.
    expect(tokens).toBe(3);
    await waitUntil(async () => (await r.gateway.governor.store.stats()).active === 0);
    const stats = await r.gateway.governor.store.stats();
    expect(stats.settled).toBe(stats.reservations);
    expect(stats.duplicateSettles).toBe(0);
    // The upstream call was cut too: the simulator holds no call in flight.
    await waitUntil(() => r.sim.stats().concurrency.current === 0);
    const line = r.logs.findLast((l) => l.msg === 'request');
    expect(line).toMatchObject({ aborted: true, stream: true, tenant: 'pro-co' });
    expect(r.gateway.context.inFlight.size).toBe(0);
  });

  it('leaves the queue without holding anything when the client gives up while waiting', async () => {
    const clock = new ManualClock();
    const r = await rig(
      {
        sim: { keys: { 'sk-upstream': { models: { 'gpt-4o-mini': { rpm: 60 } } } } },
        config: (simUrl) =>
          baseConfig(simUrl, {
            model_groups: {
              'gpt-4o-mini': {
                deployments: [
                  {
                    id: 'sim',
                    provider: 'openai',
                    base_url: `${simUrl}/v1`,
                    api_key: 'sk-upstream',
                    model: 'gpt-4o-mini',
                    limits: { rpm: 60 },
                  },
                ],
              },
            },
          }),
      },
      clock,
    );
    const client = r.openai();
    // 60 rpm with a 10 % margin: 54 at once. The clock stands still, so none refills.
    await Promise.all(
      Array.from({ length: 54 }, () =>
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
      ),
    );
    const controller = new AbortController();
    const waiting = client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello }, { signal: controller.signal })
      .catch((e: unknown) => e);
    await waitUntil(() => r.gateway.state.queues().some((q) => q.depth === 1));
    controller.abort();
    expect(await waiting).toBeInstanceOf(Error);
    await waitUntil(() => r.gateway.state.queues().every((q) => q.depth === 0));
    await waitUntil(async () => (await r.gateway.governor.store.stats()).active === 0);
    // The slot the call waited for comes and goes (one every 1.1 s): nobody takes it upstream.
    await clock.advanceAsync(2_000);
    expect(r.sim.stats().requests).toBe(54);
    expect((await r.gateway.governor.store.stats()).reservations).toBe(54);
  });
});

describe('upstream failures after the first byte', () => {
  it('cuts the client’s stream when upstream resets mid-stream, and settles on the estimate', async () => {
    const r = await rig({ sim: { faults: [{ kind: 'reset_mid_stream', rate: 1, stream: true }] } });
    const stream = await r
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, stream: true });
    const outcome = await (async () => {
      for await (const _ of stream) {
        // read until cut
      }
    })().then(
      () => 'ended',
      () => 'cut',
    );
    expect(outcome).toBe('cut');
    await waitUntil(async () => (await r.gateway.governor.store.stats()).active === 0);
    expect(r.logs.findLast((l) => l.msg === 'request')).toMatchObject({ status: 200, stream: true });
  });

  it('relays an error event inside an Anthropic stream and logs it', async () => {
    const r = await rig({ sim: { faults: [{ kind: 'error_mid_stream', rate: 1, flavour: 'anthropic' }] } });
    const stream = r.anthropic().messages.stream({ model: 'claude-haiku', max_tokens: 64, messages: hello });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    await waitUntil(async () => (await r.gateway.governor.store.stats()).active === 0);
    expect(r.logs.findLast((l) => l.msg === 'request')).toMatchObject({
      status: 200,
      upstream_error: 'overloaded',
    });
  });
});

/**
 * Opens a streamed chat completion through the gateway and starts reading
 * it; `text` resolves to the whole answer once the stream ends. (An object,
 * not a bare promise: an async function would wait for the inner one.)
 */
async function startReadingStream(r: Rig): Promise<{ text: Promise<string> }> {
  const stream = await r
    .openai()
    .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, stream: true });
  const text = (async () => {
    let all = '';
    for await (const chunk of stream) all += chunk.choices[0]?.delta.content ?? '';
    return all;
  })();
  return { text };
}

describe('configuration reload (SIGHUP)', () => {
  it('applies a new config while a request is in flight, and refuses a bad one', async () => {
    const clock = new ManualClock();
    const r = await rig({ sim: slowStream }, clock);
    const reading = (await startReadingStream(r)).text;
    // Upstream sends the rest only as the clock moves: the stream stays in flight through the reload.
    await waitUntil(() => r.sim.stats().concurrency.current === 1);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-reload-'));
    const path = join(dir, 'sluice.yaml');
    const input = baseConfig(r.sim.url, {
      tenants: [
        { id: 'pro-co', key: KEYS.pro, tier: 'pro' },
        { id: 'newcomer', key: 'sk-newcomer-key', tier: 'free' },
      ],
    });
    writeFileSync(path, JSON.stringify(input));
    const ok = await r.gateway.reloadFile(path);
    expect(ok).toEqual({ ok: true, restartNeeded: [] });
    expect(r.gateway.context.inFlight.size).toBe(1);
    // The stream that started before the reload finishes in full.
    await clock.advanceAsync((TOKENS - 1) * PER_TOKEN_MS);
    expect((await reading).trim().split(/\s+/)).toHaveLength(TOKENS);
    // The new tenant is in; the one no longer listed is out. (An answer takes 1 s of clock time upstream.)
    const asNewcomer = () =>
      advanceUntilSettled(
        clock,
        r.openai('sk-newcomer-key').chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
      );
    await asNewcomer();
    const gone = await r
      .openai(KEYS.free)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
      .catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.AuthenticationError);

    writeFileSync(path, 'model_groups: {}\ntenants: [{ id: x, key: short }]\nlisten: { prot: 1 }\n');
    const refused = await r.gateway.reloadFile(path);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error).toMatch(/listen\.prot: unknown key/);
      expect(refused.error).toMatch(/model_groups: declare at least one model group/);
      expect(refused.error).toMatch(/tenants\[0\]\.key: a tenant key needs at least 8 characters/);
    }
    expect(
      r.logs.some((l) => l.msg === 'configuration reload refused; the previous configuration stays in force'),
    ).toBe(true);
    // The previous configuration still serves.
    await asNewcomer();
    expect((await r.gateway.metrics.expose()).body).toMatch(
      /sluice_config_reloads_total\{result="refused"\} 1/,
    );
  });

  it('says which changed settings need a restart', () => {
    return rig().then((r) => {
      const next = parseConfig(
        baseConfig(r.sim.url, { listen: { host: '127.0.0.1', port: 1234 } }),
        'next',
        {},
      );
      expect(r.gateway.reload(next)).toEqual({ ok: true, restartNeeded: ['listen'] });
    });
  });
});

describe('drain on close (SIGTERM)', () => {
  it('stops accepting, lets a stream in flight finish, then closes', async () => {
    const clock = new ManualClock();
    const r = await rig({ sim: slowStream }, clock);
    const reading = (await startReadingStream(r)).text;
    await waitUntil(() => r.sim.stats().concurrency.current === 1);
    const closing = r.gateway.close({ timeoutMs: 10_000 });
    await waitUntil(() => r.gateway.context.draining);
    const ready = await fetch(`${r.gateway.url}/readyz`).catch((e: unknown) => e);
    // Either refused at the socket (no longer listening) or answered "not ready".
    if (ready instanceof Response) expect(ready.status).toBe(503);
    // The stream needs 980 ms of clock time, well inside the 10 s bound; the drain ends after it.
    await clock.advanceAsync((TOKENS - 1) * PER_TOKEN_MS);
    expect((await reading).trim().split(/\s+/)).toHaveLength(TOKENS);
    const result = await advanceUntilSettled(clock, closing);
    expect(result.cut).toBe(0);
    expect(result.finished).toBe(1);
    const stats = await r.gateway.governor.store.stats();
    expect(stats.active).toBe(0);
  });
  // A stream still running at the bound is cut and settled: drain.test.ts.
});

describe('health, readiness, metrics and alerts', () => {
  it('answers /healthz and /readyz', async () => {
    const r = await rig();
    expect(await (await fetch(`${r.gateway.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${r.gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      config: 'loaded',
      store: { kind: 'memory', mode: 'memory', available: true },
    });
  });

  it('exposes Prometheus metrics for requests, waits, buckets, queues, circuits and the store', async () => {
    const r = await rig();
    await r.openai().chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 20 });
    await r
      .openai('sk-nobody-here')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
      .catch(() => undefined);
    // Metrics have their own (loopback) listener; helpers.ts puts it on a free port.
    const response = await fetch(r.gateway.metricsUrl as string);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/sluice_requests_total\{tenant="pro-co",group="gpt-4o-mini",status="200"\} 1/);
    expect(text).toMatch(/sluice_requests_total\{tenant="",group="",status="401"\} 1/);
    expect(text).toMatch(/sluice_admission_wait_seconds_bucket\{priority="normal",le="0\.001"\}/);
    expect(text).toMatch(/sluice_admission_wait_seconds_count\{priority="normal"\} 1/);
    expect(text).toMatch(/sluice_upstream_responses_total\{deployment="sim-openai",status="200"\} 1/);
    expect(text).toMatch(/sluice_tokens_total\{tenant="pro-co",direction="output"\} 8/);
    expect(text).toMatch(
      /sluice_bucket_utilization\{bucket="tenant:pro-co:requests:minute",scope="tenant",owner="pro-co",dimension="requests",window="minute"\} /,
    );
    expect(text).toMatch(
      /sluice_bucket_alert_state\{bucket="tenant:pro-co:requests:minute",scope="tenant",owner="pro-co"\} 0/,
    );
    expect(text).toMatch(/sluice_queue_depth\{priority="critical"\} 0/);
    expect(text).toMatch(/sluice_circuit_state\{deployment="sim-openai"\} 0/);
    expect(text).toMatch(/sluice_adaptive_factor\{deployment="sim-openai"\} 1/);
    expect(text).toMatch(/sluice_store_mode\{mode="memory"\} 1/);
    expect(text).toMatch(/sluice_store_expired_leases 0/);
    expect(text).toMatch(/sluice_store_duplicate_settles 0/);
    expect(text).toMatch(/process_cpu_seconds_total/);
  });

  it('raises a bucket alert once per transition (warn at 80 %, act at 90 %)', async () => {
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, {
          tiers: { pro: { rpm: 20, priority: 'normal' }, free: {}, enterprise: {} },
          tenants: [{ id: 'pro-co', key: KEYS.pro, tier: 'pro' }],
        }),
    });
    const client = r.openai();
    // A tier's 20 rpm are all usable (no safety margin on Sluice's own budgets):
    // 17 calls = 85 % → warn; 19 calls = 95 % → act.
    for (let i = 0; i < 17; i++)
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    await r.gateway.sampleBuckets();
    await r.gateway.sampleBuckets();
    for (let i = 0; i < 2; i++)
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    await r.gateway.sampleBuckets();
    await r.gateway.sampleBuckets();
    const alerts = r.logs.filter(
      (l) => String(l.msg).startsWith('bucket utilization') && l.bucket === 'tenant:pro-co:requests:minute',
    );
    expect(alerts.map((l) => [l.from, l.to])).toEqual([
      ['ok', 'warn'],
      ['warn', 'act'],
    ]);
    expect((await r.gateway.metrics.expose()).body).toMatch(
      /sluice_bucket_alert_state\{bucket="tenant:pro-co:requests:minute",scope="tenant",owner="pro-co"\} 2/,
    );
  });
});

describe('request bodies', () => {
  it('413 for a chunked body that grows over the limit', async () => {
    const r = await rig({
      config: (simUrl) => baseConfig(simUrl, { server: { max_body_bytes: 1_000 } }),
    });
    const url = new URL(`${r.gateway.url}/v1/chat/completions`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${KEYS.pro}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"');
      req.write('x'.repeat(2_000));
      req.end('"}]}');
    });
    expect(status).toBe(413);
  });
});

describe('Redis store', () => {
  it('shares buckets in Redis and reports the store as ready', async () => {
    const redis = await useRedis();
    const r = await rig({
      config: (simUrl) =>
        baseConfig(simUrl, { store: { kind: 'redis', url: redis.url, prefix: `gw-test-${Date.now()}` } }),
    });
    await r.openai().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const ready = (await (await fetch(`${r.gateway.url}/readyz`)).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({
      status: 'ready',
      store: { kind: 'redis', mode: 'shared', available: true },
    });
    expect((await r.gateway.governor.store.stats()).active).toBe(0);
  });

  it('fail_closed: 503 with Retry-After while Redis is unreachable, and not ready', async () => {
    const logs: Record<string, unknown>[] = [];
    const sim = await (await import('../../src/simulator/index.js')).startSimulator({});
    const config = parseConfig(
      baseConfig(sim.url, {
        store: {
          kind: 'redis',
          url: 'redis://127.0.0.1:1',
          on_unavailable: 'fail_closed',
          connect_timeout_ms: 200,
        },
      }),
      'test',
      {},
    );
    const gateway = await startTestGateway({ config, logger: memoryLogger(logs), storeReadyTimeoutMs: 300 });
    try {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.pro}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: hello }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('x-sluice-refusal')).toBe('store_unavailable');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const ready = await fetch(`${gateway.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        store: { kind: 'redis', mode: 'refusing', available: false },
      });
      expect(sim.stats().requests).toBe(0);
    } finally {
      await gateway.close({ timeoutMs: 500 });
      await sim.close();
    }
  });
});
