/**
 * Which of a batch's lines are free to claim, for the file store (claims
 * live in memory: after a restart nothing is claimed).
 *
 * Lines never claimed are taken in index order from a frontier; a line
 * whose claim ended (released, or its lease ran out) is taken up again
 * before the frontier moves on. Only lines with a live or ended claim are
 * remembered, so a claim costs O(claims held + lines taken), not a scan of
 * the batch.
 */
import type { BatchLine } from '../batch.js';

export class BatchLines {
  /** Lines in index order (malformed input lines have none: their result is known at creation). */
  private readonly ordered: readonly BatchLine[];
  private readonly byIndex = new Map<number, BatchLine>();
  /** Claimed lines without a result: index → lease end (0: released). */
  private readonly leases = new Map<number, number>();
  /** Position in `ordered` of the first line never claimed. */
  private frontier = 0;

  constructor(
    lines: readonly BatchLine[],
    private readonly done: ReadonlySet<number>,
  ) {
    this.ordered = [...lines].sort((a, b) => a.index - b.index);
    for (const line of this.ordered) this.byIndex.set(line.index, line);
  }

  /** Claims up to `max` lines without a result and without a live lease, until `leaseUntil`. */
  claim(max: number, now: number, leaseUntil: number): BatchLine[] {
    const taken: BatchLine[] = [];
    for (const [index, until] of this.leases) {
      if (taken.length >= max) return taken;
      if (this.done.has(index)) this.leases.delete(index);
      else if (until <= now) {
        this.leases.set(index, leaseUntil);
        taken.push(this.byIndex.get(index) as BatchLine);
      }
    }
    while (taken.length < max && this.frontier < this.ordered.length) {
      const line = this.ordered[this.frontier++] as BatchLine;
      if (this.done.has(line.index)) continue;
      this.leases.set(line.index, leaseUntil);
      taken.push(line);
    }
    return taken;
  }

  /** Extends a held claim (never one whose line has a result). */
  renew(index: number, leaseUntil: number): void {
    const until = this.leases.get(index);
    if (until !== undefined && !this.done.has(index)) this.leases.set(index, Math.max(until, leaseUntil));
  }

  release(index: number): void {
    if (this.leases.has(index)) this.leases.set(index, 0);
  }

  /** A line has its result: its claim is over. */
  finished(index: number): void {
    this.leases.delete(index);
  }

  /** Lines without a result, in index order. */
  *remaining(): Iterable<BatchLine> {
    for (const line of this.ordered) if (!this.done.has(line.index)) yield line;
  }
}
