/**
 * Idempotent calls through the one lifecycle (issue 20), on a manual clock
 * with a fake transport: a key's first call runs, repeats replay its answer
 * without an upstream call or a charge, concurrent repeats wait for it, a
 * different request under the same key is a 422, and only answers that
 * arrived whole are kept.
 */
import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from '../../src/idempotency/memory-idempotency-store.js';
import type { Answer } from '../../src/runtime/exchange/answer.js';
import type { Call } from '../../src/runtime/exchange/call.js';
import type { GovernorTopology } from '../../src/runtime/model-groups.js';
import { ANTHROPIC_OK, finish, OK, SERVER_ERROR } from './canned.js';
import { call, type FakeReply, governorFor, headersOf, openaiDeployment, type Rig, relayAll } from './kit.js';

const TOPOLOGY: GovernorTopology = {
  modelGroups: {
    g: { deployments: [openaiDeployment('a', { limits: { rpm: 1_000 } })] },
    claude: {
      deployments: [{ id: 'c', provider: 'anthropic', baseUrl: 'http://c.test', model: 'claude-x' }],
    },
  },
  tenants: [{ id: 'acme' }, { id: 'other' }],
};

const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };
const STREAM = [
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n',
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n',
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}\n\n',
  'data: [DONE]\n\n',
];

function rig(
  store = new MemoryIdempotencyStore(),
  leaseMs?: number,
): Rig & { store: Rig['store']; records: MemoryIdempotencyStore } {
  const r = governorFor(TOPOLOGY, { idempotency: { store, pollMs: 100, ...(leaseMs && { leaseMs }) } });
  return Object.assign(r, { records: store });
}

function keyed(
  key: string,
  options: Parameters<typeof call>[1] = {},
  family: Parameters<typeof call>[0] = 'openai',
): Call {
  return { ...call(family, { tenant: 'acme', ...options }), idempotencyKey: key };
}

/** The body as the caller reads it: relayed from upstream, or complete (a replay). */
function bodyOf(r: Rig, answer: Answer): string {
  return answer.relay ? relayAll(answer, r.transport.replies.at(-1) as FakeReply) : (answer.body ?? '');
}

describe('idempotent calls', () => {
  it('runs a key once: a repeat gets the same answer with a replay header, no upstream call, no charge', async () => {
    const r = rig();
    r.transport.script('a', OK);
    const first = await r.serve(keyed('k1'));
    const firstBody = bodyOf(r, first);
    const again = await r.serve(keyed('k1'));
    expect(again.status).toBe(200);
    expect(again.body).toBe(firstBody);
    const headers = headersOf(again);
    expect(headers['x-sluice-idempotent-replay']).toBe('true');
    // Its own request id, not the first call's.
    expect(headers['x-sluice-request-id']).not.toBe(headersOf(first)['x-sluice-request-id']);
    expect(headers['x-request-id']).toBe('req_up');
    expect(headers['x-sluice-load']).toBe('ok');
    expect(headersOf(first)['x-sluice-idempotent-replay']).toBeUndefined();
    expect(r.transport.sent).toHaveLength(1);
    expect(r.store.expectSettledOnce()).toHaveLength(1);
    r.transport.expectDone();
  });

  it('replays a stream as the same stream of events', async () => {
    const r = rig();
    r.transport.script('a', { status: 200, headers: SSE, chunks: STREAM });
    const first = await r.serve(keyed('s1', { stream: true }));
    const sent = bodyOf(r, first);
    expect(sent).toContain('data: [DONE]');
    const again = await r.serve(keyed('s1', { stream: true }));
    expect(again.body).toBe(sent);
    expect(headersOf(again)['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(r.transport.sent).toHaveLength(1);
  });

  it('makes concurrent repeats wait for the first and answers all ten from one upstream call', async () => {
    const r = rig();
    const held = r.transport.hold('a');
    const calls = Array.from({ length: 10 }, () => r.serve(keyed('burst')));
    await r.flush();
    expect(r.transport.sent).toHaveLength(1);
    const resolved: Answer[] = [];
    for (const c of calls) void c.then((a) => resolved.push(a));
    held.release(OK);
    await r.flush();
    // Only the first is answered until its body, relayed as its face reads it, has arrived whole.
    expect(resolved).toHaveLength(1);
    const first = resolved[0] as Answer;
    const firstBody = bodyOf(r, first);
    const answers = await Promise.all(calls);
    const bodies = answers.map((a) => (a === first ? firstBody : a.body));
    expect(new Set(bodies).size).toBe(1);
    expect(answers.filter((a) => headersOf(a)['x-sluice-idempotent-replay'] === 'true')).toHaveLength(9);
    expect(r.transport.sent).toHaveLength(1);
    expect(r.store.expectSettledOnce()).toHaveLength(1);
  });

  it('refuses the same key with a different request: 422 in the caller’s format', async () => {
    const r = rig();
    r.transport.script('a', OK);
    finish(r, await r.serve(keyed('k2', { maxTokens: 10 })));
    const other = await r.serve(keyed('k2', { maxTokens: 11 }));
    expect(other.status).toBe(422);
    expect(other.report.refusal).toBe('idempotency_key_reused');
    expect(JSON.parse(other.body ?? '{}').error).toMatchObject({ type: 'invalid_request_error' });
    expect(headersOf(other)['x-should-retry']).toBe('false');

    r.transport.script('c', ANTHROPIC_OK);
    finish(r, await r.serve(keyed('k3', { model: 'claude' }, 'anthropic')));
    const claude = await r.serve(keyed('k3', { model: 'claude', maxTokens: 99 }, 'anthropic'));
    expect(claude.status).toBe(422);
    expect(JSON.parse(claude.body ?? '{}')).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });

  it('keeps keys apart per tenant', async () => {
    const r = rig();
    r.transport.script('a', OK, OK);
    finish(r, await r.serve(keyed('shared')));
    const other = await r.serve({ ...keyed('shared'), tenant: 'other' });
    finish(r, other);
    expect(headersOf(other)['x-sluice-idempotent-replay']).toBeUndefined();
    expect(r.transport.sent).toHaveLength(2);
  });

  it('does not keep an error or a cut stream: the key is free for a retry', async () => {
    const r = rig();
    r.transport.script('a', SERVER_ERROR(), SERVER_ERROR(), SERVER_ERROR());
    const failed = r.serve(keyed('k4'));
    await r.clock.advanceAsync(10_000);
    expect((await failed).status).toBe(500);
    r.transport.script('a', OK);
    const retried = await r.serve(keyed('k4'));
    finish(r, retried);
    expect(retried.status).toBe(200);
    expect(headersOf(retried)['x-sluice-idempotent-replay']).toBeUndefined();

    r.transport.script('a', { status: 200, headers: SSE, chunks: STREAM.slice(0, 1) });
    const cut = await r.serve(keyed('k5', { stream: true }));
    cut.relay?.push(new TextEncoder().encode(STREAM[0] as string));
    cut.relay?.fail();
    r.transport.script('a', { status: 200, headers: SSE, chunks: STREAM });
    const whole = await r.serve(keyed('k5', { stream: true }));
    expect(whole.relay).toBeDefined();
    bodyOf(r, whole);
    expect((await r.serve(keyed('k5', { stream: true }))).body).toContain('[DONE]');
  });

  it('answers a repeat still waiting when its wait runs out: 409 with Retry-After', async () => {
    const r = rig();
    const held = r.transport.hold('a');
    const first = r.serve(keyed('slow'));
    await r.flush();
    const repeat = r.serve(keyed('slow', { maxWaitMs: 2_000 }));
    await r.flush();
    await r.clock.advanceAsync(2_000);
    const waited = await repeat;
    expect(waited.status).toBe(409);
    expect(waited.report.refusal).toBe('idempotency_key_in_use');
    expect(Number(headersOf(waited)['retry-after'])).toBeGreaterThanOrEqual(1);
    held.release(OK);
    finish(r, await first);
  });

  it('waits for a first call on another instance by polling the shared store, then replays it', async () => {
    const records = new MemoryIdempotencyStore();
    const one = rig(records);
    const two = rig(records);
    const held = one.transport.hold('a');
    const first = one.serve(keyed('across'));
    await one.flush();
    const repeat = two.serve(keyed('across', { maxWaitMs: 20_000 }));
    await two.flush();
    held.release(OK);
    const body = bodyOf(one, await first);
    await two.clock.advanceAsync(100);
    const replay = await repeat;
    expect(replay.body).toBe(body);
    expect(two.transport.sent).toHaveLength(0);
  });

  it('renews a running call’s lease, so a repeat elsewhere long after does not run it again', async () => {
    const records = new MemoryIdempotencyStore();
    const one = rig(records, 60_000);
    const two = rig(records, 60_000);
    const held = one.transport.hold('a');
    const first = one.serve(keyed('long'));
    await one.flush();
    // Five leases later, the first call still runs (a long stream): its lease was renewed every 20 s.
    for (let t = 0; t < 300_000; t += 10_000) await one.clock.advanceAsync(10_000);
    two.clock.set(one.clock.now());
    const repeat = two.serve(keyed('long', { maxWaitMs: 1_000 }));
    await two.flush();
    await two.clock.advanceAsync(1_000);
    expect((await repeat).status).toBe(409);
    expect(two.transport.sent).toHaveLength(0);
    held.release(OK);
    finish(one, await first);
  });

  it('bounds the memory store, dropping the oldest finished keys first', async () => {
    const records = new MemoryIdempotencyStore(2);
    const r = rig(records);
    r.transport.otherwise(() => OK);
    for (const key of ['a1', 'a2', 'a3']) finish(r, await r.serve(keyed(key)));
    expect(records.size).toBe(2);
    const oldest = await r.serve(keyed('a1'));
    finish(r, oldest);
    expect(headersOf(oldest)['x-sluice-idempotent-replay']).toBeUndefined();
  });
});
