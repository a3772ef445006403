/**
 * Answers one batch line with the same machinery as the synchronous
 * endpoints (flavour parse, content source, tool calls, renderer), minus
 * admission: batch lines are not counted against RPM/TPM.
 */
import type { ContentSource } from '../content.js';
import type { Call, CallIds, Endpoint, FlavourModule, Reply } from '../flavour.js';
import { countedAs } from '../token-counting.js';
import { toolCallAnswer } from '../tool-calls.js';

const EMPTY_ANSWER = { pieces: [], text: '', finish: 'stop' } as const;

export interface LineAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly ids: CallIds;
}

export interface AnswerContext {
  readonly flavour: FlavourModule;
  readonly content: ContentSource;
  readonly promptMultiplier: number;
}

/** Parses a request body as the flavour would: a call, or the error reply it would get. */
export function parseLine(
  ctx: AnswerContext,
  endpoint: Endpoint,
  body: unknown,
  opts: { key: string; now: number; ids: CallIds },
): Call | Reply {
  const parsed = ctx.flavour.parse(body, {
    endpoint,
    pathModel: undefined,
    pathStream: false,
    sse: false,
    key: opts.key,
    now: opts.now,
    ids: opts.ids,
  });
  return 'endpoint' in parsed ? countedAs(parsed, ctx.promptMultiplier) : parsed;
}

/** The answer to one line; `serviceTier` is what the usage reports (Anthropic: `batch`). */
export function answerLine(
  ctx: AnswerContext,
  endpoint: Endpoint,
  body: unknown,
  opts: { key: string; now: number; ids: CallIds },
): LineAnswer {
  const parsed = parseLine(ctx, endpoint, body, opts);
  if (!('endpoint' in parsed)) return { status: parsed.status, body: JSON.parse(parsed.body), ids: opts.ids };
  const call = parsed;
  if (call.stream) {
    return { status: 400, body: streamRefused(ctx.flavour.flavour), ids: opts.ids };
  }
  call.admitted?.();
  const answer = call.tool
    ? toolCallAnswer(call.tool, call.echo, call.maxOutput)
    : call.generates
      ? ctx.content.answer(call.echo, call.maxOutput, undefined)
      : EMPTY_ANSWER;
  const usage = { input: call.input, output: answer.pieces.length * call.choices };
  return { status: 200, body: JSON.parse(call.render.body(answer, usage, opts.ids)), ids: opts.ids };
}

/** Batches do not stream: both APIs refuse `stream: true` in a batch request. */
function streamRefused(flavour: string): unknown {
  return flavour === 'anthropic'
    ? {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'stream: Streaming is not supported in batches.' },
      }
    : {
        error: {
          message: 'Streaming is not supported for batch requests.',
          type: 'invalid_request_error',
          param: 'stream',
          code: null,
        },
      };
}
