/**
 * The partial reader of non-streamed bodies (`bodyForUsage`) against
 * `JSON.parse`: what settlement reads (`usage`, and `model` for Anthropic's
 * cache-read rule) must be what `JSON.parse` would give, for any JSON object
 * text, including adversarial strings and keys that spell `"usage"` with
 * braces, quotes and escapes, nested `usage` keys and duplicate keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyForUsage } from '../../../src/providers/parse/usage-body.js';
import { createAdapter } from '../../../src/providers/registry.js';

/** Text that looks like the reader's landmarks: keys, braces, quotes, backslashes. */
const tricky = fc.constantFrom(
  '"usage"',
  '"usage":',
  '"usage": {"prompt_tokens": 999}',
  '"model":"evil"',
  'usage',
  'model',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '\\"',
  '\\\\',
  '\\u0075sage',
  ' ',
  '\n',
  'é',
  '😀',
);
const adversarialString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.array(fc.oneof(tricky, fc.string({ maxLength: 3 })), { maxLength: 8 }).map((parts) => parts.join('')),
  // Long enough that the reader finds `model` walking forward rather than back from `usage`.
  fc.array(tricky, { minLength: 100, maxLength: 200 }).map((parts) => parts.join('')),
);
const key = fc.oneof(fc.constantFrom('usage', 'model', 'id', 'choices'), adversarialString);

/** JSON values whose objects use `keys` (and hold anything, nested). */
function valueWith(keys: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.oneof(
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
      ),
      adversarialString,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(keys, tie('value')), { maxLength: 5 }).map((pairs) => Object.fromEntries(pairs)),
    ),
  })).value;
}

/** A key as JSON text: plain, or with every character escaped (`"\u0075sage"` is `usage` to JSON.parse). */
function keyText(name: string, escaped: boolean): string {
  return escaped
    ? `"${Array.from({ length: name.length }, (_, i) => `\\u${name.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`
    : JSON.stringify(name);
}

const space = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');
const indent = fc.constantFrom(undefined, 0, 2, '\t');

/**
 * The text of a top-level object, written by hand so that keys can repeat
 * (`usage` too; `model` at most once: of two, the reader reads the first
 * before `usage` where JSON.parse keeps the last) and be escaped, with
 * whitespace anywhere JSON allows it; nested objects have keys from
 * `nestedKeys`.
 */
function objectText(nestedKeys: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const member = fc.tuple(key, fc.boolean(), valueWith(nestedKeys), indent, space, space, space);
  return fc.tuple(fc.array(member, { maxLength: 8 }), space, space).map(([members, before, after]) => {
    const lastModel = members.findLastIndex(([name]) => name === 'model');
    const kept = members.filter(([name], i) => name !== 'model' || i === lastModel);
    return `${before}{${kept
      .map(
        ([name, escaped, v, ind, s1, s2, s3]) =>
          `${s1}${keyText(name, escaped)}${s2}:${s3}${JSON.stringify(v, null, ind)}`,
      )
      .join(',')}}${after}`;
  });
}

/** What the reader answers for `usage` and `model`, as `JSON.parse` has them. */
function readBoth(body: unknown): { usage: unknown; model: unknown } {
  const record = body as Record<string, unknown>;
  return { usage: record.usage, model: record.model };
}

describe('bodyForUsage', () => {
  it('reads the same usage and model as JSON.parse, for any JSON object text', () => {
    fc.assert(
      fc.property(objectText(key), (text) => {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const body = bodyForUsage(Buffer.from(text), 0);
        expect(body).toBeDefined();
        expect(readBoth(body)).toEqual(readBoth(parsed));
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws, and answers text JSON.parse rejects only with a usage it found (or not at all)', () => {
    const cut = objectText(key).chain((text) =>
      fc.nat({ max: Math.max(0, text.trimEnd().length - 1) }).map((n) => text.slice(0, n)),
    );
    fc.assert(
      fc.property(fc.oneof(adversarialString, cut), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        fc.pre(!parses);
        // It is not a validator (see the next test): a usage found is answered.
        const body = bodyForUsage(Buffer.from(text), 0);
        if (body !== undefined) expect(Object.keys(body as object)).toContain('usage');
        if (!text.includes('sage')) expect(body).toBeUndefined(); // `usage`, or spelled `\u0075sage`
      }),
      { numRuns: 2_000 },
    );
  });

  it('does not check what lies between `model` and `usage` (the gateway reads only bodies that arrived in full)', () => {
    // Broken between them: JSON.parse throws, the reader still answers.
    const broken = '{"model": "m", "id": tru, "usage": {"a": 1}}';
    expect(bodyForUsage(Buffer.from(broken), 0)).toEqual({ usage: { a: 1 }, model: 'm' });
    // Cut right after a nested object with a `usage`, after a top-level `model`: taken for the top level.
    expect(bodyForUsage(Buffer.from('{"model": "m", "x": {"usage": {"a": 1}}'), 0)).toEqual({
      usage: { a: 1 },
      model: 'm',
    });
    // Of two `model` keys well before `usage`, the first (JSON.parse keeps the last).
    const content = 'x'.repeat(300);
    expect(
      bodyForUsage(Buffer.from(`{"model": "a", "model": "b", "content": "${content}", "usage": {}}`), 0),
    ).toEqual({ usage: {}, model: 'a' });
    // A body under PARTIAL_READ_MIN_BYTES is parsed whole, so checked.
    expect(bodyForUsage(Buffer.from(broken))).toBeUndefined();
  });

  it('finds the top-level usage when a nested object after it has one (a Gemini function call argument)', () => {
    const body = {
      candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: { usage: { kwh: 3 } } } }] } }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    };
    expect(bodyForUsage(Buffer.from(JSON.stringify(body)), 0)).toEqual(body);
    const openai = { usage: { prompt_tokens: 8 }, metadata: { usage: { prompt_tokens: 999 } } };
    expect(readBoth(bodyForUsage(Buffer.from(JSON.stringify(openai)), 0))).toEqual(readBoth(openai));
  });

  it("keeps Anthropic's model, so cache reads count for the models whose limit counts them", () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-3-5-sonnet-20241022',
      content: [{ type: 'text', text: 'hi' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 10, cache_read_input_tokens: 1_000, output_tokens: 5 },
    };
    const anthropic = createAdapter('anthropic');
    const whole = anthropic.usageFromBody('messages', message);
    expect(whole?.inputTokens).toBe(1_010);
    expect(
      anthropic.usageFromBody('messages', bodyForUsage(Buffer.from(JSON.stringify(message)), 0)),
    ).toEqual(whole);
  });

  it('falls back to the whole body, or undefined when it is not JSON', () => {
    expect(bodyForUsage(Buffer.from('{"input_tokens": 12}'), 0)).toEqual({ input_tokens: 12 });
    expect(bodyForUsage(Buffer.from('{"usage": 5}'), 0)).toEqual({ usage: 5 });
    expect(bodyForUsage(Buffer.from('[{"usage": {"a": 1}}]'), 0)).toEqual([{ usage: { a: 1 } }]);
    // `usage` further from the end than any provider puts it: the walk back gives up early.
    const far = { model: 'm', usage: { a: 1 }, metadata: { note: 'x'.repeat(20_000) } };
    expect(bodyForUsage(Buffer.from(JSON.stringify(far)), 0)).toEqual(far);
    expect(bodyForUsage(Buffer.from('not json'), 0)).toBeUndefined();
    expect(bodyForUsage(Buffer.from('{"usage": {"a": 1'), 0)).toBeUndefined();
  });
});
