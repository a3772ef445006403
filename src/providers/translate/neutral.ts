/**
 * A chat call as the three API families share it (OpenAI Chat Completions,
 * Anthropic Messages, Gemini generateContent), and its non-streamed answer.
 * Each family's translator reads its own body into these types and writes
 * them back out; anything a body holds that these types cannot hold is
 * reported as untranslatable (`translation.ts`), never dropped.
 *
 * Conventions every translator keeps:
 * - Tool results travel in `user` messages (Anthropic's and Gemini's shape);
 *   OpenAI's `tool` messages are folded into them and unfolded on the way out.
 * - Tool call ids are kept verbatim. Gemini may send none: its translator
 *   derives stable ones from the call's position (`gemini-generate.ts`).
 * - Tool arguments are a parsed JSON object, not OpenAI's JSON text.
 */

/** A JSON value as a body carries it (tool arguments, schemas). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export interface NeutralText {
  readonly kind: 'text';
  readonly text: string;
}

/** An image inline (base64, with its media type) or by URL. */
export interface NeutralImage {
  readonly kind: 'image';
  readonly source:
    | { readonly kind: 'base64'; readonly mediaType: string; readonly data: string }
    | { readonly kind: 'url'; readonly url: string; readonly mediaType?: string };
}

/** The model asking for a tool to run: `id` pairs it with its result. */
export interface NeutralToolCall {
  readonly kind: 'tool-call';
  readonly id: string;
  readonly name: string;
  readonly arguments: JsonObject;
}

/** What a tool answered, paired to its call by `callId`. */
export interface NeutralToolResult {
  readonly kind: 'tool-result';
  readonly callId: string;
  readonly content: readonly (NeutralText | NeutralImage)[];
  /** The tool failed; `content` says how. */
  readonly isError: boolean;
}

export type NeutralPart = NeutralText | NeutralImage | NeutralToolCall | NeutralToolResult;

export interface NeutralMessage {
  readonly role: 'user' | 'assistant';
  readonly parts: readonly NeutralPart[];
}

export interface NeutralTool {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: JsonObject;
}

/** `required`: some tool must be called; `{ name }`: that tool must be. */
export type NeutralToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

/** `json`: any JSON object (OpenAI's JSON mode); `json-schema`: structured output. */
export type NeutralResponseFormat =
  | { readonly kind: 'json' }
  | { readonly kind: 'json-schema'; readonly name?: string; readonly schema: JsonObject };

export interface NeutralRequest {
  /** The model the caller named (body or path); the router maps it to a deployment. */
  readonly model: string;
  /** System prompt, one entry per system message or block, in order. */
  readonly system: readonly string[];
  readonly messages: readonly NeutralMessage[];
  readonly tools: readonly NeutralTool[];
  readonly toolChoice?: NeutralToolChoice;
  /** false: at most one tool call per turn. Undefined: the target's default. */
  readonly parallelToolCalls?: boolean;
  readonly responseFormat?: NeutralResponseFormat;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stopSequences: readonly string[];
  /** Undefined: the caller set no cap (what that means differs per target; see the table). */
  readonly maxOutputTokens?: number;
  readonly stream: boolean;
  /** The caller asked for usage in its stream (OpenAI `stream_options.include_usage`; always so elsewhere). */
  readonly streamUsage: boolean;
}

/**
 * Why the model stopped. `end`: a natural end; `stop-sequence`: one of the
 * caller's stop sequences; `max-tokens`: the output cap; `context-window`:
 * the model's window filled; `tool-calls`: it wants tools run; `refusal`: a
 * safety or content filter stopped it. The table in TABLE.md says how each
 * family spells them.
 */
export type NeutralStopReason =
  | 'end'
  | 'stop-sequence'
  | 'max-tokens'
  | 'context-window'
  | 'tool-calls'
  | 'refusal';

/**
 * Token counts, all in the same sense whatever the family:
 * `inputTokens` is every input token the model read, including cache reads
 * and cache writes; `outputTokens` every generated token, reasoning included.
 */
export interface NeutralUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Of `inputTokens`, read from a prompt cache (undefined: not reported). */
  readonly cachedInputTokens?: number;
  /** Of `inputTokens`, written to a prompt cache (Anthropic only). */
  readonly cacheWriteTokens?: number;
  /** Of `outputTokens`, spent on reasoning (undefined: not reported). */
  readonly reasoningTokens?: number;
}

export interface NeutralAnswer {
  /** The upstream's id for the answer, passed on as is. */
  readonly id: string;
  readonly model: string;
  /** Text and tool calls in the order the model produced them. */
  readonly content: readonly (NeutralText | NeutralToolCall)[];
  readonly stopReason: NeutralStopReason;
  /** The stop sequence that matched, where the upstream says which (Anthropic). */
  readonly stopSequence?: string;
  readonly usage: NeutralUsage;
  /** Unix seconds the answer was made, where the upstream says (OpenAI `created`). */
  readonly createdSeconds?: number;
}
