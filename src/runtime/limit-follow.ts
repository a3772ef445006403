/**
 * A deployment's limits follow what its provider reports, both ways
 * (issue 15): a tier upgrade shows as a larger `x-ratelimit-limit-*` /
 * `anthropic-ratelimit-*-limit`, an Azure temporary adjustment as a smaller
 * one that later goes back up (PROVIDERS.md §1.1, §2.2, §3.1).
 *
 * Down at once: a lower limit is the provider saying it will refuse sooner,
 * and the cost of believing a wrong one is a little unused capacity.
 * Up only when confirmed: `RAISE_CONFIRMATIONS` reports in a row above the
 * limit in force, with a window the adapter did not have to assume, and the
 * smallest of them is adopted. One odd header (a proxy's, a misread window)
 * never raises a limit; a report at or below the limit in force ends the
 * streak, so alternating values settle on the lower one instead of flapping.
 * Raises stop at `ceiling` (the operator's bound, or the declared limit
 * where raises are not adopted).
 */

/** Reports in a row above the limit in force before it is raised. */
export const RAISE_CONFIRMATIONS = 3;

/** Reports above the limit in force, in a row, and the smallest of them. */
export interface RaiseStreak {
  readonly count: number;
  readonly lowest: number;
}

export interface LimitReport {
  /** The limit of the bucket now. */
  readonly current: number;
  /** The limit the provider reported. */
  readonly reported: number;
  /** Highest limit a raise may reach. */
  readonly ceiling: number;
  /** The report's window is known (documented, configured or inferred), not assumed. */
  readonly windowKnown: boolean;
}

export interface Followed {
  /** The new limit, or undefined to keep the current one. */
  readonly limit: number | undefined;
  readonly streak: RaiseStreak | undefined;
}

export function followReport(streak: RaiseStreak | undefined, report: LimitReport): Followed {
  const { current, reported, ceiling, windowKnown } = report;
  if (reported < current) return { limit: reported, streak: undefined };
  const target = Math.min(reported, ceiling);
  if (target <= current) return { limit: undefined, streak: undefined };
  // A window the adapter guessed may be the wrong one (an RPD read as RPM): no evidence either way.
  if (!windowKnown) return { limit: undefined, streak };
  const next = { count: (streak?.count ?? 0) + 1, lowest: Math.min(streak?.lowest ?? target, target) };
  if (next.count < RAISE_CONFIRMATIONS) return { limit: undefined, streak: next };
  return { limit: next.lowest, streak: undefined };
}
