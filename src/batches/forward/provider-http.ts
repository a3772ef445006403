/**
 * The one place a forwarded batch talks HTTP: a request to a target, its
 * answer read whole. Statuses are not judged here; each provider client
 * reads its own error bodies.
 */
import type { ForwardTarget } from './forward-target.js';

export type FetchLike = typeof fetch;

export interface ProviderAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

export interface ProviderRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly json?: unknown;
  readonly form?: FormData;
}

/** A bound on one request: a hung provider must not hold a submission past `submitTimeoutMs`. */
const REQUEST_TIMEOUT_MS = 60_000;

export async function send(
  fetchFn: FetchLike,
  target: ForwardTarget,
  request: ProviderRequest,
): Promise<ProviderAnswer> {
  const headers: Record<string, string> = { ...target.headers };
  let body: string | FormData | undefined;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(request.json);
  } else if (request.form) {
    // fetch writes the multipart boundary into content-type itself.
    delete headers['content-type'];
    body = request.form;
  }
  const response = await fetchFn(target.url(request.path), {
    method: request.method,
    headers,
    ...(body !== undefined && { body }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** A provider answer that is not a success, as the clients report it. */
export class ProviderBatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** Worth trying again later (429, 5xx, network); otherwise the batch cannot be sent as is. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderBatchError';
  }
}

export function errorOf(answer: ProviderAnswer): ProviderBatchError {
  const body = parseJson(answer.text);
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const code =
    typeof error?.code === 'string'
      ? error.code
      : typeof error?.type === 'string'
        ? error.type
        : 'provider_error';
  const message = typeof error?.message === 'string' ? error.message : `provider answered ${answer.status}`;
  const retryable =
    answer.status === 408 || answer.status === 409 || answer.status === 429 || answer.status >= 500;
  return new ProviderBatchError(code, message, answer.status, retryable);
}

/** Calls `send`, turning a network failure into a retryable error. */
export async function sendOk(
  fetchFn: FetchLike,
  target: ForwardTarget,
  request: ProviderRequest,
): Promise<ProviderAnswer> {
  let answer: ProviderAnswer;
  try {
    answer = await send(fetchFn, target, request);
  } catch (cause) {
    throw new ProviderBatchError('network', `${request.method} ${request.path} failed`, 0, true, { cause });
  }
  if (answer.status < 200 || answer.status > 299) throw errorOf(answer);
  return answer;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSONL text as its records (blank and unreadable lines skipped). */
export function jsonlRecords(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const row of text.split('\n')) {
    if (row.trim() === '') continue;
    const value = parseJson(row);
    if (isRecord(value)) out.push(value);
  }
  return out;
}
