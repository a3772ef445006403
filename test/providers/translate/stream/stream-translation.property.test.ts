/**
 * For every pair of stream formats: a neutral answer written as an upstream
 * stream (text and arguments in any pieces, bytes cut anywhere), translated
 * event by event, and reassembled by the caller's family, reads as the same
 * answer translated non-streamed to that family: text, tool calls with ids,
 * names and arguments, stop reason, usage, id, model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedAnswer, sharedBy } from '../arbitraries.js';
import { FAMILIES, type Family, translated } from '../families.js';
import {
  answerEvents,
  assemble,
  byteChunks,
  FAMILY_OF,
  FORMATS,
  translate,
  writeStream,
} from './stream-kit.js';

const pairs = FORMATS.flatMap((from) => FORMATS.map((to) => ({ from, to })));
function family(name: string): Family {
  const found = FAMILIES.find((f) => f.name === name);
  if (!found) throw new Error(`no family ${name}`);
  return found;
}
const cuts = fc.array(fc.nat({ max: 10_000 }), { maxLength: 12 });

describe.each(pairs)('$from stream → $to stream', ({ from, to }) => {
  it('reassembles to the non-streamed translation of the same answer', () => {
    const caller = family(FAMILY_OF[to]);
    fc.assert(
      fc.property(
        sharedAnswer(FAMILY_OF[from], sharedBy(FAMILY_OF[from], FAMILY_OF[to])),
        cuts,
        cuts,
        (answer, textCuts, byteCuts) => {
          const upstream = writeStream(from, answerEvents(answer, textCuts));
          const stream = translate(from, to, byteChunks(upstream, byteCuts));
          const assembled = assemble(to, stream);
          if ('error' in assembled)
            throw new Error(`the stream ended with an error: ${JSON.stringify(assembled.error)}`);
          const expected = translated(caller.answerToNeutral(translated(caller.neutralToAnswer(answer))));
          expect(translated(caller.answerToNeutral(assembled.body))).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe.each(pairs)('$from stream cut short → $to stream', ({ from, to }) => {
  it('ends with the caller’s error event, well-formed, nothing thrown', () => {
    fc.assert(
      fc.property(
        sharedAnswer(FAMILY_OF[from], sharedBy(FAMILY_OF[from], FAMILY_OF[to])),
        cuts,
        fc.nat(),
        (answer, byteCuts, cut) => {
          const upstream = new TextEncoder().encode(writeStream(from, answerEvents(answer)));
          const end = cut % upstream.length;
          const short = new TextDecoder().decode(upstream.subarray(0, end));
          const assembled = assemble(to, translate(from, to, byteChunks(short, byteCuts)));
          // Only a JSON array cut after its last element (before `]`) has said everything.
          const whole =
            from === 'gemini-json' && upstream.subarray(end).every((b) => b === 0x0a || b === 0x5d);
          expect('error' in assembled).toBe(!whole);
        },
      ),
      { numRuns: 60 },
    );
  });
});
