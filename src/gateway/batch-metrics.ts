/**
 * The background lane (batches) in Prometheus. Gauges are read from the
 * lane's snapshot when scraped (one snapshot per scrape feeds them all);
 * only active batches have series, so an ended batch's drop out and the
 * `batch` label stays as small as the number of batches running:
 *
 * - `sluice_batch_lines{batch, tenant, mode, state}`: a batch's lines by
 *   state, `done` (succeeded), `failed` (errored, cancelled or expired) and
 *   `remaining` (not answered yet); the three add up to the batch's lines;
 * - `sluice_batch_lines_per_minute{batch, tenant}`: lines answered over the
 *   last minute, every instance's included;
 * - `sluice_batch_expected_completion_seconds{batch, tenant}`: from now
 *   until the remaining lines should be answered at that pace, which is
 *   what the headroom interactive traffic leaves gives the lane; no series
 *   while a batch does not move;
 * - `sluice_batches_active{mode, status}`: active batches (0 for every pair
 *   while the lane is on);
 * - `sluice_batch_lines_in_flight`: lines this instance runs now;
 * - `sluice_batch_enqueued_tokens{deployment}` and
 *   `sluice_batch_enqueued_tokens_limit{deployment}`: forward mode's
 *   bucket, input tokens of batches queued at the provider and the limit in
 *   force (configured, or lower as the provider said).
 *
 * The counter `sluice_batch_lines_total{tenant, outcome, promoted}` counts
 * lines this instance answered (drain mode), `promoted="true"` for those
 * the lane's minimum share sent in the tenant's own class. It exists once
 * the lane is on (zero per configured tenant from the first scrape).
 *
 * `--workers N` (workers/merged-metrics.ts): every worker reads the batches
 * from the one store, so per-batch gauges are taken from one worker
 * ('first': its done, failed and remaining still add up); lines in flight
 * and the counter sum.
 */
import { Gauge, type Registry } from 'prom-client';
import type { BatchMode, BatchRecord, BatchStatus, LineResult } from '../batches/batch.js';
import type { BatchView, LaneSnapshot } from '../batches/lane-snapshot.js';
import { HotCounter } from './hot-metrics.js';

const MODES: readonly BatchMode[] = ['drain', 'forward'];
/** The statuses of a batch not ended yet. */
const ACTIVE_STATUSES: readonly BatchStatus[] = ['validating', 'in_progress', 'finalizing', 'cancelling'];
/** Outcomes declared at zero per tenant: the ones a drained line can have. */
const DECLARED_OUTCOMES = ['succeeded', 'errored'];

/** A batch's lines split in three that add up to its total. */
export function batchLineStates(b: BatchView): { done: number; failed: number; remaining: number } {
  const failed = b.errored + b.canceled + b.expired;
  return { done: b.succeeded, failed, remaining: Math.max(0, b.total - b.succeeded - failed) };
}

export class BatchMetrics {
  /** Registered once the lane is on (declared or a line counted): no lane, no series that never move. */
  private lines: HotCounter | undefined;

  constructor(
    private readonly registry: Registry,
    laneSnapshot: () => Promise<LaneSnapshot | undefined>,
  ) {
    const registers = [registry];
    // One snapshot per scrape: each gauge's collect awaits the same one (a failed read shows no batches).
    let reading: Promise<LaneSnapshot | undefined> | undefined;
    const read = () => {
      reading ??= laneSnapshot()
        .catch(() => undefined)
        .finally(() => {
          setImmediate(() => {
            reading = undefined;
          });
        });
      return reading;
    };
    /**
     * A gauge of the shared store's batches, set afresh from the scrape's
     * snapshot (no series when it could not be read). Every worker reads the
     * same store: the primary takes one worker's ('first'), never a sum.
     */
    const fromSnapshot = (
      name: string,
      help: string,
      labelNames: readonly string[],
      fill: (gauge: Gauge, snapshot: LaneSnapshot) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        aggregator: 'first',
        async collect() {
          const snapshot = await read();
          this.reset();
          if (snapshot) fill(this, snapshot);
        },
      });
    fromSnapshot(
      'sluice_batch_lines',
      'Lines of each active batch by state: done (succeeded), failed (errored, cancelled, expired), remaining.',
      ['batch', 'tenant', 'mode', 'state'],
      (gauge, { batches }) => {
        for (const b of batches) {
          for (const [state, n] of Object.entries(batchLineStates(b)))
            gauge.labels(b.id, b.tenant, b.mode, state).set(n);
        }
      },
    );
    fromSnapshot(
      'sluice_batch_lines_per_minute',
      'Lines of each active batch answered over the last minute, every instance’s included.',
      ['batch', 'tenant'],
      (gauge, { batches }) => {
        for (const b of batches) gauge.labels(b.id, b.tenant).set(b.linesPerMinute);
      },
    );
    fromSnapshot(
      'sluice_batch_expected_completion_seconds',
      'Seconds until an active batch’s remaining lines should be answered at its pace over the last minute; absent while it does not move.',
      ['batch', 'tenant'],
      (gauge, { batches, at }) => {
        for (const b of batches) {
          if (b.expectedCompletionAt === undefined) continue;
          gauge.labels(b.id, b.tenant).set(Math.max(0, (b.expectedCompletionAt - at) / 1000));
        }
      },
    );
    fromSnapshot(
      'sluice_batches_active',
      'Batches not ended, by mode (drain, forward) and status.',
      ['mode', 'status'],
      (gauge, { batches }) => {
        for (const mode of MODES) for (const status of ACTIVE_STATUSES) gauge.labels(mode, status).set(0);
        for (const b of batches) gauge.labels(b.mode, b.status).inc();
      },
    );
    fromSnapshot(
      'sluice_batch_enqueued_tokens',
      'Forward mode: input tokens of batches queued at the provider, per deployment (its enqueued-token bucket).',
      ['deployment'],
      (gauge, { enqueued }) => {
        for (const e of enqueued ?? []) gauge.labels(e.deployment).set(e.tokens);
      },
    );
    fromSnapshot(
      'sluice_batch_enqueued_tokens_limit',
      'Forward mode: the enqueued-token limit in force per deployment (configured, or lower as the provider said).',
      ['deployment'],
      (gauge, { enqueued }) => {
        for (const e of enqueued ?? []) if (e.limit !== undefined) gauge.labels(e.deployment).set(e.limit);
      },
    );
    new Gauge({
      name: 'sluice_batch_lines_in_flight',
      help: 'Batch lines this instance is running now.',
      registers,
      async collect() {
        this.set((await read())?.inFlight ?? 0);
      },
    });
  }

  /** Zero series for the tenants that may send batches (the lane is on). */
  declare(tenants: readonly string[]): void {
    const lines = this.linesCounter();
    for (const tenant of tenants)
      for (const outcome of DECLARED_OUTCOMES) lines.declare([tenant, outcome, 'false']);
  }

  countLine(batch: BatchRecord, result: LineResult, promoted: boolean): void {
    this.linesCounter().inc([batch.tenant, result.outcome, promoted ? 'true' : 'false']);
  }

  private linesCounter(): HotCounter {
    this.lines ??= new HotCounter(
      'sluice_batch_lines_total',
      'Batch lines this instance answered, by tenant, outcome and whether the lane’s minimum share promoted the line to its tenant’s own class.',
      ['tenant', 'outcome', 'promoted'],
      this.registry,
    );
    return this.lines;
  }
}
