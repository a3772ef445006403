/**
 * The client every target shares: the official `openai` SDK with its
 * defaults (2 retries, its own backoff), sending one chat completion per
 * planned request. A counting `fetch` under the SDK records each HTTP
 * attempt on the request's record, found through AsyncLocalStorage so that
 * concurrent requests never mix.
 *
 * `openai` is loaded on demand: it is a peer the bench drives, not a
 * dependency of the package.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type OpenAI from 'openai';
import { promptText } from '../prompt.js';
import { questionText } from '../question-text.js';
import type { RequestRecord } from '../record.js';
import { messageSizes, type PlannedRequest } from '../workload.js';
import { TargetUnavailableError } from './target.js';

type OpenAIModule = typeof import('openai');

/** The request being sent, for fetch wrappers and observers deep in the call. */
export const currentRecord = new AsyncLocalStorage<RequestRecord>();

let sdk: OpenAIModule | undefined;

export async function loadOpenAI(): Promise<OpenAIModule> {
  if (sdk) return sdk;
  try {
    sdk = await import('openai');
    return sdk;
  } catch (error) {
    throw new TargetUnavailableError('the `openai` package is not installed (npm install openai)', {
      cause: error,
    });
  }
}

/** Per-attempt timeout the SDK applies; long enough for any queue the scenarios build. */
export const ATTEMPT_TIMEOUT_MS = 90_000;

export interface SdkClientOptions {
  readonly baseURL: string;
  readonly apiKey: string;
  /** The fetch the SDK uses (e.g. `governor.fetch`); default the global one. */
  readonly fetch?: typeof fetch;
  readonly defaultHeaders?: Record<string, string>;
  /**
   * SDK retries; default the SDK's (2). Targets that retry themselves (Sluice,
   * a gateway with a retry setting) get 0, so there is one retry layer: the
   * SDK would otherwise re-queue what Sluice refused at its deadline.
   */
  readonly maxRetries?: number;
  /** Reads each attempt's response headers (queue wait, a gateway's retry count). */
  readonly onResponse?: (headers: Headers, record: RequestRecord) => void;
}

export async function sdkClient(options: SdkClientOptions): Promise<OpenAI> {
  const { default: OpenAIClient } = await loadOpenAI();
  const inner = options.fetch ?? globalThis.fetch.bind(globalThis);
  const counting = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const record = currentRecord.getStore();
    if (record) record.attempts++;
    const response = await inner(input, init);
    if (record) options.onResponse?.(response.headers, record);
    return response;
  };
  return new OpenAIClient({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    fetch: counting as typeof fetch,
    defaultHeaders: options.defaultHeaders,
    timeout: ATTEMPT_TIMEOUT_MS,
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
}

/** Headers that carry the plan to Sluice (tenant, class, wait); other targets ignore them. */
export function planHeaders(record: RequestRecord): Record<string, string> {
  const plan = record.plan;
  const headers: Record<string, string> = {
    'x-sluice-tenant': plan.tenant,
    'x-sluice-priority': plan.priority,
  };
  if (plan.maxWaitMs !== undefined) headers['x-sluice-max-wait-ms'] = String(Math.round(plan.maxWaitMs));
  return headers;
}

/** Sends the planned request with `client` and records how it ended. Never rejects. */
export async function callSdk(
  client: OpenAI,
  record: RequestRecord,
  options: { model: string; signal: AbortSignal; now: () => number; headers?: Record<string, string> },
): Promise<void> {
  const { APIError, APIUserAbortError, APIConnectionTimeoutError, APIConnectionError } = await loadOpenAI();
  const plan = record.plan;
  const headers = { ...planHeaders(record), ...options.headers };
  const sizes = messageSizes(plan);
  const messages = [
    { role: 'system' as const, content: promptText(sizes.system) },
    {
      role: 'user' as const,
      content: plan.question ? questionText(plan.question, sizes.user) : promptText(sizes.user),
    },
  ];
  await currentRecord.run(record, async () => {
    try {
      if (plan.stream) {
        const stream = await client.chat.completions.create(
          {
            model: options.model,
            messages,
            ...maxTokensOf(plan),
            stream: true,
            stream_options: { include_usage: true },
          },
          { headers, signal: options.signal },
        );
        let text = '';
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta?.content ?? '';
          if (chunk.usage) {
            record.inputTokens = chunk.usage.prompt_tokens;
            record.outputTokens = chunk.usage.completion_tokens;
          }
        }
        if (plan.question) record.answerText = text;
      } else {
        const completion = await client.chat.completions.create(
          { model: options.model, messages, ...maxTokensOf(plan) },
          { headers, signal: options.signal },
        );
        record.inputTokens = completion.usage?.prompt_tokens ?? 0;
        record.outputTokens = completion.usage?.completion_tokens ?? 0;
        if (plan.question) record.answerText = completion.choices[0]?.message.content ?? '';
      }
      record.outcome = 'served';
      record.status = 200;
    } catch (error) {
      if (error instanceof APIUserAbortError || options.signal.aborted) {
        record.outcome = 'failed';
        record.reason = 'unanswered';
      } else if (error instanceof APIConnectionTimeoutError) {
        record.outcome = 'failed';
        record.reason = 'timeout';
      } else if (error instanceof APIConnectionError) {
        record.outcome = 'failed';
        record.reason = 'network';
      } else if (error instanceof APIError && error.status !== undefined) {
        record.outcome = 'refused';
        record.status = error.status;
        record.reason = typeof error.code === 'string' ? error.code : (error.type ?? undefined);
      } else {
        record.outcome = 'failed';
        record.reason = (error as Error).message?.slice(0, 80) ?? 'error';
      }
    } finally {
      record.endedAt = options.now();
    }
  });
}

/** The request's `max_tokens`, or nothing when the scenario sends none. */
function maxTokensOf(plan: PlannedRequest): { max_tokens?: number } {
  return plan.maxTokens === undefined ? {} : { max_tokens: plan.maxTokens };
}
