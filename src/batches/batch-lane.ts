/**
 * The background lane of one instance: the store its batches live in, the
 * drain runner (and the forward runner, for groups that send batches to
 * the provider), and the view of every active batch's progress. The
 * gateway's batch APIs wake it when a batch is created or cancelled.
 */
import type { Clock } from '../core/clock.js';
import type { BatchProgress, BatchRecord } from './batch.js';
import type { BatchStore } from './batch-store.js';
import type { DrainRunner } from './drain/drain-runner.js';
import type { EnqueuedReading } from './forward/enqueued-tokens.js';
import type { BatchView, LaneSnapshot } from './lane-snapshot.js';
import { type BatchPace, ProgressTracker } from './progress-tracker.js';

/** What runs batches of one mode: woken on news, closed on shutdown. */
export interface BatchRunner {
  wake(): void;
  close(): Promise<void>;
}

export interface BatchLaneOptions {
  readonly store: BatchStore;
  readonly clock: Clock;
  readonly drain: DrainRunner;
  readonly forward?: BatchRunner | undefined;
  /** Forward mode's enqueued tokens per deployment (cluster-wide, from the store). */
  readonly enqueued?: (() => Promise<readonly EnqueuedReading[]>) | undefined;
}

export class BatchLane {
  readonly store: BatchStore;
  private readonly tracker = new ProgressTracker();

  constructor(private readonly options: BatchLaneOptions) {
    this.store = options.store;
  }

  start(): void {
    this.options.drain.start();
    this.options.forward?.wake();
  }

  /** Something changed (a batch created or cancelled): look now rather than at the next poll. */
  wake(): void {
    this.options.drain.wake();
    this.options.forward?.wake();
  }

  /** Where a batch stands: its counts and its pace (this reading is also a sample of the pace). */
  async standing(batch: BatchRecord): Promise<BatchProgress & BatchPace> {
    const progress = await this.store.progress(batch.id);
    return { ...progress, ...this.tracker.observe(batch.id, progress, this.options.clock.now()) };
  }

  async snapshot(): Promise<LaneSnapshot> {
    const now = this.options.clock.now();
    const active = await this.store.activeBatches();
    const batches: BatchView[] = [];
    for (const batch of active) {
      const { id, tenant, api, mode, model, status, createdAt, expiresAt } = batch;
      batches.push({
        id,
        tenant,
        api,
        mode,
        model,
        status,
        createdAt,
        expiresAt,
        ...(await this.standing(batch)),
        ...(batch.forward?.waiting && { waiting: batch.forward.waiting }),
      });
    }
    this.tracker.keepOnly(new Set(active.map((b) => b.id)));
    const enqueued = (await this.options.enqueued?.()) ?? [];
    return { at: now, batches, inFlight: this.options.drain.inFlight, enqueued };
  }

  async close(): Promise<void> {
    await this.options.drain.close();
    await this.options.forward?.close();
    await this.store.close();
  }
}
