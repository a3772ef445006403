/**
 * How a streamed response is settled once it ends (PROVIDERS.md §1.8: "If
 * the stream is aborted, keep the pre-charged estimate"): with the usage the
 * provider reported when it arrived in full; when the stream was cut, the
 * estimate stands unless the usage seen so far already exceeds it.
 */
import type { Cost, Usage } from '../../core/cost.js';
import type { UsageTap } from '../../providers/adapter.js';

export function usageToSettle(tap: UsageTap, estimate: Cost): Usage | undefined {
  const usage = tap.usage();
  if (!usage) return undefined;
  if (tap.complete()) return usage;
  const seen = usage.inputTokens + usage.outputTokens;
  return seen > estimate.inputTokens + estimate.outputTokens ? usage : undefined;
}
