/**
 * Drain (SIGTERM = `gateway.close({ timeoutMs })`) over real sockets and
 * keep-alive agents: every call sent on a connection the gateway had
 * accepted gets an HTTP answer (served, or 503 with Retry-After and
 * `Connection: close`), never a socket error; at the bound, calls with
 * nothing sent yet are answered 503 in the caller's format, streams are cut,
 * and the log says `drain_timeout`.
 *
 * The gateway and the simulator share a manual clock: the drain's bound and
 * quiet period, upstream latency and refill move only when a test advances
 * it (`advanceUntilSettled` while a drain runs), so no test waits for time
 * or races a timer.
 */
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import {
  advanceUntilSettled,
  baseConfig,
  hello,
  KEYS,
  type Rig,
  type RigOptions,
  rigsClosedAfterEach,
  waitUntil,
} from './helpers.js';

const startTestRig = rigsClosedAfterEach();
let agents: Agent[] = [];
afterEach(() => {
  for (const agent of agents) agent.destroy();
  agents = [];
});

async function rig(options: RigOptions, clock: ManualClock): Promise<Rig> {
  return startTestRig({ ...options, clock });
}

function keepAliveAgent(maxSockets: number): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets });
  agents.push(agent);
  return agent;
}

type Answer =
  | { kind: 'http'; status: number; headers: Record<string, string | string[] | undefined>; body: string }
  | { kind: 'error'; code: string };

/** One chat completion over `agent`; a socket error is an outcome, not a throw. */
function call(
  url: string,
  agent: Agent,
  body: object = { model: 'gpt-4o-mini', messages: hello },
): Promise<Answer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(
      `${url}/v1/chat/completions`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${KEYS.pro}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ kind: 'http', status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.on('error', (error: NodeJS.ErrnoException) =>
          resolve({ kind: 'error', code: error.code ?? error.message }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ kind: 'error', code: error.code ?? error.message }),
    );
    req.end(payload);
  });
}

describe('drain over keep-alive connections', () => {
  it('answers a call sent on an idle keep-alive connection right after SIGTERM, then closes it', async () => {
    const clock = new ManualClock();
    const r = await rig({}, clock);
    const clients = Array.from({ length: 8 }, () => keepAliveAgent(1));
    // Each client now holds one idle keep-alive connection to the gateway.
    for (const agent of clients) expect(await call(r.gateway.url, agent)).toMatchObject({ status: 200 });
    // The clock stands still: the drain's quiet period cannot close those connections under the calls.
    const closing = r.gateway.close({ timeoutMs: 5_000 });
    const answers = await Promise.all(clients.map((agent) => call(r.gateway.url, agent)));
    for (const answer of answers) {
      expect(answer).toMatchObject({ kind: 'http', status: 503 });
      if (answer.kind !== 'http') continue;
      expect(answer.headers.connection).toBe('close');
      expect(answer.headers['retry-after']).toBe('1');
      expect(JSON.parse(answer.body)).toMatchObject({ error: { type: expect.any(String) } });
    }
    expect(await advanceUntilSettled(clock, closing)).toMatchObject({ cut: 0 });
  });

  it('gives every call of many concurrent keep-alive clients an HTTP answer while draining', async () => {
    const clock = new ManualClock();
    const r = await rig({ sim: { latency: { ttft_ms: 20, per_token_ms: 0 } } }, clock);
    const loops = 24;
    const agent = keepAliveAgent(loops);
    const outcomes: Answer[] = [];
    let served = 0;
    let draining = false;
    let warmedUp: () => void = () => undefined;
    const warm = new Promise<void>((resolve) => {
      warmedUp = resolve;
    });
    // Each loop calls again at once after an answer, until the gateway says it is shutting down
    // or a new connection is refused (nothing was sent on it: the client may go elsewhere).
    const runLoop = async () => {
      for (;;) {
        const answer = await call(r.gateway.url, agent);
        outcomes.push(answer);
        if (answer.kind === 'http' && answer.status === 200 && ++served >= loops * 3) warmedUp();
        if (answer.kind === 'error' || answer.status !== 200 || (draining && outcomes.length > 10_000))
          return;
      }
    };
    const running = Array.from({ length: loops }, runLoop);
    // Upstream answers 20 ms of clock time after each call: calls are in flight whenever the drain starts.
    await advanceUntilSettled(clock, warm, { stepMs: 5 });
    draining = true;
    const result = await advanceUntilSettled(clock, r.gateway.close({ timeoutMs: 5_000 }), { stepMs: 5 });
    await Promise.all(running);
    const socketErrors = outcomes.filter((o) => o.kind === 'error' && o.code !== 'ECONNREFUSED');
    expect(socketErrors).toEqual([]);
    const statuses = new Set(outcomes.flatMap((o) => (o.kind === 'http' ? [o.status] : [])));
    expect([...statuses].every((s) => s === 200 || s === 503)).toBe(true);
    expect(result.cut).toBe(0);
    const stats = await r.gateway.governor.store.stats();
    expect(stats.active).toBe(0);
  });
});

describe('drain bound', () => {
  it('answers a call still waiting upstream 503 with Retry-After in the caller’s format, and logs drain_timeout', async () => {
    const clock = new ManualClock();
    const r = await rig({ sim: { latency: { ttft_ms: 5_000, per_token_ms: 0 } } }, clock);
    const waiting = r
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const anthropicWaiting = r
      .anthropic()
      .messages.create({ model: 'claude-haiku', max_tokens: 20, messages: hello })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await waitUntil(() => r.sim.stats().concurrency.current === 2);
    // Upstream would answer at 5 s; the bound is 200 ms.
    const result = await advanceUntilSettled(clock, r.gateway.close({ timeoutMs: 200 }));
    expect(result.cut).toBe(2);
    const openaiError = (await waiting) as { status: number; headers: Headers; error: unknown };
    expect(openaiError.status).toBe(503);
    expect(openaiError.headers.get('retry-after')).toBe('1');
    expect(openaiError.headers.get('x-sluice-refusal')).toBe('drain_timeout');
    expect(openaiError.error).toMatchObject({ message: expect.stringMatching(/shutting down/) });
    const anthropicError = (await anthropicWaiting) as { status: number; error: unknown };
    expect(anthropicError.status).toBe(503);
    expect(anthropicError.error).toMatchObject({ type: 'error', error: { type: expect.any(String) } });
    const lines = r.logs.filter((l) => l.msg === 'request');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({
        status: 503,
        refusal: 'drain_timeout',
        cut: 'drain_timeout',
        aborted: false,
      });
    }
    const stats = await r.gateway.governor.store.stats();
    expect(stats.active).toBe(0);
    expect(stats.settled).toBe(stats.reservations);
  });

  it('answers a queued call 503 too', async () => {
    const clock = new ManualClock();
    const r = await rig(
      {
        config: (simUrl) =>
          baseConfig(simUrl, {
            tiers: { pro: { rpm: 1, priority: 'normal', max_wait_ms: 120_000 }, free: {}, enterprise: {} },
          }),
      },
      clock,
    );
    await r.openai().chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    const queued = r
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await waitUntil(() => r.gateway.state.queues().some((q) => q.depth > 0));
    // The next slot is a minute away; the bound is 30 s of the gateway's clock, which the test
    // moves at once (on the wall clock the drain would outlast the test's timeout).
    const result = await advanceUntilSettled(clock, r.gateway.close({ timeoutMs: 30_000 }));
    expect(result).toMatchObject({ cut: 1 });
    expect(result.waitedMs).toBeGreaterThanOrEqual(30_000);
    expect(await queued).toMatchObject({ status: 503 });
    expect(r.logs.findLast((l) => l.msg === 'request')).toMatchObject({ status: 503, cut: 'drain_timeout' });
  });

  it('cuts a stream under way and logs drain_timeout, not the caller going away', async () => {
    const clock = new ManualClock();
    const r = await rig(
      { sim: { response: { mode: 'lorem', tokens: 500 }, latency: { ttft_ms: 0, per_token_ms: 20 } } },
      clock,
    );
    const stream = await r
      .openai()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, stream: true });
    const reading = (async () => {
      for await (const _ of stream) {
        // read until cut
      }
    })().catch((e: unknown) => e);
    // The stream needs 10 s of clock time; the bound is 200 ms.
    const result = await advanceUntilSettled(clock, r.gateway.close({ timeoutMs: 200 }));
    expect(result.cut).toBe(1);
    expect(await reading).toBeInstanceOf(Error);
    const line = r.logs.findLast((l) => l.msg === 'request');
    expect(line).toMatchObject({ status: 200, stream: true, cut: 'drain_timeout', aborted: false });
    expect(line?.upstream_error).toBeUndefined();
    const stats = await r.gateway.governor.store.stats();
    expect(stats.active).toBe(0);
    expect(stats.settled).toBe(stats.reservations);
  });
});
