/**
 * Every client against a group of each other family, through the gateway
 * and through `governor.fetch`, whole answers and streams: the official
 * `openai`, `@anthropic-ai/sdk` and `@google/genai` SDKs and the Vercel AI
 * SDK (its OpenAI chat and Anthropic providers) ask the simulator, which
 * answers in its own API; the recorder in between shows what the upstream
 * was sent and what it reported. Each client must read the answer in its
 * own terms: text, stop reasons, usage equal to the upstream's (TABLE.md's
 * senses), a system prompt and a base64 image delivered, a two-round tool
 * loop with ids paired, a parameter that cannot travel refused by name, and
 * an upstream error raised as its own SDK's class with status and
 * `Retry-After`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { FaultSpecInput } from '../../src/simulator/config.js';
import { CLIENTS, type Client, IMAGE_BASE64, WEATHER } from './clients/index.js';
import type { Exchange } from './recorder.js';
import { FACES, FAMILIES, type Family, groupOf, type Rig, startRig } from './rig.js';
import {
  conversationIds,
  upstreamCallIds,
  upstreamImages,
  upstreamRetryHint,
  upstreamStreamError,
  upstreamSystem,
  upstreamUsage,
} from './upstream.js';
import { watched } from './watch.js';

/** Each client paired with every family but its own: `[label, client, upstream]`. */
const PAIRS = CLIENTS.flatMap((client) =>
  FAMILIES.filter((f) => f !== client.family).map(
    (upstream) => [`${client.name} → ${upstream}`, client, upstream] as [string, Client, Family],
  ),
);

const FRAMINGS = [
  ['whole', false],
  ['streamed', true],
] as const;

/**
 * The API the upstream is spoken to in. An OpenAI call for a Gemini
 * deployment is not translated: it goes to Gemini's OpenAI-compatible
 * endpoint (`familiesOf('gemini')` serves both), so its wire is OpenAI's.
 */
function wireOf(caller: Family, upstream: Family): Family {
  return upstream === 'gemini' && caller === 'openai' ? 'openai' : upstream;
}

/** The path a chat call takes upstream, by the deployment's family and the wire's. */
function upstreamPath(upstream: Family, wire: Family): RegExp {
  if (upstream === 'gemini' && wire === 'openai') return /^\/v1beta\/openai\/chat\/completions$/;
  return {
    openai: /^\/v1\/chat\/completions$/,
    anthropic: /^\/v1\/messages$/,
    gemini: /^\/v1beta\/models\/gemini-2\.5-flash:(generateContent|streamGenerateContent\?alt=sse)$/,
  }[upstream];
}

function lastExchange(rig: Rig): Exchange {
  const exchange = rig.recorder.exchanges.at(-1);
  if (!exchange) throw new Error('nothing reached the upstream');
  return exchange;
}

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (answer) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(answer).slice(0, 300)}`);
    },
    (error: unknown) => error,
  );
}

describe.each(FACES)('through the %s', (face) => {
  describe.each(PAIRS)('%s', (_label, client, upstream) => {
    const group = groupOf(upstream);
    const wire = wireOf(client.family, upstream);
    const translated = wire !== client.family;
    let rig: Rig;
    beforeAll(async () => {
      rig = await startRig(face);
    });
    afterAll(async () => {
      await rig.close();
    });

    describe.each(FRAMINGS)('%s', (_framing, stream) => {
      it('answers plain text, ended, with the upstream’s usage', async () => {
        const said = await client.ask(watched(rig), { group, text: 'Hello there', stream });
        const exchange = lastExchange(rig);
        expect(exchange.path).toMatch(upstreamPath(upstream, wire));
        expect(said.text.trim().split(' ')).toHaveLength(8);
        expect(said.stop).toBe(client.stops.end);
        expect(said.usage).toEqual(upstreamUsage(wire, exchange));
        expect(said.usage.output).toBe(8);
      });

      it('carries the system prompt to the upstream’s place for it', async () => {
        const system = 'Answer in French.';
        const said = await client.ask(watched(rig), { group, text: 'Hello there', system, stream });
        expect(said.stop).toBe(client.stops.end);
        expect(upstreamSystem(wire, lastExchange(rig).body)).toBe(system);
      });

      it('carries a base64 image the upstream accepts', async () => {
        const said = await client.ask(watched(rig), { group, text: 'What is this?', image: true, stream });
        const exchange = lastExchange(rig);
        expect(exchange.status).toBe(200);
        expect(upstreamImages(wire, exchange.body)).toEqual([`image/png;${IMAGE_BASE64}`]);
        expect(said.usage).toEqual(upstreamUsage(wire, exchange));
      });

      it('says the output cap cut the answer, in its own words', async () => {
        const said = await client.ask(watched(rig), { group, text: 'Hello there', maxTokens: 3, stream });
        expect(said.stop).toBe(client.stops.maxTokens);
        expect(said.text.trim().split(' ')).toHaveLength(3);
        expect(said.usage).toEqual(upstreamUsage(wire, lastExchange(rig)));
      });

      it('calls a tool, takes the result in its own format and answers, ids paired', async () => {
        const before = rig.recorder.exchanges.length;
        const round = await client.toolRound(watched(rig), group, stream);
        const [first, second] = rig.recorder.exchanges.slice(before);
        if (!first || !second) throw new Error('expected two upstream calls');
        expect(round.call.name).toBe(WEATHER.name);
        expect(round.call.args).toEqual(WEATHER.args);
        expect(round.callStop).toBe(client.stops.toolCalls);
        const [upstreamId] = upstreamCallIds(wire, first);
        if (upstreamId !== undefined) expect(round.call.id).toBe(upstreamId);
        expect(round.call.id).not.toBe('');
        expect(conversationIds(wire, second.body)).toEqual({
          calls: [round.call.id],
          results: [round.call.id],
        });
        expect(round.final.stop).toBe(client.stops.end);
        expect(round.final.text.length).toBeGreaterThan(0);
        expect(round.final.usage).toEqual(upstreamUsage(wire, second));
      });
    });

    it.runIf(translated)(
      'refuses a parameter that cannot travel with a 400 in its own SDK’s class, naming it',
      async () => {
        const before = rig.recorder.exchanges.length;
        const conn = watched(rig);
        const raised = client.raised(await rejection(client.askUntravelable(conn, group)));
        expect(raised).toMatchObject({ kind: client.errorClass(400), status: 400 });
        expect(raised.message).toContain(client.untravelable);
        expect(raised.message).toContain(`sim-${upstream}`);
        expect(conn.last()?.get('x-sluice-refusal')).toBe('untranslatable');
        expect(rig.recorder.exchanges.length).toBe(before);
      },
    );

    it.runIf(!translated)(
      'passes that parameter to Gemini’s OpenAI-compatible endpoint untranslated',
      async () => {
        await client.askUntravelable(watched(rig), group);
        const exchange = lastExchange(rig);
        expect(exchange.path).toBe('/v1beta/openai/chat/completions');
        expect(exchange.body).toMatchObject({ model: 'gemini-2.5-flash' });
        expect(exchange.body[client.untravelable]).toBeDefined();
      },
    );
  });
});

/**
 * The upstream errors of the matrix and what each wire answers them with:
 * a 429 outside the buckets (Gemini's bare RESOURCE_EXHAUSTED carries no
 * retry hint, so there is none to pass on) and an overload.
 */
const ERRORS: [string, FaultSpecInput, Record<Family, { status: number; retryAfter: string | null }>][] = [
  [
    'a 429',
    { kind: 'rate_limited', from: 1, retry_after_s: 7 },
    {
      openai: { status: 429, retryAfter: '7' },
      anthropic: { status: 429, retryAfter: '7' },
      gemini: { status: 429, retryAfter: null },
    },
  ],
  [
    'overloaded',
    { kind: 'overloaded', from: 1 },
    {
      openai: { status: 503, retryAfter: null },
      anthropic: { status: 529, retryAfter: null },
      gemini: { status: 503, retryAfter: null },
    },
  ],
];

describe.each(FACES)('upstream errors through the %s', (face) => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  describe.each(PAIRS)('%s', (_label, client, upstream) => {
    const answers = ERRORS.flatMap(([name, fault, byWire]) =>
      FRAMINGS.map(([framing, stream]) => {
        const { status, retryAfter } = byWire[wireOf(client.family, upstream)];
        return [`${name}, ${framing}`, fault, status, retryAfter, stream] as const;
      }),
    );
    it.each(answers)(
      '%s reaches the caller as its own SDK’s error',
      async (_name, fault, status, retryAfter, stream) => {
        rig = await startRig(face, { sim: { faults: [fault] } });
        const conn = watched(rig);
        const raised = client.raised(
          await rejection(client.ask(conn, { group: groupOf(upstream), text: 'Hello there', stream })),
        );
        expect(raised).toMatchObject({ kind: client.errorClass(status), status });
        expect(conn.last()?.get('retry-after') ?? null).toBe(retryAfter);
        expect(lastExchange(rig).status).toBe(status);
      },
    );
  });
});

describe.each(FACES)('an upstream stream ending in its error event, through the %s', (face) => {
  describe.each(PAIRS)('%s', (_label, client, upstream) => {
    it('ends the caller’s stream with its own SDK’s error, the upstream’s message kept', async () => {
      const rig = await startRig(face, { sim: { faults: [{ kind: 'error_mid_stream', from: 1 }] } });
      try {
        const raised = client.raised(
          await rejection(
            client.ask(watched(rig), { group: groupOf(upstream), text: 'Hello there', stream: true }),
          ),
        );
        const exchange = lastExchange(rig);
        expect(exchange.status).toBe(200);
        expect(raised.kind).toBe(client.streamErrorClass);
        const message = upstreamStreamError(exchange);
        expect(message).toBeDefined();
        expect(raised.message).toContain(message);
      } finally {
        await rig.close();
      }
    });
  });
});

/**
 * Gemini sends no rate-limit headers, so the governor cannot see its key's
 * limit coming and the upstream's own 429 reaches the caller. Its wait is
 * in the body (`RetryInfo.retryDelay`, PROVIDERS.md §4.2), not in a
 * `retry-after` header; a caller of another family must still be told it.
 */
describe.each(FACES)('a Gemini deployment’s own 429 through the %s', (face) => {
  describe.each(PAIRS.filter(([, , upstream]) => upstream === 'gemini'))('%s', (_label, client) => {
    it('reaches the caller as a 429 of its own SDK with the upstream’s wait as retry-after', async () => {
      // A manual clock: Gemini's fixed minute window must not roll over between the two calls.
      const rig = await startRig(face, { clock: new ManualClock(), sim: { defaults: { rpm: 1 } } });
      try {
        const conn = watched(rig);
        const question = { group: groupOf('gemini'), text: 'Hello there', stream: false };
        await client.ask(conn, question);
        const raised = client.raised(await rejection(client.ask(conn, question)));
        expect(raised).toMatchObject({ kind: client.errorClass(429), status: 429 });
        const limited = lastExchange(rig);
        expect(limited.status).toBe(429);
        const hint = upstreamRetryHint(limited) ?? Number.NaN;
        expect(hint).toBeGreaterThan(0);
        const retryAfter = Number(conn.last()?.get('retry-after') ?? Number.NaN);
        expect(retryAfter).toBeGreaterThanOrEqual(hint);
        expect(retryAfter).toBeLessThanOrEqual(hint + 1);
      } finally {
        await rig.close();
      }
    });
  });
});
