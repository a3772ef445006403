/**
 * Streams: an upstream stream's bytes through what a relayed crossed stream
 * runs on them (the usage tap and the stream translation, as
 * `runtime/exchange/relay.ts` does), beside the usage tap alone, which every
 * relayed stream runs, translated or not. The upstream family's reader alone
 * (events parsed, none written) shows how the translation's cost splits
 * between reading and writing. The upstream stream is written by the
 * translators' own stream writers: 2,000 text deltas, then a tool call whose
 * arguments come in 200 fragments, cut in 1 KB chunks.
 */
import type { Endpoint } from '../../../src/providers/adapter.js';
import { createAdapter } from '../../../src/providers/registry.js';
import type { NeutralAnswer } from '../../../src/providers/translate/neutral.js';
import { answerEvents } from '../../../src/providers/translate/stream/answer-events.js';
import type { StreamSink } from '../../../src/providers/translate/stream/events.js';
import {
  createStreamTranslation,
  STREAM_FORMATS,
  type StreamFormat,
} from '../../../src/providers/translate/stream/stream-translation.js';
import type { Row } from '../../lib/report.js';
import { ANSWER, TOOL } from './bodies.js';

const ROUNDS = Number(process.env.TRANSLATION_STREAM_ROUNDS ?? 20);
const TEXT_DELTAS = 2_000;
const ARGUMENT_FRAGMENTS = 200;
const CHUNK_BYTES = 1_024;

const FORMATS: readonly {
  format: StreamFormat;
  endpoint: Endpoint;
  provider: 'openai' | 'anthropic' | 'gemini';
}[] = [
  { format: 'openai-chat', endpoint: 'chat_completions', provider: 'openai' },
  { format: 'openai-responses', endpoint: 'responses', provider: 'openai' },
  { format: 'anthropic-messages', endpoint: 'messages', provider: 'anthropic' },
  { format: 'gemini-sse', endpoint: 'stream_generate_content', provider: 'gemini' },
];

/** An upstream stream of `format`, cut in chunks the way a socket might deliver it. */
export function upstreamStream(format: StreamFormat): Uint8Array[] {
  const answer: NeutralAnswer = {
    ...ANSWER,
    content: [
      { kind: 'text', text: 'token '.repeat(TEXT_DELTAS) },
      { kind: 'tool-call', id: 'call_1', name: TOOL.name, arguments: { id: 'x'.repeat(1_000) } },
    ],
    stopReason: 'tool-calls',
  };
  const writer = STREAM_FORMATS[format].writer({ streamUsage: true, createdSeconds: 1_800_000_000 });
  const last = ARGUMENT_FRAGMENTS - 1;
  let text = '';
  for (const event of answerEvents(answer)) {
    if (event.kind === 'text') {
      for (let i = 0; i < TEXT_DELTAS; i++) text += writer.write({ ...event, text: 'token ' });
    } else if (event.kind === 'tool-arguments') {
      for (let i = 0; i < ARGUMENT_FRAGMENTS; i++)
        text += writer.write({ ...event, json: i === 0 ? '{"id":"' : i === last ? 'x"}' : 'xxxxx' });
    } else text += writer.write(event);
  }
  text += writer.finish();
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) chunks.push(bytes.subarray(i, i + CHUNK_BYTES));
  return chunks;
}

/** MB/s of `bytes` over ROUNDS runs of `run`, after one to warm up. */
function mbPerSecond(bytes: number, run: () => void): number {
  run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (bytes * ROUNDS) / seconds / 1e6;
}

const ignore: StreamSink = () => {};

/** How many bytes the caller's stream has for this upstream stream (writers differ in how much they say per delta). */
function callerBytes(from: StreamFormat, to: StreamFormat, chunks: readonly Uint8Array[]): number {
  const translation = createStreamTranslation(from, to, { streamUsage: true, createdSeconds: 0 });
  let n = 0;
  for (const chunk of chunks) n += translation.push(chunk).length;
  return n + translation.end().length;
}

export function measureStreams(): Row[] {
  const rows: Row[] = [];
  for (const from of FORMATS) {
    if (from.format === 'openai-responses') continue; // a caller's API only: never an upstream of a crossed call
    const chunks = upstreamStream(from.format);
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    const adapter = createAdapter(from.provider, undefined as never);
    for (const to of FORMATS) {
      if (to.provider === from.provider) continue;
      // Each pair measures its floor again right before it, so drift hits both alike.
      const tap = mbPerSecond(bytes, () => {
        const t = adapter.createUsageTap(from.endpoint);
        for (const chunk of chunks) t.push(chunk);
      });
      const reader = mbPerSecond(bytes, () => {
        const r = STREAM_FORMATS[from.format].reader();
        for (const chunk of chunks) r.push(chunk, ignore);
        r.end(ignore);
      });
      const written = callerBytes(from.format, to.format, chunks);
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
        'caller KB': written / 1_024,
        'tap + translation MB/s': translated,
        'tap alone MB/s': tap,
        'translated ÷ tap': translated / tap,
        'reader alone MB/s': reader,
        'µs per 4 KB answer': (4_096 / (translated * 1e6)) * 1e6,
      });
    }
  }
  return rows;
}
