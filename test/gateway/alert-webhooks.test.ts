/**
 * Alert webhooks (issue 20): a local receiver on 127.0.0.1 gets one POST
 * per level change, signed, retried with backoff on 5xx and network errors
 * (the backoff on a manual clock, not slept), not retried on another 4xx,
 * and a receiver that hangs never delays a request through the gateway.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  type AlertWebhookConfig,
  AlertWebhooks,
  MAX_QUEUED,
  webhookLabel,
} from '../../src/gateway/alerts/alert-webhooks.js';
import { verifySignature } from '../../src/gateway/alerts/webhook-signature.js';
import { parseConfig } from '../../src/gateway/config/load.js';
import type { AlertTransition } from '../../src/runtime/load/bucket-levels.js';
import type { BucketReading } from '../../src/runtime/load/bucket-reading.js';
import { baseConfig, hello, KEYS, rigsClosedAfterEach, simOpenAiDeployment } from './helpers.js';

const startRig = rigsClosedAfterEach();

interface Received {
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

/** A receiver answering each POST with `respond(n)` (n: 0-based count); `hang` never answers. */
async function receiver(respond: (n: number) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      const status = respond(n);
      if (status === 'hang') hanging.push(res);
      else res.writeHead(status, status === 503 || status === 429 ? { 'retry-after': '30' } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=x`;
  receivers.push(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url, received };
}
const receivers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (receivers.length) await receivers.pop()?.();
});

const BUCKET: BucketReading = {
  key: 'deployment:sk-main:requests:minute',
  scope: 'deployment',
  owner: 'sk-main',
  dimension: 'requests',
  window: 'minute',
  limit: 100,
  capacity: 90,
  remaining: 5,
  used: 85,
  utilization: 85 / 90,
  resetMs: 0,
  pausedUntil: 0,
};
const TO_ACT: AlertTransition = { bucket: BUCKET, from: 1, to: 2 };

function hook(url: string, extra: Partial<AlertWebhookConfig> = {}): AlertWebhookConfig {
  return { url, format: 'json', timeoutMs: 5_000, maxAttempts: 5, ...extra };
}

/**
 * Webhooks on a manual clock (jitter pinned to its floor); `outcomes` lists
 * each change's fate as `outcome`, or `label outcome` with `labelled`.
 */
function deliverer(hooks: AlertWebhookConfig[], options: { labelled?: boolean; start?: number } = {}) {
  const clock = new ManualClock(options.start);
  const outcomes: string[] = [];
  const webhooks = new AlertWebhooks(hooks, {
    clock,
    random: () => 0,
    onOutcome: (label, outcome) => outcomes.push(options.labelled ? `${label} ${outcome}` : outcome),
  });
  return { clock, outcomes, webhooks };
}

/** Moves the clock a second at a time until `check` holds (the backoff waits on it; sockets between steps). */
async function advanceUntil(clock: ManualClock, check: () => boolean, limitMs = 600_000): Promise<void> {
  for (let moved = 0; !check(); moved += 1_000) {
    if (moved > limitMs) throw new Error('never happened');
    await clock.advanceAsync(1_000);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('alert webhooks', () => {
  it('POSTs each level change as JSON, signed with the secret over the timestamp and the body', async () => {
    const { url, received } = await receiver();
    const { outcomes, webhooks } = deliverer([hook(url, { secret: 'whsec_test' })], {
      labelled: true,
      start: Date.UTC(2026, 11, 5, 1, 0, 0),
    });
    webhooks.notify(TO_ACT);
    await expect.poll(() => outcomes.length, { interval: 2 }).toBe(1);
    expect(outcomes).toEqual([`0:${new URL(url).host} delivered`]);
    const [{ body, headers }] = received as [Received];
    expect(JSON.parse(body)).toMatchObject({
      type: 'sluice.bucket_alert',
      level: 'act',
      from: 'warn',
      at: '2026-12-05T01:00:00.000Z',
      bucket: { key: BUCKET.key, scope: 'deployment', owner: 'sk-main', utilization: 0.944, capacity: 90 },
    });
    expect(headers['content-type']).toBe('application/json');
    const sig = headers['x-sluice-signature'] as string;
    expect(sig).toMatch(/^t=1796432400,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_test', body, sig)).toBe(true);
    expect(verifySignature('whsec_other', body, sig)).toBe(false);
    expect(verifySignature('whsec_test', `${body} `, sig)).toBe(false);
    webhooks.close();
  });

  it('retries a 500 with backoff until the receiver takes it, and honours a 503’s Retry-After', async () => {
    const { url, received } = await receiver((n) => (n === 0 ? 500 : n === 1 ? 503 : 200));
    const { clock, outcomes, webhooks } = deliverer([hook(url)]);
    webhooks.notify(TO_ACT);
    await expect.poll(() => received.length, { interval: 2 }).toBe(1);
    const start = clock.now();
    // First backoff: 1 s × (0.5 + 0.5 × 0) = 500 ms, reached on the first 1 s step.
    await advanceUntil(clock, () => received.length === 2);
    expect(clock.now() - start).toBe(1_000);
    // The 503 said 30 s: longer than the 1 s backoff, so 30 s it is.
    await advanceUntil(clock, () => received.length === 3);
    expect(clock.now() - start).toBe(31_000);
    await expect.poll(() => outcomes, { interval: 2 }).toEqual(['delivered']);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    webhooks.close();
  });

  it('does not retry a 400, gives up after max_attempts, and retries a receiver that is not there', async () => {
    const bad = await receiver(() => 400);
    const down = await receiver(() => 502);
    const { clock, outcomes, webhooks } = deliverer([hook(bad.url), hook(down.url, { maxAttempts: 3 })], {
      labelled: true,
    });
    webhooks.notify(TO_ACT);
    await advanceUntil(clock, () => outcomes.length === 2);
    expect(outcomes.map((o) => `${o.split(':')[0]} ${o.split(' ')[1]}`).sort()).toEqual([
      '0 failed',
      '1 failed',
    ]);
    expect(bad.received).toHaveLength(1);
    expect(down.received).toHaveLength(3);
    webhooks.close();
  });

  it('retries a 429 after its Retry-After', async () => {
    const { url, received } = await receiver((n) => (n === 0 ? 429 : 200));
    const { clock, outcomes, webhooks } = deliverer([hook(url)]);
    webhooks.notify(TO_ACT);
    await expect.poll(() => received.length, { interval: 2 }).toBe(1);
    const start = clock.now();
    await advanceUntil(clock, () => received.length === 2);
    expect(clock.now() - start).toBe(30_000);
    await expect.poll(() => outcomes, { interval: 2 }).toEqual(['delivered']);
    webhooks.close();
  });

  it('names a webhook by position and host, never its credentials, path or query', () => {
    expect(webhookLabel(hook('https://user:pw@hooks.example.com:8443/T0/B0/secret?token=x'), 3)).toBe(
      '3:hooks.example.com:8443',
    );
  });

  it('sends a Slack incoming-webhook body with format: slack', async () => {
    const { url, received } = await receiver();
    const clock = new ManualClock();
    const webhooks = new AlertWebhooks([hook(url, { format: 'slack' })], { clock });
    webhooks.notify({ bucket: { ...BUCKET, utilization: 0.5 }, from: 2, to: 0 });
    await expect.poll(() => received.length, { interval: 2 }).toBe(1);
    const body = JSON.parse((received[0] as Received).body);
    expect(body.text).toBe(
      ':white_check_mark: Sluice: deployment sk-main: requests per minute back to normal (50 % of 90, was act)',
    );
    expect(body.blocks[0].type).toBe('section');
    expect(received[0]?.headers['x-sluice-signature']).toBeUndefined();
    webhooks.close();
  });

  it('keeps at most MAX_QUEUED changes per webhook while one hangs, dropping the oldest, and times the hang out', async () => {
    const { url, received } = await receiver((n) => (n === 0 ? 'hang' : 200));
    const { clock, outcomes, webhooks } = deliverer([hook(url, { timeoutMs: 2_000, maxAttempts: 1 })]);
    for (let i = 0; i < MAX_QUEUED + 5; i++) webhooks.notify(TO_ACT);
    await expect.poll(() => received.length, { interval: 2 }).toBe(1);
    expect(outcomes.filter((o) => o === 'dropped')).toHaveLength(4); // the one in flight stays at the head
    await clock.advanceAsync(2_000);
    await expect
      .poll(() => outcomes.filter((o) => o === 'delivered').length, { interval: 2 })
      .toBe(MAX_QUEUED);
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(1);
    webhooks.close();
  });

  it('stops a change in backoff on close: no further POST, counted as dropped', async () => {
    const { url, received } = await receiver(() => 500);
    const { clock, outcomes, webhooks } = deliverer([hook(url)]);
    webhooks.notify(TO_ACT);
    await expect.poll(() => received.length, { interval: 2 }).toBe(1);
    await expect.poll(() => clock.pending(), { interval: 2 }).toBe(1); // the backoff
    webhooks.close();
    await expect.poll(() => outcomes, { interval: 2 }).toEqual(['dropped']);
    await clock.advanceAsync(600_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toHaveLength(1);
  });

  it('keeps a webhook’s retries across a reconfigure that leaves it unchanged, drops them when it changes', async () => {
    const { url, received } = await receiver((n) => (n === 0 || n === 2 ? 500 : 200));
    const { clock, outcomes, webhooks } = deliverer([hook(url)]);
    webhooks.notify(TO_ACT);
    await expect.poll(() => received.length, { interval: 2 }).toBe(1);
    webhooks.reconfigure([hook(url)]);
    await advanceUntil(clock, () => outcomes.length === 1);
    expect(outcomes).toEqual(['delivered']);
    expect(received).toHaveLength(2);
    webhooks.notify(TO_ACT);
    await expect.poll(() => received.length, { interval: 2 }).toBe(3);
    webhooks.reconfigure([hook(url, { maxAttempts: 2 })]);
    await expect.poll(() => outcomes, { interval: 2 }).toEqual(['delivered', 'dropped']);
    webhooks.close();
  });

  it.each([
    [{ url: 'http://x', format: 'xml' }, /alerts\.webhooks\[0\]\.format/],
    [{ url: 'http://x', max_attempts: 0 }, /alerts\.webhooks\[0\]\.max_attempts/],
    [{ url: 'http://x', max_attempts: 21 }, /alerts\.webhooks\[0\]\.max_attempts/],
    [{ url: 'http://x', timeout_ms: -1 }, /alerts\.webhooks\[0\]\.timeout_ms/],
    [{ url: 'http://x', secret: '' }, /alerts\.webhooks\[0\]\.secret/],
    [{ url: 'http://x', headers: {} }, /alerts\.webhooks\[0\].*headers/],
    [{ url: 'not a url' }, /alerts\.webhooks\[0\]\.url/],
  ])('refuses the webhook %j', (webhook, error) => {
    expect(() =>
      parseConfig({ ...baseConfig('http://sim'), alerts: { webhooks: [webhook] } }, 'sluice.yaml', {}),
    ).toThrow(error);
  });

  it('refuses a webhook that is not an http(s) URL, naming the key', () => {
    expect(() =>
      parseConfig(
        { ...baseConfig('http://sim'), alerts: { webhooks: [{ url: 'ftp://x' }] } },
        'sluice.yaml',
        {},
      ),
    ).toThrow(/alerts\.webhooks\[0\]\.url: expected an http\(s\) URL/);
  });
});

describe('alert webhooks through the gateway', () => {
  it('takes webhooks added by a config reload', async () => {
    const { url, received } = await receiver();
    const config = (simUrl: string, alerts: object) =>
      baseConfig(simUrl, {
        model_groups: {
          'gpt-4o-mini': { deployments: [simOpenAiDeployment(simUrl, { limits: { rpm: 10 } })] },
        },
        alerts,
      });
    const r = await startRig({ config: (simUrl) => config(simUrl, {}) });
    expect(
      r.gateway.reload(parseConfig(config(r.sim.url, { webhooks: [{ url }] }), 'reload', {})),
    ).toMatchObject({ ok: true });
    const client = r.openai(KEYS.pro);
    for (let i = 0; i < 8; i++)
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 5 });
    await r.gateway.sampleBuckets();
    await expect.poll(() => received.length, { interval: 5 }).toBe(1);
    expect(JSON.parse((received[0] as Received).body)).toMatchObject({ level: 'warn', from: 'ok' });
  });

  it('delivers a bucket’s change to warn, caused by traffic, and never holds a request for a hanging receiver', async () => {
    const hanging = await receiver(() => 'hang');
    const { url, received } = await receiver();
    const r = await startRig({
      config: (simUrl) =>
        baseConfig(simUrl, {
          model_groups: {
            'gpt-4o-mini': { deployments: [simOpenAiDeployment(simUrl, { limits: { rpm: 10 } })] },
          },
          alerts: {
            webhooks: [
              { url: hanging.url, timeout_ms: 600_000 },
              { url, secret: 's3cret' },
            ],
          },
        }),
    });
    const client = r.openai(KEYS.pro);
    // 8 of 9 usable: 89 %, warn.
    for (let i = 0; i < 8; i++)
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 5 });
    await r.gateway.sampleBuckets();
    await expect.poll(() => received.length, { interval: 5 }).toBe(1);
    const body = (received[0] as Received).body;
    expect(JSON.parse(body)).toMatchObject({
      level: 'warn',
      from: 'ok',
      bucket: { key: 'deployment:sim-openai:requests:minute' },
    });
    expect(verifySignature('s3cret', body, received[0]?.headers['x-sluice-signature'] as string)).toBe(true);
    expect(hanging.received).toHaveLength(1);
    // The hanging receiver holds its POST; requests go on.
    const answer = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      max_tokens: 5,
    });
    expect(answer.choices).toHaveLength(1);
    const scrape = await fetch(r.gateway.metricsUrl as string).then((res) => res.text());
    expect(scrape).toMatch(
      /^sluice_alert_webhook_deliveries_total\{webhook="1:127\.0\.0\.1:\d+",outcome="delivered"\} 1$/m,
    );
    expect(scrape).toMatch(
      /^sluice_alert_webhook_deliveries_total\{webhook="0:127\.0\.0\.1:\d+",outcome="delivered"\} 0$/m,
    );
  });
});
