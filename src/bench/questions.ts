/**
 * Which question each request of a cache scenario asks: a new one, an
 * earlier one again, or an earlier one reworded (the scenario's
 * `questions`). Seeded and in arrival order, so the same seed asks the same
 * questions; the earlier question is drawn uniformly among the new ones so
 * far. A repeat or paraphrase keeps the original's sizes (its system prompt
 * and word count), so it differs from it in the last user message only.
 */
import type { Question } from './question-text.js';
import { RandomStream } from './random.js';
import type { QuestionMix } from './scenario.js';

export type QuestionKind = 'new' | 'repeat' | 'paraphrase';

export interface PlannedQuestion extends Question {
  readonly kind: QuestionKind;
}

export interface Sized {
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** Hands out each request's question in arrival order. */
export class QuestionPlanner {
  private readonly kinds: RandomStream;
  private readonly picks: RandomStream;
  private readonly asked: { readonly topic: number; readonly sizes: Sized }[] = [];

  constructor(
    private readonly mix: QuestionMix,
    seed: number,
  ) {
    this.kinds = new RandomStream(seed, 'questions');
    this.picks = new RandomStream(seed, 'question-picks');
  }

  /** The next request's question, and the sizes it is asked at (the original's, for an earlier question). */
  next(drawn: Sized): { readonly question: PlannedQuestion; readonly sizes: Sized } {
    const u = this.kinds.next();
    // Both draws are taken for every request, so one request's kind never shifts the next one's.
    const which = this.picks.next();
    const wording = Math.floor(this.picks.next() * 0xffffffff) + 1;
    const topic = Math.floor(this.picks.next() * 0x100000000);
    const kind: QuestionKind =
      this.asked.length === 0
        ? 'new'
        : u < this.mix.repeat
          ? 'repeat'
          : u < this.mix.repeat + this.mix.paraphrase
            ? 'paraphrase'
            : 'new';
    if (kind === 'new') {
      this.asked.push({ topic, sizes: drawn });
      return { question: { kind, topic, wording: 0 }, sizes: drawn };
    }
    const earlier = this.asked[Math.floor(which * this.asked.length)] as (typeof this.asked)[number];
    return {
      question: { kind, topic: earlier.topic, wording: kind === 'repeat' ? 0 : wording },
      sizes: earlier.sizes,
    };
  }
}
