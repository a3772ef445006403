/**
 * Usage-body section: microseconds to get the `usage` (and `model`) of one
 * non-streamed answer, with the gateway's partial read (which parses only
 * those two top-level members) beside `JSON.parse` of the whole body, on the
 * same bytes in the same run; then `bodyForUsage` as shipped, which reads
 * partially only from `PARTIAL_READ_MIN_BYTES` up. All start from the
 * `Buffer` the gateway collected, so the peer includes its `toString`.
 *
 * Bodies are shaped like the providers' (PROVIDERS.md): OpenAI chat
 * completions of ~700 B, 2 KB, 20 KB and 200 KB, Anthropic messages, OpenAI
 * embeddings as floats (1536 per input, `encoding_format: float`) and as
 * base64 (the openai SDK's default), and a Gemini answer, which has no
 * `usage` key (its `usageMetadata` is found only by the fallback). Text is
 * this repository's README (English with quotes and newlines to escape),
 * or a JSON-mode answer, whose every quote is escaped in the body.
 * Median of 7 samples of ~40 ms each, after a warm-up of both.
 */
import { readFileSync } from 'node:fs';
import { bodyForUsage, PARTIAL_READ_MIN_BYTES } from '../../src/providers/parse/usage-body.js';
import { median, printTable, type Row, writeResults } from '../lib/report.js';

const SAMPLES = 7;
const SAMPLE_MS = 40;

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The first `chars` characters of the README, repeated as needed. */
function text(chars: number): string {
  return README.repeat(Math.ceil(chars / README.length)).slice(0, chars);
}

/** Deterministic pseudo-random draws (an LCG), so every run measures the same floats. */
function draws(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    return x / 2 ** 32;
  };
}

/** A JSON-mode answer (or code): quotes every few characters, each escaped in the body. */
function jsonAnswer(chars: number): string {
  const rows = [];
  for (let i = 0; JSON.stringify(rows).length < chars; i++)
    rows.push({ id: i, name: `item ${i}`, tags: ['a', 'b'] });
  return JSON.stringify(rows);
}

function openaiChat(contentChars: number, content = text(contentChars)): object {
  return {
    id: 'chatcmpl-BXvA1Zc9q2Jx4l0mV7oEwY3kT8sDf',
    object: 'chat.completion',
    created: 1_747_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 1_234,
      completion_tokens: Math.ceil(contentChars / 4),
      total_tokens: 1_234 + Math.ceil(contentChars / 4),
      prompt_tokens_details: { cached_tokens: 1_024, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_0392822090',
  };
}

function anthropicMessage(contentChars: number): object {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [
      { type: 'text', text: text(contentChars) },
      {
        type: 'tool_use',
        id: 'toolu_01A09q90qw90lq917835lq9',
        name: 'get_weather',
        input: { location: 'San Francisco, CA', unit: 'celsius' },
      },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: {
      input_tokens: 2_095,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 1_800,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: Math.ceil(contentChars / 4),
      service_tier: 'standard',
    },
  };
}

function embeddings(inputs: number, format: 'float' | 'base64'): object {
  const next = draws(inputs);
  const vector = () => Array.from({ length: 1536 }, () => (next() - 0.5) * 0.1);
  return {
    object: 'list',
    data: Array.from({ length: inputs }, (_, index) => ({
      object: 'embedding',
      index,
      embedding:
        format === 'float' ? vector() : Buffer.from(new Float32Array(vector()).buffer).toString('base64'),
    })),
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 8 * inputs, total_tokens: 8 * inputs },
  };
}

function gemini(contentChars: number): object {
  return {
    candidates: [
      {
        content: { parts: [{ text: text(contentChars) }], role: 'model' },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: 1_234,
      candidatesTokenCount: Math.ceil(contentChars / 4),
      totalTokenCount: 1_234 + Math.ceil(contentChars / 4),
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 1_234 }],
    },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'mKdQaPq1Lr2Fz7IPnvTc2Aw',
  };
}

function bodies(): Record<string, Buffer> {
  const json = (body: object) => Buffer.from(JSON.stringify(body));
  return {
    'openai chat, small': json(openaiChat(90)),
    'openai chat, 2 KB': json(openaiChat(1_400)),
    'openai chat, 20 KB': json(openaiChat(19_000)),
    'openai chat, 200 KB': json(openaiChat(199_000)),
    'openai chat, 20 KB JSON answer': json(openaiChat(19_000, jsonAnswer(15_000))),
    'anthropic message, small': json(anthropicMessage(300)),
    'anthropic message, 2 KB': json(anthropicMessage(1_300)),
    'anthropic message, 20 KB': json(anthropicMessage(19_000)),
    'embeddings, 1 × 1536 floats': json(embeddings(1, 'float')),
    'embeddings, 16 × 1536 floats': json(embeddings(16, 'float')),
    'embeddings, 16 × 1536 base64': json(embeddings(16, 'base64')),
    'gemini (no `usage` key), small': json(gemini(300)),
    'gemini (no `usage` key), 20 KB': json(gemini(19_000)),
  };
}

const byWholeParse = (raw: Buffer): unknown => JSON.parse(raw.toString('utf8'));
const alwaysPartial = (raw: Buffer): unknown => bodyForUsage(raw, 0);

/** Microseconds per call: calls in batches until SAMPLE_MS have passed, median of SAMPLES. */
async function microseconds(read: (raw: Buffer) => unknown, raw: Buffer): Promise<number> {
  return median(SAMPLES, () => {
    let calls = 0;
    let sink = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < SAMPLE_MS) {
      for (let i = 0; i < 16; i++) if (read(raw) !== undefined) sink++;
      calls += 16;
      elapsed = performance.now() - started;
    }
    if (sink !== calls) throw new Error('a reader answered undefined');
    return (elapsed * 1_000) / calls;
  });
}

export async function run(): Promise<void> {
  const cases = bodies();
  for (const raw of Object.values(cases)) {
    // Same answer from both before any timing, and both compiled.
    const read = ({ usage, model }: { usage?: unknown; model?: unknown }) => JSON.stringify([usage, model]);
    if (read(alwaysPartial(raw) as object) !== read(byWholeParse(raw) as object))
      throw new Error('the partial read and JSON.parse disagree');
    for (let i = 0; i < 200; i++) {
      alwaysPartial(raw);
      bodyForUsage(raw);
      byWholeParse(raw);
    }
  }
  const rows: Row[] = [];
  for (const [name, raw] of Object.entries(cases)) {
    const parseUs = await microseconds(byWholeParse, raw);
    const partialUs = await microseconds(alwaysPartial, raw);
    const shippedUs = await microseconds(bodyForUsage, raw);
    rows.push({
      body: name,
      bytes: raw.length,
      'JSON.parse µs': parseUs,
      'partial read µs': partialUs,
      'JSON.parse / partial': parseUs / partialUs,
      [`bodyForUsage (partial from ${PARTIAL_READ_MIN_BYTES} B) µs`]: shippedUs,
      'saved µs': parseUs - shippedUs,
    });
  }
  printTable(rows);
  writeResults('usage-body', {
    samples: SAMPLES,
    sampleMs: SAMPLE_MS,
    partialReadMinBytes: PARTIAL_READ_MIN_BYTES,
    rows,
  });
}
