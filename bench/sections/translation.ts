/**
 * Translation section: what crossing between API families costs.
 *
 * 1. Per request, for every caller API and every other target family: the
 *    request read into the neutral call and written for the target, plus
 *    the target's answer read and written back for the caller (µs, median
 *    and p99 of single calls), beside the floor a same-family proxy pays at
 *    least (`JSON.parse` + `JSON.stringify` of the same request and answer).
 *    Three bodies: a short chat, a 40-message agent conversation with tool
 *    calls and results, and a message with an image.
 * 2. Streams: upstream stream bytes translated event by event (MB/s), beside
 *    the usage tap every relayed stream already runs on the same bytes.
 * 3. End to end: `sluice serve` in front of the simulator, the same
 *    OpenAI-shaped call to an OpenAI deployment (native) and to an Anthropic
 *    one (translated), closed loop, requests/s and latency side by side.
 *
 * Bodies are built once as neutral calls and written in each API by the
 * translators themselves, so every pair measures a realistic body of its own
 * API. Deterministic content; no network in parts 1 and 2.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { percentiles } from '../../src/bench/stats.js';
import { gatewayConfig } from '../../src/bench/targets/gateway.js';
import { freePort, waitUntilUp } from '../../src/bench/targets/process.js';
import { startSluice } from '../../src/bench/targets/sluice-process.js';
import type { Endpoint as ApiEndpoint } from '../../src/providers/adapter.js';
import { createAdapter } from '../../src/providers/registry.js';
import {
  type ChatApiTable,
  chatApiOfEndpoint,
  chatApiOfFamily,
} from '../../src/providers/translate/chat-apis.js';
import type { NeutralAnswer, NeutralMessage, NeutralRequest } from '../../src/providers/translate/neutral.js';
import { answerEvents } from '../../src/providers/translate/stream/answer-events.js';
import {
  createStreamTranslation,
  STREAM_FORMATS,
  type StreamFormat,
} from '../../src/providers/translate/stream/stream-translation.js';
import { closedLoop } from '../lib/proxy-load.js';
import { printTable, type Row, writeResults } from '../lib/report.js';

const ITERATIONS = Number(process.env.TRANSLATION_ITERATIONS ?? 2_000);
const STREAM_ROUNDS = 20;
const E2E_SECONDS = Number(process.env.TRANSLATION_E2E_SECONDS ?? 5);
const CONNECTIONS = 20;

const CALLERS: readonly { name: string; endpoint: ApiEndpoint }[] = [
  { name: 'OpenAI Chat', endpoint: 'chat_completions' },
  { name: 'OpenAI Responses', endpoint: 'responses' },
  { name: 'Anthropic', endpoint: 'messages' },
  { name: 'Gemini', endpoint: 'generate_content' },
];
const TARGETS = ['openai', 'anthropic', 'gemini'] as const;

const TOOL = {
  name: 'lookup_order',
  description: 'Look up an order by its id',
  parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
} as const;

function conversation(turns: number): NeutralMessage[] {
  const out: NeutralMessage[] = [];
  for (let i = 0; i < turns; i++) {
    out.push({
      role: 'user',
      parts: [{ kind: 'text', text: `Where is order ${i}? It was due on Monday and nothing came.` }],
    });
    out.push({
      role: 'assistant',
      parts: [{ kind: 'tool-call', id: `call_${i}`, name: TOOL.name, arguments: { id: `A-${i}` } }],
    });
    out.push({
      role: 'user',
      parts: [
        {
          kind: 'tool-result',
          callId: `call_${i}`,
          isError: false,
          content: [{ kind: 'text', text: `{"status":"shipped","eta":"Thursday"}` }],
        },
      ],
    });
    out.push({
      role: 'assistant',
      parts: [{ kind: 'text', text: `Order ${i} has shipped and should arrive on Thursday.` }],
    });
  }
  out.push({ role: 'user', parts: [{ kind: 'text', text: 'Thanks. And the last one?' }] });
  return out;
}

const BASE: NeutralRequest = {
  model: 'g',
  system: ['You are a helpful support agent. Answer briefly.'],
  messages: [],
  tools: [],
  stopSequences: [],
  maxOutputTokens: 512,
  stream: false,
  streamUsage: false,
};
const PNG = Buffer.alloc(24 * 1024, 7).toString('base64');
const REQUESTS: Record<string, NeutralRequest> = {
  'short chat': {
    ...BASE,
    messages: [{ role: 'user', parts: [{ kind: 'text', text: 'What is the capital of France?' }] }],
  },
  'agent, 40 messages': { ...BASE, messages: conversation(10), tools: [TOOL] },
  'image part': {
    ...BASE,
    messages: [
      {
        role: 'user',
        parts: [
          { kind: 'text', text: 'What is in this picture?' },
          { kind: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
        ],
      },
    ],
  },
};
const ANSWER: NeutralAnswer = {
  id: 'answer-1',
  model: 'model-1',
  content: [{ kind: 'text', text: 'Paris is the capital of France. '.repeat(8) }],
  stopReason: 'end',
  usage: { inputTokens: 120, outputTokens: 64 },
};

function must<T>(
  t: { ok: true; value: T } | { ok: false; untranslatable: readonly { parameter: string }[] },
): T {
  if (!t.ok) throw new Error(`untranslatable: ${t.untranslatable.map((u) => u.parameter).join(', ')}`);
  return t.value;
}

/** Median and p99 of `fn`'s single-call time in µs, after a warm-up. */
function time(fn: () => unknown): { p50: number; p99: number } {
  for (let i = 0; i < 200; i++) fn();
  const samples = new Array<number>(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  const p = percentiles(samples);
  return { p50: p.p50 ?? Number.NaN, p99: p.p99 ?? Number.NaN };
}

function requestPairs(): Row[] {
  const rows: Row[] = [];
  const now = { nowSeconds: 1_800_000_000 };
  for (const [body, neutral] of Object.entries(REQUESTS)) {
    for (const caller of CALLERS) {
      const from = chatApiOfEndpoint(caller.endpoint) as ChatApiTable;
      const request = must(from.writeRequest(neutral, { model: 'g' })).body;
      const callerText = JSON.stringify(request);
      const callerAnswer = JSON.stringify(must(from.writeAnswer(ANSWER, now)));
      const floor = time(() => {
        JSON.stringify(JSON.parse(callerText));
        JSON.stringify(JSON.parse(callerAnswer));
      });
      for (const family of TARGETS) {
        if (family === from.family) continue;
        const to = chatApiOfFamily(family);
        const upstreamAnswer = JSON.stringify(must(to.writeAnswer(ANSWER, now)));
        const crossed = time(() => {
          const read = must(from.readRequest({ body: JSON.parse(callerText), model: 'g', stream: false }));
          JSON.stringify(must(to.writeRequest(read, { model: 'target-model' })).body);
          const answer = must(to.readAnswer(JSON.parse(upstreamAnswer)));
          JSON.stringify(must(from.writeAnswer(answer, now)));
        });
        rows.push({
          body,
          caller: caller.name,
          target: family,
          'translated p50 µs': crossed.p50,
          'translated p99 µs': crossed.p99,
          'floor p50 µs': floor.p50,
          'p50 ÷ floor': crossed.p50 / floor.p50,
        });
      }
    }
  }
  return rows;
}

const FORMATS: readonly {
  format: StreamFormat;
  endpoint: ApiEndpoint;
  provider: 'openai' | 'anthropic' | 'gemini';
}[] = [
  { format: 'openai-chat', endpoint: 'chat_completions', provider: 'openai' },
  { format: 'openai-responses', endpoint: 'responses', provider: 'openai' },
  { format: 'anthropic-messages', endpoint: 'messages', provider: 'anthropic' },
  { format: 'gemini-sse', endpoint: 'stream_generate_content', provider: 'gemini' },
];

/** An upstream stream of `format`: 2,000 text deltas, then a tool call in 200 argument fragments. */
function upstreamStream(format: StreamFormat): Uint8Array[] {
  const answer: NeutralAnswer = {
    ...ANSWER,
    content: [
      { kind: 'text', text: 'token '.repeat(2_000) },
      { kind: 'tool-call', id: 'call_1', name: TOOL.name, arguments: { id: 'x'.repeat(1_000) } },
    ],
    stopReason: 'tool-calls',
  };
  const writer = STREAM_FORMATS[format].writer({ streamUsage: true, createdSeconds: 1_800_000_000 });
  let text = '';
  for (const event of answerEvents(answer)) {
    if (event.kind === 'text') {
      for (let i = 0; i < 2_000; i++) text += writer.write({ ...event, text: 'token ' });
    } else if (event.kind === 'tool-arguments') {
      for (let i = 0; i < 200; i++)
        text += writer.write({ ...event, json: i === 0 ? '{"id":"' : i === 199 ? 'x"}' : 'xxxxx' });
    } else text += writer.write(event);
  }
  text += writer.finish();
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 1_024) chunks.push(bytes.subarray(i, i + 1_024));
  return chunks;
}

function mbPerSecond(bytes: number, run: () => void): number {
  run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < STREAM_ROUNDS; i++) run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (bytes * STREAM_ROUNDS) / seconds / 1e6;
}

function streamPairs(): Row[] {
  const rows: Row[] = [];
  for (const from of FORMATS) {
    if (from.format === 'openai-responses') continue; // a caller's API only: never an upstream of a crossed call
    const chunks = upstreamStream(from.format);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    const adapter = createAdapter(from.provider, undefined as never);
    const tap = mbPerSecond(bytes, () => {
      const t = adapter.createUsageTap(from.endpoint);
      for (const chunk of chunks) t.push(chunk);
    });
    for (const to of FORMATS) {
      if (to.provider === from.provider) continue;
      const translated = mbPerSecond(bytes, () => {
        const t = adapter.createUsageTap(from.endpoint);
        const translation = createStreamTranslation(from.format, to.format, {
          streamUsage: true,
          createdSeconds: 0,
        });
        for (const chunk of chunks) {
          t.push(chunk);
          translation.push(chunk);
        }
        translation.end();
      });
      rows.push({
        upstream: from.format,
        caller: to.format,
        'stream KB': bytes / 1_024,
        'tap + translation MB/s': translated,
        'tap alone MB/s': tap,
        'translated ÷ tap': translated / tap,
      });
    }
  }
  return rows;
}

async function endToEnd(): Promise<Row[]> {
  const simPort = await freePort();
  const sim = startSluice([
    'simulate',
    '--port',
    String(simPort),
    '--mode',
    'fixed',
    '--text',
    'Hello there.',
  ]);
  const simUrl = `http://127.0.0.1:${simPort}`;
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-translation-'));
  const port = await freePort();
  const config = gatewayConfig(
    { providerBaseUrl: `${simUrl}/v1`, model: 'native', limits: { rpm: 1e9, tpm: 1e12 } },
    port,
  ) as {
    model_groups: Record<string, unknown>;
    tenants: { key: string }[];
  };
  config.model_groups.translated = {
    deployments: [
      {
        id: 'anthropic',
        provider: 'anthropic',
        base_url: simUrl,
        api_key: 'sk-ant-bench',
        model: 'claude-3-5-haiku-latest',
        limits: { rpm: 1e9, itpm: 1e12, otpm: 1e12 },
      },
    ],
  };
  const file = join(dir, 'sluice.yaml');
  await writeFile(file, stringify(config));
  const gateway = startSluice(['serve', '--config', file]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(`${simUrl}/v1/models`, sim);
    await waitUntilUp(`${url}/v1/models`, gateway);
    const tenant = config.tenants[0]?.key ?? '';
    const endpoint = (model: string) => ({
      url: `${url}/v1/chat/completions`,
      headers: { authorization: `Bearer ${tenant}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16 }),
    });
    const rows: Row[] = [];
    for (const model of ['native', 'translated']) {
      await closedLoop(endpoint(model), CONNECTIONS, 2);
      const r = await closedLoop(endpoint(model), CONNECTIONS, E2E_SECONDS);
      rows.push({
        group: model,
        'req/s': r.requestsPerSecond,
        'p50 ms': r.p50Ms,
        'p99 ms': r.p99Ms,
        non2xx: r.non2xx,
        errors: r.errors,
      });
    }
    const [native, translated] = rows as [Row, Row];
    translated['req/s ÷ native'] = (translated['req/s'] as number) / (native['req/s'] as number);
    native['req/s ÷ native'] = 1;
    return rows;
  } finally {
    await gateway.stop();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log(
    '### Request + answer translation per call (µs), beside JSON parse + stringify of the same bodies\n',
  );
  const requests = requestPairs();
  printTable(requests);
  console.log('\n### Stream translation (MB/s of upstream bytes), beside the usage tap alone\n');
  const streams = streamPairs();
  printTable(streams);
  console.log(
    `\n### End to end through sluice serve, ${CONNECTIONS} connections, ${E2E_SECONDS} s: OpenAI call to an OpenAI deployment vs to an Anthropic one\n`,
  );
  const e2e = await endToEnd();
  printTable(e2e);
  writeResults('translation', { requests, streams, endToEnd: e2e });
}
