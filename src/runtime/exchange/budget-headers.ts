/**
 * The tenant's own budget, twice over:
 * - as OpenAI's rate-limit headers (PROVIDERS.md §1.1):
 *   `x-ratelimit-limit-requests`, `-remaining-requests`, `-reset-requests`
 *   and the same for tokens, with resets as Go-style durations (§1.2), which
 *   the SDKs and most clients already read;
 * - as the IETF draft's structured fields (draft-ietf-httpapi-ratelimit-
 *   headers-10): `RateLimit-Policy: "requests";q=600;w=60, "tokens";q=90000;w=60;qu="tokens"`
 *   (the policy: quota per window in seconds) and `RateLimit: "requests";r=599;t=1, …`
 *   (remaining now, seconds until the bucket is full again). Tokens are not a
 *   registered quota unit: `qu="tokens"` names them so a client that knows
 *   only requests skips that policy rather than misreading it.
 * - a spending budget as `x-sluice-budget-usd-limit`, `-remaining` and
 *   `-window` (`day` or `month`): the one with the fewest dollars left.
 * The provider's own headers (about the gateway's upstream key, shared by
 * every tenant) never reach a tenant.
 */
import type { BudgetLine, TenantBudget } from '../tenant-budget.js';

/** Appends the budget's headers to a flat `[name, value, …]` list. */
export function pushBudgetHeaders(out: string[], budget: TenantBudget | undefined): void {
  if (!budget) return;
  const { requests, tokens, spend } = budget;
  if (spend)
    out.push(
      'x-sluice-budget-usd-limit',
      String(spend.limit),
      'x-sluice-budget-usd-remaining',
      Math.max(0, spend.remaining).toFixed(6),
      'x-sluice-budget-usd-window',
      spend.per,
    );
  if (requests) pushLine(out, 'requests', requests);
  if (tokens) pushLine(out, 'tokens', tokens);
  if (!requests && !tokens) return;
  const policies: string[] = [];
  const states: string[] = [];
  if (requests) {
    policies.push(`"requests";q=${Math.round(requests.limit)};w=60`);
    states.push(ietfState('requests', requests));
  }
  if (tokens) {
    policies.push(`"tokens";q=${Math.round(tokens.limit)};w=60;qu="tokens"`);
    states.push(ietfState('tokens', tokens));
  }
  out.push('ratelimit-policy', policies.join(', '), 'ratelimit', states.join(', '));
}

/** One policy's `RateLimit` member: remaining units and whole seconds until the bucket is full. */
function ietfState(policy: string, line: BudgetLine): string {
  const reset = line.resetMs > 0 && Number.isFinite(line.resetMs) ? Math.ceil(line.resetMs / 1000) : 0;
  return `"${policy}";r=${Math.max(0, Math.floor(line.remaining))};t=${reset}`;
}

function pushLine(out: string[], what: 'requests' | 'tokens', line: BudgetLine): void {
  out.push(
    `x-ratelimit-limit-${what}`,
    String(Math.round(line.limit)),
    `x-ratelimit-remaining-${what}`,
    String(Math.max(0, Math.floor(line.remaining))),
    `x-ratelimit-reset-${what}`,
    goDuration(line.resetMs),
  );
}

/**
 * Go's `time.Duration.String()` of a duration truncated to whole
 * milliseconds, as OpenAI prints resets: `0s`, `12ms`, `1s`, `3.114s`,
 * `6m0s`, `1h2m3.5s`.
 */
export function goDuration(ms: number): string {
  if (!(ms > 0) || !Number.isFinite(ms)) return '0s';
  const total = Math.floor(ms);
  if (total === 0) return '0s';
  if (total < 1_000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const secondsMs = total % 60_000;
  const whole = Math.floor(secondsMs / 1_000);
  const frac = secondsMs % 1_000;
  const seconds = frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
