/**
 * The tenant's own budget as OpenAI's rate-limit headers (PROVIDERS.md §1.1):
 * `x-ratelimit-limit-requests`, `-remaining-requests`, `-reset-requests` and
 * the same for tokens, with resets as Go-style durations (§1.2). Clients that
 * read these back off before they are refused; the provider's own headers
 * (about the gateway's upstream key, shared by every tenant) never reach a
 * tenant.
 */
import type { BudgetLine, TenantBudget } from '../tenant-budget.js';

/** Appends the budget's headers to a flat `[name, value, …]` list. */
export function pushBudgetHeaders(out: string[], budget: TenantBudget | undefined): void {
  if (!budget) return;
  if (budget.requests) pushLine(out, 'requests', budget.requests);
  if (budget.tokens) pushLine(out, 'tokens', budget.tokens);
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
