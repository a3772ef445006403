/**
 * OpenAI's headers and error bodies (PROVIDERS.md §1.1, §1.3, §1.6, §8.1–8.6).
 */
import type { FaultKind, FaultSpec } from '../../config.js';
import type { CallIds, Headers, Reply } from '../../flavour.js';
import type { BucketView, LimitDimension } from '../../limits/bucket.js';
import type { Refusal, RefusedDimension } from '../../limits/scope.js';
import { goDuration, retryAfterSeconds } from '../../wire-time.js';

const RATE_LIMITS_URL = 'Visit https://platform.openai.com/account/rate-limits to learn more.';

export function openaiError(
  status: number,
  error: { message: string; type: string; param?: string | null; code?: string | null },
  headers: Headers,
): Reply {
  const body = {
    error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null },
  };
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Headers on every answer: ids, then the two buckets OpenAI reports. */
export function openaiHeaders(views: readonly BucketView[], organization: string, ids: CallIds): Headers {
  const headers: Headers = {
    'content-type': 'application/json',
    'openai-organization': organization,
    'openai-processing-ms': '0',
    'openai-version': '2020-10-01',
    'x-request-id': ids.requestId,
  };
  // `x-ratelimit-*-requests` is the per-minute bucket, or the per-day one when only that exists (§1.3).
  const requests = pick(views, 'rpm', 'rpd');
  const tokens = pick(views, 'tpm', 'tpd');
  if (requests) headers['x-ratelimit-limit-requests'] = String(requests.limit);
  if (tokens) headers['x-ratelimit-limit-tokens'] = String(tokens.limit);
  if (requests) headers['x-ratelimit-remaining-requests'] = String(requests.remaining);
  if (tokens) headers['x-ratelimit-remaining-tokens'] = String(tokens.remaining);
  if (requests) headers['x-ratelimit-reset-requests'] = goDuration(requests.resetMs);
  if (tokens) headers['x-ratelimit-reset-tokens'] = goDuration(tokens.resetMs);
  return headers;
}

function pick(
  views: readonly BucketView[],
  first: LimitDimension,
  second: LimitDimension,
): BucketView | undefined {
  return views.find((v) => v.dimension === first) ?? views.find((v) => v.dimension === second);
}

const AXIS: Record<RefusedDimension, { words: string; type: 'requests' | 'tokens' }> = {
  rpm: { words: 'requests per min (RPM)', type: 'requests' },
  rpd: { words: 'requests per day (RPD)', type: 'requests' },
  tpm: { words: 'tokens per min (TPM)', type: 'tokens' },
  tpd: { words: 'tokens per day (TPD)', type: 'tokens' },
  itpm: { words: 'input tokens per min (ITPM)', type: 'tokens' },
  otpm: { words: 'output tokens per min (OTPM)', type: 'tokens' },
  concurrency: { words: 'concurrent requests', type: 'requests' },
};

/** The 429 of a refused call: "Rate limit reached …" or, when it can never fit, "Request too large …" (§1.6). */
export function openaiRateLimited(
  refusal: Refusal,
  model: string,
  organization: string,
  headers: Headers,
): Reply {
  const axis = AXIS[refusal.dimension];
  const where = `for ${model} in organization ${organization} on ${axis.words}`;
  if (!Number.isFinite(refusal.waitMs)) {
    return openaiError(
      429,
      {
        message: `Request too large ${where}: Limit ${refusal.limit}, Requested ${refusal.requested}. The input or output tokens must be reduced in order to run successfully. ${RATE_LIMITS_URL}`,
        type: axis.type,
        code: 'rate_limit_exceeded',
      },
      headers,
    );
  }
  const message =
    refusal.dimension === 'concurrency'
      ? `Rate limit reached ${where}: Limit ${refusal.limit}. Please try again later. ${RATE_LIMITS_URL}`
      : `Rate limit reached ${where}: Limit ${refusal.limit}, Used ${Math.ceil(refusal.used)}, Requested ${refusal.requested}. Please try again in ${goDuration(Math.max(1, refusal.waitMs))}. ${RATE_LIMITS_URL}`;
  return openaiError(
    429,
    { message, type: axis.type, code: 'rate_limit_exceeded' },
    { ...headers, 'retry-after': String(retryAfterSeconds(refusal.waitMs)) },
  );
}

export function openaiFault(
  kind: FaultKind,
  spec: FaultSpec,
  model: string,
  organization: string,
  headers: Headers,
): Reply {
  switch (kind) {
    case '500':
      return openaiError(
        500,
        {
          message: `The server had an error processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if you keep seeing this error. (Please include the request ID ${headers['x-request-id']} in your email.)`,
          type: 'server_error',
        },
        headers,
      );
    case '502':
      return openaiError(502, { message: 'Bad gateway.', type: 'server_error' }, headers);
    case 'rate_limited': {
      const seconds = spec.retry_after_s ?? 1;
      return openaiError(
        429,
        {
          message: `Rate limit reached for ${model} in organization ${organization} on requests per min (RPM). Please try again in ${goDuration(seconds * 1000)}. ${RATE_LIMITS_URL}`,
          type: 'requests',
          code: 'rate_limit_exceeded',
        },
        { ...headers, 'retry-after': String(Math.ceil(seconds)) },
      );
    }
    case 'insufficient_quota':
      return openaiError(
        429,
        {
          message:
            'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
        spec.should_retry_header ? { ...headers, 'x-should-retry': 'false' } : headers,
      );
    case 'credit_balance_too_low':
      // Prepaid credits used up (§1.6): the same type as insufficient_quota, its own code.
      return openaiError(
        429,
        {
          message:
            'You have no credits remaining. Add credits to continue using the API at https://platform.openai.com/settings/organization/billing/.',
          type: 'insufficient_quota',
          code: 'credit_balance_exhausted',
        },
        spec.should_retry_header ? { ...headers, 'x-should-retry': 'false' } : headers,
      );
    case 'slow_down': {
      // Traffic grew too fast inside the limits (§1.6, "2026 changes"). The message
      // text is not documented (§9 question 7): this one only says what the code means.
      const seconds = spec.retry_after_s ?? 1;
      return openaiError(
        429,
        {
          message:
            'Your traffic increased too quickly. Please reduce your request rate, keep it steady, and increase it gradually.',
          type: 'rate_limit_error',
          code: 'slow_down',
        },
        { ...headers, 'retry-after': String(Math.ceil(seconds)) },
      );
    }
    default:
      // 503, 529 and `overloaded` (OpenAI has no 529; the status is kept as asked).
      return openaiError(
        kind === '529' ? 529 : 503,
        {
          message: 'Our servers are currently overloaded. Please try again later.',
          type: 'service_unavailable_error',
          code: 'server_is_overloaded',
        },
        headers,
      );
  }
}

export function openaiAuthError(missing: boolean, key: string, headers: Headers): Reply {
  if (missing) {
    return openaiError(
      401,
      {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: 'invalid_request_error',
      },
      headers,
    );
  }
  const masked = key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : '*****';
  return openaiError(
    401,
    {
      message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    },
    headers,
  );
}

export function openaiInvalid(
  message: string,
  headers: Headers,
  param: string | null = null,
  code: string | null = null,
): Reply {
  return openaiError(400, { message, type: 'invalid_request_error', param, code }, headers);
}

export function openaiInvalidJson(headers: Headers): Reply {
  return openaiInvalid(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    headers,
  );
}

/**
 * OpenAI's 400 for a numeric parameter of the wrong type or below 1
 * (`max_tokens`, `max_completion_tokens`, `n`), as its API words it;
 * undefined when the parameter is absent, null or valid.
 */
export function openaiBadCount(
  body: Record<string, unknown>,
  name: string,
  headers: Headers,
): Reply | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    const got =
      typeof value === 'number' ? 'a decimal' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return openaiInvalid(
      `Invalid type for '${name}': expected an integer, but got ${got} instead.`,
      headers,
      name,
      'invalid_type',
    );
  }
  if (value < 1) {
    return openaiInvalid(
      `Invalid '${name}': integer below minimum value. Expected a value >= 1, but got ${value} instead.`,
      headers,
      name,
      'integer_below_min_value',
    );
  }
  return undefined;
}

/** Longest part of a rejected value quoted back: the API does not echo megabytes. */
const SHOWN_CHARS = 64;

function quoted(values: readonly string[], last: 'and' | 'or'): string {
  const q = values.map((v) => `'${v}'`);
  return q.length < 2 ? q.join('') : `${q.slice(0, -1).join(', ')}, ${last} ${q.at(-1)}`;
}

/** OpenAI's 400 for a value outside an enum, e.g. `messages[0].role`. */
export function openaiInvalidValue(
  value: string,
  supported: readonly string[],
  param: string,
  headers: Headers,
): Reply {
  const shown = value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}...` : value;
  const list = supported.length > 0 ? ` Supported values are: ${quoted(supported, 'and')}.` : '';
  return openaiInvalid(`Invalid value: '${shown}'.${list}`, headers, param, 'invalid_value');
}

/** OpenAI's upper bound for a text parameter (`messages[].content`, `input`, `instructions`): 10 MiB of characters. */
export const MAX_STRING_CHARS = 10_485_760;

/** OpenAI's 400 for a string parameter over its maximum length. */
export function openaiStringTooLong(param: string, max: number, length: number, headers: Headers): Reply {
  return openaiInvalid(
    `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${length} instead.`,
    headers,
    param,
    'string_above_max_length',
  );
}

/** How the API names the JSON type of a value in "Invalid type" messages. */
function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** OpenAI's 400 for a parameter of the wrong JSON type (`expected a string, but got an integer instead`). */
export function openaiWrongType(param: string, expected: string, value: unknown, headers: Headers): Reply {
  return openaiInvalid(
    `Invalid type for '${param}': expected ${expected}, but got ${jsonTypeName(value)} instead.`,
    headers,
    param,
    'invalid_type',
  );
}
