/**
 * The gateway's background lane, built from `batches:` and `data_dir`: the
 * batch store beside the limits (files under `data_dir` with the memory
 * store; the same Redis with the Redis store, so any instance works on any
 * batch), the drain runner running lines through this gateway's governor,
 * and the forward runner for groups whose batches go to the provider.
 */
import { randomUUID } from 'node:crypto';
import type { BatchRecord, LineResult } from '../../batches/batch.js';
import { BatchLane, type BatchRunner } from '../../batches/batch-lane.js';
import type { BatchStore } from '../../batches/batch-store.js';
import { DrainRunner } from '../../batches/drain/drain-runner.js';
import { MinShare } from '../../batches/drain/min-share.js';
import { endBatch, type FinalizeDeps } from '../../batches/finalize.js';
import { forwardDeploymentsOf } from '../../batches/forward/forward-deployments.js';
import { type ForwardEnd, ForwardRunner, finishForwarded } from '../../batches/forward/forward-runner.js';
import { renderOpenAIResultFile } from '../../batches/wire/openai-results.js';
import type { Clock } from '../../core/clock.js';
import { BACKGROUND_CLASS } from '../../core/scheduler/priority.js';
import type { Governor } from '../../runtime/governor.js';
import type { BatchesConfig } from '../config/schema.js';
import type { GatewayContext } from '../context.js';
import type { GatewayLogger } from '../logging.js';
import { forwardedBill } from './forwarded-bill.js';
import { runLine } from './line-exchange.js';

/** How often the drain runner looks for batches other instances created (it is woken for its own). */
const DRAIN_POLL_MS = 1_000;

export interface LaneDeps {
  readonly settings: BatchesConfig;
  readonly context: GatewayContext;
  readonly store: BatchStore;
  readonly clock: Clock;
  readonly logger: GatewayLogger;
}

/** The lane, started. */
export function startLane(deps: LaneDeps): BatchLane {
  const { settings, context, store, clock, logger } = deps;
  const finalize: FinalizeDeps = { store, fileSize: resultFileSize };
  const drain = new DrainRunner({
    ...finalize,
    clock,
    instance: randomUUID(),
    settings: {
      concurrency: settings.concurrency,
      lineLeaseMs: settings.line_lease_ms,
      pollMs: Math.min(DRAIN_POLL_MS, settings.poll_ms),
      backgroundClass: BACKGROUND_CLASS,
    },
    runLine: (request) => runLine(context, request),
    minShare: new MinShare({
      minShare: settings.min_share,
      requestRatePerMs: (group) => requestRateOf(context.governor, group),
    }),
    onLine: (batch, result, promoted) => context.metrics?.countBatchLine(batch, result, promoted),
  });
  const forward = new ForwardRunner({
    store,
    clock,
    deployments: forwardDeploymentsOf(() => context.governor.groups),
    tenantHold: (batch, deployment) =>
      context.governor.batchBudgetHold({
        tenant: batch.tenant,
        deployment: deployment.id,
        inputTokens: batch.inputTokens,
      }),
    onEnded: endForwarded(finalize, clock, async (batch) => {
      const governor = context.governor;
      const bill = forwardedBill(batch, await store.results(batch.id), (id) =>
        governor.groups.deployment(id),
      );
      if (bill) await governor.billBatch(bill);
    }),
    onError: (batchId, error) =>
      logger.warn({ batch: batchId, err: error }, 'forwarded batch: a step failed'),
  });
  const lane = new BatchLane({
    store,
    clock,
    drain,
    forward: polled(forward, settings.poll_ms),
    // Every deployment with a configured limit appears (at 0 while nothing is queued there).
    enqueued: () =>
      forward.enqueued(
        context.governor.groups.deployments().filter((d) => d.config.enqueuedTokens !== undefined),
      ),
  });
  lane.start();
  return lane;
}

/** OpenAI batches have output and error files; Anthropic's results are read from the batch itself. */
function resultFileSize(
  batch: BatchRecord,
  results: readonly LineResult[],
  part: 'output' | 'error',
): number | undefined {
  if (batch.api !== 'openai') return undefined;
  return Buffer.byteLength(renderOpenAIResultFile(batch, results, part));
}

/**
 * A forwarded batch the provider ended: its results are written, the
 * finalizer writes its files and moves it to its end (called again until
 * one call wins, so it may run twice); the call that wins bills what the
 * provider served. A batch the provider failed as a whole ends as failed,
 * with the provider's errors.
 */
function endForwarded(
  finalize: FinalizeDeps,
  clock: Clock,
  bill: (ended: BatchRecord) => Promise<void>,
): (end: ForwardEnd) => Promise<void> {
  const failed = finishForwarded(finalize.store, clock);
  return async (end) => {
    if (end.outcome === 'failed') return failed(end);
    const batch = await finalize.store.batch(end.batchId);
    const ended = batch ? await endBatch(finalize, batch, end.outcome, clock.now()) : undefined;
    if (ended) await bill(ended);
  };
}

/** The forward runner on its own timer: every `pollMs`, and at once when woken (ticks never overlap). */
function polled(runner: ForwardRunner, pollMs: number): BatchRunner {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let closed = false;
  const tick = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    void runner
      .tick()
      .catch(() => undefined)
      .finally(() => {
        running = false;
        if (closed) return;
        if (again) {
          again = false;
          tick();
          return;
        }
        timer = setTimeout(tick, pollMs);
        timer.unref();
      });
  };
  return {
    wake: tick,
    async close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}

/**
 * A group's request rate: the sum over its deployments of each one's
 * tightest request bucket. Undefined when no deployment has a request limit.
 */
function requestRateOf(governor: Governor, group: string): number | undefined {
  const deployments = governor.groups.group(group)?.deployments ?? [];
  let total = 0;
  for (const d of deployments) {
    let tightest = Number.POSITIVE_INFINITY;
    for (const b of d.buckets()) if (b.dimension === 'requests') tightest = Math.min(tightest, b.ratePerMs);
    if (Number.isFinite(tightest)) total += tightest;
  }
  return total > 0 ? total : undefined;
}
