/**
 * The contract between the runtime and its faces (gateway, `governor.fetch`,
 * `schedule()`): what a caller asks for (`Call`, one neutral shape whatever
 * the face), how one attempt reaches the upstream (`Transport`,
 * `UpstreamReply`) and what comes back from the governor (`Outcome`). Faces
 * never turn an `Outcome` into an answer themselves: `answer.ts` does.
 */
import type { Cost } from '../../core/cost.js';
import type { Endpoint, HeaderLookup, ProviderError } from '../../providers/adapter.js';
import type { ApiFamily } from '../../providers/api-family.js';
import type { CacheDirective } from '../control-headers.js';
import type { Forwarding } from '../forwarding.js';
import type { Refusal } from '../refusal.js';
import type { TenantBudget } from '../tenant-budget.js';
import type { Tenant } from '../tenants.js';
import type { UpstreamTarget } from '../upstream-target.js';
import type { Settlement } from './settlement.js';

export interface Call {
  /** This request's id: on every answer (`x-sluice-request-id`) and in the log line. */
  readonly id: string;
  /** The API the caller speaks: its answers come in this family's format. */
  readonly family: ApiFamily;
  readonly endpoint: Endpoint;
  readonly method: string;
  /** Incoming path and query, e.g. `/v1/chat/completions`, `/v1beta/models/x:generateContent?alt=sse`. */
  readonly path: string;
  /** The parsed JSON body (undefined for calls without one). */
  readonly body: Record<string, unknown> | undefined;
  /** The body as received: forwarded byte for byte unless the runtime must change it. */
  readonly rawBody: string | Uint8Array | undefined;
  readonly stream: boolean;
  /** The model group the caller asked for (body `model`, or Gemini's path). */
  readonly model: string | undefined;
  readonly tenant: string;
  /** Caller's headers that may go upstream (auth when the deployment has no key of its own, versions, tracing). */
  readonly forwardHeaders: Record<string, string>;
  /** How much of the caller's headers and query go upstream (see `runtime/forwarding.ts`). */
  readonly forwarding: Forwarding;
  /** A class the caller asks for (it can only lower its tier's). */
  readonly priority?: string | undefined;
  readonly maxWaitMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The caller accepts a cheaper model when the primary runs low on headroom. */
  readonly downgrade?: boolean | undefined;
  /** The caller's `Cache-Control` for the response cache. */
  readonly cacheDirective?: CacheDirective | undefined;
  /** The caller's `Idempotency-Key`: run at most once per tenant and key; may be sent again after a network error. */
  readonly idempotencyKey?: string | undefined;
  /** The cost to reserve, when the caller knows it (`schedule`); otherwise the adapter estimates it. */
  readonly cost?: Cost | undefined;
}

/** What a transport returns for one attempt; the answer's relay reads the body. */
export interface UpstreamReply {
  readonly status: number;
  readonly headers: HeaderLookup;
  /** Reads (at most `maxBytes` of) the body as text; used for error bodies only. */
  text(maxBytes: number): Promise<string>;
  /** Releases the body unread. */
  discard(): void;
  /** Stops the attempt mid-body (the caller went away, a drain deadline). */
  abort(): void;
}

export interface Transport<R extends UpstreamReply> {
  /**
   * Sends one attempt; throws on a network-level failure (retried by the
   * policy), or an `AttemptError` to say whether trying again may help.
   */
  send(target: UpstreamTarget, signal: AbortSignal | undefined): Promise<R>;
}

/**
 * An attempt failed without an HTTP answer, and the transport knows whether
 * another attempt may help: a caller's own function that threw (`schedule`)
 * must not be run again just because it failed.
 */
export class AttemptError extends Error {
  readonly code = 'attempt_failed';
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'AttemptError';
    this.retryable = options.retryable;
  }
}

/** What every outcome knows about the call once planned (undefined fields: it never got that far). */
interface OutcomeBase {
  readonly tenant: Tenant | undefined;
  readonly priority: string | undefined;
  /** The tenant's budget as the last admission left it (undefined when no bucket was read). */
  readonly budget: TenantBudget | undefined;
  readonly attempts: number;
  /** How long the call waited for admission, in total. */
  readonly waitedMs: number;
}

export interface SuccessOutcome<R extends UpstreamReply> extends OutcomeBase {
  readonly kind: 'success';
  readonly reply: R;
  readonly target: UpstreamTarget;
  /** Settle with the usage the body reports (exactly once; later calls are no-ops). */
  readonly settlement: Settlement;
  readonly group: string;
  readonly tenant: Tenant;
}

export interface UpstreamErrorOutcome<R extends UpstreamReply> extends OutcomeBase {
  readonly kind: 'upstream_error';
  readonly reply: R | undefined;
  readonly error: ProviderError;
  /** The upstream error body as received (relayed to the caller). */
  readonly bodyText: string;
  readonly target: UpstreamTarget;
  /** What the transport threw, when the attempt got no answer. */
  readonly cause?: unknown;
  /** The attempt got no answer after it may have reached the provider: it was not sent again. */
  readonly unconfirmed?: boolean;
}

export interface RefusedOutcome extends OutcomeBase {
  readonly kind: 'refused';
  readonly refusal: Refusal;
}

export type Outcome<R extends UpstreamReply> = SuccessOutcome<R> | UpstreamErrorOutcome<R> | RefusedOutcome;

/** Whether a call streams: `stream: true` in the body, or Gemini's streaming endpoint (named by its path). */
export function streams(body: Record<string, unknown> | undefined, endpoint: Endpoint): boolean {
  return body?.stream === true || endpoint === 'stream_generate_content';
}
