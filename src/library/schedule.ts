/**
 * `governor.schedule(meta, fn)`: any call — an SDK method, a custom client —
 * run through the same lifecycle as `governor.fetch` and the gateway. The
 * governor admits it (queued by priority and tenant, charged on the group's
 * deployment, pool and tenant buckets), picks the deployment, and then runs
 * `fn` as the transport's one attempt, keeping the lease alive while it runs
 * and emitting the same events. Refusals throw `GovernorRefusalError` with
 * the code and status every face uses.
 *
 * What `fn` throws decides what happens next: an error carrying an HTTP
 * `status` (the official SDKs' `APIError`) is an upstream answer, classified
 * by the deployment's adapter like any other (a 429 pauses the bucket and
 * may be retried on another deployment); anything else is final — `fn` is
 * the caller's code and is not run again because it failed.
 */
import { randomUUID } from 'node:crypto';
import { costOf, type Usage } from '../core/cost.js';
import type { HeaderLookup } from '../providers/adapter.js';
import type { DeploymentConfig } from '../runtime/deployment.js';
import { AttemptError, type Call, type Transport, type UpstreamReply } from '../runtime/exchange/call.js';
import type { Governor } from '../runtime/governor.js';
import { REFUSALS, type Refusal, type RefusalCode } from '../runtime/refusal.js';
import { DEFAULT_TENANT } from '../runtime/tenants.js';

export interface ScheduleMeta {
  /** Model group to charge and route within. */
  model: string;
  /** Expected input tokens and the most output tokens the call may produce. */
  inputTokens: number;
  maxOutputTokens: number;
  tenant?: string;
  priority?: string;
  maxWaitMs?: number;
  signal?: AbortSignal;
}

export interface ScheduleContext {
  /** The deployment chosen for this call (URL, key, model to use). */
  readonly deployment: DeploymentConfig;
  readonly signal: AbortSignal | undefined;
}

/** Thrown by `schedule` when the call is refused; `code`, `status` and `retryAfterMs` say why and when. */
export class GovernorRefusalError extends Error {
  readonly code: RefusalCode;
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  /** False when no retry can help (the same rule as `x-should-retry: false`). */
  readonly shouldRetry: boolean;
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
    this.name = 'GovernorRefusalError';
    this.code = refusal.code;
    this.status = REFUSALS[refusal.code].status;
    this.retryAfterMs = refusal.retryAfterMs;
    this.shouldRetry = !REFUSALS[refusal.code].final;
  }
}

interface ScheduledReply<T> extends UpstreamReply {
  readonly value: T | undefined;
  /** The error `fn` threw with an HTTP status (the official SDKs' `APIError`). */
  readonly thrown: unknown;
}

const NO_HEADERS: HeaderLookup = Object.freeze({ get: () => undefined });

export async function schedule<T>(
  governor: Governor,
  defaults: { tenant?: string | undefined; priority?: string | undefined },
  meta: ScheduleMeta,
  fn: (ctx: ScheduleContext) => Promise<T>,
  usageOf?: (result: T) => Usage | undefined,
): Promise<T> {
  const group = governor.groups.group(meta.model);
  const call: Call = {
    id: randomUUID(),
    family: group ? ([...group.families][0] ?? 'openai') : 'openai',
    endpoint: 'scheduled',
    method: 'POST',
    path: '',
    body: undefined,
    rawBody: undefined,
    stream: false,
    model: meta.model,
    tenant: meta.tenant ?? defaults.tenant ?? DEFAULT_TENANT,
    forwardHeaders: {},
    forwarding: 'allow-list',
    priority: meta.priority ?? defaults.priority,
    maxWaitMs: meta.maxWaitMs,
    signal: meta.signal,
    cost: costOf(meta.inputTokens, meta.maxOutputTokens),
  };
  const transport: Transport<ScheduledReply<T>> = {
    async send(target, signal) {
      try {
        const value = await fn({ deployment: target.deployment.config, signal });
        return reply<T>(200, NO_HEADERS, value, undefined);
      } catch (error) {
        const status = httpStatusOf(error);
        if (status === undefined)
          throw new AttemptError(messageOf(error), { retryable: false, cause: error });
        return reply<T>(status, headersOf(error), undefined, error);
      }
    },
  };
  const outcome = await governor.execute(call, transport);
  switch (outcome.kind) {
    case 'refused':
      throw new GovernorRefusalError(outcome.refusal);
    case 'upstream_error':
      // The caller's own error, as `fn` threw it: the AttemptError that told the governor not to retry only carries it.
      throw (
        outcome.reply?.thrown ??
        (outcome.cause instanceof AttemptError ? outcome.cause.cause : outcome.cause) ??
        new Error(outcome.error.message ?? 'the call failed')
      );
    case 'success': {
      const value = outcome.reply.value as T;
      let usage: Usage | undefined;
      try {
        usage = usageOf?.(value);
      } finally {
        // The caller's own answer: its usage when `usageOf` read one, else the estimate is all that is known.
        await outcome.settlement.settle(usage, {
          delivered: usage ?? outcome.settlement.admitted.reservation.cost,
        });
      }
      return value;
    }
  }
}

function reply<T>(
  status: number,
  headers: HeaderLookup,
  value: T | undefined,
  thrown: unknown,
): ScheduledReply<T> {
  return {
    status,
    headers,
    value,
    thrown,
    // The adapter classifies an error by its body: the SDKs keep it as `error.error`.
    text: async (maxBytes) => bodyTextOf(thrown).slice(0, maxBytes),
    discard: () => undefined,
    abort: () => undefined,
  };
}

function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

function headersOf(error: unknown): HeaderLookup {
  const headers = (error as { headers?: unknown } | null)?.headers;
  if (headers instanceof Headers) return headers;
  if (headers !== null && typeof headers === 'object') {
    const record = headers as Record<string, unknown>;
    return { get: (name) => (typeof record[name] === 'string' ? (record[name] as string) : undefined) };
  }
  return NO_HEADERS;
}

function bodyTextOf(error: unknown): string {
  const body = (error as { error?: unknown } | null)?.error;
  if (body === undefined) return '';
  try {
    return JSON.stringify(
      typeof body === 'object' && body !== null && !('error' in body) ? { error: body } : body,
    );
  } catch {
    return '';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
