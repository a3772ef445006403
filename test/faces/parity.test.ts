/**
 * Both faces behave the same (issue 13): every case the gateway handles runs
 * through the gateway and through `governor.fetch`, each in front of its own
 * simulator with the same configuration, with the official SDKs as clients.
 * The two must show a client the same status, error code and type,
 * `Retry-After` (roughly), `x-should-retry`, tenant budget headers, request
 * id and content type; and neither may hold a reservation afterwards.
 *
 * Where the faces differ on purpose, the case says so and checks each face's
 * own behaviour (`afterwards`): what a client that went away leaves behind,
 * which of the app's headers go upstream. The model list is the gateway's
 * alone (`governor.fetch` passes model calls to the provider).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, startFakeUpstream } from '../gateway/fake-upstream.js';
import { freePort } from '../stores/redis/redis-server.js';
import {
  baseConfig,
  FACES,
  type Face,
  type FaceName,
  heldReservations,
  hello,
  type Seen,
  see,
  seenOfFetch,
  seenOfResponse,
  startFace,
  TENANT,
  type Topology,
  until,
} from './rig.js';

interface Case {
  readonly name: string;
  readonly topology?: Topology;
  /** Runs the case on one face; returns what the client saw of the answer under test. */
  readonly run: (face: Face) => Promise<Seen>;
  /** What every face must show. */
  readonly expect: Partial<Record<keyof Seen, unknown>>;
  /** `Retry-After` in this range of seconds, on every face. */
  readonly retryAfter?: readonly [number, number];
  /** The client hangs up: the face notices when the socket closes, not when the client is done. */
  readonly clientLeaves?: boolean;
  /** A face's own named behaviour, checked after the common assertions. */
  readonly afterwards?: (face: Face, seen: Seen) => Promise<void>;
}

// --- the calls a case makes ---

interface ChatOptions {
  readonly tenant?: string;
  readonly model?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Record<string, unknown>;
  readonly signal?: AbortSignal;
}

function chat(face: Face, options: ChatOptions = {}): Promise<Seen> {
  return see(async () => {
    const { data, response } = await face
      .openai(options.tenant)
      .chat.completions.create(
        { model: options.model ?? 'gpt-4o-mini', messages: hello, max_tokens: 20, ...options.body },
        { headers: options.headers, signal: options.signal },
      )
      .withResponse();
    return seenOfResponse(response, response.headers.get('x-request-id'), {
      text: (data.choices[0]?.message.content ?? '').length > 0,
    });
  });
}

function chatStream(face: Face, options: ChatOptions = {}): Promise<Seen> {
  return see(async () => {
    const { data, response } = await face
      .openai(options.tenant)
      .chat.completions.create(
        {
          model: options.model ?? 'gpt-4o-mini',
          messages: hello,
          max_tokens: 20,
          stream: true,
          ...options.body,
        },
        { headers: options.headers },
      )
      .withResponse();
    let usageChunks = 0;
    let text = '';
    let streamError: string | null = null;
    try {
      for await (const chunk of data) {
        if (chunk.usage) usageChunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
      }
    } catch (error) {
      streamError = error instanceof Error ? error.constructor.name : String(error);
    }
    return seenOfResponse(response, response.headers.get('x-request-id'), {
      usageChunks,
      text: text.length > 0,
      streamError,
    });
  });
}

function message(face: Face, options: ChatOptions = {}): Promise<Seen> {
  return see(async () => {
    const { data, response } = await face
      .anthropic(options.tenant)
      .messages.create(
        { model: options.model ?? 'claude-haiku', messages: hello, max_tokens: 20, ...options.body },
        { headers: options.headers },
      )
      .withResponse();
    return seenOfResponse(response, response.headers.get('request-id'), {
      text: data.content.length > 0,
    });
  });
}

function messageStream(face: Face): Promise<Seen> {
  return see(async () => {
    const { data, response } = await face
      .anthropic()
      .messages.create({ model: 'claude-haiku', messages: hello, max_tokens: 20, stream: true })
      .withResponse();
    let outputTokens = 0;
    for await (const event of data)
      if (event.type === 'message_delta') outputTokens = event.usage.output_tokens;
    return seenOfResponse(response, response.headers.get('request-id'), { usage: outputTokens > 0 });
  });
}

/** A plain `fetch` of the chat endpoint with `body` as sent. */
async function post(face: Face, body: string): Promise<Seen> {
  const headers = { 'content-type': 'application/json' };
  return seenOfFetch(await face.fetch('/v1/chat/completions', { method: 'POST', body, headers }));
}

/** Calls that must succeed before the case's own call (using up a budget, opening a circuit). */
async function succeed(times: number, call: () => Promise<Seen>): Promise<void> {
  for (let i = 0; i < times; i++) expect((await call()).status).toBe(200);
}

/** The simulator never answers the first call (fault `timeout`): it holds a slot until aborted. */
const HOLD_FIRST = { faults: [{ kind: 'timeout' as const, at: [1] }] };

/** `gpt-4o-mini` on a deployment that serves one call at a time. */
function oneSlot(simUrl: string) {
  return {
    'gpt-4o-mini': {
      deployments: [
        {
          id: 'sim-mini',
          provider: 'openai' as const,
          base_url: `${simUrl}/v1`,
          api_key: 'sk-upstream',
          model: 'gpt-4o-mini',
          limits: { concurrency: 1 },
        },
      ],
    },
  };
}

/** `text-embedding-3-small` on the simulator. */
function embeddingGroup(simUrl: string) {
  const deployment = {
    id: 'sim-embed',
    provider: 'openai' as const,
    base_url: `${simUrl}/v1`,
    api_key: 'sk-upstream',
    model: 'text-embedding-3-small',
  };
  return { ...baseConfig(simUrl).model_groups, 'text-embedding-3-small': { deployments: [deployment] } };
}

/** `gpt-4o-mini` on an upstream that records what reaches it. */
function onRecorder() {
  return {
    'gpt-4o-mini': {
      deployments: [
        {
          id: 'recorder',
          provider: 'openai' as const,
          base_url: `${recorder.url}/v1`,
          api_key: 'sk-upstream',
          model: 'gpt-4o-mini',
        },
      ],
    },
  };
}

function requestLines(face: Face): Record<string, unknown>[] {
  return face.logs.filter((line) => line.msg === 'request');
}

let closedPort = 0;
let deadRedisPort = 0;
let recorder: FakeUpstream;

const CASES: readonly Case[] = [
  {
    name: 'success',
    run: (face) => chat(face),
    expect: {
      status: 200,
      error: null,
      refusal: null,
      budget: 'requests,tokens',
      shouldRetry: null,
      retryAfterS: null,
      contentType: 'application/json',
    },
  },
  {
    name: 'streamed success hides the usage chunk it was not asked for',
    run: (face) => chatStream(face),
    expect: {
      status: 200,
      budget: 'requests,tokens',
      contentType: expect.stringContaining('text/event-stream'),
      extra: { usageChunks: 0, text: true, streamError: null },
    },
  },
  {
    name: 'streamed success with the usage chunk asked for',
    run: (face) => chatStream(face, { body: { stream_options: { include_usage: true } } }),
    expect: { status: 200, extra: { usageChunks: 1, text: true, streamError: null } },
  },
  {
    name: 'tenant_rate_limited',
    topology: {
      config: () => ({ tiers: { tiny: { rpm: 2, max_wait_ms: 0 } } }),
      tenants: [{ id: TENANT, tier: 'tiny' }],
    },
    run: async (face) => {
      await succeed(2, () => chat(face));
      return chat(face);
    },
    expect: {
      status: 429,
      refusal: 'tenant_rate_limited',
      code: 'rate_limit_exceeded',
      type: 'rate_limit_error',
      shouldRetry: null,
      budget: 'requests',
    },
    retryAfter: [25, 31],
  },
  {
    // The SDKs would sleep out a 12-hour Retry-After (issue 13, "What a new user hit").
    name: 'a per-day budget spent: Retry-After ~12 h says x-should-retry false',
    topology: {
      config: () => ({ tiers: { daily: { rpm: 600, rpd: 2, max_wait_ms: 0 } } }),
      tenants: [{ id: TENANT, tier: 'daily' }],
    },
    run: async (face) => {
      await succeed(2, () => chat(face));
      return chat(face);
    },
    expect: { status: 429, refusal: 'tenant_rate_limited', shouldRetry: 'false', budget: 'requests' },
    retryAfter: [43_000, 43_201],
  },
  {
    name: 'request_too_large',
    topology: {
      config: () => ({ tiers: { small: { tpm: 50 } } }),
      tenants: [{ id: TENANT, tier: 'small' }],
    },
    run: (face) => chat(face, { body: { max_tokens: 1_000 } }),
    expect: {
      status: 429,
      refusal: 'request_too_large',
      type: 'rate_limit_error',
      shouldRetry: 'false',
      retryAfterS: null,
      budget: 'tokens',
    },
  },
  {
    name: 'capacity_exhausted',
    topology: {
      config: (simUrl) => ({
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'sim-mini',
                provider: 'openai',
                base_url: `${simUrl}/v1`,
                api_key: 'sk-upstream',
                model: 'gpt-4o-mini',
                limits: { rpm: 2 },
              },
            ],
          },
        },
      }),
    },
    run: async (face) => {
      await succeed(1, () => chat(face));
      return chat(face, { headers: { 'x-sluice-max-wait-ms': '100' } });
    },
    expect: {
      status: 503,
      refusal: 'capacity_exhausted',
      code: 'server_is_overloaded',
      type: 'service_unavailable_error',
      shouldRetry: null,
      budget: 'requests,tokens',
    },
    retryAfter: [5, 7],
  },
  {
    name: 'queue_full',
    clientLeaves: true,
    topology: {
      sim: HOLD_FIRST,
      config: (simUrl) => ({ model_groups: oneSlot(simUrl), queue: { max_per_class: 1 } }),
    },
    run: async (face) => {
      const held = new AbortController();
      const first = chat(face, { signal: held.signal });
      // Held upstream, not only admitted: the simulator holds its first request, so it must be this one.
      await until(
        async () => (await heldReservations(face)) === 1 && face.sim.stats().requests === 1,
        'the first call to hold the slot upstream',
      );
      const queued = chat(face);
      await until(() => face.governor.admission.queued() === 1, 'the second call to queue');
      const seen = await chat(face);
      held.abort();
      expect((await first).status).toBe('aborted');
      expect((await queued).status).toBe(200);
      return seen;
    },
    expect: {
      status: 503,
      refusal: 'queue_full',
      type: 'service_unavailable_error',
      budget: 'requests,tokens',
    },
    retryAfter: [1, 2],
  },
  {
    name: 'circuit_open',
    topology: {
      sim: { faults: [{ kind: '500', rate: 1 }] },
      config: () => ({
        retry: { max_attempts: 1, base_ms: 0, cap_ms: 0 },
        circuit: { consecutive_failures: 1, first_open_ms: 5_000, open_ms: 5_000 },
      }),
    },
    run: async (face) => {
      expect((await chat(face)).status).toBe(500);
      return chat(face);
    },
    expect: {
      status: 503,
      refusal: 'circuit_open',
      type: 'service_unavailable_error',
      budget: 'requests,tokens',
    },
    retryAfter: [4, 6],
  },
  {
    name: 'unknown_model',
    run: (face) => chat(face, { model: 'no-such-model' }),
    expect: { status: 404, refusal: 'unknown_model', type: 'invalid_request_error', shouldRetry: 'false' },
  },
  {
    name: 'untranslatable: a parameter no deployment of a group of another API can take',
    run: (face) => chat(face, { model: 'claude-haiku', body: { n: 2 } }),
    expect: { status: 400, refusal: 'untranslatable', type: 'invalid_request_error', shouldRetry: 'false' },
  },
  {
    name: 'a chat call to a group of another API, translated',
    run: (face) => chat(face, { model: 'claude-haiku' }),
    expect: { status: 200, extra: { text: true } },
  },
  {
    name: 'model_not_allowed',
    topology: { tenants: [{ id: TENANT, tier: 'standard', model_groups: ['gpt-4o-mini'] }] },
    run: (face) => chat(face, { model: 'gpt-4o' }),
    expect: { status: 403, refusal: 'model_not_allowed', shouldRetry: 'false' },
  },
  {
    name: 'invalid_priority',
    run: (face) => chat(face, { headers: { 'x-sluice-priority': 'urgent' } }),
    expect: { status: 400, refusal: 'invalid_priority', type: 'invalid_request_error', shouldRetry: 'false' },
  },
  {
    name: 'invalid_max_wait',
    run: (face) => chat(face, { headers: { 'x-sluice-max-wait-ms': 'soon' } }),
    expect: { status: 400, refusal: 'invalid_max_wait', shouldRetry: 'false' },
  },
  {
    name: 'invalid_json (a plain fetch)',
    run: (face) => post(face, '{"model": "gpt-4o-mini", '),
    expect: { status: 400, refusal: 'invalid_json', type: 'invalid_request_error', shouldRetry: 'false' },
  },
  {
    name: 'missing_model (a plain fetch)',
    run: (face) => post(face, JSON.stringify({ messages: hello })),
    expect: { status: 400, refusal: 'missing_model', type: 'invalid_request_error', shouldRetry: 'false' },
  },
  {
    name: 'upstream 400 relayed as received',
    run: (face) => chat(face, { body: { messages: [{ role: 'robot', content: 'Hello' }] } }),
    expect: {
      status: 400,
      refusal: null,
      code: 'invalid_value',
      type: 'invalid_request_error',
      shouldRetry: 'false',
      budget: 'requests,tokens',
    },
  },
  {
    name: 'upstream 500 after the governor retried',
    topology: {
      sim: { faults: [{ kind: '500', rate: 1 }] },
      config: () => ({ retry: { max_attempts: 2, base_ms: 0, cap_ms: 0 } }),
    },
    run: (face) => chat(face),
    expect: { status: 500, refusal: null, type: 'server_error', budget: 'requests,tokens' },
    afterwards: async (face) => expect(face.sim.stats().requests).toBe(2),
  },
  {
    name: 'upstream 429 insufficient_quota: no retry can help',
    topology: { sim: { faults: [{ kind: 'insufficient_quota', rate: 1 }] } },
    run: (face) => chat(face),
    expect: {
      status: 429,
      refusal: null,
      code: 'insufficient_quota',
      shouldRetry: 'false',
      budget: 'requests,tokens',
    },
  },
  {
    name: 'upstream 429 rate limited: relayed with its Retry-After',
    topology: {
      sim: { faults: [{ kind: 'rate_limited', rate: 1, retry_after_s: 7 }] },
      config: () => ({ retry: { max_attempts: 1, base_ms: 0, cap_ms: 0 } }),
    },
    run: (face) => chat(face),
    expect: { status: 429, refusal: null, shouldRetry: null, budget: 'requests,tokens' },
    retryAfter: [7, 7],
  },
  {
    // What a new user hit (issue 13): the SDKs would sleep out the provider's 12 hours too.
    name: 'upstream 429 with a 12 h Retry-After says x-should-retry false',
    topology: {
      sim: { faults: [{ kind: 'rate_limited', rate: 1, retry_after_s: 43_200 }] },
      config: () => ({ retry: { max_attempts: 1, base_ms: 0, cap_ms: 0 } }),
    },
    run: (face) => chat(face),
    expect: { status: 429, refusal: null, shouldRetry: 'false' },
    retryAfter: [43_200, 43_200],
  },
  {
    name: 'upstream cuts the stream',
    topology: { sim: { faults: [{ kind: 'reset_mid_stream', rate: 1, after_tokens: 3 }] } },
    run: (face) => chatStream(face),
    expect: { status: 200, extra: { usageChunks: 0, text: true, streamError: expect.any(String) } },
  },
  {
    name: 'upstream sends an error event mid-stream',
    topology: { sim: { faults: [{ kind: 'error_mid_stream', rate: 1, after_tokens: 3 }] } },
    run: (face) => chatStream(face),
    expect: { status: 200, extra: { usageChunks: 0, text: true, streamError: 'APIError' } },
  },
  {
    name: "upstream 401 for the deployment's own key: 502 upstream_credentials",
    topology: { sim: { auth: 'listed' } },
    run: (face) => chat(face),
    expect: { status: 502, refusal: 'upstream_credentials', type: 'server_error', shouldRetry: 'false' },
  },
  {
    name: 'upstream unreachable: 502 upstream_unreachable',
    topology: {
      config: () => ({
        model_groups: {
          'gpt-4o-mini': {
            deployments: [
              {
                id: 'nowhere',
                provider: 'openai',
                base_url: `http://127.0.0.1:${closedPort}/v1`,
                api_key: 'sk-upstream',
                model: 'gpt-4o-mini',
              },
            ],
          },
        },
      }),
    },
    run: (face) => chat(face),
    expect: { status: 502, refusal: 'upstream_unreachable', type: 'server_error', budget: 'requests,tokens' },
  },
  {
    // Named difference: the gateway writes nothing (its log line says 499); governor.fetch rejects
    // with the signal's reason. Either way the SDK raises its own abort error and the slot comes back.
    name: 'client gone while the upstream works',
    clientLeaves: true,
    topology: { sim: { faults: [{ kind: 'timeout', at: [1, 2] }] } },
    run: async (face) => {
      const gone = new AbortController();
      const call = chat(face, { signal: gone.signal });
      await until(async () => (await heldReservations(face)) === 1, 'the call to be upstream');
      gone.abort();
      return call;
    },
    expect: { status: 'aborted', error: 'APIUserAbortError', requestId: null },
    afterwards: async (face) => {
      if (face.name === 'gateway') {
        await until(() => requestLines(face).length === 1, 'the log line');
        expect(requestLines(face)[0]).toMatchObject({ status: 499, aborted: true });
        return;
      }
      // A plain fetch: what it rejects with is the caller's own reason.
      const reason = new Error('the user closed the tab');
      const gone = new AbortController();
      const body = JSON.stringify({ model: 'gpt-4o-mini', messages: hello });
      const call = face.fetch('/v1/chat/completions', { method: 'POST', body, signal: gone.signal });
      await until(async () => (await heldReservations(face)) === 1, 'the call to be upstream');
      gone.abort(reason);
      await expect(call).rejects.toBe(reason);
    },
  },
  {
    name: 'client gone while queued',
    clientLeaves: true,
    topology: { sim: HOLD_FIRST, config: (simUrl) => ({ model_groups: oneSlot(simUrl) }) },
    run: async (face) => {
      const first = new AbortController();
      const second = new AbortController();
      const held = chat(face, { signal: first.signal });
      // Held upstream, not only admitted: the simulator holds its first request, so it must be this one.
      await until(
        async () => (await heldReservations(face)) === 1 && face.sim.stats().requests === 1,
        'the first call to hold the slot upstream',
      );
      const queued = chat(face, { signal: second.signal });
      await until(() => face.governor.admission.queued() === 1, 'the second call to queue');
      second.abort();
      const seen = await queued;
      // The gateway learns of it when the socket closes: its queue empties a moment later.
      await until(() => face.governor.admission.queued() === 0, 'the queue to let go of it');
      first.abort();
      expect((await held).status).toBe('aborted');
      return seen;
    },
    expect: { status: 'aborted', error: 'APIUserAbortError' },
    afterwards: async (face) => {
      if (face.name !== 'gateway') return;
      await until(() => requestLines(face).length === 2, 'both log lines');
      for (const line of requestLines(face)) expect(line).toMatchObject({ status: 499, aborted: true });
    },
  },
  {
    name: 'client gone mid-stream',
    clientLeaves: true,
    topology: {
      sim: { response: { mode: 'lorem', tokens: 200 }, latency: { ttft_ms: 0, per_token_ms: 20 } },
    },
    run: (face) =>
      see(async () => {
        const { data, response } = await face
          .openai()
          .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 400, stream: true })
          .withResponse();
        let chunks = 0;
        // Leaving the loop cancels the stream: the client hangs up with most of the answer unsent.
        for await (const _ of data) if (++chunks === 2) break;
        return seenOfResponse(response, response.headers.get('x-request-id'), { chunks });
      }),
    expect: { status: 200, extra: { chunks: 2 } },
    afterwards: async (face) => {
      if (face.name !== 'gateway') return;
      await until(() => requestLines(face).length === 1, 'the log line');
      expect(requestLines(face)[0]).toMatchObject({ status: 200, aborted: true });
    },
  },
  {
    // Named difference: governor.fetch forwards the app's headers as sent (the app owns the call),
    // the gateway only its allow-list. Neither sends Sluice's control headers or the caller's key.
    name: "forwarding: the app's headers go upstream from governor.fetch only",
    topology: { config: () => ({ model_groups: onRecorder() }) },
    run: (face) => {
      recorder.received.length = 0;
      return chat(face, { headers: { 'x-app-trace': 'trace-1', 'x-sluice-priority': 'normal' } });
    },
    expect: { status: 200 },
    afterwards: async (face) => {
      const [sent] = recorder.received;
      expect(sent?.headers['x-app-trace']).toBe(face.name === 'library' ? 'trace-1' : undefined);
      expect(sent?.headers.authorization).toBe('Bearer sk-upstream');
      expect(sent?.headers['x-sluice-tenant']).toBeUndefined();
      expect(sent?.headers['x-sluice-priority']).toBeUndefined();
    },
  },
  {
    name: 'store down, fail-closed: 503 store_unavailable',
    topology: {
      config: () => ({
        store: {
          kind: 'redis',
          url: `redis://127.0.0.1:${deadRedisPort}`,
          on_unavailable: 'fail_closed',
          connect_timeout_ms: 100,
        },
      }),
    },
    run: (face) => chat(face),
    expect: { status: 503, refusal: 'store_unavailable', type: 'service_unavailable_error' },
    retryAfter: [1, 30],
  },
  {
    name: 'embeddings',
    run: (face) =>
      see(async () => {
        const { data, response } = await face
          .openai()
          .embeddings.create({ model: 'text-embedding-3-small', input: 'Hello there' })
          .withResponse();
        return seenOfResponse(response, response.headers.get('x-request-id'), {
          vectors: data.data.length,
        });
      }),
    topology: { config: (simUrl) => ({ model_groups: embeddingGroup(simUrl) }) },
    expect: { status: 200, budget: 'requests,tokens', extra: { vectors: 1 } },
  },
  {
    name: 'responses API',
    run: (face) =>
      see(async () => {
        const { data, response } = await face
          .openai()
          .responses.create({ model: 'gpt-4o-mini', input: 'Hello there', max_output_tokens: 20 })
          .withResponse();
        return seenOfResponse(response, response.headers.get('x-request-id'), {
          text: data.output_text.length > 0,
        });
      }),
    expect: { status: 200, budget: 'requests,tokens', extra: { text: true } },
  },
  {
    name: 'responses API, streamed',
    run: (face) =>
      see(async () => {
        const { data, response } = await face
          .openai()
          .responses.create({
            model: 'gpt-4o-mini',
            input: 'Hello there',
            max_output_tokens: 20,
            stream: true,
          })
          .withResponse();
        let completed = false;
        for await (const event of data) if (event.type === 'response.completed') completed = true;
        return seenOfResponse(response, response.headers.get('x-request-id'), { completed });
      }),
    expect: { status: 200, budget: 'requests,tokens', extra: { completed: true } },
  },
  // --- Anthropic's API ---
  {
    name: 'anthropic: count_tokens',
    run: (face) =>
      see(async () => {
        const { data, response } = await face
          .anthropic()
          .messages.countTokens({ model: 'claude-haiku', messages: hello })
          .withResponse();
        return seenOfResponse(response, response.headers.get('request-id'), {
          counted: data.input_tokens > 0,
        });
      }),
    expect: { status: 200, extra: { counted: true } },
  },
  {
    name: 'anthropic: success',
    run: (face) => message(face),
    expect: { status: 200, refusal: null, budget: 'requests,tokens', extra: { text: true } },
  },
  {
    name: 'anthropic: streamed success',
    run: (face) => messageStream(face),
    expect: { status: 200, budget: 'requests,tokens', extra: { usage: true } },
  },
  {
    name: 'anthropic: tenant_rate_limited',
    topology: {
      config: () => ({ tiers: { tiny: { rpm: 2, max_wait_ms: 0 } } }),
      tenants: [{ id: TENANT, tier: 'tiny' }],
    },
    run: async (face) => {
      await succeed(2, () => message(face));
      return message(face);
    },
    expect: { status: 429, refusal: 'tenant_rate_limited', type: 'rate_limit_error', budget: 'requests' },
    retryAfter: [25, 31],
  },
  {
    name: 'anthropic: invalid_priority',
    run: (face) => message(face, { headers: { 'x-sluice-priority': 'urgent' } }),
    expect: { status: 400, refusal: 'invalid_priority', type: 'invalid_request_error', shouldRetry: 'false' },
  },
  {
    name: "anthropic: upstream 401 for the deployment's own key",
    topology: { sim: { auth: 'listed' } },
    run: (face) => message(face),
    expect: { status: 502, refusal: 'upstream_credentials', type: 'api_error', shouldRetry: 'false' },
  },
];

/** What must be equal across faces: ids by presence and kind, `Retry-After` checked apart (it ticks). */
function comparable(seen: Seen) {
  const { requestId, sdkRequestId, retryAfterS, ...rest } = seen;
  return {
    ...rest,
    requestId: requestId !== null,
    sdkRequestId: sdkRequestId === null ? null : sdkRequestId === requestId ? 'sluice' : 'upstream',
    retryAfter: retryAfterS !== null,
  };
}

const open: Face[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

beforeAll(async () => {
  closedPort = await freePort();
  deadRedisPort = await freePort();
  recorder = await startFakeUpstream();
  return () => recorder.close();
});

describe('the gateway and governor.fetch answer alike', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const seen = {} as Record<FaceName, Seen>;
    for (const name of FACES) {
      const face = await startFace(name, c.topology);
      open.push(face);
      const got = await c.run(face);
      seen[name] = got;

      expect(got, name).toMatchObject(c.expect);
      if (got.status !== 'aborted') expect(got.requestId, name).toMatch(/^[0-9a-f-]{36}$/);
      if (c.retryAfter) {
        const [low, high] = c.retryAfter;
        expect(got.retryAfterS, name).toBeGreaterThanOrEqual(low);
        expect(got.retryAfterS, name).toBeLessThanOrEqual(high);
      }
      // Sluice's own answers carry its id where the SDK looks for one (err.requestID).
      if (got.refusal !== null) expect(got.sdkRequestId, name).toBe(got.requestId);
      // Settled by the time the client has read its answer; a client that hung up is noticed a moment later.
      if (c.clientLeaves) await until(async () => (await heldReservations(face)) === 0, 'the settle');
      else expect(await heldReservations(face), `${name}: reservations held`).toBe(0);
      if (name === 'gateway' && got.requestId !== null) {
        // A client's complaint quoting the id finds the log line (issue 13).
        await until(() => face.logs.some((l) => l.request_id === got.requestId), 'the log line');
        const line = face.logs.find((l) => l.request_id === got.requestId);
        expect(line?.status).toBe(got.status);
        expect(line?.refusal ?? null).toBe(got.refusal);
      }
      await c.afterwards?.(face, got);
    }
    const { gateway, library } = seen;
    expect(comparable(library)).toEqual(comparable(gateway));
    if (gateway.retryAfterS !== null && library.retryAfterS !== null)
      expect(Math.abs(library.retryAfterS - gateway.retryAfterS)).toBeLessThanOrEqual(2);
  });
});

describe('the gateway answers models.retrieve (governor.fetch passes model calls to the provider)', () => {
  it('with the openai and the anthropic SDK', async () => {
    const face = await startFace('gateway');
    open.push(face);
    const openaiModel = await face.openai().models.retrieve('gpt-4o-mini');
    expect(openaiModel).toMatchObject({ id: 'gpt-4o-mini', object: 'model' });
    const anthropicModel = await face.anthropic().models.retrieve('claude-haiku');
    expect(anthropicModel).toMatchObject({ id: 'claude-haiku', type: 'model' });
    const missing = await see(async () => {
      await face.openai().models.retrieve('no-such-model');
      throw new Error('retrieved a model that does not exist');
    });
    expect(missing).toMatchObject({ status: 404, refusal: 'unknown_model' });
  });
});
