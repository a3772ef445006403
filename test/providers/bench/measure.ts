/**
 * Hot-path costs of the provider adapters: estimate µs per call, usage-tap
 * throughput, observe/classify µs per call. Not a test (never gates CI on a
 * time, STYLE.md); run with `npx tsx test/providers/bench/measure.ts`.
 * Prints a table and writes JSON to stdout's last line.
 */
import { performance } from 'node:perf_hooks';
import { preloadTokenizers } from '../../../src/providers/estimate/text-counter.js';
import { createAdapter } from '../../../src/providers/registry.js';
import { SAMPLES } from '../fixtures/samples.js';

const WORDS =
  'the rate limiter admits requests when every bucket on their path has room and queues the rest by priority while tenants share capacity fairly according to their weights and the provider headers resync local state after each response so that foreign traffic on the same key is seen'.split(
    ' ',
  );

function prose(words: number, seed: number): string {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out.push(WORDS[x % WORDS.length] as string);
  }
  return out.join(' ');
}

function time(label: string, runs: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(200, runs); i++) fn(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < runs; i++) fn(i);
  const us = ((performance.now() - start) * 1000) / runs;
  console.log(`${label.padEnd(58)} ${us.toFixed(2).padStart(9)} µs/call`);
  return us;
}

function throughput(
  label: string,
  stream: string,
  push: (tap: ReturnType<typeof makeTap>) => void,
  makeTap: () => {
    push(b: Uint8Array): void;
    usage(): unknown;
  },
): number {
  const data = new TextEncoder().encode(stream);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += 4096) chunks.push(data.subarray(at, at + 4096));
  const rounds = 20;
  const run = () => {
    const tap = makeTap();
    for (const c of chunks) tap.push(c);
    if (!tap.usage()) throw new Error(`${label}: no usage`);
    push(tap);
  };
  run();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) run();
  const seconds = (performance.now() - start) / 1000;
  const mbps = (data.length * rounds) / seconds / 1e6;
  console.log(
    `${label.padEnd(58)} ${mbps.toFixed(0).padStart(9)} MB/s  (${(data.length / 1e6).toFixed(1)} MB stream)`,
  );
  return mbps;
}

const results: Record<string, number> = {};
const openai = createAdapter('openai');
const anthropic = createAdapter('anthropic');
const gemini = createAdapter('gemini');

let t = performance.now();
preloadTokenizers(['o200k_base']);
results.load_o200k_ms = performance.now() - t;
t = performance.now();
preloadTokenizers(['cl100k_base']);
results.load_cl100k_ms = performance.now() - t;
console.log(
  `tokenizer load: o200k_base ${results.load_o200k_ms.toFixed(0)} ms, cl100k_base ${results.load_cl100k_ms.toFixed(0)} ms`,
);

const system = 'You are a helpful assistant for an operations team. Answer briefly and cite the runbook.';
const chat = (i: number) => ({
  model: 'gpt-4o',
  max_tokens: 200,
  messages: [
    { role: 'system', content: system },
    { role: 'user', content: `${prose(180, 1)} (${i})` },
    { role: 'assistant', content: prose(120, 2) },
    { role: 'user', content: `${prose(90, i)} ${i}` },
  ],
});
console.log(
  `~chat size: ${openai.estimate('chat_completions', chat(0), '/v1/chat/completions').cost.inputTokens} input tokens`,
);
// Bodies are built before timing, so only the estimate is measured.
const chats = Array.from({ length: 1_000 }, (_, i) => chat(i));
const claudeChats = chats.map((body) => ({ ...body, model: 'claude-sonnet-4-6' }));
results.openai_chat_500_us = time('OpenAI estimate, ~500-token chat (gpt-4o, o200k)', 5_000, (i) => {
  openai.estimate('chat_completions', chats[i % chats.length], '/v1/chat/completions');
});
// A chat session: each turn resends the system prompt and the history, plus one new message.
const history: { role: string; content: string }[] = [
  { role: 'system', content: `${system} ${prose(150, 9)}` },
];
const turns = Array.from({ length: 2_000 }, (_, i) => {
  history.push({ role: i % 2 ? 'assistant' : 'user', content: `${prose(60, i + 100)} ${i}` });
  if (history.length > 9) history.splice(1, 1);
  return {
    model: 'gpt-4o',
    max_tokens: 200,
    messages: history.map((m) => ({ ...m, content: `${m.content}` })),
  };
});
console.log(
  `~turn size: ${openai.estimate('chat_completions', turns[100], '/v1/chat/completions').cost.inputTokens} input tokens`,
);
results.openai_multiturn_us = time('OpenAI estimate, multi-turn chat (history resent)', 1_800, (i) => {
  openai.estimate('chat_completions', turns[i % turns.length], '/v1/chat/completions');
});
const fresh = Array.from({ length: 700 }, (_, i) => ({
  model: 'gpt-4o',
  messages: [
    {
      role: 'user',
      content: Array.from({ length: 400 }, (_, k) => `w${(i * 7919 + k * 104729) % 1_000_003}`).join(' '),
    },
  ],
}));
results.openai_unseen_words_us = time('OpenAI estimate, 400 never-seen words (cache-cold BPE)', 500, (i) => {
  openai.estimate('chat_completions', fresh[(i + 200) % fresh.length], '/v1/chat/completions');
});
results.anthropic_chat_500_us = time('Anthropic estimate, same chat (character estimate)', 20_000, (i) => {
  anthropic.estimate('messages', claudeChats[i % claudeChats.length], '/v1/messages');
});
const big = { model: 'gpt-4o', messages: [{ role: 'user', content: prose(200_000, 3) }] };
results.openai_1mb_ms =
  time('OpenAI estimate, 1.2 MB prompt (100k chars tokenized)', 20, () => {
    openai.estimate('chat_completions', big, '/v1/chat/completions');
  }) / 1000;

const headers = new Headers();
for (const line of (SAMPLES['8.2'] as string).split('\n').slice(1, 10)) {
  const c = line.indexOf(':');
  headers.set(line.slice(0, c), line.slice(c + 1).trim());
}
results.observe_us = time('OpenAI observe (6 x-ratelimit headers)', 50_000, (i) => {
  openai.observe(headers, 1e12 + i);
});
const body429 = JSON.parse((SAMPLES['8.2'] as string).split('\n\n')[1] as string);
results.classify_us = time('OpenAI classifyError (§8.2 429)', 50_000, () => {
  openai.classifyError(429, headers, body429, 1e12);
});

// Streams of ~4 MB: many small content deltas, then the usage.
const chunk = (i: number) =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1761564674,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"token ${i} "},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"abc"}\n\n`;
let openaiStream = '';
for (let i = 0; i < 20_000; i++) openaiStream += chunk(i);
openaiStream += `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":20000,"total_tokens":20010}}\n\ndata: [DONE]\n\n`;
results.tap_openai_mbps = throughput(
  'OpenAI chat tap (4 KB chunks)',
  openaiStream,
  () => {},
  () => openai.createUsageTap('chat_completions'),
);

let anthropicStream =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-6","usage":{"input_tokens":25,"output_tokens":1}}}\n\n';
for (let i = 0; i < 20_000; i++) {
  anthropicStream += `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token ${i} "}}\n\n`;
}
anthropicStream +=
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":20000}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n';
results.tap_anthropic_mbps = throughput(
  'Anthropic messages tap (4 KB chunks)',
  anthropicStream,
  () => {},
  () => anthropic.createUsageTap('messages'),
);

const geminiChunk = (i: number) =>
  `{"candidates": [{"content": {"parts": [{"text": "token ${i} "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": ${i},"totalTokenCount": ${i + 8}},"modelVersion": "gemini-2.5-flash"}`;
let geminiSse = '';
let geminiArray = '[';
for (let i = 0; i < 10_000; i++) {
  geminiSse += `data: ${geminiChunk(i)}\r\n\r\n`;
  geminiArray += `${i ? ',\r\n' : ''}${geminiChunk(i)}`;
}
geminiArray += ']';
results.tap_gemini_sse_mbps = throughput(
  'Gemini tap, alt=sse (usageMetadata in every chunk)',
  geminiSse,
  () => {},
  () => gemini.createUsageTap('stream_generate_content'),
);
results.tap_gemini_array_mbps = throughput(
  'Gemini tap, JSON array stream',
  geminiArray,
  () => {},
  () => gemini.createUsageTap('stream_generate_content'),
);

console.log(JSON.stringify(results));
