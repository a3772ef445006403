import fc from 'fast-check';
import { encode as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { QUESTION_WORDS, questionText, REPLACE_FROM } from '../../src/bench/question-text.js';
import { parseScenario, ScenarioError } from '../../src/bench/scenario.js';
import { planWorkload } from '../../src/bench/workload.js';

const base = {
  arrival: { process: 'steady', rate: 200 },
  duration: '10s',
  prompt_tokens: { dist: 'uniform', min: 100, max: 300 },
  output_tokens: { dist: 'uniform', min: 20, max: 60 },
  max_tokens: 64,
  provider: { limits: { rpm: 60_000, tpm: 2_000_000 } },
};

/** Lower-cased words without punctuation: what a bag-of-words embedding sees. */
const bag = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean)
    .sort();

describe('question wording', () => {
  it('uses words of one token each in both OpenAI encodings, capitalised or not, first or after a space', () => {
    for (const word of QUESTION_WORDS) {
      const capital = word.charAt(0).toUpperCase() + word.slice(1);
      for (const form of [word, ` ${word}`, capital, ` ${capital}`]) {
        expect(o200k(form), form).toHaveLength(1);
        expect(cl100k(form), form).toHaveLength(1);
      }
    }
  });

  it('asks a question of N words in N words, the same text for the same topic', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 200 }), (topic, n) => {
        const text = questionText({ topic, wording: 0 }, n);
        expect(text.split(' ')).toHaveLength(n);
        expect(questionText({ topic, wording: 0 }, n)).toBe(text);
      }),
    );
  });

  it('rewords a question into another text with the same bag of words, or one word replaced in long ones', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.integer({ min: 1, max: 120 }),
        (topic, wording, n) => {
          const original = questionText({ topic, wording: 0 }, n);
          const paraphrase = questionText({ topic, wording }, n);
          expect(paraphrase).not.toBe(original);
          expect(paraphrase.split(' ')).toHaveLength(n);
          const [a, b] = [bag(original), bag(paraphrase)];
          if (n < REPLACE_FROM) expect(b).toEqual(a);
          else {
            // Multisets differing by at most one word out and one in.
            const left = [...a];
            for (const w of b) {
              const i = left.indexOf(w);
              if (i >= 0) left.splice(i, 1);
            }
            expect(left.length).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });
});

describe('questions in a workload', () => {
  const plan = (questions: unknown, seed = 3) =>
    planWorkload(parseScenario({ ...base, seed, questions }, 'test', 'questions'));

  it('repeats and paraphrases the declared shares of requests, at the earlier question’s sizes', () => {
    const requests = plan({ repeat: 0.2, paraphrase: 0.3 });
    expect(requests.length).toBeGreaterThan(1_500);
    const share = (kind: string) =>
      requests.filter((r) => r.question?.kind === kind).length / requests.length;
    expect(share('repeat')).toBeGreaterThan(0.17);
    expect(share('repeat')).toBeLessThan(0.23);
    expect(share('paraphrase')).toBeGreaterThan(0.27);
    expect(share('paraphrase')).toBeLessThan(0.33);
    const firstOf = new Map<number, (typeof requests)[number]>();
    for (const r of requests) {
      const q = r.question;
      if (!q) throw new Error('every request asks a question');
      if (q.kind === 'new') {
        expect(q.wording).toBe(0);
        expect(firstOf.has(q.topic)).toBe(false);
        firstOf.set(q.topic, r);
        continue;
      }
      // An earlier question, asked at its sizes: only the last user message may differ.
      const original = firstOf.get(q.topic);
      expect(original).toBeDefined();
      expect(r.promptTokens).toBe(original?.promptTokens);
      expect(r.outputTokens).toBe(original?.outputTokens);
      expect(q.wording === 0).toBe(q.kind === 'repeat');
    }
  });

  it('is the same for the same seed, and leaves the rest of the workload as it was', () => {
    expect(plan({ repeat: 0.2, paraphrase: 0.3 })).toEqual(plan({ repeat: 0.2, paraphrase: 0.3 }));
    const without = planWorkload(parseScenario({ ...base, seed: 3 }, 'test', 'plain'));
    const withQuestions = plan({ repeat: 0, paraphrase: 0 });
    expect(without.every((r) => r.question === undefined)).toBe(true);
    expect(withQuestions.map(({ question, ...rest }) => rest)).toEqual(without);
  });

  it('rejects shares above 1 together, unknown keys, and a similarity on an exact cache', () => {
    expect(() => plan({ repeat: 0.6, paraphrase: 0.5 })).toThrow(/questions: repeat \+ paraphrase/);
    expect(() => plan({ repeat: 0.2, again: 0.1 })).toThrow(ScenarioError);
    expect(() =>
      parseScenario({ ...base, sluice: { cache: { mode: 'exact', similarity: 0.9 } } }, 'test'),
    ).toThrow(/sluice\.cache\.similarity/);
    expect(parseScenario({ ...base, sluice: { cache: { mode: 'semantic' } } }, 'test').sluice.cache).toEqual({
      mode: 'semantic',
      ttl_s: 600,
      scope: 'tenant',
    });
  });
});
