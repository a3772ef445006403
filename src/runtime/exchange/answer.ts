/**
 * The one place where the end of a call becomes what a client sees: status,
 * headers and body, in the caller's own API format. Every face (the
 * gateway's `node:http`, `governor.fetch`'s web `Response`) writes an
 * `Answer` as given and adds nothing but transport framing, so the same
 * case gives the same answer whichever way it came in.
 *
 * - A success: the upstream's status and the family's relayed headers; the
 *   body comes through the `Relay`.
 * - An upstream error the governor could not retry away: relayed as
 *   received, or a 502 when the caller cannot act on it (unreachable, or the
 *   provider refused the deployment's own key).
 * - A refusal: `REFUSALS` (runtime/refusal.ts) gives status and kind; the
 *   family's envelope carries the message.
 *
 * Always: `x-sluice-request-id`, the tenant's budget as `x-ratelimit-*` when
 * known, `Retry-After` on every "not now", and `x-should-retry: false` when
 * no client retry can help or the wait is longer than a client should sleep.
 */
import type { Usage } from '../../core/cost.js';
import type { ProviderError, RefusalKind } from '../../providers/adapter.js';
import { API_FAMILIES, type ApiFamily, type ApiFamilyTable } from '../../providers/api-family.js';
import { StoreUnavailableError } from '../../stores/store.js';
import type { Crossing } from '../crossing.js';
import { REFUSALS, type Refusal, type RefusalCode, refusal } from '../refusal.js';
import type { TenantBudget } from '../tenant-budget.js';
import type { AnswerCapture } from './answer-keeper.js';
import { pushBudgetHeaders } from './budget-headers.js';
import type { Call, Outcome, SuccessOutcome, UpstreamErrorOutcome, UpstreamReply } from './call.js';
import { Relay } from './relay.js';

export interface AnswerOptions {
  /** The API the caller speaks: the envelope and request-id header of its SDK. */
  readonly family: ApiFamily;
  readonly requestId: string;
  /**
   * The longest `Retry-After` a client is left to sleep on its own (the
   * `openai` SDK no longer caps long waits, `@anthropic-ai/sdk` never did):
   * a longer one comes with `x-should-retry: false`.
   */
  readonly maxClientWaitMs: number;
  /** Whether answers name the deployment that served them (`x-sluice-deployment`). */
  readonly deploymentHeader: boolean;
}

/** What the request log line and the metrics need to know about an answer. */
export interface AnswerReport {
  readonly refusal: RefusalCode | undefined;
  /** The upstream error kind, when the answer is (or stands for) an upstream error. */
  readonly upstreamError: string | undefined;
  /** The operator's detail (an upstream address, an internal error): never in the answer itself. */
  readonly detail: string | undefined;
  /** When to come back, as the refusal or the upstream error said (what `retry-after` was written from). */
  readonly retryAfterMs?: number | undefined;
  readonly deployment: string | undefined;
  readonly priority: string | undefined;
  readonly waitedMs: number | undefined;
  readonly attempts: number;
  /** What an answer read whole before it was sent (a translated one) was settled with. */
  readonly usage?: Usage | undefined;
}

export interface Answer {
  readonly status: number;
  /** A flat `[name, value, …]` list (what `node:http` takes as is); no content-length. */
  readonly headers: string[];
  /** A complete body; undefined when the relay carries it. */
  readonly body: string | undefined;
  /** A success's body, coming from upstream. */
  readonly relay: Relay | undefined;
  /** The upstream's length of a body relayed byte for byte (a face that sends the raw bytes may use it). */
  readonly contentLength: string | undefined;
  readonly report: AnswerReport;
}

/** What an outcome knew about the call, for the report. */
interface Known {
  readonly budget?: TenantBudget | undefined;
  readonly priority?: string | undefined;
  readonly waitedMs?: number | undefined;
  readonly attempts?: number | undefined;
  readonly deployment?: string | undefined;
  readonly upstreamError?: string | undefined;
  readonly usage?: Usage | undefined;
}

/** The answer to a refusal, in the caller's format. */
export function refusalAnswer(why: Refusal, options: AnswerOptions, known: Known = {}): Answer {
  const rule = REFUSALS[why.code];
  const family = API_FAMILIES[options.family];
  const headers: string[] = [
    'x-sluice-request-id',
    options.requestId,
    family.requestIdHeader,
    options.requestId,
    'x-sluice-refusal',
    why.code,
  ];
  const wait = why.retryAfterMs;
  const notNow = rule.status === 429 || rule.status === 503;
  if (wait !== undefined && Number.isFinite(wait)) {
    headers.push('retry-after', String(Math.max(1, Math.ceil(wait / 1000))));
    headers.push('retry-after-ms', String(Math.max(1, Math.ceil(wait))));
  } else if (notNow && !rule.final) {
    // Every "not now" says when to come back, even when nothing better is known.
    headers.push('retry-after', '1');
  }
  if (rule.final || (wait !== undefined && wait > options.maxClientWaitMs))
    headers.push('x-should-retry', 'false');
  pushBudgetHeaders(headers, known.budget);
  if (options.deploymentHeader && known.deployment !== undefined)
    headers.push('x-sluice-deployment', known.deployment);
  headers.push('content-type', 'application/json');
  return {
    status: rule.status,
    headers,
    body: JSON.stringify(family.errorPayload(rule.kind, why.message, rule.status).body),
    relay: undefined,
    contentLength: undefined,
    report: {
      refusal: why.code,
      upstreamError: known.upstreamError,
      detail: why.detail,
      retryAfterMs: why.retryAfterMs,
      deployment: known.deployment,
      priority: known.priority,
      waitedMs: known.waitedMs,
      attempts: known.attempts ?? 0,
      usage: known.usage,
    },
  };
}

/** The answer to whatever the governor's `execute` came back with. */
export function answerOf<R extends UpstreamReply>(
  outcome: Outcome<R>,
  call: Call,
  options: AnswerOptions,
  /** Where the response cache keeps a success's answer (undefined: not cached). */
  capture?: AnswerCapture,
): Answer {
  switch (outcome.kind) {
    case 'refused':
      return refusalAnswer(outcome.refusal, options, outcome);
    case 'upstream_error':
      return upstreamErrorAnswer(outcome, call, options);
    case 'success': {
      const { reply, target } = outcome;
      const crossing = target.crossing;
      const contentType = reply.headers.get('content-type');
      const streamed =
        call.stream || (typeof contentType === 'string' && contentType.includes('event-stream'));
      const headers = successHeaders(outcome, options, crossing ? crossedContentType(crossing) : undefined);
      const length = streamed || crossing ? undefined : reply.headers.get('content-length');
      return {
        status: reply.status,
        headers,
        body: undefined,
        relay: new Relay(outcome, streamed, capture),
        contentLength: typeof length === 'string' ? length : undefined,
        report: successReport(outcome),
      };
    }
  }
}

/**
 * A success's headers: the family's relayed upstream headers (none but
 * `contentType` when the answer is translated: the upstream's describe
 * another API), the tenant's budget, the deployment when asked.
 */
export function successHeaders<R extends UpstreamReply>(
  outcome: SuccessOutcome<R>,
  options: AnswerOptions,
  contentType?: string,
): string[] {
  const headers: string[] = ['x-sluice-request-id', options.requestId];
  if (contentType === undefined) {
    for (const name of API_FAMILIES[options.family].relayedHeaders) {
      const value = outcome.reply.headers.get(name);
      if (typeof value === 'string') headers.push(name, value);
    }
  } else {
    headers.push(
      API_FAMILIES[options.family].requestIdHeader,
      options.requestId,
      'content-type',
      contentType,
    );
  }
  pushBudgetHeaders(headers, outcome.budget);
  if (options.deploymentHeader) headers.push('x-sluice-deployment', outcome.target.deployment.id);
  return headers;
}

export function successReport<R extends UpstreamReply>(outcome: SuccessOutcome<R>): AnswerReport {
  return {
    refusal: undefined,
    upstreamError: undefined,
    detail: undefined,
    deployment: outcome.target.deployment.id,
    priority: outcome.priority,
    waitedMs: outcome.waitedMs,
    attempts: outcome.attempts,
  };
}

function crossedContentType(crossing: Crossing): string {
  return crossing.shape.stream && crossing.callerStream !== 'gemini-json'
    ? 'text/event-stream; charset=utf-8'
    : 'application/json; charset=utf-8';
}

/**
 * An upstream error relayed as received (status, body, `retry-after`) —
 * unless the caller cannot act on it: an unreachable upstream, or a
 * provider refusing the deployment's own key (a tenant's retry or new key
 * cannot fix that), become a 502 naming only the model group.
 */
function upstreamErrorAnswer<R extends UpstreamReply>(
  outcome: UpstreamErrorOutcome<R>,
  call: Call,
  options: AnswerOptions,
): Answer {
  const { reply, error, target } = outcome;
  const deployment = target.deployment;
  const known: Known = { ...outcome, deployment: deployment.id, upstreamError: error.kind };
  const group = call.model ?? '';
  if (!reply) {
    const why = outcome.unconfirmed
      ? refusal(
          'upstream_unconfirmed',
          `The upstream of model \`${group}\` stopped answering after the request was sent: it may have been processed, so it was not sent again. Repeat it with an Idempotency-Key header to retry it safely.`,
          { detail: error.message },
        )
      : refusal('upstream_unreachable', `The upstream of model \`${group}\` could not be reached.`, {
          detail: error.message,
        });
    return refusalAnswer(why, options, known);
  }
  if ((reply.status === 401 || reply.status === 403) && deployment.config.apiKey) {
    const why = refusal(
      'upstream_credentials',
      `The provider refused the credentials configured for model \`${group}\` (HTTP ${reply.status}); tell the operator.`,
      { detail: error.message },
    );
    return refusalAnswer(why, options, known);
  }
  const family = API_FAMILIES[options.family];
  const headers: string[] = ['x-sluice-request-id', options.requestId];
  // A translated call's error is written again in the caller's envelope: its SDK must raise its usual error.
  const body = target.crossing ? crossedErrorBody(family, error, reply.status) : outcome.bodyText;
  if (target.crossing) headers.push(family.requestIdHeader, options.requestId);
  for (const name of family.relayedErrorHeaders) {
    if (target.crossing && (name === 'content-type' || name === family.requestIdHeader)) continue;
    const value = reply.headers.get(name);
    if (typeof value === 'string') headers.push(name, value);
  }
  // Gemini says its wait in the body (`RetryInfo`): a caller of another API reads it from `retry-after`.
  if (target.crossing && error.retryAfterMs !== undefined && !reply.headers.get('retry-after')) {
    headers.push('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
    headers.push('retry-after-ms', String(Math.max(1, Math.ceil(error.retryAfterMs))));
  }
  if (shouldNotRetry(error, options)) headers.push('x-should-retry', 'false');
  if (target.crossing) headers.push('content-type', 'application/json');
  pushBudgetHeaders(headers, outcome.budget);
  if (options.deploymentHeader) headers.push('x-sluice-deployment', deployment.id);
  return {
    status: reply.status,
    headers,
    body,
    relay: undefined,
    contentLength: undefined,
    report: {
      refusal: undefined,
      upstreamError: error.kind,
      detail: error.message,
      retryAfterMs: error.retryAfterMs,
      deployment: deployment.id,
      priority: outcome.priority,
      waitedMs: outcome.waitedMs,
      attempts: outcome.attempts,
    },
  };
}

/**
 * The governor already retried as far as its policy and budget allow: a
 * client's own retries (two by default in the official SDKs) would only
 * multiply the attempts on an upstream that is failing. A client may come
 * back only when the provider named a wait it can sleep out (a 429 with a
 * short `retry-after`), and then through admission again.
 */
function shouldNotRetry(error: ProviderError, options: AnswerOptions): boolean {
  return !error.retryable || error.retryAfterMs === undefined || error.retryAfterMs > options.maxClientWaitMs;
}

/** The kind of envelope an upstream status is written in for another family's caller. */
function kindOfStatus(status: number): RefusalKind {
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 413) return 'request_too_large';
  if (status >= 400 && status < 500) return 'invalid_request';
  return 'api_error';
}

function crossedErrorBody(family: ApiFamilyTable, error: ProviderError, status: number): string {
  const message = error.message ?? `The upstream answered HTTP ${status}.`;
  return JSON.stringify(family.errorPayload(kindOfStatus(status), message, status).body);
}

/** An error thrown instead of an outcome: the store could not decide, or a bug. */
export function errorAnswer(error: unknown, options: AnswerOptions, known: Known = {}): Answer {
  if (error instanceof StoreUnavailableError) {
    const why = refusal('store_unavailable', 'Rate-limit state is unavailable; try again shortly.', {
      retryAfterMs: error.retryAfterMs,
      detail: error.message,
    });
    return refusalAnswer(why, options, known);
  }
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return refusalAnswer(
    refusal('internal_error', 'Sluice failed to handle this request.', { detail }),
    options,
    known,
  );
}
