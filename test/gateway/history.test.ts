/**
 * The week of history through the gateway (issue 21): two gateways on one
 * Redis, each serving a burst of the official SDK's calls, write one shared
 * history; read back, it counts every call on the buckets it went through,
 * every tenant's calls and tokens, and the refusals where they bound. With
 * the memory store the history goes to files under `data_dir`.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { FileHistoryStore } from '../../src/history/file-history-store.js';
import { readHistory } from '../../src/history/history-read.js';
import { RedisHistoryStore } from '../../src/history/redis-history-store.js';
import { adminClient, deleteKeys, redisForFile, testPrefix } from '../stores/redis/redis-server.js';
import { baseConfig, hello, KEYS, type Rig, startRig } from './helpers.js';

const redis = redisForFile();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A rig closed after the test unless the test closed it (closing is what writes its last minute). */
async function rigOf(
  options: Parameters<typeof startRig>[0],
): Promise<Rig & { closed: Promise<void> | undefined }> {
  const r = await startRig(options);
  const rig = Object.assign(r, { closed: undefined as Promise<void> | undefined });
  const close = r.close.bind(r);
  rig.close = () => {
    rig.closed ??= close();
    return rig.closed;
  };
  cleanups.push(() => rig.close());
  return rig;
}

/** `n` calls at once; their statuses. */
async function burst(client: OpenAI, n: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      client.chat.completions
        .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 5 })
        .then(() => 200)
        .catch((e: unknown) => (e instanceof OpenAI.APIError ? (e.status ?? 0) : Promise.reject(e))),
    ),
  );
}

describe('history through the gateway', () => {
  it('is one history for two gateways on one Redis', async () => {
    const prefix = testPrefix('hist-gw');
    const admin = adminClient(redis().url);
    cleanups.push(async () => {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    });
    const config = (simUrl: string) =>
      baseConfig(simUrl, {
        store: { kind: 'redis', url: redis().url, prefix },
        tiers: { free: { rpd: 30, max_wait_ms: 0 }, pro: {}, enterprise: {} },
      });
    const [a, b] = [await rigOf({ config }), await rigOf({ config })];
    const started = Date.now();
    const statuses = [
      ...(await burst(a.openai(KEYS.free), 20)),
      ...(await burst(b.openai(KEYS.free), 20)),
      ...(await burst(b.openai(KEYS.pro), 5)),
    ];
    const served = statuses.filter((s) => s === 200).length;
    // free-co's 30 requests per day (no refill to speak of during the test), shared through Redis, then 429s; pro-co's 5.
    expect(statuses.filter((s) => s === 429)).toHaveLength(45 - served);
    expect(served).toBe(30 + 5);
    await a.close();
    await b.close();

    const store = new RedisHistoryStore({ client: admin, prefix, clock: systemClock });
    const history = await readHistory(store, started - 60_000, Date.now());
    const total = (key: string, what: 'admitted' | 'refused') =>
      history.buckets.find((s) => s.key === key)?.minutes.reduce((n, m) => n + m[what], 0) ?? 0;
    expect(total('tenant:free-co:requests:day', 'admitted')).toBe(30);
    expect(total('tenant:free-co:requests:day', 'refused')).toBe(10);
    const calls = history.tenants.map((t) => [t.tenant, t.minutes.reduce((n, m) => n + m.requests, 0)]);
    expect(Object.fromEntries(calls)).toEqual({ 'free-co': 30, 'pro-co': 5 });
    const tokens = history.tenants.flatMap((t) => t.minutes).reduce((n, m) => n + m.outputTokens, 0);
    expect(tokens).toBeGreaterThan(0);
  });

  it('goes to files under data_dir beside the memory store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-gw-history-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const r = await rigOf({ config: (simUrl) => ({ ...baseConfig(simUrl), data_dir: dir }) });
    const started = Date.now();
    expect(await burst(r.openai(KEYS.pro), 3)).toEqual([200, 200, 200]);
    await r.close();
    expect(await readdir(join(dir, 'history'))).toHaveLength(1);
    const history = await readHistory(
      new FileHistoryStore({ dir: join(dir, 'history') }),
      started - 60_000,
      Date.now(),
    );
    expect(
      history.tenants.map((t) => [t.tenant, t.group, t.minutes.reduce((n, m) => n + m.requests, 0)]),
    ).toEqual([['pro-co', 'gpt-4o-mini', 3]]);
  });
});
