/**
 * What the drain runner asks of the face that runs a line (the gateway's
 * `runLine`, gateway/lane/line-exchange.ts) and what comes back: the line as
 * a call of its tenant, and the answer read whole.
 */
import type { ApiFamily } from '../../providers/api-family.js';
import type { RefusalCode } from '../../runtime/refusal.js';

export interface LineRequest {
  /** The API the batch came in by: the line is a call in that API, and answered in it. */
  readonly family: ApiFamily;
  /** The endpoint path the line calls, e.g. `/v1/chat/completions`. */
  readonly url: string;
  readonly body: Record<string, unknown>;
  readonly tenant: string;
  /** The class the call asks for: `background`, or undefined for the tenant's own (a promoted line). */
  readonly priority: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface LineAnswer {
  readonly status: number;
  readonly requestId: string;
  /** The answer's body (parsed JSON, or the text when it is not JSON). */
  readonly body: unknown;
  /** Sluice's own refusal, when it answered instead of a provider. */
  readonly refusal?: RefusalCode | undefined;
  readonly retryAfterMs?: number | undefined;
  /**
   * Whether this is the line's answer for good. False: running it again may
   * answer otherwise (no capacity yet, an overload, a cut stream), so the
   * line is given back and runs again later.
   */
  readonly final: boolean;
  /** Why the line has no HTTP answer worth keeping (a cut stream, an URL no route serves). */
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** Tokens the provider said the call used. */
  readonly tokens?: number | undefined;
}

export type RunLine = (request: LineRequest) => Promise<LineAnswer>;
