/**
 * The port every provider flavour implements. A flavour knows its wire
 * format (PROVIDERS.md §1, §3, §4, §8): how a key is sent, how a request is
 * counted, what success, streaming, rate-limit and error responses look like.
 * The exchange (`exchange.ts`) owns everything else: admission, latency,
 * faults, settlement and stats, written once for all flavours.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FaultKind, FaultSpec, SimulatorConfig } from './config.js';
import type { Answer } from './content.js';
import type { RequestTarget } from './http-io.js';
import type { BucketView } from './limits/bucket.js';
import type { AdmissionCost, Refusal } from './limits/scope.js';
import type { OfferedTool } from './tool-calls.js';

export type Flavour = 'openai' | 'anthropic' | 'gemini';

export type Endpoint =
  | 'chat'
  | 'responses'
  | 'completions'
  | 'embeddings'
  | 'models'
  | 'messages'
  | 'count_tokens'
  | 'generate'
  | 'gemini_count_tokens'
  | 'gemini_embed'
  | 'gemini_batch_embed';

export type Headers = Record<string, string>;

/** A complete answer that is not a success body: an error, a refusal, a listing. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Input tokens as reported in usage (cache split for Anthropic). */
export interface InputUsage {
  readonly tokens: number;
  readonly cacheCreation: number;
  readonly cacheRead: number;
  /** Of `cacheCreation`, the part written with the one-hour TTL. */
  readonly cacheCreation1h: number;
}

export const NO_CACHE = { cacheCreation: 0, cacheRead: 0, cacheCreation1h: 0 } as const;

/** Usage of a finished call; `undefined` where a fault drops it. */
export interface UsageReport {
  readonly input: InputUsage;
  /** Output tokens over all choices. */
  readonly output: number;
}

/** Identifiers of one call (request id header, object ids, timestamps) and the tier that served it. */
export interface CallIds {
  readonly ordinal: number;
  readonly requestId: string;
  /** Unix seconds. */
  readonly created: number;
  /** The service tier that served the call, once admitted (OpenAI `service_tier`, Gemini `x-gemini-service-tier`). */
  readonly serviceTier?: string;
}

/** What a flavour understood of a request. */
export interface Call {
  readonly endpoint: Endpoint;
  readonly model: string;
  /** The model name limits are looked up under (Anthropic count_tokens has limits of its own). */
  readonly scopeModel: string;
  readonly stream: boolean;
  /** Undefined for calls that are not rate limited (model listings). */
  readonly cost: AdmissionCost | undefined;
  readonly input: InputUsage;
  /** Output cap per choice, from the request. */
  readonly maxOutput: number | undefined;
  readonly choices: number;
  /** Text echo mode repeats, and tool call arguments are built from: the last user message. */
  readonly echo: string;
  /** The tool the answer calls (`tool-calls.ts` decides); undefined for a text answer. */
  readonly tool?: OfferedTool;
  /** False for calls that produce no text (embeddings, token counting). */
  readonly generates: boolean;
  readonly render: Renderer;
  /** The service tier asked for (the API's default when the request names none); undefined where the API has none. */
  readonly serviceTier?: string;
  /** Called once the call is admitted (Anthropic stores its prompt cache writes then). */
  readonly admitted?: () => void;
}

export interface Renderer {
  /** The body of a non-streamed success. */
  body(answer: Answer, usage: UsageReport | undefined, ids: CallIds): string;
  /** The frames of a streamed success (only for calls that can stream); `answer` says whether it is text or a tool call. */
  stream?(ids: CallIds, answer: Answer): StreamFrames;
}

/** Text written around the pieces of a streamed answer; each call may keep state. */
export interface StreamFrames {
  readonly contentType: string;
  /** Opening frames; `usage` holds the input side (output 0), undefined when a fault drops usage. */
  start(usage: UsageReport | undefined): string;
  piece(text: string, choice: number): string;
  /** Closing frames; `usage` undefined when a fault drops it. */
  end(answer: Answer, usage: UsageReport | undefined): string;
  /** A mid-stream error event, after which the stream ends. */
  error(): string;
  /** A frame whose JSON is cut short (fault `malformed_json`). */
  corrupt(text: string, choice: number): string;
}

export interface ParseContext {
  readonly endpoint: Endpoint;
  /** Model from the URL path (Gemini). */
  readonly pathModel: string | undefined;
  /** Streaming asked by the URL (Gemini `:streamGenerateContent`), and `alt=sse`. */
  readonly pathStream: boolean;
  readonly sse: boolean;
  readonly key: string;
  readonly now: number;
  readonly ids: CallIds;
}

export interface FlavourModule {
  readonly flavour: Flavour;
  /** The API key the request carries, if any. */
  keyOf(headers: IncomingHttpHeaders, url: RequestTarget): string | undefined;
  parse(body: unknown, ctx: ParseContext): Call | Reply;
  ids(ordinal: number, now: number): CallIds;
  /** Headers of every answer to an accepted call: ids plus the flavour's rate-limit headers (if limited). */
  headers(views: readonly BucketView[], now: number, ids: CallIds): Headers;
  rateLimited(refusal: Refusal, call: Call, views: readonly BucketView[], now: number, ids: CallIds): Reply;
  fault(kind: FaultKind, spec: FaultSpec, call: Call, ids: CallIds): Reply;
  authError(missing: boolean, key: string, ids: CallIds): Reply;
  invalidJson(ids: CallIds): Reply;
  notFound(method: string, path: string, ids: CallIds): Reply;
  /** Forgets state kept between calls (the prompt cache). */
  reset?(): void;
}

export type FlavourFactory = (config: SimulatorConfig) => FlavourModule;

export function jsonReply(status: number, body: unknown, headers: Headers = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
