/**
 * The lane's minimum share. Background lines take only capacity interactive
 * traffic leaves (strict priority, and the headroom every background
 * reservation leaves free), so under full interactive load they would never
 * run. A batch must always progress: when a model group's background lines
 * have gone without an answer for longer than one share interval, the next
 * line is promoted to its tenant's own class (where fair queuing between
 * tenants gives it its turn), and the interval starts again. So the lane
 * gets at least `minShare` of the group's request rate however loaded the
 * group is, and promotes nothing while its lines get through on their own.
 *
 * Per instance: N instances draining one group promote up to N × the share.
 */

export interface MinShareOptions {
  /** Share of the group's request rate the lane is always given (0 turns promotion off). */
  readonly minShare: number;
  /** The group's request rate (requests per ms over its deployments), undefined when it has no request limit. */
  readonly requestRatePerMs: (group: string) => number | undefined;
}

/** With no request limit to take a share of: promote at most one line per this long when starved. */
const UNLIMITED_INTERVAL_MS = 1_000;

export class MinShare {
  /** When each group's background lines last got an answer (or a line was promoted). */
  private readonly lastProgress = new Map<string, number>();

  constructor(private readonly options: MinShareOptions) {}

  /** Whether the next line of `group` runs in its tenant's class rather than `background`. */
  promote(group: string, now: number): boolean {
    const share = this.options.minShare;
    if (share <= 0) return false;
    const last = this.lastProgress.get(group);
    if (last === undefined) {
      // The first line of a group starts the clock: it runs in the background like the rest.
      this.lastProgress.set(group, now);
      return false;
    }
    if (now - last < this.intervalMs(group)) return false;
    this.lastProgress.set(group, now);
    return true;
  }

  /** A background line of `group` got its answer: the lane is progressing on its own. */
  progressed(group: string, now: number): void {
    this.lastProgress.set(group, now);
  }

  /** How long the lane may go without an answer before a line is promoted. */
  intervalMs(group: string): number {
    const rate = this.options.requestRatePerMs(group);
    if (rate === undefined || !(rate > 0)) return UNLIMITED_INTERVAL_MS;
    return 1 / (rate * this.options.minShare);
  }
}
