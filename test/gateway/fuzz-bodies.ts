/**
 * Request bodies for the gateway fuzz (fuzz-requests.ts): per route, JSON of
 * the route's shape with fields missing, of the wrong type, very long, deep,
 * or in odd Unicode; and, less often, bodies that are not JSON, not UTF-8,
 * nested past the gateway's bound, or cut short.
 */
import fc from 'fast-check';

/** The fuzz gateway's model groups, one per API family. */
export const GROUPS = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku', gemini: 'gemini-flash' } as const;

const RUN_CHARS = ['A', 'x', ' ', '\n', '0', 'é', '🙂', '\u202e', '\u0000', '\\', '"', '<'];

/** A long unbroken run of one character, up to ~50 k. */
export const longRun = fc
  .tuple(fc.constantFrom(...RUN_CHARS), fc.integer({ min: 1_000, max: 50_000 }))
  .map(([c, n]) => c.repeat(Math.ceil(n / c.length)));

/** Strings a careless or hostile client puts where a name or a text belongs. */
export const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u202egpt-4o-mini',
      'gpt-4o-mini\u0000',
      'gpt-4o-mini\r\nx-injected: 1',
      '../../etc/passwd',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder is the hostile input
      '${HOME}',
      '%s%s%s%n',
      '\ud800',
      '\udfff\ud800',
      '😀'.repeat(100),
      'ﷺ'.repeat(300),
    ),
  },
  { weight: 1, arbitrary: longRun },
);

const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, [], {}, '', 'x'),
  hostileString,
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), {
    maxKeys: 3,
  }),
);

/** Mostly the right value, sometimes missing (undefined) or junk. */
function mostly<T>(right: fc.Arbitrary<T>, wrongWeight = 1): fc.Arbitrary<T | unknown> {
  return fc.oneof(
    { weight: 8, arbitrary: right },
    { weight: wrongWeight, arbitrary: fc.constant(undefined) },
    { weight: wrongWeight, arbitrary: junkValue },
  );
}

const text = fc.oneof(
  { weight: 6, arbitrary: fc.lorem({ maxCount: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: longRun },
);

/**
 * The route's group, another family's, or a name no group has. Not the
 * Gemini group on OpenAI paths: a Gemini deployment serves those through
 * Google's OpenAI-compatible endpoint, which the simulator does not have,
 * and upstream errors are relayed as received (in Google's format).
 */
const model = (group: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 10, arbitrary: fc.constant(group) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ...(group === GROUPS.openai ? [GROUPS.anthropic] : [GROUPS.openai, GROUPS.gemini]),
        'no-such-group',
        'GPT-4O-MINI',
        'gpt-4o-mini ',
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: junkValue },
  );

const maxTokens = mostly(fc.integer({ min: 1, max: 64 }));
const stream = fc.constantFrom(undefined, true, false, 'true', 1, null, {});

// --- messages ---

const role = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('user', 'assistant') },
  { weight: 1, arbitrary: fc.constantFrom('system', 'tool', 'developer', 'model', 'User', '') },
  { weight: 2, arbitrary: junkValue },
);

const contentPart = fc.oneof(
  text.map((t) => ({ type: 'text', text: t })),
  fc.record({ type: junkValue, text: junkValue }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('image_url'), image_url: junkValue }),
);

const content = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 2, arbitrary: fc.array(contentPart, { maxLength: 3 }) },
  { weight: 1, arbitrary: junkValue },
);

const message = fc.oneof(
  { weight: 8, arbitrary: fc.record({ role, content }) },
  { weight: 1, arbitrary: fc.record({ role, content }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: junkValue },
);

const messages = fc.oneof(
  { weight: 8, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: junkValue },
);

// --- bodies per route ---

export type RouteKind =
  | 'chat'
  | 'responses'
  | 'completions'
  | 'embeddings'
  | 'messages'
  | 'count_tokens'
  | 'gemini';

const extras = fc.record(
  {
    user: hostileString,
    metadata: junkValue,
    tools: junkValue,
    stream_options: fc.oneof(fc.constant({ include_usage: true }), junkValue),
    temperature: junkValue,
    n: fc.constantFrom(1, 2, 0, -1, 1e9),
    padding: longRun,
  },
  { requiredKeys: [] },
);

const BODIES: Readonly<Record<RouteKind, fc.Arbitrary<Record<string, unknown>>>> = {
  chat: fc.record({ model: model(GROUPS.openai), messages, max_tokens: maxTokens, stream }),
  responses: fc.record({
    model: model(GROUPS.openai),
    input: fc.oneof(text, messages, junkValue),
    instructions: mostly(text),
    max_output_tokens: maxTokens,
    stream,
  }),
  completions: fc.record({
    model: model(GROUPS.openai),
    prompt: fc.oneof(text, junkValue),
    max_tokens: maxTokens,
  }),
  embeddings: fc.record({
    model: model(GROUPS.openai),
    input: fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.array(fc.nat(), { maxLength: 5 }), junkValue),
  }),
  messages: fc.record({
    model: model(GROUPS.anthropic),
    max_tokens: maxTokens,
    messages,
    system: mostly(text),
    stream,
  }),
  count_tokens: fc.record({ model: model(GROUPS.anthropic), messages, system: mostly(text) }),
  gemini: fc.record({
    contents: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.array(
          fc.record({
            role: fc.oneof(fc.constantFrom('user', 'model'), junkValue),
            parts: fc.oneof(fc.array(fc.record({ text })), junkValue),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      },
      { weight: 1, arbitrary: text },
      { weight: 1, arbitrary: junkValue },
    ),
    generationConfig: mostly(fc.record({ maxOutputTokens: maxTokens })),
    systemInstruction: mostly(fc.record({ parts: fc.array(fc.record({ text }), { maxLength: 2 }) }), 3),
  }),
};

const bodyObject = (kind: RouteKind) =>
  fc
    .tuple(BODIES[kind], fc.option(extras, { freq: 4 }))
    .map(([body, extra]) => ({ ...body, ...(extra ?? {}) }));

/** `[[[…]]]` or `{"a":{"a":…}}` this deep. */
function nesting(depth: number, object: boolean): string {
  return object
    ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    : `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** The body's bytes: mostly JSON of the route's shape, sometimes anything but. */
export function bodyBytes(kind: RouteKind): fc.Arbitrary<Buffer> {
  const json = bodyObject(kind).map((o) => Buffer.from(JSON.stringify(o), 'utf8'));
  return fc.oneof(
    { weight: 24, arbitrary: json },
    {
      weight: 2,
      // A valid body with a field nested deep (128 is the bound: either side of it)
      arbitrary: fc
        .tuple(bodyObject(kind), fc.integer({ min: 100, max: 12_000 }), fc.boolean())
        .map(([o, depth, object]) =>
          Buffer.from(JSON.stringify(o).replace(/}$/, `,"deep":${nesting(depth, object)}}`), 'utf8'),
        ),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            '',
            '{',
            '{"model":',
            'null',
            '[]',
            '[{}]',
            '123',
            '"str"',
            'true',
            '{}',
            '{"model":null}',
          ),
          fc.string({ maxLength: 60 }),
          json.map((b) => Buffer.concat([Buffer.from('\ufeff'), b]).toString('utf8')),
          json.map((b) => `${b.toString('utf8')} trailing`),
          json.map((b) => b.toString('utf8').slice(0, Math.floor(b.length / 2))),
        )
        .map((s) => Buffer.from(s, 'utf8')),
    },
    {
      weight: 1,
      // Not UTF-8 inside a string
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 20 })
        .map((bytes) =>
          Buffer.concat([
            Buffer.from(`{"model":"${GROUPS.openai}","messages":[{"role":"user","content":"`),
            bytes,
            Buffer.from('"}]}'),
          ]),
        ),
    },
  );
}
