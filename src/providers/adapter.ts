/**
 * The port every provider adapter implements: a small declarative module per
 * provider (OpenAI, Azure OpenAI, Anthropic, Gemini, generic OpenAI-compatible)
 * plus pure parsing functions. The runtime (governor) and the gateway only
 * talk to providers through this interface; nothing above this layer reads a
 * provider header or body itself.
 *
 * Every function here is pure and total: garbage in (headers, bodies, huge or
 * negative numbers, wrong types) gives "unknown" (undefined / empty), never a
 * throw and never a nonsense value.
 */
import type { Cost, Dimension, Usage } from '../core/cost.js';
import type { Window } from '../core/limit.js';
import type { UpstreamPathInput } from './upstream-url.js';

export type ProviderKind = 'openai' | 'azure' | 'anthropic' | 'gemini' | 'openai-compatible';

/** The calls Sluice governs (plus the free ones it recognises and passes through). */
export type Endpoint =
  | 'chat_completions' // OpenAI POST /v1/chat/completions (Azure: /openai/deployments/{d}/chat/completions)
  | 'responses' // OpenAI POST /v1/responses
  | 'completions' // OpenAI POST /v1/completions
  | 'embeddings' // OpenAI POST /v1/embeddings
  | 'models' // GET /v1/models (not rate-limited by Sluice)
  | 'messages' // Anthropic POST /v1/messages
  | 'count_tokens' // Anthropic POST /v1/messages/count_tokens, Gemini POST …/{m}:countTokens (own RPM at the provider)
  | 'generate_content' // Gemini POST /v1beta/models/{m}:generateContent
  | 'stream_generate_content' // Gemini POST /v1beta/models/{m}:streamGenerateContent
  | 'embed_content' // Gemini POST /v1beta/models/{m}:embedContent
  | 'batch_embed_contents' // Gemini POST /v1beta/models/{m}:batchEmbedContents
  | 'scheduled'; // a call the caller runs itself (`governor.schedule(meta, fn)`): no HTTP of Sluice's

/** Case-insensitive header access; `Headers` (fetch/undici) satisfies it. */
export interface HeaderLookup {
  get(name: string): string | null | undefined;
}

/** What admission needs to know about a request, read from its JSON body. */
export interface RequestEstimate {
  readonly endpoint: Endpoint;
  /** The model the body asks for (Gemini: from the URL path). */
  readonly model: string | undefined;
  readonly stream: boolean;
  /**
   * The cost the provider will count at admission: input tokens from a real
   * tokenizer where one exists (OpenAI encodings) or a documented estimate,
   * output tokens = n × max output tokens (or the per-model default).
   */
  readonly cost: Cost;
  /**
   * Set where the provider's limiter does not count cache reads (Anthropic,
   * most models, PROVIDERS.md §3.2) and the prompt has a cache breakpoint:
   * the part a cache could serve, for the runtime to learn how much of it
   * is served (`runtime/estimates/cache-shares.ts`).
   */
  readonly cachedPrefix?: CachedPrefix | undefined;
  /**
   * The fewest input tokens the provider's limiter charges at admission,
   * whatever the usage will report: OpenAI's and Azure's character estimate
   * of the prompt (PROVIDERS.md §1.5). `cost` stays what usage will report
   * (the tokenizer's count); the runtime reserves at least this, learned
   * corrections included (`runtime/estimates/`).
   */
  readonly inputFloor?: number | undefined;
}

/** The prompt up to its last cache breakpoint: a key for its content, and its estimated input tokens. */
export interface CachedPrefix {
  readonly key: string;
  readonly inputTokens: number;
}

export interface EstimateOptions {
  /** Output tokens to reserve when the body sets no maximum. */
  readonly defaultMaxOutputTokens?: number;
}

/**
 * Where an observation's window comes from, so the runtime can tell a fact
 * from a guess: `documented` (the provider's docs fix it, e.g. Anthropic's
 * per-minute limits), `configured` (adapter options, e.g. Groq's requests per
 * day), `inferred` (computed from limit, remaining and reset, PROVIDERS.md
 * §1.3), `assumed` (nothing to infer from, e.g. a full bucket: the default was
 * used; keep an earlier `inferred` window over it).
 */
export type WindowBasis = 'documented' | 'configured' | 'inferred' | 'assumed';

/**
 * Why `resetAt` is not what the provider sent: `past` (it lay in the past
 * beyond clock-skew tolerance; set to `now`), `future` (it lay further ahead
 * than the window allows, e.g. years; set to `now + window`). Count these in
 * a metric: they mean clock skew or a provider sending nonsense.
 */
export type ResetClamp = 'past' | 'future';

/**
 * One limit as the provider reported it in a response. `limit` is > 0 when
 * present, `remaining` is in [0, limit]; values the provider marks as unknown
 * (Azure's `-1`) or that do not parse are left out, never guessed.
 */
export interface RateLimitObservation {
  readonly dimension: Dimension;
  readonly window: Window;
  readonly limit?: number | undefined;
  readonly remaining?: number | undefined;
  /**
   * Epoch ms at which the provider's bucket is full again (not a window
   * boundary: PROVIDERS.md §1.3), clamped to [now, now + window].
   */
  readonly resetAt?: number | undefined;
  /** OpenAI's project-scoped token limit is reported beside the org one. */
  readonly scope?: 'project' | undefined;
  readonly windowBasis?: WindowBasis | undefined;
  /** Set when `resetAt` was clamped (see `ResetClamp`). */
  readonly clamped?: ResetClamp | undefined;
}

/**
 * Every non-success answer falls into exactly one class; the runtime's retry
 * and routing policies switch on `kind` only.
 */
export type ProviderErrorKind =
  | 'rate_limited' // retry after `retryAfterMs`; `dimension`/`window` say which limit
  | 'quota_exhausted' // billing, credits, spend caps, per-day quota: never retried
  | 'too_large' // request larger than the whole limit (OpenAI "Request too large", Groq 413): never retried
  | 'overloaded' // Anthropic 529, OpenAI 503 server_is_overloaded: retry with backoff
  | 'server_error' // other 5xx: retry with backoff
  | 'timeout' // 408 / 504 / client-side timeout: retry with backoff
  | 'non_retryable' // 400, 401, 403, 404, 422 and other 4xx
  | 'network'; // connection refused / reset, DNS: retry with backoff

export interface ProviderError {
  readonly kind: ProviderErrorKind;
  /**
   * Whether the kind may be retried at all (quota, too_large and
   * non_retryable never are), vetoed by the provider's `x-should-retry: false`.
   */
  readonly retryable: boolean;
  /** The HTTP status (the one inside the body for errors in 2xx bodies or streams; 0 for network). */
  readonly status: number;
  /**
   * The provider's own hint, first found of: `retry-after-ms`,
   * `retry-after` (seconds or HTTP date), Gemini `RetryInfo`, the wait named
   * in the message ("try again in 174ms"). Clamped to [0, 86 400 000]; a wait
   * of a day or more makes the error `quota_exhausted`.
   */
  readonly retryAfterMs?: number | undefined;
  readonly dimension?: Dimension | undefined;
  readonly window?: Window | undefined;
  /** Provider error code/type, e.g. `insufficient_quota`, `rate_limit_error`. */
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  /**
   * Set when the key that sent the call cannot serve any call until someone
   * pays, raises a limit or fixes the credentials, or until the reset the
   * provider names: the deployment leaves rotation (runtime/rotation.ts).
   */
  readonly cannotServe?: CannotServe | undefined;
  /**
   * A 429 about how fast traffic grew, not about a limit (OpenAI `slow_down`,
   * PROVIDERS.md "2026 changes"): the admitted rate must drop, a wait alone
   * does not fix it.
   */
  readonly slowDown?: boolean | undefined;
}

/** Why a key cannot serve: out of quota, credit or spend limit; or its credentials were refused. */
export type CannotServeReason = 'quota' | 'credentials';

/**
 * Whose the outage is: this deployment alone (a per-model quota or
 * permission), every deployment sending the same key (credit, billing, a
 * rejected key), the key's project (OpenAI `project_spend_limit_exceeded`
 * stops only that project: its key's deployments), or the organisation the
 * error names (every deployment sharing a pool with this one too).
 */
export type CannotServeScope = 'deployment' | 'key' | 'project' | 'organization';

export interface CannotServe {
  readonly reason: CannotServeReason;
  readonly scope: CannotServeScope;
  /** Epoch ms at which the provider says service resumes (Gemini per-day: next midnight Pacific), if it says. */
  readonly resumeAt?: number | undefined;
}

/** Errors Sluice itself answers with, written in the provider's own format. */
export type RefusalKind =
  | 'rate_limit' // 429
  | 'budget' // 429: the tenant's spending budget is spent (a quota, not a rate)
  | 'overloaded' // 503 (Anthropic flavour: 529 is upstream's; Sluice answers 503)
  | 'invalid_request' // 400
  | 'authentication' // 401
  | 'permission' // 403
  | 'not_found' // 404
  | 'request_too_large' // 413
  | 'api_error'; // 500 / 502

export interface ErrorPayload {
  readonly status: number;
  /** JSON-serialisable body in the provider's error envelope. */
  readonly body: unknown;
}

/**
 * Usage as the provider counts it for its limits, plus the cache split for
 * metrics. `inputTokens` already applies the provider's counting rule (e.g.
 * Anthropic: cache reads excluded on most models), so settlement uses it as is.
 */
export interface ProviderUsage extends Usage {
  /** Input tokens served from the provider's prompt cache (included in or excluded from `inputTokens` per provider rule). */
  readonly cacheReadTokens?: number | undefined;
  /** Input tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`). */
  readonly cacheWriteTokens?: number | undefined;
  /**
   * Every prompt token the provider read, cached or not, where that differs
   * from `inputTokens` (Anthropic leaves cache reads out of its limit count):
   * the denominator of a prompt-cache hit ratio, and what size classes are
   * decided on (runtime/size-class.ts); absent, `inputTokens` is the whole input.
   */
  readonly promptTokens?: number | undefined;
  /**
   * The service tier the provider says served the call, as it spells it
   * (OpenAI `service_tier`, Gemini `x-gemini-service-tier`): the tier whose
   * limits the call counts against (providers/service-tier.ts).
   */
  readonly serviceTier?: string | undefined;
}

/**
 * Incremental usage extraction from a streamed response (SSE, or Gemini's
 * JSON-array stream), fed raw bytes split anywhere. Keeps only the event in
 * progress and the counters, never the whole stream.
 */
export interface UsageTap {
  push(chunk: Uint8Array): void;
  /** Usage seen so far (last value wins, never summed); undefined when none arrived. */
  usage(): ProviderUsage | undefined;
  /**
   * True once the provider's final usage arrived (OpenAI usage chunk,
   * Responses `response.completed`, Anthropic `message_delta`, Gemini chunk
   * with a `finishReason`). False means `usage()` is partial or absent: the
   * stream was cut, so the runtime should keep the estimate where it is larger.
   */
  complete(): boolean;
  /**
   * Output tokens counted from the generated text the stream carried so far
   * (an estimate by characters): what a stream cut before the provider's
   * final count delivered.
   */
  generatedTokens(): number;
  /** An error event seen inside the stream after the 200 (e.g. Anthropic overloaded_error). */
  error(): ProviderError | undefined;
}

export interface ProviderAdapter {
  readonly kind: ProviderKind;
  /** The endpoint a request is, or undefined when the path is not one Sluice knows. */
  matchEndpoint(method: string, pathname: string): Endpoint | undefined;
  /** Cost and shape of a request; `body` is the parsed JSON (any type: validated here). */
  estimate(endpoint: Endpoint, body: unknown, pathname: string, options?: EstimateOptions): RequestEstimate;
  /** Actual usage from a non-streamed JSON response body, as the provider counts it for limits. */
  usageFromBody(endpoint: Endpoint, body: unknown): ProviderUsage | undefined;
  /**
   * An error a provider reports inside a 2xx JSON body (OpenRouter forwards
   * upstream 429s that way, PROVIDERS.md §5), or undefined for a real success.
   */
  bodyError(endpoint: Endpoint, body: unknown): ProviderError | undefined;
  createUsageTap(endpoint: Endpoint): UsageTap;
  /** Rate-limit state from response headers; empty when the provider sends none. */
  observe(headers: HeaderLookup, now: number): RateLimitObservation[];
  /**
   * Classifies a non-2xx response; `body` is the parsed JSON or the raw text.
   * A status ≤ 0 (no response) gives `network`.
   */
  classifyError(status: number, headers: HeaderLookup, body: unknown, now: number): ProviderError;
  /**
   * A refusal in this provider's own error format. `endpoint` matters only
   * where one adapter serves two API styles (Gemini native vs its
   * OpenAI-compatible paths, which clients call with the OpenAI SDK).
   * `status`: the HTTP status the answer goes out with when the caller
   * picks one other than the kind's own (413, 415, 431, 502…); a format that
   * repeats the status in its body (Gemini's `code`) repeats this one.
   */
  errorPayload(kind: RefusalKind, message: string, endpoint?: Endpoint, status?: number): ErrorPayload;
  /**
   * For streamed requests that did not ask for usage: returns a body that
   * does (OpenAI `stream_options.include_usage`), or undefined when nothing
   * needs changing. `stripAddedStreamUsage` then removes the extra usage
   * chunk again on the way back.
   */
  requestStreamUsage?(endpoint: Endpoint, body: Record<string, unknown>): Record<string, unknown> | undefined;
  /** A rewriter that removes the usage chunk `requestStreamUsage` asked for. */
  stripAddedStreamUsage?(): StreamRewriter;
  /**
   * Where a body names the model besides the body's `model` (Gemini's
   * batch embeddings name it once per request): a body naming the
   * deployment's `model` there, or undefined when nothing changes.
   */
  bodyForModel?(
    endpoint: Endpoint,
    body: Record<string, unknown>,
    model: string,
  ): Record<string, unknown> | undefined;
  /** The path (after the deployment's base URL) a call goes to. */
  upstreamPath(input: UpstreamPathInput): string;
  /** The headers that carry a deployment's own key. */
  authHeaders(key: string): Record<string, string>;
}

/** Rewrites a stream on its way to the caller, fed raw bytes split anywhere. */
export interface StreamRewriter {
  /** Bytes to forward for this chunk (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /** Whatever is left when the stream ends. */
  end(): Uint8Array;
}
