/**
 * fast-check generators of neutral chat calls and answers inside the subset
 * two given families share, in the canonical form each translator writes
 * (see TABLE.md for what is lossy and why it is left out here).
 */
import fc from 'fast-check';
import type {
  JsonObject,
  NeutralAnswer,
  NeutralImage,
  NeutralMessage,
  NeutralRequest,
  NeutralText,
  NeutralTool,
  NeutralToolCall,
  NeutralToolResult,
  NeutralUsage,
} from '../../../src/providers/translate/neutral.js';
import type { FamilyName } from './families.js';

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const text = fc.string({ minLength: 1, maxLength: 40 });
const id = fc.stringMatching(/^[A-Za-z0-9_-]{4,20}$/);

const jsonArgs: fc.Arbitrary<JsonObject> = fc.dictionary(
  word,
  fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 4 },
);

const schema: fc.Arbitrary<JsonObject> = fc.uniqueArray(word, { maxLength: 3 }).map((keys) => ({
  type: 'object',
  properties: Object.fromEntries(keys.map((k) => [k, { type: 'string' }])),
  required: keys,
}));

const image: fc.Arbitrary<NeutralImage> = fc.oneof(
  fc
    .record({
      mediaType: fc.constantFrom('image/png', 'image/jpeg', 'image/gif', 'image/webp'),
      data: fc.base64String({ minLength: 4, maxLength: 40 }),
    })
    .map(
      ({ mediaType, data }): NeutralImage => ({ kind: 'image', source: { kind: 'base64', mediaType, data } }),
    ),
  fc.tuple(word, fc.constantFrom('png', 'jpg', 'jpeg', 'gif', 'webp')).map(
    ([name, ext]): NeutralImage => ({
      kind: 'image',
      source: { kind: 'url', url: `https://img.example.com/${name}.${ext}` },
    }),
  ),
);

const textPart: fc.Arbitrary<NeutralText> = text.map((t) => ({ kind: 'text', text: t }));

export interface Shared {
  readonly anthropic: boolean;
  readonly openai: boolean;
  readonly gemini: boolean;
  readonly responses: boolean;
}

export function sharedBy(a: FamilyName, b: FamilyName): Shared {
  return {
    anthropic: a === 'anthropic' || b === 'anthropic',
    openai: a === 'openai' || b === 'openai',
    gemini: a === 'gemini' || b === 'gemini',
    responses: a === 'responses' || b === 'responses',
  };
}

/** A conversation: user turns, and assistant turns with tool calls answered by the next user turn. */
function conversation(tools: readonly NeutralTool[], involves: Shared): fc.Arbitrary<NeutralMessage[]> {
  const userTurn = fc
    .array(fc.oneof({ weight: 3, arbitrary: textPart }, { weight: 1, arbitrary: image }), {
      minLength: 1,
      maxLength: 3,
    })
    .map((parts): NeutralMessage => ({ role: 'user', parts }));
  const names = tools.map((t) => t.name);
  const call: fc.Arbitrary<NeutralToolCall> =
    names.length === 0
      ? fc.constant(undefined as never)
      : fc
          .record({ id, name: fc.constantFrom(...names), arguments: jsonArgs })
          .map((c) => ({ kind: 'tool-call', ...c }));
  const toolRound = fc
    .tuple(
      fc.option(textPart, { nil: undefined }),
      fc.uniqueArray(call, { minLength: 1, maxLength: 3, selector: (c) => c.id }),
    )
    .chain(([lead, calls]) =>
      fc
        .tuple(
          ...calls.map(() =>
            fc.tuple(text, involves.openai || involves.responses ? fc.constant(false) : fc.boolean()),
          ),
        )
        .map((answers): NeutralMessage[] => [
          { role: 'assistant', parts: [...(lead ? [lead] : []), ...calls] },
          {
            role: 'user',
            parts: calls.map(
              (c, i): NeutralToolResult => ({
                kind: 'tool-result',
                callId: c.id,
                content: [{ kind: 'text', text: answers[i]?.[0] ?? '' }],
                isError: answers[i]?.[1] ?? false,
              }),
            ),
          },
        ]),
    );
  const assistantText = textPart.map((t): NeutralMessage => ({ role: 'assistant', parts: [t] }));
  const turn =
    names.length === 0
      ? fc.oneof(
          userTurn.map((m) => [m]),
          assistantText.map((m) => [m]),
        )
      : fc.oneof(
          userTurn.map((m) => [m]),
          assistantText.map((m) => [m]),
          toolRound,
        );
  return fc.tuple(userTurn, fc.array(turn, { maxLength: 4 })).map(([first, rest]) => {
    // Unique ids across the whole conversation, as every family expects.
    const seen = new Set<string>();
    const turns = [first, ...rest.flat()];
    const messages = involves.responses ? joinAssistantCalls(turns) : turns;
    return messages
      .map((m, i) => ({
        ...m,
        parts: m.parts.map((p) => {
          if (p.kind === 'tool-call') {
            const unique = seen.has(p.id) ? `${p.id}_${i}` : p.id;
            seen.add(unique);
            return { ...p, id: unique };
          }
          return p;
        }),
      }))
      .map((m, i, all) => {
        // Results follow the (possibly renamed) ids of the turn before them.
        if (m.role !== 'user' || !m.parts.every((p) => p.kind === 'tool-result')) return m;
        const calls = (all[i - 1]?.parts ?? []).filter((p): p is NeutralToolCall => p.kind === 'tool-call');
        return {
          ...m,
          parts: m.parts.map((p, j) =>
            p.kind === 'tool-result' ? { ...p, callId: calls[j]?.id ?? p.callId } : p,
          ),
        };
      });
  });
}

/**
 * Responses input is a flat list of items: function calls right after an
 * assistant message read back as that message's turn, so the shared form
 * has them in one turn.
 */
function joinAssistantCalls(messages: readonly NeutralMessage[]): NeutralMessage[] {
  const out: NeutralMessage[] = [];
  for (const message of messages) {
    const last = out.at(-1);
    if (message.role === 'assistant' && message.parts[0]?.kind === 'tool-call' && last?.role === 'assistant')
      out[out.length - 1] = { role: 'assistant', parts: [...last.parts, ...message.parts] };
    else out.push(message);
  }
  return out;
}

export function sharedRequest(involves: Shared): fc.Arbitrary<NeutralRequest> {
  const tools = fc.uniqueArray(
    fc
      .record({ name: word, description: fc.option(text, { nil: undefined }), parameters: schema })
      .map(
        (t): NeutralTool => (t.description === undefined ? { name: t.name, parameters: t.parameters } : t),
      ),
    { maxLength: 3, selector: (t) => t.name },
  );
  return tools.chain((toolList) =>
    fc
      .record({
        model: word,
        system: fc.array(text, { maxLength: 3 }),
        messages: conversation(toolList, involves),
        toolChoice:
          toolList.length === 0
            ? fc.constant(undefined)
            : fc.option(
                fc.oneof(
                  fc.constantFrom('auto' as const, 'none' as const, 'required' as const),
                  fc.constantFrom(...toolList.map((t) => ({ name: t.name }))),
                ),
                { nil: undefined },
              ),
        parallelToolCalls:
          involves.gemini || toolList.length === 0
            ? fc.constant(undefined)
            : fc.option(fc.boolean(), { nil: undefined }),
        responseFormat: fc.option(
          involves.anthropic
            ? schema.map((s) => ({ kind: 'json-schema' as const, schema: s }))
            : fc.oneof(
                fc.constant({ kind: 'json' as const }),
                schema.map((s) => ({ kind: 'json-schema' as const, schema: s })),
              ),
          { nil: undefined },
        ),
        temperature: involves.anthropic
          ? fc.constant(undefined)
          : fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
        topP: involves.anthropic
          ? fc.constant(undefined)
          : fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        stopSequences: involves.responses ? fc.constant([]) : fc.array(text, { maxLength: 4 }),
        maxOutputTokens: involves.anthropic
          ? fc.integer({ min: 1, max: 64_000 })
          : fc.option(fc.integer({ min: 1, max: 64_000 }), { nil: undefined }),
        stream: fc.boolean(),
      })
      .map((r): NeutralRequest => {
        // Anthropic spells a parallel switch only inside tool_choice.
        const toolChoice =
          r.parallelToolCalls !== undefined && r.toolChoice === undefined ? 'auto' : r.toolChoice;
        return { ...r, tools: toolList, toolChoice, streamUsage: r.stream };
      }),
  );
}

export function sharedAnswer(from: FamilyName, involves: Shared): fc.Arbitrary<NeutralAnswer> {
  // Responses always writes its usage detail objects, so "not reported" reads back as 0 there.
  const detail = involves.responses ? fc.nat() : fc.option(fc.nat(), { nil: undefined });
  const call = fc
    .record({ id, name: word, arguments: jsonArgs })
    .map((c): NeutralToolCall => ({ kind: 'tool-call', ...c }));
  const usage = fc
    .record({
      inputTokens: fc.integer({ min: 0, max: 200_000 }),
      outputTokens: fc.integer({ min: 0, max: 64_000 }),
      cached: detail,
      reasoning: detail,
    })
    .map(
      (u): NeutralUsage => ({
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        ...(u.cached !== undefined ? { cachedInputTokens: u.cached % (u.inputTokens + 1) } : {}),
        ...(u.reasoning !== undefined ? { reasoningTokens: u.reasoning % (u.outputTokens + 1) } : {}),
      }),
    );
  return fc
    .record({
      id,
      model: word,
      lead: fc.option(textPart, { nil: undefined }),
      calls: fc.uniqueArray(call, { maxLength: 3, selector: (c) => c.id }),
      plainStop: fc.constantFrom('end' as const, 'max-tokens' as const, 'refusal' as const),
      usage,
    })
    .filter((a) => a.lead !== undefined || a.calls.length > 0)
    .map(
      (a): NeutralAnswer => ({
        id: a.id,
        model: a.model,
        content: [...(a.lead ? [a.lead] : []), ...a.calls],
        stopReason: a.calls.length > 0 ? 'tool-calls' : a.plainStop,
        usage: a.usage,
        // `created` is stamped by the translating clock when the upstream has none.
        ...(from === 'openai' || from === 'responses' ? { createdSeconds: 1_796_000_000 } : {}),
      }),
    );
}
