/**
 * The MemoryStore's side of the cluster-wide order: one demand board per
 * bucket (core/scheduler/demand-board.ts). Only a store several processes
 * decide through (`sluice serve --workers N` with the memory store: the
 * primary owns it) ever receives demand; a process alone publishes none, and
 * then every lookup is one `Map.size` check.
 */
import type { BucketSpec } from '../../core/limit.js';
import { DemandBoard } from '../../core/scheduler/demand-board.js';
import type { DemandUpdate, Rank } from '../store.js';

export class MemoryDemand {
  private readonly boards = new Map<string, DemandBoard>();

  publish(update: DemandUpdate, now: number): void {
    const expiresAt = now + update.leaseMs;
    for (const entry of update.entries) {
      let board = this.boards.get(entry.bucket.key);
      if (!board) {
        if (entry.amount <= 0) continue;
        board = new DemandBoard();
        this.boards.set(entry.bucket.key, board);
      }
      board.publish(update.instance, entry.rank, entry.amount, now, expiresAt);
    }
  }

  /** The board of `spec` when a ranked reservation must look at it (demand was published on it). */
  boardFor(spec: BucketSpec, rank: Rank | undefined): DemandBoard | undefined {
    if (!rank || this.boards.size === 0) return undefined;
    return this.boards.get(spec.key);
  }

  /** Drops boards with nothing waiting and tags past their TTL. */
  sweep(now: number): void {
    for (const [key, board] of this.boards) if (board.idle(now)) this.boards.delete(key);
  }
}
