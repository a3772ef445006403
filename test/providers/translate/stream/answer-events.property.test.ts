/**
 * A whole answer as events and back: answerEvents → AnswerAssembler gives
 * the same answer; written as any family's stream and read back by that
 * family's reader, the assembler still gives it (what a cache replays and
 * what it keeps from a stream).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerAssembler, answerEvents } from '../../../../src/providers/translate/stream/answer-events.js';
import { STREAM_FORMATS } from '../../../../src/providers/translate/stream/stream-translation.js';
import { sharedAnswer, sharedBy } from '../arbitraries.js';
import { byteChunks, FAMILY_OF, FORMATS, writeStream } from './stream-kit.js';

describe('answerEvents and AnswerAssembler', () => {
  it('give back the answer they were given', () => {
    fc.assert(
      fc.property(sharedAnswer('openai', sharedBy('openai', 'anthropic')), (answer) => {
        const assembler = new AnswerAssembler();
        for (const event of answerEvents(answer)) assembler.sink(event);
        expect(assembler.answer()).toEqual(answer);
      }),
    );
  });

  it.each(FORMATS)('keep the answer a %s stream carried, read back by its reader', (format) => {
    const family = FAMILY_OF[format];
    fc.assert(
      fc.property(
        sharedAnswer(family, sharedBy(family, family)),
        fc.array(fc.nat(), { maxLength: 6 }),
        (answer, cuts) => {
          const reader = STREAM_FORMATS[format].reader();
          const assembler = new AnswerAssembler();
          for (const chunk of byteChunks(writeStream(format, answerEvents(answer)), cuts))
            reader.push(chunk, assembler.sink);
          reader.end(assembler.sink);
          const kept = assembler.answer();
          expect(kept).toBeDefined();
          expect(kept?.content).toEqual(answer.content);
          expect(kept?.stopReason).toBe(answer.stopReason);
        },
      ),
    );
  });

  it('keeps nothing from a stream that errored or never stopped', () => {
    const errored = new AnswerAssembler();
    errored.sink({ kind: 'start', id: 'a', model: 'm' });
    errored.sink({ kind: 'text', index: 0, text: 'Hel' });
    errored.sink({ kind: 'error', status: 529, message: 'overloaded' });
    expect(errored.answer()).toBeUndefined();
    const cut = new AnswerAssembler();
    cut.sink({ kind: 'start', id: 'a', model: 'm' });
    cut.sink({ kind: 'text', index: 0, text: 'Hel' });
    cut.sink({ kind: 'usage', usage: { inputTokens: 3, outputTokens: 1 } });
    expect(cut.answer()).toBeUndefined();
  });
});
