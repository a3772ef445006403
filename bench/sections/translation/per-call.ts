/**
 * Per call, for every caller API and every target family it crosses to: the
 * caller's request read into the neutral call and written for the target,
 * plus the target's answer read and written back for the caller (µs, median
 * and p99 of single calls after a warm-up), beside the floor a same-family
 * proxy pays at least, `JSON.parse` + `JSON.stringify` of the caller's own
 * request and answer. The floor is measured right before each pair, so drift
 * on the machine hits both alike. A Responses caller reaching an OpenAI
 * deployment is native (no row); the Responses API is never an upstream of a
 * crossed call.
 */
import type { Endpoint } from '../../../src/providers/adapter.js';
import {
  type ChatApiTable,
  chatApiOfEndpoint,
  chatApiOfFamily,
} from '../../../src/providers/translate/chat-apis.js';
import type { Row } from '../../lib/report.js';
import { ANSWER, must, REQUESTS } from './bodies.js';

const ITERATIONS = Number(process.env.TRANSLATION_ITERATIONS ?? 2_000);
const WARM_UP = 300;

export const CALLERS: readonly { name: string; endpoint: Endpoint }[] = [
  { name: 'OpenAI Chat', endpoint: 'chat_completions' },
  { name: 'OpenAI Responses', endpoint: 'responses' },
  { name: 'Anthropic', endpoint: 'messages' },
  { name: 'Gemini', endpoint: 'generate_content' },
];
const TARGETS = ['openai', 'anthropic', 'gemini'] as const;

// One sample buffer for every measurement: the harness allocates nothing per call but the timer's bigints.
const samples = new Float64Array(ITERATIONS);

/** Median and p99 (nearest rank) of `fn`'s single-call time in µs, after a warm-up. */
function time(fn: () => unknown): { p50: number; p99: number } {
  for (let i = 0; i < WARM_UP; i++) fn();
  for (let i = 0; i < ITERATIONS; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  samples.sort();
  const at = (p: number) => samples[Math.max(1, Math.ceil((p / 100) * ITERATIONS)) - 1] as number;
  return { p50: at(50), p99: at(99) };
}

export function measurePerCall(): Row[] {
  const rows: Row[] = [];
  const now = { nowSeconds: 1_800_000_000 };
  for (const [body, neutral] of Object.entries(REQUESTS)) {
    for (const caller of CALLERS) {
      const from = chatApiOfEndpoint(caller.endpoint) as ChatApiTable;
      const callerText = JSON.stringify(must(from.writeRequest(neutral, { model: 'g' })).body);
      const callerAnswer = JSON.stringify(must(from.writeAnswer(ANSWER, now)));
      const proxied = () => {
        JSON.stringify(JSON.parse(callerText));
        JSON.stringify(JSON.parse(callerAnswer));
      };
      for (const family of TARGETS) {
        if (family === from.family) continue;
        const to = chatApiOfFamily(family);
        const upstreamAnswer = JSON.stringify(must(to.writeAnswer(ANSWER, now)));
        const floor = time(proxied);
        const crossed = time(() => {
          const read = must(from.readRequest({ body: JSON.parse(callerText), model: 'g', stream: false }));
          JSON.stringify(must(to.writeRequest(read, { model: 'target-model' })).body);
          const answer = must(to.readAnswer(JSON.parse(upstreamAnswer)));
          JSON.stringify(must(from.writeAnswer(answer, now)));
        });
        rows.push({
          body,
          'request KB': callerText.length / 1_024,
          caller: caller.name,
          target: family,
          'translated p50 µs': crossed.p50,
          'floor p50 µs': floor.p50,
          'p50 ÷ floor': crossed.p50 / floor.p50,
          'translated p99 µs': crossed.p99,
          'floor p99 µs': floor.p99,
          'p99 ÷ floor': crossed.p99 / floor.p99,
        });
      }
    }
  }
  return rows;
}
