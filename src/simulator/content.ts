/**
 * What the simulated model answers: deterministic text made of "pieces",
 * where one piece is one output token and one streamed delta.
 *
 * - `lorem`: N words drawn once from the seed out of common English words
 *   that are each a single token in both o200k_base and cl100k_base, so the
 *   OpenAI tokenizer agrees with the reported `completion_tokens`;
 * - `echo`: the last user message, one piece per word (with its leading space);
 * - `fixed`: the configured text, one piece per word.
 * The request's output cap (max_tokens …) truncates the pieces and the answer
 * then ends for length.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { SimulatorConfig } from './config.js';
import type { ToolCall } from './tool-calls.js';

const WORDS = (
  'the of and to in is that it for on with as was at by be this are from or have an not but one all were ' +
  'they which you had her we can there their has been if more when will would who so no out up into do than ' +
  'other time some could them only then its these two may first any like now new my over such our man me even ' +
  'most made after also did many before must through back years where much your way well down should because ' +
  'each just those people how too little state good very make world still own see men work long get here ' +
  'between both life being under never day same another know while last might us great old year off come since ' +
  'against go came right used take three'
).split(' ');

/** `tool_call`: the answer is a complete tool call (`length` also ends a call cut by the output cap). */
export type FinishReason = 'stop' | 'length' | 'tool_call';

export interface Answer {
  /** Text pieces, or the fragments of a tool call's arguments. */
  readonly pieces: readonly string[];
  /** Empty for a tool call. */
  readonly text: string;
  readonly finish: FinishReason;
  /** Set when the answer calls a tool instead of writing text (`tool-calls.ts`). */
  readonly toolCall?: ToolCall;
}

export class ContentSource {
  private readonly lorem: string[] = [];
  private readonly loremCache = new Map<number, Answer>();
  private readonly fixedPieces: readonly string[];
  private readonly rng;

  constructor(
    private readonly response: SimulatorConfig['response'],
    seed: number,
  ) {
    this.rng = xoroshiro128plus(seed);
    this.fixedPieces = splitPieces(response.text);
  }

  /**
   * The answer to a call. `echo` is the text echo mode repeats, `maxOutput`
   * the request's cap, `tokens` a per-request override of the lorem length.
   */
  answer(echo: string, maxOutput: number | undefined, tokens?: number): Answer {
    switch (this.response.mode) {
      case 'lorem':
        return this.loremAnswer(
          Math.min(tokens ?? this.response.tokens, maxOutput ?? Number.POSITIVE_INFINITY),
          {
            truncated: maxOutput !== undefined && (tokens ?? this.response.tokens) > maxOutput,
          },
        );
      case 'echo':
        return capped(splitPieces(echo), maxOutput);
      case 'fixed':
        return capped(this.fixedPieces, maxOutput);
    }
  }

  private loremAnswer(count: number, { truncated }: { truncated: boolean }): Answer {
    const cacheKey = truncated ? -count - 1 : count;
    const cached = this.loremCache.get(cacheKey);
    if (cached) return cached;
    while (this.lorem.length < count)
      this.lorem.push(WORDS[uniformInt(this.rng, 0, WORDS.length - 1)] as string);
    const pieces = this.lorem.slice(0, count).map((w, i) => (i === 0 ? w : ` ${w}`));
    const answer: Answer = { pieces, text: pieces.join(''), finish: truncated ? 'length' : 'stop' };
    if (this.loremCache.size < 1_000) this.loremCache.set(cacheKey, answer);
    return answer;
  }
}

/** Words with their leading whitespace, so that joining the pieces gives the text back. */
export function splitPieces(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function capped(pieces: readonly string[], maxOutput: number | undefined): Answer {
  if (maxOutput !== undefined && pieces.length > maxOutput) {
    const kept = pieces.slice(0, maxOutput);
    return { pieces: kept, text: kept.join(''), finish: 'length' };
  }
  return { pieces, text: pieces.join(''), finish: 'stop' };
}
