/**
 * Gemini's error bodies: `google.rpc.Status` JSON with typed details
 * (PROVIDERS.md §4.2, §8.15). Gemini sends no rate-limit headers and no
 * `Retry-After`: the body's `RetryInfo` is the only hint.
 */
import type { FaultKind, FaultSpec } from '../../config.js';
import type { Reply } from '../../flavour.js';
import type { Refusal, RefusedDimension } from '../../limits/scope.js';
import { protoDuration } from '../../wire-time.js';

export const GEMINI_JSON = 'application/json; charset=UTF-8';

export function geminiError(code: number, status: string, message: string, details?: unknown[]): Reply {
  const error = details ? { code, message, status, details } : { code, message, status };
  return { status: code, headers: { 'content-type': GEMINI_JSON }, body: JSON.stringify({ error }) };
}

interface Quota {
  readonly metric: string;
  readonly id: string;
}

const PREFIX = 'generativelanguage.googleapis.com/';

/** Quota metric and id per dimension and tier, as in real 429 bodies (ids marked [INF] in the README are guesses). */
function quotaOf(dimension: Exclude<RefusedDimension, 'concurrency'>, tier: 'free' | 'paid'): Quota {
  const free = tier === 'free';
  switch (dimension) {
    case 'rpm':
      return free
        ? {
            metric: 'generate_content_free_tier_requests',
            id: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          }
        : { metric: 'generate_requests_per_model', id: 'GenerateRequestsPerMinutePerProjectPerModel' };
    case 'rpd':
      return free
        ? {
            metric: 'generate_content_free_tier_requests',
            id: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
          }
        : { metric: 'generate_requests_per_model_per_day', id: 'GenerateRequestsPerDayPerProjectPerModel' };
    case 'tpm':
    case 'itpm':
      return free
        ? {
            metric: 'generate_content_free_tier_input_token_count',
            id: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
          }
        : {
            metric: 'generate_content_paid_tier_input_token_count',
            id: 'GenerateContentPaidTierInputTokensPerModelPerMinute',
          };
    case 'tpd':
      return free
        ? {
            metric: 'generate_content_free_tier_input_token_count',
            id: 'GenerateContentInputTokensPerModelPerDay-FreeTier',
          }
        : {
            metric: 'generate_content_paid_tier_input_token_count',
            id: 'GenerateContentPaidTierInputTokensPerModelPerDay',
          };
    case 'otpm':
      return free
        ? {
            metric: 'generate_content_free_tier_output_token_count',
            id: 'GenerateContentOutputTokensPerModelPerMinute-FreeTier',
          }
        : {
            metric: 'generate_content_paid_tier_output_token_count',
            id: 'GenerateContentPaidTierOutputTokensPerModelPerMinute',
          };
  }
}

const HELP = {
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [
    {
      description: 'Learn more about Gemini API quotas',
      url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
    },
  ],
};

const QUOTA_TEXT =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. ';

function quotaExhausted(quota: Quota, limit: number, model: string, waitMs: number | undefined): Reply {
  const violation = {
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [
      {
        quotaMetric: PREFIX + quota.metric,
        quotaId: quota.id,
        quotaDimensions: { location: 'global', model },
        // int64 fields are strings in proto3 JSON.
        quotaValue: String(limit),
      },
    ],
  };
  let message = `${QUOTA_TEXT}\n* Quota exceeded for metric: ${PREFIX}${quota.metric}, limit: ${limit}, model: ${model}`;
  const details: unknown[] = [violation, HELP];
  if (waitMs !== undefined) {
    message += `\nPlease retry in ${protoDuration(waitMs)}.`;
    // Details carry whole seconds (truncated) while the message keeps the fraction, as in captures.
    details.push({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: `${Math.floor(waitMs / 1000)}s`,
    });
  }
  return geminiError(429, 'RESOURCE_EXHAUSTED', message, details);
}

const BARE_429 = 'Resource has been exhausted (e.g. check quota).';

export function geminiRateLimited(refusal: Refusal, model: string, tier: 'free' | 'paid'): Reply {
  if (refusal.dimension === 'concurrency') return geminiError(429, 'RESOURCE_EXHAUSTED', BARE_429);
  const wait = Number.isFinite(refusal.waitMs) ? refusal.waitMs : undefined;
  return quotaExhausted(quotaOf(refusal.dimension, tier), refusal.limit, model, wait);
}

export function geminiFault(kind: FaultKind, _spec: FaultSpec, model: string, tier: 'free' | 'paid'): Reply {
  switch (kind) {
    case '500':
      return geminiError(
        500,
        'INTERNAL',
        'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
      );
    case '502':
      return geminiError(502, 'UNAVAILABLE', 'Bad Gateway');
    case 'rate_limited':
    case 'slow_down':
      return geminiError(429, 'RESOURCE_EXHAUSTED', BARE_429);
    case 'insufficient_quota':
    case 'credit_balance_too_low':
      // No quota at all ("limit: 0"), a per-day quota: not worth retrying (§4.2).
      return quotaExhausted(quotaOf('rpd', tier), 0, model, undefined);
    default:
      return geminiError(
        kind === '529' ? 529 : 503,
        'UNAVAILABLE',
        'The model is overloaded. Please try again later.',
      );
  }
}

export function geminiAuthError(missing: boolean): Reply {
  if (missing) {
    return geminiError(
      403,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  return geminiError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
  ]);
}

export function geminiInvalid(message: string): Reply {
  return geminiError(400, 'INVALID_ARGUMENT', message);
}

export const GEMINI_STREAM_ERROR = JSON.stringify({
  error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
});
